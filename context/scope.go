package codectx

import (
	"strings"
)

// Scope is a definition that encloses the cursor: a function, method, class, interface,
// type, module or impl block.
type Scope struct {
	Kind  string // KindFunction, KindMethod, KindClass, ...
	Name  string // as written at the definition ("Server.Serve" is written "Serve")
	Start int    // byte offset of the definition's first byte (after leading whitespace)
	End   int    // byte offset just past its last byte
	// Header is the text from Start to the body, trimmed: the signature of a function, the
	// first line of a class. At most maxHeaderBytes bytes.
	Header string
}

// maxHeaderBytes caps Scope.Header; a longer header is cut at a line end.
const maxHeaderBytes = 1000

// Scopes returns the definitions that enclose byte offset off, innermost first. A cursor
// enclosed by a definition is strictly inside it, or at its end when the definition is not
// closed yet (a MISSING "}" or an indentation-delimited body). In Python a cursor on a blank
// line indented deeper than a definition's first line, after its last statement, is inside
// that definition. Plain text has no scopes; an offset out of range gives none.
func Scopes(snap *Snapshot, off int) []Scope {
	if off < 0 || off > len(snap.text) {
		return nil
	}
	return snap.scopesAt(off)
}

func (s *Snapshot) scopesAt(off int) []Scope {
	if s.tree == nil {
		return nil
	}
	idx := s.definitions()
	text := s.text
	probe, indent := off, -1
	if s.lang.indentBlocks {
		ls := lineStart(text, off)
		if isBlank(text[ls:off]) {
			// Inside the block whose last statement ends on the previous non-blank line, when
			// the cursor is indented deeper than the definition's first line.
			indent = off - ls
			p := ls
			for p > 0 {
				pls := lineStart(text, p-1)
				if !isBlank(text[pls : p-1]) {
					break
				}
				p = pls
			}
			probe = max(p-1, 0)
		}
	}
	var out []Scope
	for _, d := range idx.defs {
		if d.start > off {
			break
		}
		if !scopeKind(d.kind) {
			continue
		}
		inside := d.start < off && (off < d.end || (off == d.end && !s.closedAt(d.end)))
		if !inside && indent >= 0 && d.start <= probe && probe <= d.end {
			inside = indentWidth(text[lineStart(text, d.start):d.start]) < indent
		}
		if inside {
			out = append(out, s.scope(d))
		}
	}
	// idx.defs is in document order, so enclosing definitions come first; innermost first
	// is the reverse.
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// closedAt reports whether the definition ending at end is closed by a token ("}", "end"),
// so that a cursor at end is after it.
func (s *Snapshot) closedAt(end int) bool {
	if s.lang.indentBlocks {
		return false
	}
	body := strings.TrimRight(s.text[:end], " \t\r\n")
	if body == "" {
		return false
	}
	switch body[len(body)-1] {
	case '}', ')', ']', ';':
		return true
	}
	i := len(body)
	for i > 0 && isIdentByte(body[i-1]) {
		i--
	}
	switch body[i:] {
	case "end", "fi", "done", "esac":
		return true
	}
	return false
}

func scopeKind(kind string) bool {
	switch kind {
	case KindConstant, KindVariable, KindMacro:
		return false
	}
	return true
}

func (s *Snapshot) scope(d defEntry) Scope {
	return Scope{Kind: d.kind, Name: d.name, Start: d.start, End: d.end, Header: s.header(d)}
}

// header returns the text of a definition up to its body, or its first line.
func (s *Snapshot) header(d defEntry) string {
	end := d.bodyStart
	if end < d.start {
		end = lineEnd(s.text, d.start)
		if end > d.end {
			end = d.end
		}
	}
	h := strings.TrimRight(s.text[d.start:end], " \t\r\n")
	if len(h) > maxHeaderBytes {
		cut := strings.LastIndexByte(h[:maxHeaderBytes], '\n')
		if cut <= 0 {
			cut = maxHeaderBytes
		}
		h = h[:cut]
	}
	return h
}
