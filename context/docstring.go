package codectx

// Docstrings: where the documentation comment of a declaration goes, in the convention of
// its language, and what the syntax tree says it must name (parameters, a return value).
// The completion engine asks [FindDocTarget] for the declaration at a selection, puts the
// model's hole where the docstring goes ([DocTarget.PromptOpen], [DocTarget.PromptClose])
// and writes the result back with [DocTarget.Render].
//
// Conventions, one per language (each as its own documentation tool reads it):
//   - Go: "// Name ..." line comments directly above the declaration (go.dev/doc/comment);
//     compiler directives (//go:noinline) stay between the doc comment and the declaration.
//   - Python: a PEP 257 docstring, the first statement of the body (peps.python.org/pep-0257),
//     in the file's section style: Google, NumPy or reST.
//   - JavaScript/TypeScript: JSDoc/TSDoc "/** */" above the declaration, above "export" and
//     decorators.
//   - Rust: "///" outer doc comments above the item and its attributes (rustdoc).
//   - Java: Javadoc "/** */" above the declaration and its annotations.
//   - C/C++: Doxygen "/** */" above the declaration (and its template<> header).
//   - Lua: "---" comments above the function (LDoc, LuaLS annotations).
//   - Ruby: "#" comments above the method, class or module (YARD, RDoc).
// Kotlin has no grammar in the registry, so it has no docstrings.

import (
	"fmt"
	"regexp"
	"strings"

	sitter "github.com/smacker/go-tree-sitter"
)

// CommentForm is the shape of a docstring in the source.
type CommentForm int

const (
	// LineComments: one line comment per line, above the declaration ("// ", "/// ", "--- ", "# ").
	LineComments CommentForm = iota
	// BlockComment: "/**", then " * " lines, then " */", above the declaration.
	BlockComment
	// StringLiteral: a Python triple-quoted string, the first statement of the body.
	StringLiteral
)

// PyDocFormat is the section style of Python docstrings.
type PyDocFormat int

const (
	// PyGoogle: "Args:" and "Returns:" sections (Google Python Style Guide §3.8).
	PyGoogle PyDocFormat = iota
	// PyNumPy: "Parameters" and "Returns" headings underlined with dashes (numpydoc).
	PyNumPy
	// PyReST: ":param name:" and ":returns:" fields (Sphinx reStructuredText).
	PyReST
)

func (f PyDocFormat) String() string {
	switch f {
	case PyNumPy:
		return "numpy"
	case PyReST:
		return "rest"
	}
	return "google"
}

// DocTarget is a declaration that can get a docstring: what it is, what its docstring must
// name, and exactly where the docstring goes. Offsets are bytes into the snapshot's text.
//
// The edit that writes a docstring replaces [EditStart, EditEnd) with Render(lines). When
// Existing is false the range is empty (a pure insertion), except for a Python body on the
// line of its "def" (`def f(x): return x`), where it is the whitespace between the colon and
// the statement. When Existing is true it is the old docstring: whole lines of comments
// (with their indentation and line ends), or the Python string literal alone. The edit never
// touches text outside the comment.
type DocTarget struct {
	Kind string // KindFunction, KindMethod, KindClass, KindInterface or KindType
	Name string // as written at the declaration ("M.g" for Lua's function M.g)
	// Params are the names of the parameters in order, as the documentation tool spells
	// them: no receiver, self, cls or Rust self; Python keeps "*args" and "**kwargs".
	// Destructured parameters (JavaScript {a, b}, Rust (a, b)) have no name and are left out.
	Params []string
	// Returns reports that the function returns a value: a declared result type other than
	// void/unit/None, or, where the language declares none, a return statement with a value.
	Returns bool
	// ReturnType is the declared result type as written ("int", "(int, error)"), "" when
	// none is declared or the language has no type annotations.
	ReturnType string
	// Start and End are the declaration, with its decorators, attributes, annotations and
	// export keyword.
	Start, End int

	Language *Language
	Form     CommentForm
	// Marker is the line-comment marker of LineComments ("//", "///", "---", "#").
	Marker string
	// PyFormat is the section style of a Python docstring, taken from the file's other
	// docstrings (Google when it has none).
	PyFormat PyDocFormat
	// Lead starts the docstring's first line: the declared name in Go, whose convention is
	// a first sentence that begins with it; "" elsewhere.
	Lead string

	EditStart, EditEnd int
	// Existing reports that [EditStart, EditEnd) holds a docstring to replace.
	Existing bool
	// Indent is the indentation of the docstring's lines (the declaration's own for comments
	// above it, the body's for Python), copied from the source: tabs stay tabs.
	Indent string
	// IndentUnit is one level of the file's indentation (for nested docstring sections).
	IndentUnit string
	// EOL is the line ending of the declaration's line: "\n" or "\r\n".
	EOL string

	// pre and post wrap the rendered comment in the edit (indentation before a comment
	// inserted at a line start; the line break and indentation around a Python docstring
	// inserted on the line of its "def").
	pre, post string
}

// docLang is what FindDocTarget needs to know of a language's declarations.
type docLang struct {
	form   CommentForm
	marker string // LineComments
	// decls maps the node types of declarations to their kind.
	decls map[string]string
	// wrappers are node types that wrap one declaration and whose text belongs to it: the
	// docstring goes above them (export_statement, decorated_definition, template_declaration).
	wrappers []string
	// before are node types of siblings that belong to the declaration after them: the
	// docstring goes above them (Rust attributes, TypeScript member decorators).
	before []string
	// isDoc reports whether a comment line (trimmed) is a documentation comment.
	isDoc func(line string) bool
}

var cLikeBlock = func(l string) bool { return strings.HasPrefix(l, "/**") && !strings.HasPrefix(l, "/***") }

// docLangs is keyed by Language.queryDir (typescript and typescriptreact share a row).
var docLangs = map[string]*docLang{
	"go": {
		form: LineComments, marker: "//",
		decls: map[string]string{"function_declaration": KindFunction, "method_declaration": KindMethod,
			"type_declaration": KindType, "type_spec": KindType, "type_alias": KindType},
		isDoc: func(l string) bool { return strings.HasPrefix(l, "//") && !isGoDirective(l) },
	},
	"python": {
		form:     StringLiteral,
		decls:    map[string]string{"function_definition": KindFunction, "class_definition": KindClass},
		wrappers: []string{"decorated_definition"},
	},
	"javascript": {
		form: BlockComment,
		decls: map[string]string{"function_declaration": KindFunction, "generator_function_declaration": KindFunction,
			"class_declaration": KindClass, "method_definition": KindMethod,
			"lexical_declaration": KindFunction, "variable_declaration": KindFunction},
		wrappers: []string{"export_statement"},
		before:   []string{"decorator"},
		isDoc:    cLikeBlock,
	},
	"typescript": {
		form: BlockComment,
		decls: map[string]string{"function_declaration": KindFunction, "generator_function_declaration": KindFunction,
			"function_signature": KindFunction, "class_declaration": KindClass, "abstract_class_declaration": KindClass,
			"method_definition": KindMethod, "method_signature": KindMethod, "abstract_method_signature": KindMethod,
			"interface_declaration": KindInterface, "type_alias_declaration": KindType, "enum_declaration": KindType,
			"lexical_declaration": KindFunction, "variable_declaration": KindFunction},
		wrappers: []string{"export_statement"},
		before:   []string{"decorator"},
		isDoc:    cLikeBlock,
	},
	"rust": {
		form: LineComments, marker: "///",
		decls: map[string]string{"function_item": KindFunction, "function_signature_item": KindFunction,
			"struct_item": KindType, "enum_item": KindType, "union_item": KindType, "type_item": KindType,
			"trait_item": KindInterface},
		before: []string{"attribute_item"},
		isDoc: func(l string) bool {
			return strings.HasPrefix(l, "///") && !strings.HasPrefix(l, "////") || cLikeBlock(l)
		},
	},
	"java": {
		form: BlockComment,
		decls: map[string]string{"method_declaration": KindMethod, "constructor_declaration": KindMethod,
			"class_declaration": KindClass, "interface_declaration": KindInterface, "enum_declaration": KindType,
			"record_declaration": KindClass, "annotation_type_declaration": KindInterface},
		isDoc: cLikeBlock,
	},
	"c": {
		form: BlockComment,
		decls: map[string]string{"function_definition": KindFunction, "declaration": KindFunction,
			"type_definition": KindType, "struct_specifier": KindType, "union_specifier": KindType, "enum_specifier": KindType},
		isDoc: doxygen,
	},
	"cpp": {
		form: BlockComment,
		decls: map[string]string{"function_definition": KindFunction, "declaration": KindFunction,
			"field_declaration": KindMethod, "type_definition": KindType, "struct_specifier": KindClass,
			"union_specifier": KindType, "enum_specifier": KindType, "class_specifier": KindClass},
		wrappers: []string{"template_declaration"},
		isDoc:    doxygen,
	},
	"lua": {
		form: LineComments, marker: "---",
		decls: map[string]string{"function_statement": KindFunction, "variable_declaration": KindFunction},
		isDoc: func(l string) bool { return strings.HasPrefix(l, "---") },
	},
	"ruby": {
		form: LineComments, marker: "#",
		decls: map[string]string{"method": KindMethod, "singleton_method": KindMethod, "class": KindClass, "module": KindClass},
		isDoc: func(l string) bool { return strings.HasPrefix(l, "#") && !strings.HasPrefix(l, "#!") },
	},
}

func doxygen(l string) bool {
	return cLikeBlock(l) || strings.HasPrefix(l, "/*!") || strings.HasPrefix(l, "///") || strings.HasPrefix(l, "//!")
}

// goDirective matches Go's directive comments (//go:generate, //export, //line, //nolint:),
// which are not part of a doc comment (go.dev/doc/comment#syntax).
var goDirective = regexp.MustCompile(`^//(line |export |extern |[a-z0-9]+:[a-z0-9])`)

func isGoDirective(l string) bool { return goDirective.MatchString(l) }

// FindDocTarget returns the innermost declaration that encloses the selection [start, end)
// (byte offsets; start == end for a bare cursor) and can take a docstring, or nil when there
// is none: the selection is outside every function, method, class and type, or the
// document has no tree or no docstring convention. A cursor on a declaration's existing
// doc comment selects that declaration. It returns an error wrapping ErrBadOffset when the
// range is not within the text.
func FindDocTarget(snap *Snapshot, start, end int) (*DocTarget, error) {
	if start < 0 || end < start || end > len(snap.text) {
		return nil, fmt.Errorf("%w: selection [%d, %d) in a document of %d bytes", ErrBadOffset, start, end, len(snap.text))
	}
	dl := docLangs[snap.lang.queryDir]
	if snap.tree == nil || dl == nil {
		return nil, nil
	}
	t := snap.tree.Copy()
	defer t.Close()
	root := t.RootNode()
	probe := start
	if end == start {
		// A cursor after the last token of a line is on that token: Python's definitions
		// (and any node) end before the line break.
		ls := lineStart(snap.text, start)
		for probe > ls && (probe == len(snap.text) || isBlank(snap.text[probe:probe+1])) {
			probe--
		}
		if probe < start && isBlank(snap.text[probe:probe+1]) {
			probe = start
		}
	}
	path := pathAt(root, probe)
	for i := len(path) - 1; i > 0; i-- {
		n := path[i]
		if end > start && int(n.EndByte()) < end {
			continue // the selection runs past n
		}
		if d := snap.docTarget(dl, n); d != nil {
			return d, nil
		}
	}
	// A cursor on a doc comment: the declaration below it.
	if d := snap.docTargetBelow(dl, path[len(path)-1], start); d != nil {
		return d, nil
	}
	return nil, nil
}

// docTargetBelow returns the declaration whose existing doc comment holds off, when n (the
// deepest node at off) is a comment.
func (s *Snapshot) docTargetBelow(dl *docLang, n *sitter.Node, off int) *DocTarget {
	if !s.lang.isComment(n.Type()) && n.Type() != "emmy_documentation" {
		return nil
	}
	for sib := n.NextNamedSibling(); sib != nil; sib = sib.NextNamedSibling() {
		if s.lang.isComment(sib.Type()) || contains(dl.before, sib.Type()) {
			continue
		}
		for _, c := range []*sitter.Node{sib, firstNamedChild(sib)} {
			if c == nil {
				continue
			}
			if d := s.docTarget(dl, c); d != nil && d.Existing && d.EditStart <= off && off < d.EditEnd {
				return d
			}
		}
		break
	}
	// Lua keeps the "---" comments inside the function_statement.
	if p := n.Parent(); p != nil && s.lang.queryDir == "lua" {
		if d := s.docTarget(dl, p); d != nil {
			return d
		}
	}
	return nil
}

func firstNamedChild(n *sitter.Node) *sitter.Node {
	if n.NamedChildCount() == 0 {
		return nil
	}
	return n.NamedChild(0)
}

// docTarget returns the target for node n when n is a declaration that takes a docstring.
func (s *Snapshot) docTarget(dl *docLang, n *sitter.Node) *DocTarget {
	if contains(dl.wrappers, n.Type()) && n.NamedChildCount() > 0 {
		// A cursor on a decorator or on "export": the declaration it wraps.
		if c := n.ChildByFieldName("definition"); c != nil {
			n = c
		} else if c := n.ChildByFieldName("declaration"); c != nil {
			n = c
		} else {
			n = n.NamedChild(int(n.NamedChildCount()) - 1)
		}
	}
	kind, ok := dl.decls[n.Type()]
	if !ok {
		return nil
	}
	d := &DocTarget{Kind: kind, Language: s.lang, Form: dl.form, Marker: dl.marker, EOL: "\n"}
	fn := n // the node that has the parameters and body
	outer := n
	switch s.lang.queryDir {
	case "go":
		switch n.Type() {
		case "type_spec", "type_alias":
			if p := n.Parent(); p != nil && p.Type() == "type_declaration" && p.NamedChildCount() == 1 {
				outer = p
			}
		case "type_declaration":
			if n.NamedChildCount() != 1 {
				return nil // a group: each spec has its own doc
			}
			fn = n.NamedChild(0)
		}
		d.Name = s.nodeText(fn.ChildByFieldName("name"))
	case "javascript", "typescript":
		if n.Type() == "lexical_declaration" || n.Type() == "variable_declaration" {
			// const f = (a) => ...: a function (or class) bound to a name.
			if n.NamedChildCount() != 1 {
				return nil
			}
			decl := n.NamedChild(0)
			v := decl.ChildByFieldName("value")
			if v == nil {
				return nil
			}
			switch v.Type() {
			case "arrow_function", "function_expression", "function", "generator_function":
			case "class":
				d.Kind = KindClass
			default:
				return nil
			}
			d.Name = s.nodeText(decl.ChildByFieldName("name"))
			fn = v
		} else {
			d.Name = s.nodeText(n.ChildByFieldName("name"))
		}
	case "c", "cpp":
		switch n.Type() {
		case "declaration", "field_declaration":
			f := functionDeclarator(n.ChildByFieldName("declarator"))
			if f == nil {
				// struct S {...}; is a declaration whose type has a body.
				ty := n.ChildByFieldName("type")
				if ty == nil || ty.ChildByFieldName("body") == nil || n.ChildByFieldName("declarator") != nil {
					return nil
				}
				d.Kind = KindType
				d.Name = s.nodeText(ty.ChildByFieldName("name"))
				break
			}
			d.Name = s.nodeText(f.ChildByFieldName("declarator"))
		case "function_definition":
			f := functionDeclarator(n.ChildByFieldName("declarator"))
			if f == nil {
				return nil
			}
			d.Name = s.nodeText(f.ChildByFieldName("declarator"))
			if p := n.Parent(); p != nil && p.Type() == "field_declaration_list" {
				d.Kind = KindMethod
			}
		case "type_definition":
			d.Name = s.nodeText(n.ChildByFieldName("declarator"))
		default: // struct_specifier, class_specifier, ...
			if n.ChildByFieldName("body") == nil {
				return nil // a use of the type, not its definition
			}
			if p := n.Parent(); p != nil && (p.Type() == "declaration" || p.Type() == "type_definition") {
				return nil // the declaration above owns the doc
			}
			d.Name = s.nodeText(n.ChildByFieldName("name"))
		}
	case "lua":
		if n.Type() == "variable_declaration" {
			v := n.ChildByFieldName("value")
			if v == nil || v.Type() != "function" {
				return nil
			}
			d.Name = s.nodeText(n.ChildByFieldName("name"))
			fn = v
		} else {
			d.Name = s.nodeText(n.ChildByFieldName("name"))
		}
	case "python":
		d.Name = s.nodeText(n.ChildByFieldName("name"))
		if kind == KindFunction && isPyMethod(n) {
			d.Kind = KindMethod
		}
	default:
		d.Name = s.nodeText(n.ChildByFieldName("name"))
	}
	for p := outer.Parent(); p != nil && contains(dl.wrappers, p.Type()); p = p.Parent() {
		outer = p
	}
	d.Start, d.End = int(outer.StartByte()), int(outer.EndByte())
	if d.Kind == KindFunction || d.Kind == KindMethod {
		d.Params = s.paramNames(fn, d.Kind == KindMethod)
		d.Returns = s.returnsValue(fn)
		if d.Returns {
			d.ReturnType = s.returnType(fn)
		}
	}
	if s.lang.queryDir == "go" {
		d.Lead = d.Name
	}
	d.IndentUnit = s.indentUnit()
	if dl.form == StringLiteral {
		if !s.placePython(d, n) {
			return nil
		}
		d.PyFormat = s.pyDocFormat()
		return d
	}
	s.placeAbove(d, dl, outer)
	return d
}

// isPyMethod reports whether a Python function_definition is directly in a class body.
func isPyMethod(n *sitter.Node) bool {
	p := n.Parent()
	if p != nil && p.Type() == "decorated_definition" {
		p = p.Parent()
	}
	return p != nil && p.Type() == "block" && p.Parent() != nil && p.Parent().Type() == "class_definition"
}

func (s *Snapshot) nodeText(n *sitter.Node) string {
	if n == nil {
		return ""
	}
	return s.text[n.StartByte():n.EndByte()]
}

// placeAbove sets the edit of a comment above the declaration outer: over the existing doc
// comment, or an insertion at the start of the declaration's line, above its decorators or
// attributes and, in Go, above its directives.
func (s *Snapshot) placeAbove(d *DocTarget, dl *docLang, outer *sitter.Node) {
	text := s.text
	declStart := int(outer.StartByte())
	// Lua's function_statement holds its "---" comments; its declaration starts after them.
	for i := 0; i < int(outer.ChildCount()); i++ {
		c := outer.Child(i)
		if s.lang.isComment(c.Type()) || c.Type() == "emmy_documentation" {
			continue
		}
		declStart = int(c.StartByte())
		break
	}
	// Attributes and decorators that are siblings belong to the declaration.
	for sib := outer.PrevSibling(); sib != nil && contains(dl.before, sib.Type()); sib = sib.PrevSibling() {
		if !isBlank(text[sib.EndByte():declStart]) {
			break
		}
		declStart = int(sib.StartByte())
	}
	// Grammars whose tokens include the whitespace before them (tjdevries Lua).
	for declStart < len(text) && (text[declStart] == ' ' || text[declStart] == '\t' || text[declStart] == '\r' || text[declStart] == '\n') {
		declStart++
	}
	ls := lineStart(text, declStart)
	d.EOL = lineEOL(text, declStart)
	if !isBlank(text[ls:declStart]) {
		// Code before the declaration on its line: break the line before the comment.
		d.Indent = leadingSpace(text[ls:])
		d.EditStart, d.EditEnd = declStart, declStart
		d.pre, d.post = d.EOL, d.Indent
		return
	}
	d.Indent = text[ls:declStart]
	d.pre = ""
	// Go directives directly above stay next to the declaration; the doc goes above them.
	top := ls
	if s.lang.queryDir == "go" {
		for {
			ps, line, ok := prevLine(text, top)
			if !ok || !isGoDirective(strings.TrimSpace(line)) {
				break
			}
			top = ps
		}
	}
	d.EditStart, d.EditEnd = top, top
	// The existing doc comment: the comment lines directly above (no blank line between).
	first := top
	if dl.form == LineComments || s.lang.queryDir == "cpp" || s.lang.queryDir == "c" || s.lang.queryDir == "rust" {
		for {
			ps, line, ok := prevLine(text, first)
			l := strings.TrimSpace(line)
			if !ok || !strings.HasPrefix(l, "//") && !strings.HasPrefix(l, "#") && !strings.HasPrefix(l, "--") || !dl.isDoc(l) {
				break
			}
			if dl.form == BlockComment && !strings.HasPrefix(l, "///") && !strings.HasPrefix(l, "//!") {
				break
			}
			first = ps
		}
	}
	if first == top && dl.form == BlockComment || first == top && s.lang.queryDir == "rust" {
		// A "/** ... */" block ending on the line above.
		if ps, line, ok := prevLine(text, top); ok && strings.HasSuffix(strings.TrimSpace(line), "*/") {
			for p := ps; ; {
				l := strings.TrimSpace(text[p:lineEndNoCR(text, p)])
				if strings.HasPrefix(l, "/*") {
					if dl.isDoc(l) && isBlank(text[p:p+strings.Index(text[p:], "/*")]) {
						first = p
					}
					break
				}
				pp, _, ok := prevLine(text, p)
				if !ok {
					break
				}
				p = pp
			}
		}
	}
	if first < top && !s.inString(first+len(leadingSpace(text[first:]))) {
		d.EditStart, d.Existing = first, true
	}
}

// placePython sets the edit of a docstring inside the body of a Python function or class.
// It returns false when the definition has no body to put it in.
func (s *Snapshot) placePython(d *DocTarget, n *sitter.Node) bool {
	text := s.text
	body := n.ChildByFieldName("body")
	if body == nil || body.NamedChildCount() == 0 {
		return false
	}
	first := body.NamedChild(0)
	defLine := lineStart(text, int(n.StartByte()))
	defIndent := leadingSpace(text[defLine:])
	d.EOL = lineEOL(text, int(n.StartByte()))
	// The existing docstring: the first statement, a string.
	for i := 0; i < int(body.NamedChildCount()); i++ {
		st := body.NamedChild(i)
		if s.lang.isComment(st.Type()) {
			continue
		}
		if st.Type() == "expression_statement" && st.NamedChildCount() == 1 && st.NamedChild(0).Type() == "string" {
			str := st.NamedChild(0)
			d.EditStart, d.EditEnd, d.Existing = int(str.StartByte()), int(str.EndByte()), true
			ls := lineStart(text, d.EditStart)
			if isBlank(text[ls:d.EditStart]) {
				d.Indent = text[ls:d.EditStart]
			} else {
				d.Indent = defIndent + d.IndentUnit
			}
			return true
		}
		break
	}
	// The docstring goes before the first line of the body, comments included: after the
	// colon that ends the header, the first line that is not blank.
	start := int(first.StartByte())
	colon := start
	for i := 0; i < int(n.ChildCount()); i++ {
		if c := n.Child(i); c.Type() == ":" && int(c.EndByte()) <= start {
			colon = int(c.EndByte())
		}
	}
	p := colon
	for p < start && (text[p] == ' ' || text[p] == '\t') {
		p++
	}
	if p < len(text) && text[p] == '#' {
		p = lineEnd(text, p)
	}
	if p < len(text) && (text[p] == '\r' || text[p] == '\n') {
		ls := lineEnd(text, p) + 1
		for ls < start && isBlank(text[ls:lineEnd(text, ls)]) {
			ls = lineEnd(text, ls) + 1
		}
		first := ls + len(leadingSpace(text[ls:]))
		d.Indent = text[ls:first]
		d.EditStart, d.EditEnd = ls, ls
		d.pre = d.Indent
		if u := strings.TrimPrefix(d.Indent, defIndent); u != d.Indent && u != "" {
			d.IndentUnit = u
		}
		return true
	}
	// def f(x): return x — the body starts on the line of the colon: replace the
	// whitespace between them by a line break, the docstring and another line break.
	if colon > start || !isBlank(text[colon:start]) {
		return false // broken code between the header and the body
	}
	d.Indent = defIndent + d.IndentUnit
	d.EditStart, d.EditEnd = colon, start
	d.pre, d.post = d.EOL+d.Indent, d.EOL+d.Indent
	return true
}

// inString reports whether off is inside a string literal (a "/**" or "#" in a string is no
// comment).
func (s *Snapshot) inString(off int) bool {
	t := s.tree.Copy()
	defer t.Close()
	for _, n := range pathAt(t.RootNode(), off) {
		if s.lang.isString(n.Type()) {
			return true
		}
	}
	return false
}

// indentUnit is one indentation level of the file: a tab when its indented lines start with
// tabs, else the smallest positive space indentation, else 4 spaces.
func (s *Snapshot) indentUnit() string {
	tabs, best := 0, 0
	spaces := 0
	for _, line := range strings.Split(s.text, "\n") {
		switch {
		case strings.HasPrefix(line, "\t"):
			tabs++
		case strings.HasPrefix(line, " ") && strings.TrimSpace(line) != "":
			spaces++
			n := len(line) - len(strings.TrimLeft(line, " "))
			if best == 0 || n < best {
				best = n
			}
		}
	}
	if tabs > spaces {
		return "\t"
	}
	if best >= 2 && best <= 8 {
		return strings.Repeat(" ", best)
	}
	return "    "
}

// PromptOpen returns the text that goes before the model's hole: the docstring's opening
// as it will be rendered, up to where the first line's words start (indentation, delimiter,
// comment marker, Lead), without a trailing space: BPE vocabularies put the space in front
// of the next word (" returns"), so a prompt that ends in a space is one the model has
// rarely seen. The prompt is text[:EditStart] + PromptOpen() + hole + PromptClose() +
// text[EditEnd:]; the model's first line (" returns the sum.") continues it.
func (d *DocTarget) PromptOpen() string {
	switch d.Form {
	case BlockComment:
		return d.pre + d.Indent + "/**" + d.EOL + d.Indent + " *" + spaced(d.Lead)
	case StringLiteral:
		return d.pre + `"""` + d.Lead
	}
	return d.pre + d.Indent + d.Marker + spaced(d.Lead)
}

func spaced(s string) string {
	if s == "" {
		return ""
	}
	return " " + s
}

// PromptClose returns the text that goes after the model's hole: the end of the docstring
// (see PromptOpen). It starts with a line break: the model writes at least the first line.
func (d *DocTarget) PromptClose() string {
	switch d.Form {
	case BlockComment:
		return d.EOL + d.Indent + " */" + d.EOL + d.post
	case StringLiteral:
		if !d.Existing && d.post == "" {
			return d.EOL + d.Indent + `"""` + d.EOL
		}
		return d.EOL + d.Indent + `"""` + d.post
	}
	return d.EOL + d.post
}

// Render returns the replacement of [EditStart, EditEnd) for a docstring of the given lines:
// plain text without comment markers or indentation ("" for a blank line), the first of
// which is the summary (including Lead). Each line gets the docstring's indentation and
// comment marker and the declaration's line ending; text that already starts with the marker
// is not marked twice. A one-line Python docstring stays on one line (PEP 257).
func (d *DocTarget) Render(lines []string) string {
	if len(lines) == 0 {
		lines = []string{""}
	}
	var b strings.Builder
	b.WriteString(d.pre)
	switch d.Form {
	case BlockComment:
		b.WriteString(d.Indent + "/**" + d.EOL)
		for _, l := range lines {
			if l == "" {
				b.WriteString(d.Indent + " *" + d.EOL)
			} else {
				b.WriteString(d.Indent + " * " + l + d.EOL)
			}
		}
		b.WriteString(d.Indent + " */" + d.EOL)
	case StringLiteral:
		quote := `"""`
		if strings.Contains(strings.Join(lines, "\n"), `"""`) {
			quote = `'''`
		}
		b.WriteString(quote + lines[0])
		if len(lines) > 1 {
			b.WriteString(d.EOL)
			for _, l := range lines[1:] {
				if l != "" {
					b.WriteString(d.Indent + l)
				}
				b.WriteString(d.EOL)
			}
			b.WriteString(d.Indent)
		} else if strings.HasSuffix(lines[0], `"`) {
			b.WriteString(" ") // """Say "hi" """ rather than four quotes
		}
		b.WriteString(quote)
		if !d.Existing && d.post == "" {
			b.WriteString(d.EOL)
		}
	default:
		for _, l := range lines {
			b.WriteString(d.Indent + d.Marker)
			if l != "" {
				b.WriteString(" " + l)
			}
			b.WriteString(d.EOL)
		}
	}
	b.WriteString(d.post)
	return b.String()
}

// prevLine returns the start and text (without its line ending) of the line before the
// line that starts at ls; ok is false at the first line.
func prevLine(text string, ls int) (start int, line string, ok bool) {
	if ls == 0 {
		return 0, "", false
	}
	start = lineStart(text, ls-1)
	return start, strings.TrimSuffix(text[start:ls-1], "\r"), true
}

// lineEndNoCR returns the end of the line holding off, before its "\r\n" or "\n".
func lineEndNoCR(text string, off int) int {
	e := lineEnd(text, off)
	if e > off && e <= len(text) && text[e-1] == '\r' {
		e--
	}
	return e
}

// lineEOL returns the line ending of the line holding off: "\r\n" or "\n" (also for a last
// line without one: "\r\n" when the document uses it elsewhere).
func lineEOL(text string, off int) string {
	e := lineEnd(text, off)
	switch {
	case e < len(text) && e > 0 && text[e-1] == '\r':
		return "\r\n"
	case e >= len(text) && strings.Contains(text, "\r\n"):
		return "\r\n"
	}
	return "\n"
}

func leadingSpace(s string) string {
	return s[:len(s)-len(strings.TrimLeft(s, " \t"))]
}
