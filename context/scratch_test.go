package codectx_test

import (
	"strings"
	"testing"

	codectx "github.com/llmls/llmls/context"
)

func TestScratch(t *testing.T) {
	cases := []struct {
		lang, doc, cand string
		multi           bool
	}{
		{"go", "package a\n\nfunc f() int {\n\t|\n}\n", "return 1\n}\n\nfunc g() int {\n\treturn 2\n}\n", true},
		{"go", "package a\n\nfunc f() int {\n\t|\n", "return 1\n}\n\nfunc g() int {\n\treturn 2\n}\n", true},
		{"go", "package a\n\n|\n", "func a() {\n}\n\nfunc b() {\n}\n", true},
		{"go", "package a\n\nfunc f() int {\n\tx := foo(|)\n}\n", "1, 2)", false},
		{"go", "package a\n\nfunc f() int {\n\t|\n\treturn 0\n}\n", "for i := 0; i < 3; i++ {\n\t\tprintln(i)\n\t}", true},
		{"python", "def f(x):\n    y = 1\n    |\n\ndef g():\n    pass\n", "return y\n\ndef h():\n    pass\n", true},
		{"python", "|\n", "def a():\n    pass\n\ndef b():\n    pass\n", true},
		{"go", "package a\n\nfunc f() int {\n\t|\n}\n", "return 1 +\n}", true},
		{"go", "package a\n\nfunc f() int {\n\t|\n}\n", "x := 1\n\ty := ) 2\n\treturn x", true},
	}
	for _, c := range cases {
		off := strings.Index(c.doc, "|")
		doc := c.doc[:off] + c.doc[off+1:]
		snap, err := codectx.NewSnapshot("file:///x", c.lang, 1, doc, 0)
		if err != nil {
			t.Fatal(err)
		}
		cut, why := codectx.TruncateCompletion(snap, off, c.cand, c.multi)
		ct, r := codectx.CompletionTypeAt(snap, off)
		t.Logf("%s: %q -> %q (%s)  type=%v (%s)", c.lang, c.cand, c.cand[:cut], why, ct, r)
	}
}
