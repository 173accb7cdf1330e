package codectx_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	codectx "github.com/llmls/llmls/context"
)

// docLines is what every case renders: a summary, a blank line and a second paragraph.
var docLines = []string{"Summary.", "", "More."}

// TestFindDocTarget checks, per language, the declaration found at the cursor (‸) and the
// document after the docstring edit of docLines: the exact range replaced (an insertion
// above the declaration, inside a Python body, or over the old docstring) and the
// indentation, markers and line endings of every line. Expected texts are written by hand
// in each language's convention.
func TestFindDocTarget(t *testing.T) {
	for _, tc := range []struct {
		name, lang, src string
		kind, declName  string
		params          []string
		returns         bool
		existing        bool
		want            string // the document after the edit
	}{
		{
			name: "go method, tabs", lang: "go",
			src:  "package p\n\ntype R struct{}\n\nfunc (r *R) Add(a, b int, rest ...int) (int, error) {\n\treturn a‸ + b, nil\n}\n",
			kind: "method", declName: "Add", params: []string{"a", "b", "rest"}, returns: true,
			want: "package p\n\ntype R struct{}\n\n// Summary.\n//\n// More.\nfunc (r *R) Add(a, b int, rest ...int) (int, error) {\n\treturn a + b, nil\n}\n",
		},
		{
			name: "go generic function, CRLF", lang: "go",
			src:  "package p\r\n\r\nfunc Map[T, U any](xs []T, f func(T) U) []U {\r\n\tvar out []U‸\r\n\treturn out\r\n}\r\n",
			kind: "function", declName: "Map", params: []string{"xs", "f"}, returns: true,
			want: "package p\r\n\r\n// Summary.\r\n//\r\n// More.\r\nfunc Map[T, U any](xs []T, f func(T) U) []U {\r\n\tvar out []U\r\n\treturn out\r\n}\r\n",
		},
		{
			name: "go existing doc above a directive", lang: "go",
			src:  "package p\n\n// Old doc.\n// Second line.\n//go:noinline\nfunc F() {‸}\n",
			kind: "function", declName: "F", existing: true,
			want: "package p\n\n// Summary.\n//\n// More.\n//go:noinline\nfunc F() {}\n",
		},
		{
			name: "go cursor on the doc comment", lang: "go",
			src:  "package p\n\n// Old ‸doc.\nfunc F(x int) {}\n",
			kind: "function", declName: "F", params: []string{"x"}, existing: true,
			want: "package p\n\n// Summary.\n//\n// More.\nfunc F(x int) {}\n",
		},
		{
			name: "go type in a group", lang: "go",
			src:  "package p\n\ntype (\n\tA int\n\tB struct{ x‸ int }\n)\n",
			kind: "type", declName: "B",
			want: "package p\n\ntype (\n\tA int\n\t// Summary.\n\t//\n\t// More.\n\tB struct{ x int }\n)\n",
		},
		{
			name: "go nested closure belongs to the function", lang: "go",
			src:  "package p\n\nfunc Outer() {\n\tf := func(y int) int { return y‸ }\n\t_ = f\n}\n",
			kind: "function", declName: "Outer",
			want: "package p\n\n// Summary.\n//\n// More.\nfunc Outer() {\n\tf := func(y int) int { return y }\n\t_ = f\n}\n",
		},
		{
			name: "python decorated static method", lang: "python",
			src:  "class C:\n    @staticmethod‸\n    def m(a, b: int = 1, *args, c, **kw) -> int:\n        return a\n",
			kind: "method", declName: "m", params: []string{"a", "b", "*args", "c", "**kw"}, returns: true,
			want: "class C:\n    @staticmethod\n    def m(a, b: int = 1, *args, c, **kw) -> int:\n        \"\"\"Summary.\n\n        More.\n        \"\"\"\n        return a\n",
		},
		{
			name: "python method with tabs, existing docstring", lang: "python",
			src:  "class C:\n\tdef m(self, x):\n\t\t'''Old.'''\n\t\tprint(x)‸\n",
			kind: "method", declName: "m", params: []string{"x"}, existing: true,
			want: "class C:\n\tdef m(self, x):\n\t\t\"\"\"Summary.\n\n\t\tMore.\n\t\t\"\"\"\n\t\tprint(x)\n",
		},
		{
			name: "python nested function", lang: "python",
			src:  "def outer(a):\n    def inner(b, c=2):\n        yield b‸\n    return inner\n",
			kind: "function", declName: "inner", params: []string{"b", "c"}, returns: true,
			want: "def outer(a):\n    def inner(b, c=2):\n        \"\"\"Summary.\n\n        More.\n        \"\"\"\n        yield b\n    return inner\n",
		},
		{
			name: "python outer function ignores the nested return", lang: "python",
			src:  "def outer(a):‸\n    def inner():\n        return 1\n    print(inner)\n",
			kind: "function", declName: "outer", params: []string{"a"},
			want: "def outer(a):\n    \"\"\"Summary.\n\n    More.\n    \"\"\"\n    def inner():\n        return 1\n    print(inner)\n",
		},
		{
			name: "python body on the def line", lang: "python",
			src:  "def f(x):  return x‸\n",
			kind: "function", declName: "f", params: []string{"x"}, returns: true,
			want: "def f(x):\n    \"\"\"Summary.\n\n    More.\n    \"\"\"\n    return x\n",
		},
		{
			name: "python class, CRLF, comment first in body", lang: "python",
			src:  "class Point:‸\r\n  # coordinates\r\n  x = 0\r\n",
			kind: "class", declName: "Point",
			want: "class Point:\r\n  \"\"\"Summary.\r\n\r\n  More.\r\n  \"\"\"\r\n  # coordinates\r\n  x = 0\r\n",
		},
		{
			name: "typescript exported generic function", lang: "typescript",
			src:  "export function first<T>(xs: T[], fallback?: T, ...rest: T[]): T {\n  return xs[0] ?? fallback‸;\n}\n",
			kind: "function", declName: "first", params: []string{"xs", "fallback", "rest"}, returns: true,
			want: "/**\n * Summary.\n *\n * More.\n */\nexport function first<T>(xs: T[], fallback?: T, ...rest: T[]): T {\n  return xs[0] ?? fallback;\n}\n",
		},
		{
			name: "typescript decorated method in a class", lang: "typescript",
			src:  "export class Box {\n  @Input() size: number;\n\n  @HostListener('click')\n  onClick(ev: Event): void {\n    console.log(ev‸);\n  }\n}\n",
			kind: "method", declName: "onClick", params: []string{"ev"},
			want: "export class Box {\n  @Input() size: number;\n\n  /**\n   * Summary.\n   *\n   * More.\n   */\n  @HostListener('click')\n  onClick(ev: Event): void {\n    console.log(ev);\n  }\n}\n",
		},
		{
			name: "typescript interface", lang: "typescript",
			src:  "interface Shape {\n  area(‸): number;\n}\n",
			kind: "method", declName: "area", returns: true,
			want: "interface Shape {\n  /**\n   * Summary.\n   *\n   * More.\n   */\n  area(): number;\n}\n",
		},
		{
			name: "javascript arrow function with existing JSDoc", lang: "javascript",
			src:  "/**\n * Old.\n */\nconst add = (a, {b}, c = 1) => a‸ + b;\n",
			kind: "function", declName: "add", params: []string{"a", "c"}, returns: true, existing: true,
			want: "/**\n * Summary.\n *\n * More.\n */\nconst add = (a, {b}, c = 1) => a + b;\n",
		},
		{
			name: "typescript cursor on the JSDoc of an exported class", lang: "typescript",
			src:  "/**\n * Old ‸text.\n */\nexport class K<T> {}\n",
			kind: "class", declName: "K", existing: true,
			want: "/**\n * Summary.\n *\n * More.\n */\nexport class K<T> {}\n",
		},
		{
			name: "javascript plain comment is not a doc", lang: "javascript",
			src:  "/* license */\nfunction f(x) { if (x) return; ‸}\n",
			kind: "function", declName: "f", params: []string{"x"},
			want: "/* license */\n/**\n * Summary.\n *\n * More.\n */\nfunction f(x) { if (x) return; }\n",
		},
		{
			name: "rust method with attribute and existing doc", lang: "rust",
			src:  "impl<T> S<T> {\n    /// Old.\n    #[inline]\n    pub fn get(&self, i: usize, (a, b): (u8, u8)) -> Option<&T> {\n        self.v.get(i‸)\n    }\n}\n",
			kind: "function", declName: "get", params: []string{"i"}, returns: true, existing: true,
			want: "impl<T> S<T> {\n    /// Summary.\n    ///\n    /// More.\n    #[inline]\n    pub fn get(&self, i: usize, (a, b): (u8, u8)) -> Option<&T> {\n        self.v.get(i)\n    }\n}\n",
		},
		{
			name: "rust generic struct", lang: "rust",
			src:  "#[derive(Debug)]\npub struct Pair<A, B> {\n    a: A‸,\n    b: B,\n}\n",
			kind: "type", declName: "Pair",
			want: "/// Summary.\n///\n/// More.\n#[derive(Debug)]\npub struct Pair<A, B> {\n    a: A,\n    b: B,\n}\n",
		},
		{
			name: "java annotated method with existing Javadoc", lang: "java",
			src:  "class A {\n    /** Old. */\n    @Override\n    public void run(int n, String... args) {\n        n‸++;\n    }\n}\n",
			kind: "method", declName: "run", params: []string{"n", "args"}, existing: true,
			want: "class A {\n    /**\n     * Summary.\n     *\n     * More.\n     */\n    @Override\n    public void run(int n, String... args) {\n        n++;\n    }\n}\n",
		},
		{
			name: "java generic method in a generic class", lang: "java",
			src:  "public class Box<T> {\n\tpublic <U> U map(Function<T, U> f) { return f.apply(v‸); }\n}\n",
			kind: "method", declName: "map", params: []string{"f"}, returns: true,
			want: "public class Box<T> {\n\t/**\n\t * Summary.\n\t *\n\t * More.\n\t */\n\tpublic <U> U map(Function<T, U> f) { return f.apply(v); }\n}\n",
		},
		{
			name: "c function returning a pointer", lang: "c",
			src:  "static char *dup(const char *s, size_t n[], void (*cb)(int)) {\n    return 0;‸\n}\n",
			kind: "function", declName: "dup", params: []string{"s", "n", "cb"}, returns: true,
			want: "/**\n * Summary.\n *\n * More.\n */\nstatic char *dup(const char *s, size_t n[], void (*cb)(int)) {\n    return 0;\n}\n",
		},
		{
			name: "c void prototype", lang: "c",
			src:  "void reset(void)‸;\n",
			kind: "function", declName: "reset",
			want: "/**\n * Summary.\n *\n * More.\n */\nvoid reset(void);\n",
		},
		{
			name: "cpp method of a template class", lang: "cpp",
			src:  "namespace n {\ntemplate <typename T>\nclass C {\n public:\n  int m(const T& a, int b = 2) const { return b‸; }\n};\n}\n",
			kind: "method", declName: "m", params: []string{"a", "b"}, returns: true,
			want: "namespace n {\ntemplate <typename T>\nclass C {\n public:\n  /**\n   * Summary.\n   *\n   * More.\n   */\n  int m(const T& a, int b = 2) const { return b; }\n};\n}\n",
		},
		{
			name: "cpp template class", lang: "cpp",
			src:  "/// Old.\ntemplate <typename T>\nclass C {\n  T v‸;\n};\n",
			kind: "class", declName: "C", existing: true,
			want: "/**\n * Summary.\n *\n * More.\n */\ntemplate <typename T>\nclass C {\n  T v;\n};\n",
		},
		{
			name: "lua method with existing doc", lang: "lua",
			src:  "local M = {}\n\n--- Old.\nfunction M:get(key, ...)\n  return self[key‸]\nend\n",
			kind: "function", declName: "M:get", params: []string{"key"}, returns: true, existing: true,
			want: "local M = {}\n\n--- Summary.\n---\n--- More.\nfunction M:get(key, ...)\n  return self[key]\nend\n",
		},
		{
			name: "lua local function", lang: "lua",
			src:  "do\n\tlocal function step(n)\n\t\tprint(n‸)\n\tend\nend\n",
			kind: "function", declName: "step", params: []string{"n"},
			want: "do\n\t--- Summary.\n\t---\n\t--- More.\n\tlocal function step(n)\n\t\tprint(n)\n\tend\nend\n",
		},
		{
			name: "ruby method in a class", lang: "ruby",
			src:  "class Stack\n  # Old.\n  def push(x, opts = {}, *rest, key:, &blk)\n    @a << x‸\n    return self\n  end\nend\n",
			kind: "method", declName: "push", params: []string{"x", "opts", "rest", "key", "blk"}, returns: true, existing: true,
			want: "class Stack\n  # Summary.\n  #\n  # More.\n  def push(x, opts = {}, *rest, key:, &blk)\n    @a << x\n    return self\n  end\nend\n",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text, off := cursorText(tc.src)
			snap, err := codectx.NewSnapshot("file:///x", tc.lang, 1, text, 0)
			if err != nil {
				t.Fatal(err)
			}
			d, err := codectx.FindDocTarget(snap, off, off)
			if err != nil || d == nil {
				t.Fatalf("FindDocTarget = %v, %v; want a target", d, err)
			}
			if d.Kind != tc.kind || d.Name != tc.declName || !slices.Equal(d.Params, tc.params) || d.Returns != tc.returns || d.Existing != tc.existing {
				t.Errorf("target = kind %q name %q params %q returns %v existing %v;\nwant kind %q name %q params %q returns %v existing %v",
					d.Kind, d.Name, d.Params, d.Returns, d.Existing, tc.kind, tc.declName, tc.params, tc.returns, tc.existing)
			}
			got := text[:d.EditStart] + d.Render(docLines) + text[d.EditEnd:]
			if got != tc.want {
				t.Errorf("after the edit [%d, %d):\n%s\nwant:\n%s", d.EditStart, d.EditEnd, show(got), show(tc.want))
			}
			// The document parses as well after the edit as before.
			after, _ := codectx.NewSnapshot("file:///x", tc.lang, 2, got, 0)
			if before, now := strings.Count(snap.SExpr(), "ERROR")+strings.Count(snap.SExpr(), "MISSING"),
				strings.Count(after.SExpr(), "ERROR")+strings.Count(after.SExpr(), "MISSING"); now > before {
				t.Errorf("the edit added syntax errors: %s", after.SExpr())
			}
			// The prompt frame is the rendering of a docstring whose first line is the hole.
			frame := d.PromptOpen() + " Summary." + d.PromptClose()
			if one := d.Render([]string{strings.TrimSpace(d.Lead + " Summary.")}); d.Form != codectx.StringLiteral && frame != one {
				t.Errorf("prompt frame %q, want the one-line docstring %q", frame, one)
			}
		})
	}
}

func TestFindDocTargetNone(t *testing.T) {
	for _, tc := range []struct{ name, lang, src string }{
		{"go import", "go", "package p\n\nimport \"o‸s\"\n\nfunc F() {}\n"},
		{"go package clause", "go", "package ‸p\n\nfunc F() {}\n"},
		{"go between functions", "go", "package p\n\nfunc F() {}\n‸\nfunc G() {}\n"},
		{"go variable", "go", "package p\n\nvar x = 1‸\n"},
		{"python import", "python", "import o‸s\n\ndef f():\n    pass\n"},
		{"python module statement", "python", "x = ‸1\n"},
		{"typescript constant", "typescript", "export const k = 4‸2;\n"},
		{"rust use", "rust", "use std::‸io;\nfn f() {}\n"},
		{"c include", "c", "#include <std‸io.h>\nint f(void);\n"},
		{"plain text", "plaintext", "hello ‸world\n"},
		{"bash has no convention", "shellscript", "f() {\n  echo ‸hi\n}\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text, off := cursorText(tc.src)
			snap, _ := codectx.NewSnapshot("file:///x", tc.lang, 1, text, 0)
			d, err := codectx.FindDocTarget(snap, off, off)
			if err != nil || d != nil {
				t.Errorf("FindDocTarget = %+v, %v; want none", d, err)
			}
		})
	}
}

func TestFindDocTargetSelection(t *testing.T) {
	text := "package p\n\nfunc F() {\n\tx := 1\n\t_ = x\n}\n\nfunc G() {}\n"
	snap, _ := codectx.NewSnapshot("file:///x.go", "go", 1, text, 0)
	inF := strings.Index(text, "x := 1")
	if d, _ := codectx.FindDocTarget(snap, inF, inF+len("x := 1\n\t_ = x")); d == nil || d.Name != "F" {
		t.Errorf("selection inside F: %+v, want F", d)
	}
	if d, _ := codectx.FindDocTarget(snap, inF, strings.Index(text, "func G")+3); d != nil {
		t.Errorf("selection across F and G: %+v, want none", d)
	}
	if _, err := codectx.FindDocTarget(snap, 5, len(text)+1); !errors.Is(err, codectx.ErrBadOffset) {
		t.Errorf("range past the end: %v, want ErrBadOffset", err)
	}
}

func TestPyDocFormat(t *testing.T) {
	for _, tc := range []struct {
		name, other string
		want        codectx.PyDocFormat
	}{
		{"none: google", "def g():\n    \"\"\"Plain.\"\"\"\n", codectx.PyGoogle},
		{"google", "def g(a):\n    \"\"\"G.\n\n    Args:\n        a: x.\n\n    Returns:\n        y.\n    \"\"\"\n", codectx.PyGoogle},
		{"numpy", "def g(a):\n    \"\"\"G.\n\n    Parameters\n    ----------\n    a : int\n        x.\n    \"\"\"\n", codectx.PyNumPy},
		{"rest", "class K:\n    def g(self, a):\n        \"\"\"G.\n\n        :param a: x.\n        :returns: y.\n        \"\"\"\n", codectx.PyReST},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text, off := cursorText(tc.other + "\ndef f(x):\n    return x‸\n")
			snap, _ := codectx.NewSnapshot("file:///x.py", "python", 1, text, 0)
			d, err := codectx.FindDocTarget(snap, off, off)
			if err != nil || d == nil {
				t.Fatal(d, err)
			}
			if d.PyFormat != tc.want {
				t.Errorf("PyFormat = %v, want %v", d.PyFormat, tc.want)
			}
		})
	}
}

func TestDocTargetPrompt(t *testing.T) {
	text, off := cursorText("package p\n\n\tfunc (s *S) Len() int { return ‸0 }\n")
	snap, _ := codectx.NewSnapshot("file:///x.go", "go", 1, text, 0)
	d, _ := codectx.FindDocTarget(snap, off, off)
	if d == nil {
		t.Fatal("no target")
	}
	if d.Lead != "Len" || d.PromptOpen() != "\t// Len" || d.PromptClose() != "\n" {
		t.Errorf("Lead %q open %q close %q", d.Lead, d.PromptOpen(), d.PromptClose())
	}
	py, off := cursorText("def f(x):\n    return x‸\n")
	snap, _ = codectx.NewSnapshot("file:///x.py", "python", 1, py, 0)
	d, _ = codectx.FindDocTarget(snap, off, off)
	if got := py[:d.EditStart] + d.PromptOpen() + "<HOLE>" + d.PromptClose() + py[d.EditEnd:]; got != "def f(x):\n    \"\"\"<HOLE>\n    \"\"\"\n    return x\n" {
		t.Errorf("python prompt frame %q", got)
	}
	if one := d.Render([]string{"Say \"hi\"."}); one != "    \"\"\"Say \"hi\".\"\"\"\n" {
		t.Errorf("one-line docstring %q", one)
	}
}

// cursorText removes the cursor mark ‸ from src and returns the text and its offset.
func cursorText(src string) (string, int) {
	off := strings.Index(src, "‸")
	return src[:off] + src[off+len("‸"):], off
}

func show(s string) string { return strings.ReplaceAll(s, "\r", "␍") }

// FuzzFindDocTarget runs FindDocTarget on arbitrary text in each language with a docstring
// convention, at arbitrary selections. Properties: it never panics; a bad range is
// ErrBadOffset; a target's edit range lies in the text; an insertion above a declaration is
// empty; a replaced docstring is comment text; and the rendered docstring holds every line
// given to it.
//
//	go test ./context -run XXX -fuzz FuzzFindDocTarget -fuzztime 60s
func FuzzFindDocTarget(f *testing.F) {
	langs := []string{"go", "python", "javascript", "typescript", "rust", "java", "c", "cpp", "lua", "ruby"}
	f.Add(byte(0), "package p\n\n// D.\nfunc F(a int) int { return a }\n", 30, 0)
	f.Add(byte(1), "class C:\n    @d\n    def m(self, x): return x\n", 25, 3)
	f.Add(byte(1), "def f(:\n  '''x\n", 9, 0)
	f.Add(byte(2), "/** d */\nexport const f = (a) => a;\n", 20, 1)
	f.Add(byte(4), "impl S {\n    /// d\n    #[a]\n    fn f(&self) {}\n}\n", 40, 0)
	f.Add(byte(8), "--- d\nfunction M:f(a, ...)\nend\n", 15, 0)
	f.Add(byte(9), "# d\ndef m(a, *b)\n  return a\nend\n", 10, 2)
	f.Fuzz(func(t *testing.T, which byte, text string, start, n int) {
		lang := langs[int(which)%len(langs)]
		snap, _ := codectx.NewSnapshot("file:///f", lang, 1, text, 0)
		end := start + n
		d, err := codectx.FindDocTarget(snap, start, end)
		if start < 0 || n < 0 || end > len(text) || end < start {
			if !errors.Is(err, codectx.ErrBadOffset) {
				t.Fatalf("[%d, %d) of %d bytes: %v, want ErrBadOffset", start, end, len(text), err)
			}
			return
		}
		if err != nil || d == nil {
			return
		}
		if d.EditStart < 0 || d.EditStart > d.EditEnd || d.EditEnd > len(text) {
			t.Fatalf("edit range [%d, %d) outside the text (%d bytes)", d.EditStart, d.EditEnd, len(text))
		}
		old := strings.TrimSpace(text[d.EditStart:d.EditEnd])
		switch {
		case !d.Existing && d.Form != codectx.StringLiteral && d.EditStart != d.EditEnd:
			t.Fatalf("insertion above %s replaces %q", d.Name, old)
		case !d.Existing && old != "":
			t.Fatalf("insertion into the body of %s replaces %q", d.Name, old)
		case d.Existing && !(strings.HasPrefix(old, "/") || strings.HasPrefix(old, "#") || strings.HasPrefix(old, "-") ||
			strings.ContainsAny(old[:min(len(old), 3)], `"'`)):
			t.Fatalf("existing docstring of %s is %q, not a comment", d.Name, old)
		}
		r := d.Render([]string{"first", "", "second"})
		if !strings.Contains(r, "first") || !strings.Contains(r, "second") {
			t.Fatalf("render %q lost a line", r)
		}
	})
}
