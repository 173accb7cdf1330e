package main_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"go.lsp.dev/protocol"

	codectx "github.com/llmls/llmls/context"
	"github.com/llmls/llmls/lsp/lsptest"
)

// pyModule is a real Python module: a class with a decorated method and a nested function.
const pyModule = `"""Shapes and their areas."""
import math


class Circle:
    """A circle of a given radius."""

    def __init__(self, radius):
        self.radius = radius

    @property
    def area(self):
        return math.pi * self.radius ** 2

    def scaled(self, factor, *, keep=False):
        def clamp(x):
            return max(x, 0.0)
        return Circle(clamp(self.radius * factor))
`

// TestEndToEndDocstring drives codeAction → codeAction/resolve against the embedded model on
// a Go and a Python file, applies the edit as an editor would, and checks that the result
// parses with no new syntax errors and that the edit is an insertion (or replacement) of
// comment lines at the declaration only. The embedded model is small: the test checks the
// structure, not the prose.
func TestEndToEndDocstring(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	c, proc := startServer(t, ctx, modelArgs()...)
	init, err := c.Initialize(ctx, lsptest.InitializeParams(nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(init.Capabilities.CodeActionProvider) == 0 || string(init.Capabilities.CodeActionProvider) == "false" {
		t.Fatalf("codeActionProvider not advertised: %s", init.Raw)
	}

	stack, err := os.ReadFile(filepath.Join(repoRoot(), "testdata", "demo", "stack.go"))
	if err != nil {
		t.Fatal(err)
	}
	goSrc := string(stack) + "\nfunc (s *Stack) Peek() (int, bool) {\n\tif len(s.items) == 0 {\n\t\treturn 0, false\n\t}\n\treturn s.items[len(s.items)-1], true\n}\n"

	for _, tc := range []struct {
		name, uri, lang, text string
		at                    string // the cursor goes at the start of this text
		title                 string
		check                 func(t *testing.T, newText string)
		// mayKeep: the resolve may fail saying that the existing docstring is kept (the
		// model wrote nothing new; the embedded model often does).
		mayKeep bool
	}{
		{
			name: "go write", uri: "file:///work/demo/stack.go", lang: "go", text: goSrc,
			at: "return s.items[len(s.items)-1], true", title: "Write docstring",
			check: func(t *testing.T, newText string) {
				lines := strings.Split(strings.TrimSuffix(newText, "\n"), "\n")
				if lines[0] != "// Peek" && !strings.HasPrefix(lines[0], "// Peek ") {
					t.Errorf("first line %q, want it to start with the word Peek", lines[0])
				}
				for _, l := range lines {
					if l != "//" && !strings.HasPrefix(l, "// ") {
						t.Errorf("line %q is not a top-level // comment", l)
					}
				}
			},
		},
		{
			name: "go update", uri: "file:///work/demo/stack2.go", lang: "go", text: goSrc,
			at: "v := s.items[len(s.items)-1]", title: "Update docstring", mayKeep: true,
			check: func(t *testing.T, newText string) {
				if !strings.HasPrefix(newText, "// Pop ") || newText == "// Pop\n" {
					t.Errorf("new doc %q, want it to start with the word Pop", newText)
				}
			},
		},
		{
			name: "python nested function", uri: "file:///work/demo/shapes.py", lang: "python", text: pyModule,
			at: "return max(x, 0.0)", title: "Write docstring",
			check: func(t *testing.T, newText string) {
				// Google style (the file has no sectioned docstrings), indented like the
				// body of clamp, naming its parameter from the tree.
				if !strings.HasPrefix(newText, "            \"\"\"") || !strings.HasSuffix(newText, "\"\"\"\n") ||
					!strings.Contains(newText, "\n            Args:\n                x:") {
					t.Errorf("docstring %q, want a Google-style docstring of clamp(x) at 12 spaces", newText)
				}
			},
		},
		{
			name: "python decorated method", uri: "file:///work/demo/shapes2.py", lang: "python", text: pyModule,
			at: "@property", title: "Write docstring",
			check: func(t *testing.T, newText string) {
				if !strings.HasPrefix(newText, "        \"\"\"") || strings.Contains(newText, "self") && strings.Contains(newText, "Args:") {
					t.Errorf("docstring %q, want one in the body of area, without self in Args", newText)
				}
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := c.DidOpen(ctx, tc.uri, tc.lang, 1, tc.text); err != nil {
				t.Fatal(err)
			}
			off := strings.Index(tc.text, tc.at)
			actions := codeActions(t, ctx, c, tc.uri, tc.text, off, off)
			if len(actions) != 1 || string(actions[0]["title"]) != fmt.Sprintf("%q", tc.title) ||
				string(actions[0]["kind"]) != `"refactor.rewrite"` || actions[0]["edit"] != nil {
				t.Fatalf("actions %v, want one unresolved %q", actions, tc.title)
			}
			var resolved struct {
				Edit protocol.WorkspaceEdit `json:"edit"`
			}
			if err := c.Call(ctx, "codeAction/resolve", actions[0], &resolved); err != nil {
				if tc.mayKeep && strings.Contains(err.Error(), "existing docstring is kept") {
					t.Logf("resolve: %v", err)
					return
				}
				t.Fatal(err)
			}
			dc := resolved.Edit.DocumentChanges
			if len(dc) != 1 || dc[0].TextDocument.Version == nil || *dc[0].TextDocument.Version != 1 || len(dc[0].Edits) != 1 {
				t.Fatalf("edit %+v, want one edit of version 1", resolved.Edit)
			}
			e := dc[0].Edits[0]
			start, end := offsetOf(t, tc.text, e.Range.Start), offsetOf(t, tc.text, e.Range.End)
			t.Logf("edit [%d, %d) %q replaces %q", start, end, e.NewText, tc.text[start:end])
			if old := tc.text[start:end]; strings.TrimSpace(old) != "" && !isComment(tc.lang, old) {
				t.Errorf("the edit replaces code: %q", old)
			}
			// The edit is where codectx puts the docstring of the declaration at the cursor
			// (its placement is tested per language in package codectx).
			before, _ := codectx.NewSnapshot(tc.uri, tc.lang, 1, tc.text, 0)
			if d, err := codectx.FindDocTarget(before, off, off); err != nil || d == nil || d.EditStart != start || d.EditEnd != end {
				t.Errorf("edit [%d, %d), want the docstring range of the declaration at the cursor: %+v, %v", start, end, d, err)
			}
			newDoc := tc.text[:start] + e.NewText + tc.text[end:]
			after, err := codectx.NewSnapshot(tc.uri, tc.lang, 2, newDoc, 0)
			if err != nil {
				t.Fatal(err)
			}
			if b, a := syntaxErrors(before), syntaxErrors(after); a > b {
				t.Errorf("the edit added syntax errors (%d, was %d):\n%s", a, b, newDoc)
			}
			tc.check(t, e.NewText)
		})
	}

	t.Run("no action outside a declaration", func(t *testing.T) {
		uri := "file:///work/demo/stack.go"
		for _, at := range []string{`import "errors"`, "package examples", `var ErrEmpty = errors.New`} {
			off := strings.Index(goSrc, at) + 2
			if actions := codeActions(t, ctx, c, uri, goSrc, off, off); len(actions) != 0 {
				t.Errorf("at %q: actions %v, want none", at, actions)
			}
		}
		off := strings.Index(pyModule, "import math") + 3
		if actions := codeActions(t, ctx, c, "file:///work/demo/shapes.py", pyModule, off, off); len(actions) != 0 {
			t.Errorf("python import: actions %v, want none", actions)
		}
	})

	if err := c.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	c.Exit(ctx)
	if code, err := proc.Wait(); code != 0 {
		t.Errorf("exit code %d (%v), want 0", code, err)
	}
}

// TestEndToEndDocstringCancel cancels a resolve while the model generates and checks that
// the answer is RequestCancelled and that generation stops: the server is pointed at a fake
// Ollama server that streams one piece and then holds the request open until the client
// (llmls) drops it.
func TestEndToEndDocstringCancel(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	started, stopped := make(chan struct{}, 1), make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/generate" {
			fmt.Fprint(w, `{"models":[{"name":"fake"}]}`)
			return
		}
		w.Header().Set("Content-Type", "application/x-ndjson")
		fmt.Fprintln(w, `{"model":"fake","response":"Peek","done":false}`)
		w.(http.Flusher).Flush()
		started <- struct{}{}
		<-r.Context().Done()
		stopped <- struct{}{}
	}))
	defer srv.Close()

	c, proc := startServer(t, ctx)
	_, err := c.Initialize(ctx, lsptest.InitializeParams(map[string]any{
		"backend": "ollama", "endpoint": srv.URL, "remoteModel": "fake", "fimFamily": "qwen2.5-coder"}))
	if err != nil {
		t.Fatal(err)
	}
	const uri = "file:///work/demo/peek.go"
	text := "package p\n\nfunc Peek(xs []int) int {\n\treturn xs[0]\n}\n"
	c.DidOpen(ctx, uri, "go", 1, text)
	off := strings.Index(text, "return")
	actions := codeActions(t, ctx, c, uri, text, off, off)
	if len(actions) != 1 {
		t.Fatalf("actions %v, want one", actions)
	}
	p, err := c.Go(ctx, "codeAction/resolve", actions[0])
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-started:
	case <-ctx.Done():
		t.Fatal("the model was never asked")
	}
	if err := c.Cancel(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	if r, err := p.Wait(ctx); err != nil || r.Error == nil || r.Error.Code != -32800 {
		t.Errorf("cancelled resolve: %+v, %v; want code -32800", r, err)
	}
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Error("generation went on after the cancel: the serving engine's request is still open")
	}
	c.Shutdown(ctx)
	c.Exit(ctx)
	proc.Wait()
}

// codeActions asks for the code actions of the byte range [start, end) of text.
func codeActions(t *testing.T, ctx context.Context, c *lsptest.Client, uri, text string, start, end int) []map[string]json.RawMessage {
	t.Helper()
	var actions []map[string]json.RawMessage
	err := c.Call(ctx, "textDocument/codeAction", map[string]any{
		"textDocument": map[string]string{"uri": uri},
		"range":        protocol.Range{Start: positionOf(text, start), End: positionOf(text, end)},
		"context":      map[string]any{"diagnostics": []any{}},
	}, &actions)
	if err != nil {
		t.Fatal(err)
	}
	return actions
}

// positionOf converts a byte offset to an LSP position in UTF-16 code units (the default
// encoding the test client negotiates).
func positionOf(text string, off int) protocol.Position {
	line := strings.Count(text[:off], "\n")
	ls := strings.LastIndexByte(text[:off], '\n') + 1
	return protocol.Position{Line: uint32(line), Character: uint32(len(utf16.Encode([]rune(text[ls:off]))))}
}

// offsetOf converts an LSP position (UTF-16 code units) to a byte offset of text.
func offsetOf(t *testing.T, text string, p protocol.Position) int {
	t.Helper()
	off := 0
	for i := uint32(0); i < p.Line; i++ {
		j := strings.IndexByte(text[off:], '\n')
		if j < 0 {
			t.Fatalf("position %+v past the end", p)
		}
		off += j + 1
	}
	for units := uint32(0); units < p.Character; {
		r, n := utf8.DecodeRuneInString(text[off:])
		if n == 0 || r == '\n' {
			t.Fatalf("position %+v past the line end", p)
		}
		units += uint32(len(utf16.Encode([]rune{r})))
		off += n
	}
	return off
}

// isComment reports whether every non-blank line of s is a comment in lang.
func isComment(lang, s string) bool {
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimSpace(l)
		if l != "" && !strings.HasPrefix(l, "//") && !(lang == "python" && strings.HasPrefix(l, `"""`)) {
			return false
		}
	}
	return true
}

// syntaxErrors counts the ERROR and MISSING nodes of a snapshot's tree.
func syntaxErrors(s *codectx.Snapshot) int {
	x := s.SExpr()
	return strings.Count(x, "(ERROR") + strings.Count(x, "(MISSING")
}
