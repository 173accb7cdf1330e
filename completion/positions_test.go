package completion_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/llmls/llmls/completion"
	"github.com/llmls/llmls/lsp"
	"github.com/llmls/llmls/lsp/lsptest"
)

// TestPromptSplitsAtCursor drives the engine through the LSP layer with a document that has
// astral-plane characters (surrogate pairs in UTF-16) and CJK text before the cursor, under
// both position encodings, and checks that the prompt's prefix/suffix split is at exactly the
// right byte. CRLF documents must give the same prompt as LF.
func TestPromptSplitsAtCursor(t *testing.T) {
	const line0 = "// 数据 🙂 emoji 𝄞 and CJK 漢字\n"
	const before = "s := f(\"🙂👍 漢字\", " // the cursor line up to the cursor
	const after = ")\n"
	doc := line0 + before + after
	// The cursor as an LSP position: line 1, character = length of `before` in code units.
	utf16Units := 0
	for _, r := range before {
		if r >= 0x10000 {
			utf16Units += 2
		} else {
			utf16Units++
		}
	}
	for _, tc := range []struct {
		name string
		enc  lsp.PositionEncoding
		char int
		crlf bool
		bom  bool // the document starts with a UTF-8 byte order mark: not part of the prompt
	}{
		{"utf-16", lsp.UTF16, utf16Units, false, false},
		{"utf-8", lsp.UTF8, len(before), false, false},
		{"utf-16 crlf", lsp.UTF16, utf16Units, true, false},
		{"utf-8 bom", lsp.UTF8, len(before), false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := &fakeBackend{Output: func(completion.Prompt) string { return "z" }}
			e := newTestEngine(t, b, `{"debounceMs": 0}`)
			c, _ := lsptest.ServeInProcess(t, e, lsp.Options{})
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			encs := []lsp.PositionEncoding{tc.enc}
			if tc.enc == lsp.UTF16 {
				encs = nil
			}
			if _, err := c.Initialize(ctx, lsptest.InitializeParams(nil, encs...)); err != nil {
				t.Fatal(err)
			}
			text := doc
			if tc.crlf {
				text = strings.ReplaceAll(doc, "\n", "\r\n")
			}
			if tc.bom {
				text = "\ufeff" + text
			}
			c.DidOpen(ctx, "file:///w/a.go", "go", 1, text)
			items, err := c.InlineCompletion(ctx, "file:///w/a.go", 1, uint32(tc.char), completion.Invoked)
			if err != nil {
				t.Fatal(err)
			}
			if len(b.prompts) == 0 {
				t.Fatalf("no model call (items %+v)", items)
			}
			p := b.prompts[0].Text
			// PSM: <|fim_prefix|>line0<|fim_suffix|>after<|fim_middle|>before
			want := "<|fim_prefix|>" + line0 + "<|fim_suffix|>" + after + "<|fim_middle|>" + before
			if !strings.HasSuffix(p, want) || strings.Contains(p, "\ufeff") {
				t.Errorf("prompt ends\n%q\nwant it to end\n%q", p[max(0, len(p)-len(want)-20):], want)
			}
			if len(items) != 1 || items[0].Range == nil || items[0].Range.Start.Character != uint32(tc.char) {
				t.Errorf("items %+v, want one at character %d", items, tc.char)
			}
		})
	}
}
