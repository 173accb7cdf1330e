package codectx_test

import (
	"strings"
	"testing"

	codectx "github.com/llmls/llmls/context"
)

func TestLanguageRegistry(t *testing.T) {
	tests := []struct {
		name       string
		languageID string
		path       string
		want       string
	}{
		{name: "go by id", languageID: "go", path: "file:///a.txt", want: "go"},
		{name: "id wins over extension", languageID: "python", path: "file:///a.go", want: "python"},
		{name: "id is case-insensitive", languageID: "TypeScriptReact", path: "", want: "typescriptreact"},
		{name: "alias", languageID: "javascriptreact", path: "", want: "javascript"},
		{name: "shell alias", languageID: "bash", path: "", want: "shellscript"},
		{name: "c++ alias", languageID: "c++", path: "", want: "cpp"},
		{name: "unknown id falls back to extension", languageID: "weird", path: "file:///x/y.rs", want: "rust"},
		{name: "empty id, extension", languageID: "", path: "/src/main.tsx", want: "typescriptreact"},
		{name: "extension case", languageID: "", path: "Main.JAVA", want: "java"},
		{name: "header is C", languageID: "", path: "x.h", want: "c"},
		{name: "hpp is C++", languageID: "", path: "x.hpp", want: "cpp"},
		{name: "lua", languageID: "", path: "init.lua", want: "lua"},
		{name: "ruby", languageID: "", path: "Rakefile.rake", want: "ruby"},
		{name: "shell", languageID: "", path: "run.sh", want: "shellscript"},
		{name: "unknown is plain text", languageID: "markdown", path: "README.md", want: "plaintext"},
		{name: "nothing is plain text", languageID: "", path: "", want: "plaintext"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := codectx.DetectLanguage(tt.languageID, tt.path)
			if got.Name != tt.want {
				t.Errorf("DetectLanguage(%q, %q) = %s, want %s", tt.languageID, tt.path, got.Name, tt.want)
			}
			if (got == codectx.PlainText) == got.HasGrammar() {
				t.Errorf("%s: HasGrammar = %v", got.Name, got.HasGrammar())
			}
		})
	}
	if n := len(codectx.Languages()); n < 12 {
		t.Errorf("Languages() has %d entries, want at least 12", n)
	}
}

// TestQueriesCompile compiles every embedded query against its grammar: a node type or field
// that the grammar does not have is a compile error.
func TestQueriesCompile(t *testing.T) {
	for _, l := range codectx.Languages() {
		t.Run(l.Name, func(t *testing.T) {
			if err := codectx.QueryErr(l); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// cursorMark marks the cursor in test sources: U+2038 CARET, which no test language uses.
const cursorMark = "‸"

// cut removes the cursor mark from src and returns the text and the mark's byte offset.
func cut(t *testing.T, src string) (string, int) {
	t.Helper()
	i := strings.Index(src, cursorMark)
	if i < 0 {
		t.Fatalf("no cursor mark in %q", src)
	}
	return src[:i] + src[i+len(cursorMark):], i
}

func parse(t *testing.T, languageID, text string) *codectx.Snapshot {
	t.Helper()
	s, err := codectx.NewSnapshot("file:///test", languageID, 1, text, 0)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
