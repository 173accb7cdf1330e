package codectx_test

import (
	"testing"

	codectx "github.com/llmls/llmls/context"
)

func TestCompletionTypeAt(t *testing.T) {
	const (
		none   = codectx.CompletionNone
		single = codectx.CompletionSingleLine
		multi  = codectx.CompletionMultiLine
	)
	goFile := func(body string) string {
		return "package p\n\nimport \"fmt\"\n\nfunc f(xs []int) int {\n" + body + "\n}\n"
	}
	tests := []struct {
		name string
		lang string
		src  string
		want codectx.CompletionType
	}{
		// Go.
		{"go inside a word", "go", goFile("\tfmt.Pri‸ntln(xs)"), none},
		{"go before a word", "go", goFile("\tn := ‸len(xs)\n\treturn n"), none},
		{"go word then code", "go", goFile("\tn‸.x = 1"), none},
		{"go end of statement line", "go", goFile("\tn := len(xs)‸\n\treturn n"), single},
		{"go inside call parens", "go", goFile("\tfmt.Println(‸)"), single},
		{"go block header", "go", goFile("\tfor _, x := range xs {‸\n\t}"), multi},
		{"go empty block on one line", "go", goFile("\tif len(xs) > 0 {‸}"), multi},
		{"go blank line at end of block", "go", goFile("\tn := 0\n\t‸"), multi},
		{"go blank line inside block", "go", goFile("\tn := 0\n\t‸\n\treturn n"), single},
		{"go blank line at top level", "go", "package p\n\nfunc a() {}\n‸\nfunc b() {}\n", multi},
		{"go end of line comment", "go", goFile("\t// count the items‸\n\treturn 0"), single},
		{"go inside comment", "go", goFile("\t// count ‸the items\n\treturn 0"), none},
		{"go inside string", "go", goFile("\tfmt.Println(\"hello ‸world\")\n\treturn 0"), none},
		{"go end of string", "go", goFile("\tfmt.Println(\"hello ‸\")\n\treturn 0"), single},
		{"go out of range", "go", "package p‸", single},
		// Python.
		{"python def header", "python", "def f(x):‸\n", multi},
		{"python if header", "python", "def f(x):\n    if x:‸\n    return 1\n", multi},
		{"python blank line at end of body", "python", "def f(x):\n    y = x\n    ‸\n\ndef g():\n    pass\n", multi},
		{"python blank line inside body", "python", "def f(x):\n    y = x\n    ‸\n    return y\n", single},
		{"python statement", "python", "def f(x):\n    y = x + 1‸\n    return y\n", single},
		{"python inside word", "python", "def f(x):\n    return le‸n(x)\n", none},
		{"python comment", "python", "def f(x):\n    # compute‸\n    return x\n", single},
		{"python docstring blank line", "python", "def f(x):\n    \"\"\"Compute.\n\n    ‸\n    \"\"\"\n", multi},
		// JavaScript and TypeScript.
		{"js function header", "javascript", "function add(a, b) {‸\n}\n", multi},
		{"js arrow body", "javascript", "const f = (a) => {‸}\n", multi},
		{"js statement", "javascript", "function add(a, b) {\n  const s = a + b;‸\n  return s;\n}\n", single},
		{"js template string", "javascript", "const s = `a ${b} ‸c`;\n", none},
		{"ts interface body", "typescript", "interface A {‸\n}\n", multi},
		{"ts mid-line before paren", "typescript", "function f(): void {\n  g(‸);\n}\n", single},
		{"tsx jsx text", "typescriptreact", "const A = () => <div>‸</div>;\n", single},
		// Rust.
		{"rust fn header", "rust", "fn main() {‸\n}\n", multi},
		{"rust match arm line", "rust", "fn f(x: u8) -> u8 {\n    match x {\n        0 => 1,‸\n        _ => 2,\n    }\n}\n", single},
		{"rust blank line end of impl", "rust", "impl A {\n    fn a(&self) {}\n    ‸\n}\n", multi},
		{"rust line comment", "rust", "fn f() {\n    // todo‸\n}\n", single},
		// C and C++.
		{"c function header", "c", "int main(void) {‸\n}\n", multi},
		{"c block comment inside", "c", "/* count ‸ items */\nint n;\n", none},
		{"c after block comment", "c", "int n; /* count */‸\n", single},
		{"cpp class body blank line", "cpp", "class A {\n public:\n  ‸\n};\n", multi},
		// Java.
		{"java method header", "java", "class A {\n  void run() {‸\n  }\n}\n", multi},
		{"java statement", "java", "class A {\n  void run() {\n    int x = 1;‸\n  }\n}\n", single},
		// Lua, Ruby, Bash: keyword blocks.
		{"lua function header", "lua", "local function f(x)‸\nend\n", multi},
		{"lua then", "lua", "if x then‸\nend\n", multi},
		{"lua call statement", "lua", "print(x)‸\n", single},
		{"ruby def header", "ruby", "class A\n  def m(a)‸\n  end\nend\n", multi},
		{"ruby do block", "ruby", "items.each do |x|‸\nend\n", multi},
		{"ruby blank line at end of method", "ruby", "def m\n  x = 1\n  ‸\nend\n", multi},
		{"bash function body", "shellscript", "build() {‸\n}\n", multi},
		{"bash then", "shellscript", "if [ -f x ]; then‸\nfi\n", multi},
		{"bash command", "shellscript", "echo hello‸\n", single},
		// Plain text falls back to the line.
		{"plain blank line end", "plaintext", "a:\n  b\n  ‸\nc\n", multi},
		{"plain mid word", "plaintext", "hel‸lo\n", none},
		{"plain end of line", "plaintext", "hello‸\nworld\n", single},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text, off := cut(t, tt.src)
			s := parse(t, tt.lang, text)
			got, why := codectx.CompletionTypeAt(s, off)
			if got != tt.want {
				t.Errorf("CompletionTypeAt = %v (%s), want %v", got, why, tt.want)
			}
		})
	}
	t.Run("offset out of range", func(t *testing.T) {
		s := parse(t, "go", "package p\n")
		for _, off := range []int{-1, 11} {
			if got, _ := codectx.CompletionTypeAt(s, off); got != none {
				t.Errorf("offset %d: %v, want none", off, got)
			}
		}
	})
}
