package codectx

// What a docstring must name, read from a declaration's syntax: parameter names, whether a
// value is returned, and the section style of a Python file's docstrings.

import (
	"regexp"
	"strings"

	sitter "github.com/smacker/go-tree-sitter"
)

// functionDeclarator finds the function_declarator in a C/C++ declarator chain
// (int *f(void): pointer_declarator > function_declarator), or nil for a variable.
func functionDeclarator(n *sitter.Node) *sitter.Node {
	for n != nil {
		switch n.Type() {
		case "function_declarator":
			return n
		case "pointer_declarator", "reference_declarator", "parenthesized_declarator", "attributed_declarator":
			next := n.ChildByFieldName("declarator")
			if next == nil && n.NamedChildCount() > 0 {
				next = n.NamedChild(int(n.NamedChildCount()) - 1)
			}
			n = next
		default:
			return nil
		}
	}
	return nil
}

// pyDocFormat picks the section style of the file's docstrings, by counting each style's
// markers in its docstrings; Google when none has any.
func (s *Snapshot) pyDocFormat() PyDocFormat {
	t := s.tree.Copy()
	defer t.Close()
	counts := [3]int{}
	var walk func(n *sitter.Node, depth int)
	walk = func(n *sitter.Node, depth int) {
		if depth > 64 {
			return
		}
		for i := 0; i < int(n.NamedChildCount()); i++ {
			c := n.NamedChild(i)
			switch c.Type() {
			case "expression_statement":
				if c.NamedChildCount() == 1 && c.NamedChild(0).Type() == "string" {
					doc := s.nodeText(c)
					counts[PyGoogle] += len(googleSection.FindAllStringIndex(doc, -1))
					counts[PyNumPy] += len(numpySection.FindAllStringIndex(doc, -1))
					counts[PyReST] += len(restField.FindAllStringIndex(doc, -1))
				}
			case "function_definition", "class_definition", "decorated_definition", "block":
				walk(c, depth+1)
			}
		}
	}
	walk(t.RootNode(), 0)
	best := PyGoogle
	for f := PyNumPy; f <= PyReST; f++ {
		if counts[f] > counts[best] {
			best = f
		}
	}
	return best
}

// Markers of the Python docstring styles.
var (
	googleSection = regexp.MustCompile(`(?m)^[ \t]*(Args|Arguments|Returns|Yields|Raises|Attributes|Examples?|Note|Todo):[ \t]*\r?$`)
	numpySection  = regexp.MustCompile(`(?m)^[ \t]*(Parameters|Returns|Yields|Raises|Attributes|Examples|Notes|See Also)[ \t]*\r?\n[ \t]*-{3,}`)
	restField     = regexp.MustCompile(`(?m)^[ \t]*:(param|type|returns?|rtype|raises?)\b`)
)

// paramNames returns the parameter names of a function node.
func (s *Snapshot) paramNames(fn *sitter.Node, method bool) []string {
	var params *sitter.Node
	switch s.lang.queryDir {
	case "c", "cpp":
		if f := functionDeclarator(fn.ChildByFieldName("declarator")); f != nil {
			params = f.ChildByFieldName("parameters")
		}
	case "lua":
		for i := 0; i < int(fn.NamedChildCount()); i++ {
			if c := fn.NamedChild(i); c.Type() == "parameter_list" {
				params = c
			}
		}
	default:
		params = fn.ChildByFieldName("parameters")
		if params == nil {
			params = fn.ChildByFieldName("parameter") // x => x
			if params != nil {
				return []string{s.nodeText(params)}
			}
		}
	}
	if params == nil {
		return nil
	}
	var out []string
	for i := 0; i < int(params.NamedChildCount()); i++ {
		p := params.NamedChild(i)
		if s.lang.isComment(p.Type()) {
			continue
		}
		out = append(out, s.paramName(p)...)
	}
	if s.lang.queryDir == "python" && method && len(out) > 0 && (out[0] == "self" || out[0] == "cls") {
		out = out[1:]
	}
	return out
}

// paramName returns the names one parameter node declares (Go's "a, b int" declares two).
func (s *Snapshot) paramName(p *sitter.Node) []string {
	switch s.lang.queryDir {
	case "go":
		var out []string
		for i := 0; i < int(p.ChildCount()); i++ {
			if c := p.Child(i); c.Type() == "identifier" && p.FieldNameForChild(i) == "name" {
				out = append(out, s.nodeText(c))
			}
		}
		return out
	case "python":
		switch p.Type() {
		case "identifier":
			return []string{s.nodeText(p)}
		case "default_parameter", "typed_default_parameter":
			return []string{s.nodeText(p.ChildByFieldName("name"))}
		case "typed_parameter":
			if c := firstNamedChild(p); c != nil {
				return s.paramName(c)
			}
		case "list_splat_pattern":
			return []string{"*" + s.nodeText(firstNamedChild(p))}
		case "dictionary_splat_pattern":
			return []string{"**" + s.nodeText(firstNamedChild(p))}
		}
		return nil
	case "javascript", "typescript":
		switch p.Type() {
		case "identifier":
			return []string{s.nodeText(p)}
		case "required_parameter", "optional_parameter":
			return s.paramName(p.ChildByFieldName("pattern"))
		case "assignment_pattern":
			return s.paramName(p.ChildByFieldName("left"))
		case "rest_pattern":
			if c := firstNamedChild(p); c != nil && c.Type() == "identifier" {
				return []string{s.nodeText(c)}
			}
		}
		return nil
	case "rust":
		if p.Type() == "parameter" {
			if pat := p.ChildByFieldName("pattern"); pat != nil && pat.Type() == "identifier" {
				return []string{s.nodeText(pat)}
			}
		}
		return nil
	case "java":
		switch p.Type() {
		case "formal_parameter":
			return []string{s.nodeText(p.ChildByFieldName("name"))}
		case "spread_parameter":
			for i := 0; i < int(p.NamedChildCount()); i++ {
				if c := p.NamedChild(i); c.Type() == "variable_declarator" {
					return []string{s.nodeText(c.ChildByFieldName("name"))}
				}
			}
		}
		return nil
	case "c", "cpp":
		if !strings.HasSuffix(p.Type(), "parameter_declaration") {
			return nil
		}
		for n := p.ChildByFieldName("declarator"); n != nil; {
			switch n.Type() {
			case "identifier":
				return []string{s.nodeText(n)}
			case "function_declarator", "pointer_declarator", "array_declarator", "parenthesized_declarator",
				"reference_declarator", "abstract_pointer_declarator":
				next := n.ChildByFieldName("declarator")
				if next == nil && n.NamedChildCount() > 0 {
					next = n.NamedChild(0)
				}
				n = next
			default:
				return nil
			}
		}
		return nil
	case "lua":
		if p.Type() == "identifier" {
			return []string{s.nodeText(p)}
		}
		return nil
	case "ruby":
		switch p.Type() {
		case "identifier":
			return []string{s.nodeText(p)}
		case "optional_parameter", "splat_parameter", "keyword_parameter", "hash_splat_parameter", "block_parameter":
			return []string{s.nodeText(p.ChildByFieldName("name"))}
		}
		return nil
	}
	return nil
}

// returnsValue reports whether a function returns a value (see DocTarget.Returns).
func (s *Snapshot) returnsValue(fn *sitter.Node) bool {
	var declared *sitter.Node
	switch s.lang.queryDir {
	case "go":
		return fn.ChildByFieldName("result") != nil
	case "rust":
		r := fn.ChildByFieldName("return_type")
		return r != nil && r.Type() != "unit_type" && s.nodeText(r) != "()"
	case "java":
		r := fn.ChildByFieldName("type")
		return r != nil && r.Type() != "void_type"
	case "c", "cpp":
		r := fn.ChildByFieldName("type")
		if r == nil {
			return false // constructor, destructor
		}
		f := fn.ChildByFieldName("declarator")
		return !(s.nodeText(r) == "void" && f != nil && f.Type() == "function_declarator")
	case "python", "typescript":
		declared = fn.ChildByFieldName("return_type")
		if declared != nil {
			ty := strings.TrimSpace(strings.TrimPrefix(s.nodeText(declared), ":"))
			switch ty {
			case "None", "void", "never", "Promise<void>", "NoReturn":
				return false
			}
			return true
		}
	}
	body := fn.ChildByFieldName("body")
	if body == nil {
		if s.lang.queryDir == "lua" {
			body = fn
		} else {
			return false
		}
	}
	if t := body.Type(); t != "statement_block" && t != "block" && t != "body_statement" && t != "function_body" && body != fn {
		return true // an arrow function with an expression body
	}
	return s.hasReturnValue(body, 0)
}

// nestedFunctionTypes are node types whose return statements are not the outer function's.
var nestedFunctionTypes = map[string]bool{
	"function_definition": true, "class_definition": true, "lambda": true, // Python
	"function_declaration": true, "function_expression": true, "arrow_function": true, "function": true,
	"method_definition": true, "class_declaration": true, "class": true, "generator_function": true,
	"generator_function_declaration": true,                                        // JavaScript, TypeScript
	"function_statement":             true, "function_definition_statement": true, // Lua
	"method": true, "singleton_method": true, "lambda_expression": true, "do_block": true, // Ruby
}

func (s *Snapshot) hasReturnValue(n *sitter.Node, depth int) bool {
	if depth > 200 {
		return false
	}
	for i := 0; i < int(n.NamedChildCount()); i++ {
		c := n.NamedChild(i)
		switch t := c.Type(); {
		case t == "return_statement" || t == "return":
			for j := 0; j < int(c.NamedChildCount()); j++ {
				if !s.lang.isComment(c.NamedChild(j).Type()) {
					return true
				}
			}
		case t == "yield" || t == "yield_expression":
			return true
		case nestedFunctionTypes[t]:
		default:
			if s.hasReturnValue(c, depth+1) {
				return true
			}
		}
	}
	return false
}

// returnType returns the text of a function's declared result type, or "".
func (s *Snapshot) returnType(fn *sitter.Node) string {
	var r *sitter.Node
	switch s.lang.queryDir {
	case "go":
		r = fn.ChildByFieldName("result")
	case "python", "typescript", "rust":
		r = fn.ChildByFieldName("return_type")
	case "java":
		r = fn.ChildByFieldName("type")
	}
	// C and C++ are left out: in "char *f()" the pointer belongs to the declarator.
	return strings.TrimSpace(strings.TrimPrefix(s.nodeText(r), ":"))
}
