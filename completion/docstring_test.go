package completion_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/llmls/llmls/completion"
)

// docRequest returns a request for src with the cursor at ‸ (removed).
func docRequest(uri, lang, src string) completion.Request {
	off := strings.Index(src, "‸")
	text := src[:off] + src[off+len("‸"):]
	return completion.Request{URI: uri, LanguageID: lang, Version: 1, Text: text, Offset: off, Trigger: completion.Invoked}
}

// resolveDoc lists the actions at the cursor of req, checks there is exactly one with the
// title want, and resolves it.
func resolveDoc(t *testing.T, ctx context.Context, e *completion.Engine, req completion.Request, want string) ([]completion.Edit, error) {
	t.Helper()
	actions, err := e.CodeActions(ctx, req, req.Offset, req.Offset)
	if err != nil {
		t.Fatal(err)
	}
	if len(actions) != 1 || actions[0].Title != want || actions[0].Kind != "refactor.rewrite" || !json.Valid(actions[0].Data) {
		t.Fatalf("actions = %+v, want one %q refactor.rewrite", actions, want)
	}
	return e.ResolveCodeAction(ctx, req, actions[0])
}

func TestDocstringResolve(t *testing.T) {
	for _, tc := range []struct {
		name, uri, lang, src string
		title                string
		output               string   // what the fake model writes into the hole
		promptHas            []string // texts of the prompt's document, with <HOLE> for the hole
		edit                 string   // the edit's text
		at                   string   // the edit starts at the first occurrence of this text
		replaces             string   // the text the edit replaces ("" for an insertion)
	}{
		{
			name: "go function", uri: "file:///w/calc.go", lang: "go",
			src:       "package calc\n\nfunc Add(a, b int) int {\n\treturn a‸ + b\n}\n",
			title:     "Write docstring",
			output:    " returns the sum of a and b.\n// It never overflows.\nfunc Add(a, b int) int {\n",
			promptHas: []string{"package calc\n\n// Add<HOLE>\nfunc Add(a, b int) int {\n\treturn a + b\n}\n"},
			edit:      "// Add returns the sum of a and b.\n// It never overflows.\n",
			at:        "func Add",
		},
		{
			name: "go update stops at a blank line", uri: "file:///w/calc.go", lang: "go",
			src:       "package calc\n\n// Sub is old.\n//go:noinline\nfunc Sub(a, b int) int { return a - b‸ }\n",
			title:     "Update docstring",
			output:    " subtracts b from a.\n\nfunc Other() {}\n",
			promptHas: []string{"package calc\n\n// Sub<HOLE>\n//go:noinline\nfunc Sub("},
			edit:      "// Sub subtracts b from a.\n",
			at:        "// Sub is old.", replaces: "// Sub is old.\n",
		},
		{
			name: "python google sections from the tree", uri: "file:///w/m.py", lang: "python",
			src:   "import os\n\ndef scale(xs, factor=2, *rest) -> list:\n    return [x * factor‸ for x in xs]\n",
			title: "Write docstring",
			output: "Scale every value.\n\n    Args:\n        xs: the values, a\n            sequence.\n        bogus: not a parameter.\n\n" +
				"    Returns:\n        the scaled values.\n    \"\"\"\n    return [",
			promptHas: []string{"def scale(xs, factor=2, *rest) -> list:\n    \"\"\"<HOLE>\n    \"\"\"\n    return [x * factor for x in xs]\n"},
			edit: "    \"\"\"Scale every value.\n\n    Args:\n        xs: the values, a sequence.\n        factor:\n        *rest:\n\n" +
				"    Returns:\n        list: the scaled values.\n    \"\"\"\n",
			at: "    return [x",
		},
		{
			name: "python numpy file, CRLF, method", uri: "file:///w/m.py", lang: "python",
			src: "class K:\r\n\tdef f(self):\r\n\t\t\"\"\"F.\r\n\r\n\t\tReturns\r\n\t\t-------\r\n\t\tint\r\n\t\t\"\"\"\r\n\t\treturn 1\r\n\r\n" +
				"\tdef g(self, n):\r\n\t\tprint(n)‸\r\n",
			title:     "Write docstring",
			output:    "Print n.\n\t\t\"\"\"",
			promptHas: []string{"\tdef g(self, n):\n\t\t\"\"\"<HOLE>\n\t\t\"\"\"\n\t\tprint(n)\n"},
			edit:      "\t\t\"\"\"Print n.\r\n\r\n\t\tParameters\r\n\t\t----------\r\n\t\tn\r\n\t\t\"\"\"\r\n",
			at:        "\t\tprint(n)",
		},
		{
			name: "jsdoc update keeps only real parameters", uri: "file:///w/a.js", lang: "javascript",
			src:       "/**\n * Old.\n */\nfunction area(w, h) {\n  return w * h;‸\n}\n",
			title:     "Update docstring",
			output:    " Area of a rectangle.\n * @param {number} w - the width\n * @param q not a parameter\n */\nfunction",
			promptHas: []string{"/**\n *<HOLE>\n */\nfunction area(w, h) {"},
			edit:      "/**\n * Area of a rectangle.\n *\n * @param w the width\n * @param h\n * @returns\n */\n",
			at:        "/**", replaces: "/**\n * Old.\n */\n",
		},
		{
			name: "python skeleton when the model writes nothing", uri: "file:///w/m.py", lang: "python",
			src:       "def clamp(x):\n    return max(x, 0.0)‸\n",
			title:     "Write docstring",
			output:    "",
			promptHas: []string{"def clamp(x):\n    \"\"\"<HOLE>\n    \"\"\"\n    return max"},
			edit:      "    \"\"\"\n    Args:\n        x:\n\n    Returns:\n    \"\"\"\n",
			at:        "    return max",
		},
		{
			name: "go skeleton when the model writes nothing", uri: "file:///w/a.go", lang: "go",
			src:       "package a\n\nfunc Peek() {‸}\n",
			title:     "Write docstring",
			output:    "\n",
			promptHas: []string{"package a\n\n// Peek<HOLE>\nfunc Peek() {}\n"},
			edit:      "// Peek\n",
			at:        "func Peek",
		},
		{
			name: "go name is a whole word", uri: "file:///w/a.go", lang: "go",
			src:       "package a\n\nfunc Pop() {‸}\n",
			title:     "Write docstring",
			output:    "t is odd.\n",
			promptHas: []string{"// Pop<HOLE>\nfunc Pop() {}\n"},
			edit:      "// Pop t is odd.\n",
			at:        "func Pop",
		},
		{
			name: "rust method keeps prose", uri: "file:///w/lib.rs", lang: "rust",
			src:       "impl S {\n    pub fn len(&self) -> usize {\n        self.n‸\n    }\n}\n",
			title:     "Write docstring",
			output:    " Returns the number of items.\n    ///\n    /// Constant time.\n    pub fn",
			promptHas: []string{"impl S {\n    ///<HOLE>\n    pub fn len(&self)"},
			edit:      "    /// Returns the number of items.\n    ///\n    /// Constant time.\n",
			at:        "    pub fn len",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				b := &fakeBackend{Output: func(completion.Prompt) string { return tc.output }}
				e := newTestEngine(t, b, `{}`)
				req := docRequest(tc.uri, tc.lang, tc.src)
				edits, err := resolveDoc(t, context.Background(), e, req, tc.title)
				if err != nil {
					t.Fatal(err)
				}
				if b.Calls() != 1 {
					t.Fatalf("%d model calls, want 1", b.Calls())
				}
				p := holeDocument(t, b.prompts[0].Text)
				for _, h := range tc.promptHas {
					if !strings.Contains(p, h) {
						t.Errorf("prompt lacks %q:\n%s", h, p)
					}
				}
				if strings.Contains(p, "\r") {
					t.Errorf("prompt has CR: %q", p)
				}
				start := strings.Index(req.Text, tc.at)
				want := completion.Edit{Start: start, End: start + len(tc.replaces), Text: tc.edit}
				if len(edits) != 1 || edits[0] != want {
					t.Fatalf("edits = %+v\nwant    %+v", edits, want)
				}
			})
		})
	}
}

// TestDocstringStopsGeneration checks that generation ends where the docstring does, not at
// the token limit.
func TestDocstringStopsGeneration(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rest := strings.Repeat("x := 1\n", 40)
		b := &fakeBackend{Output: func(completion.Prompt) string { return " runs.\n" + rest }}
		e := newTestEngine(t, b, `{}`)
		req := docRequest("file:///w/a.go", "go", "package p\n\nfunc Run() {‸}\n")
		edits, err := resolveDoc(t, context.Background(), e, req, "Write docstring")
		if err != nil || len(edits) != 1 || edits[0].Text != "// Run runs.\n" {
			t.Fatalf("edits %+v, %v", edits, err)
		}
		// " runs.\n", then the next line until it has as many bytes as the marker "//"
		// without being a comment: "x :" (the fake's tokens are bytes).
		if got, want := e.Stats().GeneratedTokens.Load(), int64(len(" runs.\nx :")); got != want {
			t.Errorf("generated %d tokens, want %d", got, want)
		}
	})
}

// TestDocstringUpdateKeepsText checks that "Update docstring" never replaces the user's
// docstring with an empty skeleton when the model writes nothing.
func TestDocstringUpdateKeepsText(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := &fakeBackend{Output: func(completion.Prompt) string { return "\n" }}
		e := newTestEngine(t, b, `{}`)
		req := docRequest("file:///w/a.go", "go", "package a\n\n// Len returns the number of items.\nfunc Len() int {‸ return 0 }\n")
		edits, err := resolveDoc(t, context.Background(), e, req, "Update docstring")
		if !errors.Is(err, completion.ErrNoDocstringUpdate) || edits != nil {
			t.Fatalf("edits %+v, err %v; want no edit and ErrNoDocstringUpdate", edits, err)
		}
	})
}

func TestDocstringCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := &fakeBackend{Output: func(completion.Prompt) string { return strings.Repeat("words ", 100) }}
		e := newTestEngine(t, b, `{}`)
		req := docRequest("file:///w/a.go", "go", "package p\n\nfunc Run() {‸}\n")
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			_, err := resolveDoc(t, ctx, e, req, "Write docstring")
			done <- err
		}()
		time.Sleep(5 * tokenTime)
		cancel()
		err := <-done
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		if got := e.Stats().GeneratedTokens.Load(); got > 6 {
			t.Errorf("generation went on after the cancel: %d tokens", got)
		}
	})
}

func TestDocstringNoAction(t *testing.T) {
	b := &fakeBackend{Output: func(completion.Prompt) string { return "x" }}
	e := newTestEngine(t, b, `{}`)
	for _, tc := range []struct{ name, lang, src string }{
		{"import line", "go", "package p\n\nimport \"o‸s\"\n\nfunc F() {}\n"},
		{"python module code", "python", "x = ‸1\n"},
		{"unknown language", "plaintext", "a ‸b\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := docRequest("file:///w/x", tc.lang, tc.src)
			if actions, err := e.CodeActions(context.Background(), req, req.Offset, req.Offset); err != nil || len(actions) != 0 {
				t.Errorf("actions %+v, %v; want none", actions, err)
			}
		})
	}
	req := docRequest("file:///w/x.go", "go", "package p\n\nfunc F() {‸}\n")
	if _, err := e.ResolveCodeAction(context.Background(), req, completion.CodeAction{Title: "x", Data: json.RawMessage(`{"a":1}`)}); err == nil {
		t.Error("foreign data resolved")
	}
	if b.Calls() != 0 {
		t.Errorf("%d model calls, want none", b.Calls())
	}
}

func TestDocstringEmptyOutput(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := &fakeBackend{Output: func(completion.Prompt) string { return "\n}\n" }}
		e := newTestEngine(t, b, `{}`)
		req := docRequest("file:///w/a.js", "javascript", "function f() {‸}\n")
		if _, err := resolveDoc(t, context.Background(), e, req, "Write docstring"); !errors.Is(err, completion.ErrEmptyDocstring) {
			t.Errorf("err = %v, want ErrEmptyDocstring", err)
		}
	})
}

// holeDocument rebuilds the document the model sees from a Qwen2.5-Coder PSM prompt
// (<|fim_prefix|>P<|fim_suffix|>S<|fim_middle|>T: the typed text T of the hole's line goes
// after the middle token), with <HOLE> where the model writes.
func holeDocument(t *testing.T, prompt string) string {
	t.Helper()
	_, rest, ok1 := strings.Cut(prompt, "<|fim_prefix|>")
	pre, rest, ok2 := strings.Cut(rest, "<|fim_suffix|>")
	suf, typed, ok3 := strings.Cut(rest, "<|fim_middle|>")
	if !ok1 || !ok2 || !ok3 {
		t.Fatalf("not a PSM prompt: %q", prompt)
	}
	return pre + typed + "<HOLE>" + suf
}
