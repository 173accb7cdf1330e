package completion

// Docstring text: where the model's docstring ends, its words without comment markers, and
// the sections that name the parameters and the result, rebuilt from the syntax tree in the
// language's convention:
//   - Python Google style: "Args:" / "Returns:" (Google Python Style Guide §3.8.3);
//     NumPy: "Parameters" / "Returns" underlined (numpydoc format); reST: ":param x:",
//     ":returns:", ":rtype:" (Sphinx info field lists).
//   - JSDoc/TSDoc "@param x" / "@returns"; Javadoc and Doxygen "@param x" / "@return";
//     LDoc "@param x" / "@return"; YARD "@param x" / "@return".
//   - Go and Rust: prose only; Go's first sentence starts with the declared name.
// A description the model gave for a parameter of the tree is kept; parameters it invented
// are dropped; a parameter it did not describe is listed with an empty description.

import (
	"regexp"
	"strings"

	codectx "github.com/llmls/llmls/context"
)

// docCloser returns the strings that end a docstring in the model's output.
func docCloser(d *codectx.DocTarget) []string {
	switch d.Form {
	case codectx.BlockComment:
		return []string{"*/"}
	case codectx.StringLiteral:
		return []string{`"""`, `'''`}
	}
	return nil
}

// docEnded reports whether the model's output so far has reached the end of the docstring:
// its closing delimiter; for line comments, a line that is not a comment (or a blank one);
// or too many lines.
func docEnded(d *codectx.DocTarget, raw string) bool {
	raw = strings.ReplaceAll(raw, "\r\n", "\n")
	for _, c := range docCloser(d) {
		if strings.Contains(raw, c) {
			return true
		}
	}
	lines := strings.Split(raw, "\n")
	if len(lines) > 2*docMaxLines {
		return true
	}
	marker := d.Marker
	switch d.Form {
	case codectx.StringLiteral:
		return false
	case codectx.BlockComment:
		marker = "*" // the prompt's lines start with " * "
	}
	for i, l := range lines[1:] {
		t := strings.TrimSpace(l)
		complete := i+2 < len(lines)
		if complete && !strings.HasPrefix(t, marker) || len(t) >= len(marker) && !strings.HasPrefix(t, marker) {
			return true
		}
	}
	return false
}

// docContent returns the lines of the model's docstring without markers, indentation and
// closing delimiter, the first beginning with d.Lead (the model's first line continues it).
// Blank lines at the ends are dropped and runs of blank lines become one.
func docContent(d *codectx.DocTarget, raw string) []string {
	raw = strings.ReplaceAll(raw, "\r\n", "\n")
	for _, c := range docCloser(d) {
		if i := strings.Index(raw, c); i >= 0 {
			raw = raw[:i]
		}
	}
	var out []string
	for i, l := range strings.Split(raw, "\n") {
		if i == 0 && d.Lead != "" {
			// The model continues the prompt's first line: "// Add" + " returns the sum.".
			// The name is a whole word: a model that goes on spelling an identifier
			// ("// Pop" + "t is") gets a space.
			if l != "" && isIdentByte(l[0]) {
				l = " " + l
			}
			l = d.Lead + l
		}
		t := strings.TrimSpace(l)
		if i > 0 {
			switch d.Form {
			case codectx.LineComments:
				if !strings.HasPrefix(t, d.Marker) || t == d.Marker && len(out) > 0 && out[len(out)-1] == "" {
					goto done
				}
				t = strings.TrimPrefix(strings.TrimPrefix(t, d.Marker), " ")
			case codectx.BlockComment:
				if !strings.HasPrefix(t, "*") {
					goto done // code after an unclosed comment
				}
				t = strings.TrimPrefix(strings.TrimPrefix(t, "*"), " ")
			}
		} else if d.Form == codectx.BlockComment && strings.HasPrefix(t, "*") {
			t = strings.TrimPrefix(strings.TrimPrefix(t, "*"), " ")
		}
		t = strings.TrimRight(t, " \t")
		if t == "" && (len(out) == 0 || out[len(out)-1] == "") {
			continue
		}
		out = append(out, t)
	}
done:
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}

// docParts are the pieces of a docstring that the model wrote.
type docParts struct {
	prose   []string          // summary and description
	params  map[string]string // parameter name (without * or **) → description
	returns string            // description of the result
}

// Patterns of the section syntaxes the model may write.
var (
	pyHeader     = regexp.MustCompile(`^(Args|Arguments|Parameters|Params|Keyword Args|Keyword Arguments|Other Parameters|Returns|Return|Yields|Yield|Raises|Attributes|Examples?|Notes?|Todo|See Also|Warns|Warnings?):?$`)
	restParam    = regexp.MustCompile(`^:param\s+(?:[^:]*\s)?\*{0,2}(\w+)\s*:\s*(.*)$`)
	restReturns  = regexp.MustCompile(`^:returns?:\s*(.*)$`)
	restOther    = regexp.MustCompile(`^:(type|rtype|raises?|except|var|ivar|cvar)\b`)
	pyItem       = regexp.MustCompile(`^\*{0,2}(\w+)\s*(?:\([^)]*\))?\s*:(?:\s+(.*))?$`)
	numpyItem    = regexp.MustCompile(`^\*{0,2}(\w+)\s*(?::.*)?$`)
	tagParam     = regexp.MustCompile(`^@param\s+(?:\{[^}]*\}\s+|\[[^\]]*\]\s+)?\[?\.{0,3}(\w+)[^\s]*\s*(?:-\s*)?(.*)$`)
	tagReturns   = regexp.MustCompile(`^@returns?\s*(?:\{[^}]*\}\s*|\[[^\]]*\]\s*)?(.*)$`)
	dashes       = regexp.MustCompile(`^-{3,}$`)
	paramStripRE = regexp.MustCompile(`^\*{0,2}`)
)

// splitDocstring separates the model's lines into prose and the descriptions it gave in
// sections or tags of any of the known syntaxes.
func splitDocstring(d *codectx.DocTarget, lines []string) docParts {
	p := docParts{params: map[string]string{}}
	known := map[string]bool{}
	for _, n := range d.Params {
		known[paramStripRE.ReplaceAllString(n, "")] = true
	}
	section, item := "", ""
	appendTo := func(desc *string, s string) {
		if s == "" {
			return
		}
		if *desc != "" {
			*desc += " "
		}
		*desc += s
	}
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if i == 0 {
			// The summary line is always prose: in Go it starts with the name, which may
			// look like a section item ("Add: ...").
			p.prose = append(p.prose, l)
			continue
		}
		switch {
		case d.Form == codectx.StringLiteral && restParam.MatchString(l):
			m := restParam.FindStringSubmatch(l)
			section, item = "param", m[1]
			p.params[item] = m[2]
			continue
		case d.Form == codectx.StringLiteral && restReturns.MatchString(l):
			section, item = "returns", ""
			p.returns = restReturns.FindStringSubmatch(l)[1]
			continue
		case d.Form == codectx.StringLiteral && restOther.MatchString(l):
			section = "other"
			continue
		case d.Form == codectx.StringLiteral && (pyHeader.MatchString(l) && (strings.HasSuffix(l, ":") || i+1 < len(lines) && dashes.MatchString(lines[i+1]))):
			h := strings.TrimSuffix(l, ":")
			switch h {
			case "Args", "Arguments", "Parameters", "Params":
				section = "params"
			case "Returns", "Return", "Yields", "Yield":
				section = "returns"
			default:
				section = "other"
			}
			item = ""
			if i+1 < len(lines) && dashes.MatchString(lines[i+1]) {
				i++
			}
			continue
		case d.Form != codectx.StringLiteral && tagParam.MatchString(l):
			m := tagParam.FindStringSubmatch(l)
			section, item = "param", m[1]
			p.params[item] = m[2]
			continue
		case d.Form != codectx.StringLiteral && tagReturns.MatchString(l):
			section = "returns"
			p.returns = tagReturns.FindStringSubmatch(l)[1]
			continue
		case d.Form != codectx.StringLiteral && strings.HasPrefix(l, "@"):
			section = "other"
			continue
		}
		switch section {
		case "":
			p.prose = append(p.prose, l)
		case "params":
			if m := pyItem.FindStringSubmatch(l); m != nil {
				item = m[1]
				p.params[item] = m[2]
			} else if m := numpyItem.FindStringSubmatch(l); m != nil && known[m[1]] {
				item = m[1]
				p.params[item] = ""
			} else if item != "" {
				desc := p.params[item]
				appendTo(&desc, l)
				p.params[item] = desc
			}
		case "param":
			if l == "" {
				section = "other"
				continue
			}
			desc := p.params[item]
			appendTo(&desc, l)
			p.params[item] = desc
		case "returns":
			if l == "" && p.returns != "" {
				section = "other"
				continue
			}
			appendTo(&p.returns, l)
		}
	}
	for len(p.prose) > 0 && p.prose[len(p.prose)-1] == "" {
		p.prose = p.prose[:len(p.prose)-1]
	}
	if len(p.prose) > docMaxLines {
		p.prose = p.prose[:docMaxLines]
	}
	return p
}

// structureDocstring returns the docstring lines: the model's prose, then the parameter and
// result sections of the language's convention, naming the parameters of the tree.
func structureDocstring(d *codectx.DocTarget, lines []string) []string {
	if len(lines) == 0 {
		return nil
	}
	p := splitDocstring(d, lines)
	out := p.prose
	desc := func(name string) string { return p.params[paramStripRE.ReplaceAllString(name, "")] }
	hasSections := len(d.Params) > 0 || d.Returns
	lang := d.Language.Name
	switch {
	case !hasSections || lang == "go" || lang == "rust":
		// Prose conventions: no sections (go.dev/doc/comment; rustdoc's "# Arguments" is
		// optional and rare).
	case d.Form == codectx.StringLiteral:
		out = append(out, pySections(d, desc, p.returns)...)
	default:
		out = append(out, "")
		ret := "@return"
		if d.Form == codectx.BlockComment && (lang == "javascript" || lang == "typescript" || lang == "typescriptreact") {
			ret = "@returns"
		}
		for _, n := range d.Params {
			out = append(out, joinWords("@param "+paramStripRE.ReplaceAllString(n, ""), desc(n)))
		}
		if d.Returns {
			out = append(out, joinWords(ret, p.returns))
		}
	}
	return out
}

// pySections returns the Args/Returns sections of a Python docstring in d.PyFormat.
func pySections(d *codectx.DocTarget, desc func(string) string, returns string) []string {
	u := d.IndentUnit
	var out []string
	switch d.PyFormat {
	case codectx.PyNumPy:
		if len(d.Params) > 0 {
			out = append(out, "", "Parameters", "----------")
			for _, n := range d.Params {
				out = append(out, n)
				if s := desc(n); s != "" {
					out = append(out, u+s)
				}
			}
		}
		if d.Returns {
			out = append(out, "", "Returns", "-------")
			if d.ReturnType != "" {
				out = append(out, d.ReturnType)
			}
			if returns != "" {
				out = append(out, u+returns)
			}
		}
	case codectx.PyReST:
		out = append(out, "")
		for _, n := range d.Params {
			out = append(out, joinWords(":param "+paramStripRE.ReplaceAllString(n, "")+":", desc(n)))
		}
		if d.Returns {
			out = append(out, joinWords(":returns:", returns))
			if d.ReturnType != "" {
				out = append(out, ":rtype: "+d.ReturnType)
			}
		}
	default: // Google
		if len(d.Params) > 0 {
			out = append(out, "", "Args:")
			for _, n := range d.Params {
				out = append(out, u+joinWords(n+":", desc(n)))
			}
		}
		if d.Returns {
			out = append(out, "", "Returns:")
			r := returns
			if d.ReturnType != "" {
				r = joinWords(d.ReturnType+":", returns)
				if returns == "" {
					r = d.ReturnType
				}
			}
			if r != "" {
				out = append(out, u+r)
			}
		}
	}
	return out
}

// joinWords joins a and b with a space, or returns a when b is empty.
func joinWords(a, b string) string {
	if b == "" {
		return a
	}
	return a + " " + b
}

// isIdentByte reports whether b can continue an identifier.
func isIdentByte(b byte) bool {
	return b == '_' || b >= 0x80 || 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9'
}
