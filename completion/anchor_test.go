package completion

import (
	"strings"
	"testing"
)

// TestAnchor checks when a document's prompt window is kept (the user typed on after the
// cursor of the last request, nothing else changed) and when it is chosen afresh.
func TestAnchor(t *testing.T) {
	const uri = "file:///a.go"
	doc0 := "package p\n\nfunc f() {\n\tx := 1\n‸\n}\n\nfunc g() {}\n"
	cursor0 := strings.Index(doc0, "‸")
	doc0 = strings.Replace(doc0, "‸", "", 1)
	count := func(s string) int { return len(s) } // a byte is a token: windows are exact
	tests := []struct {
		name   string
		edit   func(doc string) (string, int) // the document and cursor of the next request
		kept   bool
		typed  string // with kept: Parts' typed text
		prefix string // with kept: Parts' prefix text; "" for the first request's
	}{
		{"typing on", func(d string) (string, int) {
			return d[:cursor0] + "\ty := 2" + d[cursor0:], cursor0 + len("\ty := 2")
		}, true, "\ty := 2", ""},
		{"Enter and a new line", func(d string) (string, int) {
			ins := "\ty := 2\n\treturn"
			return d[:cursor0] + ins + d[cursor0:], cursor0 + len(ins)
		}, true, "\ty := 2\n\treturn", ""},
		{"an edit before the anchor", func(d string) (string, int) {
			d = strings.Replace(d, "x := 1", "x := 10", 1)
			return d[:cursor0+1] + "\ty" + d[cursor0+1:], cursor0 + 3
		}, false, "", ""},
		{"the cursor before the anchor", func(d string) (string, int) {
			return d, cursor0 - 2
		}, false, "", ""},
		{"a change past the suffix window", func(d string) (string, int) {
			return d[:cursor0] + "\ty" + strings.Replace(d[cursor0:], "g()", "h()", 1), cursor0 + 2
		}, true, "\ty", ""},
		{"the text after the cursor changed", func(d string) (string, int) {
			return d[:cursor0] + "\ty" + strings.Replace(d[cursor0:], "}", "})", 1), cursor0 + 2
		}, false, "", ""},
		{"too much typed", func(d string) (string, int) {
			ins := strings.Repeat("\tz++\n", maxAnchorTyped/5+1)
			return d[:cursor0] + ins + d[cursor0:], cursor0 + len(ins)
		}, false, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var as anchors
			// A budget small enough that the prefix window starts after "package p".
			b := Budget{Prefix: 30, Suffix: 8}
			w0 := ChooseWindow(doc0, cursor0, b, count)
			as.set(uri, doc0, w0, []Snippet{{Path: "b.go", Text: "var B = 1\n"}})
			doc, cursor := tt.edit(doc0)
			w, snippets, ok := as.window(uri, doc, cursor)
			if ok != tt.kept {
				t.Fatalf("anchor kept %v, want %v", ok, tt.kept)
			}
			if !ok {
				return
			}
			prefix, typed, suffix := w.Parts(doc)
			prefix0, _, suffix0 := w0.Parts(doc0)
			if tt.prefix == "" {
				tt.prefix = prefix0
			}
			if typed != tt.typed || prefix != tt.prefix || suffix != suffix0 {
				t.Errorf("parts (%q, %q, %q), want (%q, %q, %q)", prefix, typed, suffix, tt.prefix, tt.typed, suffix0)
			}
			if len(snippets) != 1 || snippets[0].Path != "b.go" {
				t.Errorf("snippets %+v, want the anchor's", snippets)
			}
			if _, _, ok := as.window("file:///other.go", doc, cursor); ok {
				t.Error("another document used this anchor")
			}
			as.forget(uri)
			if _, _, ok := as.window(uri, doc, cursor); ok {
				t.Error("anchor kept after forget")
			}
		})
	}
}
