package completion_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmls/llmls/completion"
	"golang.org/x/tools/txtar"
)

// cursorMark marks the cursor in scenario documents.
const cursorMark = "‸"

// scenario is one post-processing case from testdata/postprocess: a document with a cursor
// mark, the raw model output and the expected ghost text.
type scenario struct {
	doc       string // without the mark, with the document's line ends
	cursor    int    // byte offset
	model     string
	want      string
	multiLine bool
	stops     []string
}

func readScenario(t *testing.T, path string) scenario {
	t.Helper()
	ar, err := txtar.ParseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var sc scenario
	crlf := false
	for _, f := range ar.Files {
		body := strings.TrimSuffix(string(f.Data), "\n")
		switch f.Name {
		case "doc":
			sc.doc = string(f.Data)
		case "model":
			sc.model = body
		case "want":
			sc.want = body
		case "flags":
			for _, line := range strings.Split(body, "\n") {
				switch {
				case line == "multiline":
					sc.multiLine = true
				case line == "crlf":
					crlf = true
				case strings.HasPrefix(line, "stops:"):
					sc.stops = strings.Fields(strings.TrimPrefix(line, "stops:"))
				}
			}
		}
	}
	sc.cursor = strings.Index(sc.doc, cursorMark)
	if sc.cursor < 0 {
		t.Fatalf("%s: no cursor mark %q in doc", path, cursorMark)
	}
	sc.doc = strings.Replace(sc.doc, cursorMark, "", 1)
	if crlf {
		sc.cursor += strings.Count(sc.doc[:sc.cursor], "\n")
		sc.doc = strings.ReplaceAll(sc.doc, "\n", "\r\n")
		sc.want = strings.ReplaceAll(sc.want, "\n", "\r\n")
	}
	return sc
}

// surroundings derives what post-processing needs from a document and cursor, the way the
// engine does.
func surroundings(doc string, cursor int) completion.Surroundings {
	eol := "\n"
	if strings.Contains(doc, "\r\n") {
		eol = "\r\n"
	}
	before := strings.ReplaceAll(doc[:cursor], "\r\n", "\n")
	after := strings.ReplaceAll(doc[cursor:], "\r\n", "\n")
	lineStart := strings.LastIndexByte(before, '\n') + 1
	lineSuffix, rest, _ := strings.Cut(after, "\n")
	next := strings.Split(rest, "\n")
	if len(next) > 8 {
		next = next[:8]
	}
	return completion.Surroundings{
		LinePrefix: before[lineStart:],
		LineSuffix: lineSuffix,
		NextLines:  next,
		Indent:     completion.DetectIndent(before + after),
		EOL:        eol,
	}
}

func TestPostProcessScenarios(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "postprocess", "*.txtar"))
	if len(files) == 0 {
		t.Fatal("no scenarios")
	}
	for _, path := range files {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txtar"), func(t *testing.T) {
			sc := readScenario(t, path)
			got := completion.PostProcess(sc.model, sc.stops, sc.multiLine, surroundings(sc.doc, sc.cursor))
			if got != sc.want {
				t.Errorf("ghost text\n got: %q\nwant: %q", got, sc.want)
			}
		})
	}
}

func TestDetectIndent(t *testing.T) {
	tests := []struct{ name, text, want string }{
		{"tabs", "func f() {\n\tx := 1\n\tif x {\n\t\treturn\n\t}\n}\n", "\t"},
		{"four spaces", "def f():\n    x = 1\n    if x:\n        return\n", "    "},
		{"two spaces", "function f() {\n  if (x) {\n    y();\n  }\n}\n", "  "},
		{"none", "a\nb\n", ""},
	}
	for _, tc := range tests {
		if got := completion.DetectIndent(tc.text); got != tc.want {
			t.Errorf("%s: DetectIndent = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestCutAtStop(t *testing.T) {
	tests := []struct {
		name, text string
		stops      []string
		want       string
	}{
		{"none", "abc", []string{"<EOT>"}, "abc"},
		{"plain", "abc<EOT>def", []string{"<EOT>"}, "abc"},
		{"leading space", "abc <EOT>", []string{"▁<EOT>"}, "abc"},
		{"earliest wins", "a<|file_sep|>b<|endoftext|>", []string{"<|endoftext|>", "<|file_sep|>"}, "a"},
		{"at start", "<|endoftext|>", []string{"<|endoftext|>"}, ""},
		{"empty stop ignored", "abc", []string{""}, "abc"},
	}
	for _, tc := range tests {
		if got := completion.CutAtStop(tc.text, tc.stops); got != tc.want {
			t.Errorf("%s: CutAtStop(%q) = %q, want %q", tc.name, tc.text, got, tc.want)
		}
	}
}

func TestDropEchoedWord(t *testing.T) {
	tests := []struct{ name, text, linePrefix, want string }{
		{"echo after a space", "return x", "\treturn ", "x"},
		{"echo touching the word", "return", "\treturn", ""},
		{"echo touching, more after", "return(x)", "\treturn", "(x)"},
		{"continuing the word", "urn x", "\tret", "urn x"},
		{"restarting the word", "return x", "\tret", "urn x"},
		{"restarting a one-letter word", "i++", "\ti", "++"},
		{"a longer word after a blank is no echo", "returned", "\treturn ", "returned"},
		{"another word", "x + y", "\treturn ", "x + y"},
		{"start of line", "return x", "\t", "return x"},
		{"identifier echo", "err != nil {", "\tif err ", "!= nil {"},
	}
	for _, tc := range tests {
		if got := completion.DropEchoedWord(tc.text, tc.linePrefix); got != tc.want {
			t.Errorf("%s: DropEchoedWord(%q, %q) = %q, want %q", tc.name, tc.text, tc.linePrefix, got, tc.want)
		}
	}
}
