package codectx_test

import (
	"testing"

	codectx "github.com/llmls/llmls/context"
)

// TestTruncateCompletion feeds model candidates that real completion servers have shown
// (continuing past the end of the function, re-closing what the suffix closes, writing a
// second function, breaking the syntax) and checks what is kept.
func TestTruncateCompletion(t *testing.T) {
	tests := []struct {
		name       string
		lang       string
		src        string // document with the cursor mark
		candidate  string
		multiLine  bool
		want       string // the kept prefix of candidate
		wantReason string
	}{
		// Go.
		{
			name: "go continues past the end of the function", lang: "go",
			src:       "package p\n\nfunc sum(xs []int) int {\n\t‸\n}\n\nfunc other() {}\n",
			candidate: "total := 0\n\tfor _, x := range xs {\n\t\ttotal += x\n\t}\n\treturn total\n}\n\nfunc mean(xs []int) int {\n\treturn sum(xs) / len(xs)\n}\n",
			multiLine: true,
			want:      "total := 0\n\tfor _, x := range xs {\n\t\ttotal += x\n\t}\n\treturn total", wantReason: codectx.ReasonClosedBySuffix,
		},
		{
			name: "go closes the call the suffix closes", lang: "go",
			src:       "package p\n\nimport \"fmt\"\n\nfunc f(name string) {\n\tfmt.Printf(‸)\n}\n",
			candidate: "\"hello %s\\n\", name)",
			want:      "\"hello %s\\n\", name", wantReason: codectx.ReasonClosedBySuffix,
		},
		{
			name: "go second function at top level", lang: "go",
			src:       "package p\n\n‸\n",
			candidate: "func Max(a, b int) int {\n\tif a > b {\n\t\treturn a\n\t}\n\treturn b\n}\n\nfunc Min(a, b int) int {\n\treturn -Max(-a, -b)\n}\n",
			multiLine: true,
			want:      "func Max(a, b int) int {\n\tif a > b {\n\t\treturn a\n\t}\n\treturn b\n}", wantReason: codectx.ReasonEndOfDef,
		},
		{
			name: "go fine as is", lang: "go",
			src:       "package p\n\nfunc abs(x int) int {\n\t‸\n}\n",
			candidate: "if x < 0 {\n\t\treturn -x\n\t}\n\treturn x",
			multiLine: true,
			want:      "if x < 0 {\n\t\treturn -x\n\t}\n\treturn x", wantReason: codectx.ReasonComplete,
		},
		{
			name: "go unclosed function keeps its brace", lang: "go",
			src:       "package p\n\nfunc abs(x int) int {\n\t‸",
			candidate: "if x < 0 {\n\t\treturn -x\n\t}\n\treturn x\n}\n\nfunc main() {}\n",
			multiLine: true,
			want:      "if x < 0 {\n\t\treturn -x\n\t}\n\treturn x\n}", wantReason: codectx.ReasonEndOfBlock,
		},
		{
			name: "go syntax error on the second line", lang: "go",
			src:       "package p\n\nfunc f() int {\n\t‸\n}\n",
			candidate: "x := 1\n\ty := ) 2\n\treturn x + y",
			multiLine: true,
			want:      "x := 1", wantReason: codectx.ReasonSyntaxError,
		},
		{
			name: "go single line stops at the newline", lang: "go",
			src:       "package p\n\nfunc f(xs []int) int {\n\tn := ‸\n\treturn n\n}\n",
			candidate: "len(xs)\n\tn++\n",
			want:      "len(xs)", wantReason: codectx.ReasonSingleLine,
		},
		{
			name: "go keeps a trailing comment on the statement's line", lang: "go",
			src:       "package p\n\nfunc add(a, b int) int {\n\treturn ‸\n}\n",
			candidate: "a + b // variant",
			want:      "a + b // variant", wantReason: codectx.ReasonComplete,
		},
		{
			name: "go keeps a trailing comment, cuts the next line", lang: "go",
			src:       "package p\n\nfunc add(a, b int) int {\n\treturn ‸\n}\n",
			candidate: "a + b // sum\n}\n\nfunc sub() {}\n",
			multiLine: true,
			want:      "a + b // sum", wantReason: codectx.ReasonEndOfBlock,
		},
		{
			name: "python keeps a trailing comment", lang: "python",
			src:       "def add(a, b):\n    return ‸\n",
			candidate: "a + b  # sum",
			want:      "a + b  # sum", wantReason: codectx.ReasonComplete,
		},
		{
			name: "go single line block header is fine", lang: "go",
			src:       "package p\n\nfunc f(xs []int) {\n\t‸\n}\n",
			candidate: "for i := range xs {",
			want:      "for i := range xs {", wantReason: codectx.ReasonComplete,
		},
		{
			name: "go candidate that only closes", lang: "go",
			src:       "package p\n\nfunc f() {\n\tg()\n\t‸\n}\n",
			candidate: "}\n\nfunc h() {}\n",
			multiLine: true,
			want:      "", wantReason: codectx.ReasonClosedBySuffix,
		},
		{
			name: "go closes the calls left open, then the function the suffix closes", lang: "go",
			src:       "package p\n\nfunc f() {\n\tfoo(bar(‸\n\treturn\n}\n\nfunc g() {}\n",
			candidate: "x))\n\tbaz()\n}\n\nfunc h() {}\n",
			multiLine: true,
			want:      "x))\n\tbaz()", wantReason: codectx.ReasonClosedBySuffix,
		},
		// Python.
		{
			name: "python continues past the end of the function", lang: "python",
			src:       "def mean(xs):\n    total = sum(xs)\n    ‸\n\n\ndef other():\n    pass\n",
			candidate: "return total / len(xs)\n\n\ndef median(xs):\n    return sorted(xs)[len(xs) // 2]\n",
			multiLine: true,
			want:      "return total / len(xs)", wantReason: codectx.ReasonEndOfBlock,
		},
		{
			name: "python second function at top level", lang: "python",
			src:       "import math\n\n‸\n",
			candidate: "def area(r):\n    return math.pi * r * r\n\n\ndef perimeter(r):\n    return 2 * math.pi * r\n",
			multiLine: true,
			want:      "def area(r):\n    return math.pi * r * r", wantReason: codectx.ReasonEndOfDef,
		},
		{
			name: "python closes the call the suffix closes", lang: "python",
			src:       "def f(name):\n    print(‸)\n",
			candidate: "f\"hello {name}\")",
			want:      "f\"hello {name}\"", wantReason: codectx.ReasonClosedBySuffix,
		},
		{
			name: "python fine as is", lang: "python",
			src:       "def clamp(x, lo, hi):\n    ‸\n",
			candidate: "if x < lo:\n        return lo\n    if x > hi:\n        return hi\n    return x",
			multiLine: true,
			want:      "if x < lo:\n        return lo\n    if x > hi:\n        return hi\n    return x", wantReason: codectx.ReasonComplete,
		},
		{
			name: "python method then a second method in the class", lang: "python",
			src:       "class Stack:\n    def __init__(self):\n        self.items = []\n\n    ‸\n",
			candidate: "def push(self, x):\n        self.items.append(x)\n\n    def pop(self):\n        return self.items.pop()\n",
			multiLine: true,
			want:      "def push(self, x):\n        self.items.append(x)", wantReason: codectx.ReasonEndOfDef,
		},
		// JavaScript and TypeScript.
		{
			name: "js continues past the end of the function", lang: "javascript",
			src:       "function add(a, b) {\n  ‸\n}\n\nmodule.exports = { add };\n",
			candidate: "return a + b;\n}\n\nfunction sub(a, b) {\n  return a - b;\n}\n",
			multiLine: true,
			want:      "return a + b;", wantReason: codectx.ReasonClosedBySuffix,
		},
		{
			name: "js closes the array the suffix closes", lang: "javascript",
			src:       "const xs = [‸];\n",
			candidate: "1, 2, 3];",
			want:      "1, 2, 3", wantReason: codectx.ReasonClosedBySuffix,
		},
		{
			name: "ts second function at top level", lang: "typescript",
			src:       "export interface P { x: number }\n\n‸\n",
			candidate: "export function norm(p: P): number {\n  return Math.abs(p.x);\n}\n\nexport function zero(): P {\n  return { x: 0 };\n}\n",
			multiLine: true,
			want:      "export function norm(p: P): number {\n  return Math.abs(p.x);\n}", wantReason: codectx.ReasonEndOfDef,
		},
		{
			name: "ts fine as is", lang: "typescript",
			src:       "function greet(name: string): string {\n  ‸\n}\n",
			candidate: "const msg = `hello ${name}`;\n  return msg;",
			multiLine: true,
			want:      "const msg = `hello ${name}`;\n  return msg;", wantReason: codectx.ReasonComplete,
		},
		// Rust.
		{
			name: "rust continues past the end of the function", lang: "rust",
			src:       "fn square(x: i32) -> i32 {\n    ‸\n}\n\nfn main() {}\n",
			candidate: "x * x\n}\n\nfn cube(x: i32) -> i32 {\n    x * x * x\n}\n",
			multiLine: true,
			want:      "x * x", wantReason: codectx.ReasonClosedBySuffix,
		},
		{
			name: "rust method then a second method in the impl", lang: "rust",
			src:       "struct P { x: i32 }\n\nimpl P {\n    ‸\n}\n",
			candidate: "fn new(x: i32) -> Self {\n        P { x }\n    }\n\n    fn get(&self) -> i32 {\n        self.x\n    }\n",
			multiLine: true,
			want:      "fn new(x: i32) -> Self {\n        P { x }\n    }", wantReason: codectx.ReasonEndOfDef,
		},
		{
			name: "rust fine as is", lang: "rust",
			src:       "fn abs(x: i32) -> i32 {\n    ‸\n}\n",
			candidate: "if x < 0 { -x } else { x }",
			multiLine: true,
			want:      "if x < 0 { -x } else { x }", wantReason: codectx.ReasonComplete,
		},
		// C.
		{
			name: "c continues past the end of the function", lang: "c",
			src:       "int max(int a, int b) {\n\t‸\n}\n",
			candidate: "return a > b ? a : b;\n}\n\nint min(int a, int b) {\n\treturn a < b ? a : b;\n}\n",
			multiLine: true,
			want:      "return a > b ? a : b;", wantReason: codectx.ReasonClosedBySuffix,
		},
		{
			name: "c closes the if the suffix closes", lang: "c",
			src:       "int f(int x) {\n\tif (x) {\n\t\t‸\n\t}\n\treturn 0;\n}\n",
			candidate: "x++;\n\t}\n\treturn x;\n",
			multiLine: true,
			want:      "x++;", wantReason: codectx.ReasonClosedBySuffix,
		},
		{
			name: "c fine as is", lang: "c",
			src:       "#include <stdio.h>\n\nint main(void) {\n\t‸\n}\n",
			candidate: "printf(\"hi\\n\");\n\treturn 0;",
			multiLine: true,
			want:      "printf(\"hi\\n\");\n\treturn 0;", wantReason: codectx.ReasonComplete,
		},
		// Keyword blocks.
		{
			name: "ruby continues past the end of the method", lang: "ruby",
			src:       "def total(items)\n  ‸\nend\n",
			candidate: "items.sum\nend\n\ndef count(items)\n  items.size\nend\n",
			multiLine: true,
			want:      "items.sum", wantReason: codectx.ReasonClosedBySuffix,
		},
		{
			name: "lua continues past the end of the function", lang: "lua",
			src:       "local function add(a, b)\n  ‸\nend\n",
			candidate: "return a + b\nend\n\nlocal function sub(a, b)\n  return a - b\nend\n",
			multiLine: true,
			want:      "return a + b", wantReason: codectx.ReasonClosedBySuffix,
		},
		{
			name: "bash continues past fi", lang: "shellscript",
			src:       "if [ -f x ]; then\n  ‸\nfi\n",
			candidate: "echo found\nfi\necho done\n",
			multiLine: true,
			want:      "echo found", wantReason: codectx.ReasonClosedBySuffix,
		},
		// Plain text: indentation.
		{
			name: "plain text dedent", lang: "plaintext",
			src:       "section:\n  ‸\nnext\n",
			candidate: "item one\n  item two\nother section\n",
			multiLine: true,
			want:      "item one\n  item two", wantReason: codectx.ReasonIndentation,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text, off := cut(t, tt.src)
			s := parse(t, tt.lang, text)
			n, reason := codectx.TruncateCompletion(s, off, tt.candidate, tt.multiLine)
			if n < 0 || n > len(tt.candidate) {
				t.Fatalf("cut %d outside [0, %d]", n, len(tt.candidate))
			}
			if got := tt.candidate[:n]; got != tt.want || reason != tt.wantReason {
				t.Errorf("kept %q (%s)\nwant %q (%s)", got, reason, tt.want, tt.wantReason)
			}
		})
	}
	t.Run("bad offset", func(t *testing.T) {
		s := parse(t, "go", "package p\n")
		if n, r := codectx.TruncateCompletion(s, 99, "x", false); n != 0 || r != codectx.ReasonBadOffset {
			t.Errorf("got %d %q", n, r)
		}
	})
}
