package codectx_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	codectx "github.com/llmls/llmls/context"
)

const configGo = `package app

import "os"

// DefaultPort is used when the config names none.
const DefaultPort = 8080

// Config is the server configuration.
type Config struct {
	Port int
	Root string
}

// Load reads the configuration from path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c := &Config{Port: DefaultPort}
	for _, line := range splitLines(string(data)) {
		if line == "" {
			continue
		}
		c.Root = line
	}
	_ = c.Port
	_ = c.Root
	_ = len(data)
	_ = path
	_ = err
	_ = c
	return c, nil
}
`

const configPy = `class Config:
    port = 1
`

func TestContextDefinitions(t *testing.T) {
	ws := codectx.NewWorkspace(codectx.Options{})
	for _, d := range []struct{ uri, lang, text string }{
		{"file:///app/config.go", "go", configGo},
		{"file:///tools/config.py", "python", configPy},
	} {
		if err := ws.Open(d.uri, d.lang, 1, d.text); err != nil {
			t.Fatal(err)
		}
	}
	mainGo, off := cut(t, `package app

import "fmt"

func splitLines(s string) []string { return nil }

func serve(port int) {}

func main() {
	cfg, err := Load("app.conf")
	if err != nil {
		panic(err)
	}
	fmt.Println(cfg.Root)
	serve(‸)
}
`)
	if err := ws.Open("file:///app/main.go", "go", 1, mainGo); err != nil {
		t.Fatal(err)
	}
	snap, _ := ws.Snapshot("file:///app/main.go")
	cc, err := ws.Context(snap, off, codectx.ContextOptions{WindowBefore: 3, WindowAfter: 1, MaxDefinitionLines: 12})
	if err != nil {
		t.Fatal(err)
	}
	if len(cc.Scopes) != 1 || cc.Scopes[0].Name != "main" || cc.Scopes[0].Header != "func main()" {
		t.Errorf("scopes %+v", cc.Scopes)
	}
	if len(cc.Imports) != 1 || cc.Imports[0].Text != `import "fmt"` {
		t.Errorf("imports %+v", cc.Imports)
	}
	if cc.Completion != codectx.CompletionSingleLine {
		t.Errorf("completion %v (%s)", cc.Completion, cc.CompletionReason)
	}
	got := map[string]codectx.Definition{}
	var order []string
	for _, d := range cc.Definitions {
		got[d.Name] = d
		order = append(order, d.Name)
	}
	// The window is lines 11–15 of main.go (3 before the cursor line, 1 after): it uses
	// serve (same file, outside the window), cfg.Root (Root is a field, not indexed), fmt
	// (a package), and nothing else from config.go; Load is used above the window.
	if _, ok := got["main"]; ok {
		t.Error("the enclosing function is listed as a definition")
	}
	serve, ok := got["serve"]
	if !ok || serve.URI != "file:///app/main.go" || serve.Text != "func serve(port int) {}" || serve.Kind != codectx.KindFunction {
		t.Errorf("serve: %+v (order %v)", serve, order)
	}
	if serve.Line != 6 || mainGo[serve.Start:serve.End] != serve.Text {
		t.Errorf("serve: line %d, range [%d,%d)", serve.Line, serve.Start, serve.End)
	}

	// A wider window reaches the use of Load, defined in config.go; only identifiers used
	// in the window count, so Config (named in Load's signature only) is not listed.
	cc, err = ws.Context(snap, off, codectx.ContextOptions{WindowBefore: 20, MaxDefinitionLines: 12})
	if err != nil {
		t.Fatal(err)
	}
	got = map[string]codectx.Definition{}
	order = nil
	for _, d := range cc.Definitions {
		got[d.Name] = d
		order = append(order, d.Name)
	}
	load, ok := got["Load"]
	if !ok {
		t.Fatalf("Load not found; definitions %v", order)
	}
	wantHeader := "// Load reads the configuration from path.\nfunc Load(path string) (*Config, error)"
	if load.URI != "file:///app/config.go" || load.Text != wantHeader || !load.Truncated {
		t.Errorf("Load: %+v", load)
	}
	if !strings.HasPrefix(configGo[load.Start:], load.Text) {
		t.Errorf("Load text is not the start of its range")
	}
	if _, ok := got["splitLines"]; ok {
		t.Error("splitLines is defined inside the window and should not be listed")
	}
	for _, d := range cc.Definitions {
		if strings.HasSuffix(d.URI, ".py") {
			t.Errorf("a Python definition was offered for Go code: %+v", d)
		}
	}
	// Nearest use first: serve (cursor line) before Load (5 lines up).
	if strings.Join(order, " ") != "serve Load" {
		t.Errorf("definition order %v, want [serve Load]", order)
	}
}

func TestContextDefinitionText(t *testing.T) {
	ws := codectx.NewWorkspace(codectx.Options{})
	if err := ws.Open("file:///config.go", "go", 1, configGo); err != nil {
		t.Fatal(err)
	}
	src, off := cut(t, "package app\n\nfunc f() {\n\tc := Config{Port: DefaultPort}‸\n}\n")
	if err := ws.Open("file:///f.go", "go", 1, src); err != nil {
		t.Fatal(err)
	}
	snap, _ := ws.Snapshot("file:///f.go")
	cc, err := ws.Context(snap, off, codectx.ContextOptions{MaxDefinitionLines: 4})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		text      string
		truncated bool
	}{
		// A type longer than the limit keeps its first lines; the doc comment comes with it.
		"Config":      {"// Config is the server configuration.\ntype Config struct {\n\tPort int\n\tRoot string", true},
		"DefaultPort": {"// DefaultPort is used when the config names none.\nconst DefaultPort = 8080", false},
	}
	if len(cc.Definitions) != len(want) {
		t.Fatalf("definitions %+v", cc.Definitions)
	}
	for _, d := range cc.Definitions {
		w, ok := want[d.Name]
		if !ok || d.Text != w.text || d.Truncated != w.truncated {
			t.Errorf("%s: text %q truncated %v, want %q %v", d.Name, d.Text, d.Truncated, w.text, w.truncated)
		}
	}
}

func TestContextSnippets(t *testing.T) {
	ws := codectx.NewWorkspace(codectx.Options{})
	docs := map[string]string{
		// One chunk (fewer lines than SnippetLines) whose tokens are
		// {main, computeTotal, items, Item, taxRate, float64}.
		"file:///billing.go": "package main\n\nfunc computeTotal(items []Item, taxRate float64) float64 {\n\treturn 0\n}\n",
		// Nothing in common with the cursor.
		"file:///strutil.go": "package util\n\nfunc Reverse(s string) string {\n\treturn s\n}\n",
		// Same text as billing.go: offered once.
		"file:///copy.go": "package main\n\nfunc computeTotal(items []Item, taxRate float64) float64 {\n\treturn 0\n}\n",
	}
	for uri, text := range docs {
		if err := ws.Open(uri, "go", 1, text); err != nil {
			t.Fatal(err)
		}
	}
	src, off := cut(t, "package main\n\nfunc main() {\n\ttotal := computeTotal(items, taxRate)‸\n}\n")
	if err := ws.Open("file:///main.go", "go", 1, src); err != nil {
		t.Fatal(err)
	}
	snap, _ := ws.Snapshot("file:///main.go")
	cc, err := ws.Context(snap, off, codectx.ContextOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cc.Snippets) != 1 {
		t.Fatalf("snippets %+v", cc.Snippets)
	}
	sn := cc.Snippets[0]
	// The query is main.go up to the cursor line: tokens {main, total, computeTotal, items,
	// taxRate} ("package" and "func" are stop words). Shared: main, computeTotal, items,
	// taxRate. Jaccard = 4 / (5 + 6 - 4).
	if want := 4.0 / 7.0; math.Abs(sn.Score-want) > 1e-12 {
		t.Errorf("score %v, want %v", sn.Score, want)
	}
	if sn.URI != "file:///billing.go" || sn.Start != 0 || sn.End != len(docs[sn.URI]) || sn.StartLine != 0 || sn.EndLine != 5 {
		t.Errorf("snippet %+v", sn)
	}
	if sn.Text != docs["file:///billing.go"] {
		t.Errorf("snippet text %q", sn.Text)
	}

	t.Run("never the current window", func(t *testing.T) {
		cc, err := ws.Context(snap, off, codectx.ContextOptions{SameFileSnippets: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range cc.Snippets {
			if s.URI == "file:///main.go" {
				t.Errorf("a snippet of the cursor's own window: %+v", s)
			}
		}
	})
	t.Run("same file far away", func(t *testing.T) {
		long := "package main\n\nfunc helperWithItems(items []Item, taxRate float64) {\n\t_ = items\n}\n" +
			strings.Repeat("\n// filler line\n", 30) +
			"func main() {\n\ttotal := computeTotal(items, taxRate)‸\n}\n"
		text, off := cut(t, long)
		if err := ws.Open("file:///long.go", "go", 1, text); err != nil {
			t.Fatal(err)
		}
		s, _ := ws.Snapshot("file:///long.go")
		cc, err := ws.Context(s, off, codectx.ContextOptions{SameFileSnippets: true, WindowBefore: 5, WindowAfter: 2})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for i, sn := range cc.Snippets {
			if i > 0 && sn.Score > cc.Snippets[i-1].Score {
				t.Errorf("snippets not sorted by score: %v", cc.Snippets)
			}
			for _, o := range cc.Snippets[:i] {
				if o.URI == sn.URI && sn.Start < o.End && o.Start < sn.End {
					t.Errorf("overlapping snippets of %s: [%d,%d) and [%d,%d)", sn.URI, o.Start, o.End, sn.Start, sn.End)
				}
			}
			if sn.URI == "file:///long.go" {
				found = true
				if sn.End > strings.Index(text, "func main") {
					t.Errorf("same-file snippet overlaps the window: %+v", sn)
				}
			}
		}
		if !found {
			t.Errorf("no snippet from the far part of the same file: %+v", cc.Snippets)
		}
	})
	t.Run("bad offset", func(t *testing.T) {
		if _, err := ws.Context(snap, len(src)+1, codectx.ContextOptions{}); !errors.Is(err, codectx.ErrBadOffset) {
			t.Errorf("got %v, want ErrBadOffset", err)
		}
	})
}
