package codectx

import (
	"strings"

	sitter "github.com/smacker/go-tree-sitter"
)

// CompletionType says what kind of completion fits at a cursor.
type CompletionType int

const (
	// CompletionNone: no completion (the cursor is inside a word, or inside a comment or
	// string with text after it on the line).
	CompletionNone CompletionType = iota
	// CompletionSingleLine: complete the rest of the current line only.
	CompletionSingleLine
	// CompletionMultiLine: a block may follow (empty block body, end of a block header, a
	// blank line at the end of a block or between top-level declarations).
	CompletionMultiLine
)

func (c CompletionType) String() string {
	switch c {
	case CompletionNone:
		return "none"
	case CompletionSingleLine:
		return "single-line"
	case CompletionMultiLine:
		return "multi-line"
	}
	return "CompletionType(?)"
}

// closingPunct may follow the cursor on its line without blocking a completion: what editors
// insert as auto-closed pairs, and statement ends.
const closingPunct = ")]}\"'`;,"

// CompletionTypeAt decides from the syntax tree (or, without one, from the text of the
// line) which completion fits at byte offset off of snap, and returns a short reason for
// logs. An offset outside [0, len(text)] gives CompletionNone.
//
// The rules, in order:
//   - a word character right of the cursor, or a word left of it followed by other code:
//     none ("inside a word");
//   - inside a comment: single line at the end of the line, else none;
//   - inside a string: single line when only closing quotes/punctuation follow, multi-line
//     when the string spans lines and the line is blank so far, else none;
//   - code after the cursor on the line: multi-line between an opener and its closer
//     ("{|}"), else single line;
//   - end of a line that opens a block ("{", ":" in Python, "do"/"then" ...): multi-line;
//   - blank line: multi-line when it is the last line of its block (what follows closes the
//     block, a dedent in Python) or at top level, else single line;
//   - otherwise single line.
func CompletionTypeAt(snap *Snapshot, off int) (CompletionType, string) {
	text := snap.text
	if off < 0 || off > len(text) {
		return CompletionNone, "offset out of range"
	}
	ls, le := lineStart(text, off), lineEnd(text, off)
	left := text[ls:off]
	right := strings.TrimRight(text[off:le], " \t\r")

	if right != "" && isIdentByte(right[0]) {
		return CompletionNone, "inside a word"
	}
	if left != "" && isIdentByte(left[len(left)-1]) && right != "" &&
		!strings.ContainsRune(closingPunct+" \t", rune(right[0])) {
		return CompletionNone, "inside a word"
	}

	var t *sitter.Tree
	if snap.tree != nil && !snap.stale {
		t = snap.tree.Copy()
		defer t.Close()
		if ct, why, ok := insideCommentOrString(snap, t.RootNode(), off, left, right); ok {
			return ct, why
		}
	}

	trimmedLeft := strings.TrimSpace(left)
	if right != "" {
		if strings.HasSuffix(trimmedLeft, "{") && right[0] == '}' {
			return CompletionMultiLine, "empty block"
		}
		return CompletionSingleLine, "code after the cursor"
	}
	if trimmedLeft == "" {
		return blankLineType(snap, t, off, ls, left)
	}
	for _, o := range snap.lang.blockOpeners {
		if strings.HasSuffix(trimmedLeft, o) && (len(o) == 1 || wordBoundaryBefore(trimmedLeft, len(trimmedLeft)-len(o))) {
			return CompletionMultiLine, "end of a block header"
		}
	}
	if t != nil {
		// The first line of a function or class definition whose body is still empty (Lua's
		// "function f()", Ruby's "def m(a)"): a body follows.
		for _, sc := range snap.scopesAt(off) {
			if lineStart(text, sc.Start) == ls && onlyCloser(text[off:sc.End]) && scopeKindOpensBody(sc.Kind) {
				return CompletionMultiLine, "end of a definition header"
			}
		}
	}
	return CompletionSingleLine, "end of line"
}

func scopeKindOpensBody(kind string) bool {
	switch kind {
	case KindFunction, KindMethod, KindClass, KindInterface, KindModule, KindImpl:
		return true
	}
	return false
}

func wordBoundaryBefore(s string, i int) bool { return i == 0 || !isIdentByte(s[i-1]) }

// insideCommentOrString applies the comment and string rules; ok is false when the cursor
// is in code.
func insideCommentOrString(snap *Snapshot, root *sitter.Node, off int, left, right string) (CompletionType, string, bool) {
	lang := snap.lang
	// The node holding the byte before the cursor tells whether we are at the end of a line
	// comment ("// foo|" ends at the cursor).
	if off > 0 {
		for _, n := range pathAt(root, off-1) {
			typ := n.Type()
			if !lang.isComment(typ) {
				continue
			}
			end := int(n.EndByte())
			body := snap.text[n.StartByte():n.EndByte()]
			closed := strings.HasSuffix(body, "*/") || strings.HasSuffix(body, "]]") || strings.HasSuffix(body, "=end")
			if end > off || !closed {
				if right != "" {
					return CompletionNone, "inside a comment", true
				}
				return CompletionSingleLine, "end of a comment line", true
			}
		}
	}
	for _, n := range pathAt(root, off) {
		if !lang.isString(n.Type()) || int(n.StartByte()) >= off {
			continue
		}
		start, end := int(n.StartByte()), int(n.EndByte())
		rest := strings.TrimLeft(right, closingPunct+" \t")
		if rest != "" {
			return CompletionNone, "inside a string", true
		}
		if strings.TrimSpace(left) == "" && strings.Contains(snap.text[start:end], "\n") {
			return CompletionMultiLine, "blank line in a multi-line string", true
		}
		return CompletionSingleLine, "inside a string", true
	}
	return 0, "", false
}

// blankLineType decides for a cursor on a line that is blank up to the cursor and empty
// after it.
func blankLineType(snap *Snapshot, t *sitter.Tree, off, ls int, left string) (CompletionType, string) {
	text := snap.text
	// The next non-blank line.
	next := ""
	for e := lineEnd(text, off); e < len(text); {
		s := e + 1
		e = lineEnd(text, s)
		if !isBlank(text[s:e]) {
			next = strings.TrimRight(text[s:e], "\r")
			break
		}
	}
	if next == "" {
		return CompletionMultiLine, "blank line at the end of the file"
	}
	if snap.lang.indentBlocks || t == nil {
		// Indentation delimits the block: a shallower next line closes it.
		if indentWidth(next) < len(left) {
			return CompletionMultiLine, "blank line at the end of a block"
		}
		if indentWidth(next) == 0 && len(left) == 0 {
			return CompletionMultiLine, "blank line at top level"
		}
		if t == nil && startsWithCloser(strings.TrimSpace(next)) {
			return CompletionMultiLine, "blank line at the end of a block"
		}
		return CompletionSingleLine, "blank line inside a block"
	}
	// The innermost node holding the cursor that has named children: a block, a body, or
	// the root. The cursor ends its block when no named, non-comment child starts after it.
	path := pathAt(t.RootNode(), off)
	for i := len(path) - 1; i >= 0; i-- {
		n := path[i]
		if int(n.StartByte()) >= off || n.NamedChildCount() == 0 {
			continue
		}
		if i == 0 {
			return CompletionMultiLine, "blank line at top level"
		}
		cnt := int(n.ChildCount())
		for j := 0; j < cnt; j++ {
			c := n.Child(j)
			if int(c.StartByte()) >= off && c.IsNamed() && !snap.lang.isComment(c.Type()) && !snap.lang.isCloser(c.Type()) {
				return CompletionSingleLine, "blank line inside a block"
			}
		}
		return CompletionMultiLine, "blank line at the end of a block"
	}
	return CompletionMultiLine, "blank line at top level"
}

// onlyCloser reports whether s is blank or one line that closes a block ("}", "end").
func onlyCloser(s string) bool {
	s = strings.TrimSpace(s)
	return s == "" || (!strings.Contains(s, "\n") && startsWithCloser(s))
}

// startsWithCloser reports whether a trimmed line starts by closing a block in one of the
// languages we know.
func startsWithCloser(s string) bool {
	if s == "" {
		return false
	}
	if strings.ContainsRune(")]}", rune(s[0])) {
		return true
	}
	for _, kw := range []string{"end", "fi", "done", "esac", "else", "elif", "except", "finally"} {
		if strings.HasPrefix(s, kw) && (len(s) == len(kw) || !isIdentByte(s[len(kw)])) {
			return true
		}
	}
	return false
}
