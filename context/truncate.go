package codectx

import (
	"bytes"
	"context"
	"strings"
	"time"

	sitter "github.com/smacker/go-tree-sitter"
)

// TruncateBudget is the time budget of each parse that TruncateCompletion makes (it makes
// one, and up to maxTruncateParses when it has to back off from syntax errors).
const TruncateBudget = 50 * time.Millisecond

// maxTruncateParses bounds the parses of one TruncateCompletion.
const maxTruncateParses = 8

// Reasons returned by TruncateCompletion.
const (
	ReasonComplete       = "complete"               // nothing to cut
	ReasonSingleLine     = "single line"            // cut at the first newline
	ReasonClosedBySuffix = "block closed by suffix" // the candidate closes a block the suffix already closes
	ReasonEndOfBlock     = "end of block"           // the candidate goes on past the end of its block
	ReasonEndOfDef       = "end of definition"      // a second definition after the first, at top level or in a class body
	ReasonSyntaxError    = "syntax error"           // the candidate introduces ERROR or MISSING nodes
	ReasonIndentation    = "indentation"            // no tree: the candidate dedents past the cursor's block
	ReasonBadOffset      = "offset out of range"
)

// TruncateCompletion decides how much of a model's candidate to keep when it is inserted at
// byte offset off of snap, and returns that length in bytes of candidate (a prefix; trailing
// whitespace is dropped when something is cut) and the reason (one of the Reason
// constants).
//
// When multiLine is false the candidate is first cut at its first newline. Then the
// document is parsed with the candidate inserted (incrementally from the snapshot's tree,
// under TruncateBudget) and cut:
//   - where the block holding the cursor ends inside the candidate: before the closing token
//     when the document already closes that block after the cursor ("}" the suffix has),
//     after it when the document left the block unclosed, and at the block's last
//     statement for indentation blocks (Python);
//   - for a multi-line candidate at top level or in a class body, after the first complete
//     definition when more follows it;
//   - before the line where the candidate first introduces ERROR or MISSING nodes that the
//     document without it did not have at that place (for a single line, before the error;
//     a MISSING node at the very end — an unfinished line — is not an error).
//
// Without a tree (plain text, failed parse) a multi-line candidate is cut before the first
// line indented less than the cursor's line. An offset outside [0, len(text)] gives
// (0, ReasonBadOffset).
func TruncateCompletion(snap *Snapshot, off int, candidate string, multiLine bool) (cut int, reason string) {
	text := snap.text
	if off < 0 || off > len(text) {
		return 0, ReasonBadOffset
	}
	limit, reason := len(candidate), ReasonComplete
	if !multiLine {
		if i := strings.IndexByte(candidate, '\n'); i >= 0 {
			limit, reason = trimEnd(candidate, i), ReasonSingleLine
		}
	}
	if limit == 0 {
		return 0, reason
	}
	if snap.tree == nil {
		if multiLine {
			if c, ok := indentCut(text, off, candidate[:limit]); ok {
				return c, ReasonIndentation
			}
		}
		return limit, reason
	}

	tr := &truncator{snap: snap, off: off, cand: candidate, multiLine: multiLine, orig: snap.tree}
	if snap.stale {
		// The snapshot's tree was not parsed from its text: parse it first, so that the
		// candidate's errors are compared with the document's real ones.
		base := snap.tree.Copy()
		t, err := parseText(context.Background(), snap.lang, text, base, TruncateBudget)
		base.Close()
		if err != nil {
			if multiLine {
				if c, ok := indentCut(text, off, candidate[:limit]); ok {
					return c, ReasonIndentation
				}
			}
			return limit, reason
		}
		defer t.Close()
		tr.orig = t
	}
	nt, ok := tr.parseWith(limit)
	if !ok {
		if multiLine {
			if c, ok := indentCut(text, off, candidate[:limit]); ok {
				return c, ReasonIndentation
			}
		}
		return limit, reason
	}
	parsedAt := limit
	if c, r, ok := tr.blockCut(nt, limit); ok && c < limit {
		limit, reason = c, r
	}
	if multiLine && limit > 0 {
		if limit != parsedAt {
			nt.Close()
			nt, ok = tr.parseWith(limit)
		}
		if ok {
			if c, ok := tr.definitionCut(nt, limit); ok {
				limit, reason = c, ReasonEndOfDef
			}
		}
	}
	if nt != nil {
		nt.Close()
	}
	if limit > 0 {
		if c, r, ok := tr.errorCut(limit); ok {
			limit, reason = c, r
		}
	}
	return limit, reason
}

// trimEnd returns n reduced past trailing spaces, tabs, '\r' and '\n' of s[:n].
func trimEnd(s string, n int) int {
	return len(strings.TrimRight(s[:n], " \t\r\n"))
}

// truncator holds one TruncateCompletion's state.
type truncator struct {
	snap      *Snapshot
	orig      *sitter.Tree // the tree of snap's text (snap.tree unless it is stale); shared, copy before use
	off       int
	cand      string
	multiLine bool
	parses    int
	origErrs  []errorNode
	origDone  bool
}

// parseWith parses the document with cand[:k] inserted at off, incrementally from the
// snapshot's tree. ok is false when the parse failed or the parse bound is reached.
func (tr *truncator) parseWith(k int) (*sitter.Tree, bool) {
	if tr.parses >= maxTruncateParses {
		return nil, false
	}
	tr.parses++
	s := tr.snap
	ins := tr.cand[:k]
	doc := s.text[:tr.off] + ins + s.text[tr.off:]
	t := tr.orig.Copy()
	sp := pointAt(s.text, tr.off)
	editTree(t, inputEdit{
		startByte: uint32(tr.off), oldEndByte: uint32(tr.off), newEndByte: uint32(tr.off + len(ins)),
		startPoint: sp, oldEndPoint: sp, newEndPoint: advancePoint(sp, ins),
	})
	nt, err := parseText(context.Background(), s.lang, doc, t, TruncateBudget)
	t.Close()
	if err != nil {
		return nil, false
	}
	return nt, true
}

// blockCut finds the node that holds the first node the candidate starts (its container)
// and cuts where that container ends inside the candidate: before its closing token when
// the document already closes it after the cursor, else after it. A container the document
// left unclosed ("foo(bar(" typed so far) may be closed legitimately; then the same test
// goes on with the enclosing container, up to a declaration level (top level, class body),
// where a closed definition is the end of the completion.
func (tr *truncator) blockCut(nt *sitter.Tree, k int) (int, string, bool) {
	p := tr.off
	end := p + trimEnd(tr.cand, k)
	root := nt.RootNode()
	// Descend while a child straddles p.
	node := root
	c := sitter.NewTreeCursor(root)
	defer c.Close()
	for c.GoToFirstChildForByte(uint32(p+1)) >= 0 {
		ch := c.CurrentNode()
		if int(ch.StartByte()) >= p || ch.ChildCount() == 0 {
			break
		}
		node = ch
	}
	var src []byte // doc' text, made when the declaration test needs it
	for {
		kEnd := int(node.EndByte())
		if node.Equal(root) || node.IsError() || kEnd <= p || kEnd > end {
			return 0, "", false
		}
		closer := lastChild(node)
		if closer == nil || int(closer.StartByte()) < p || closer.IsMissing() ||
			(closer.IsNamed() && !tr.snap.lang.isCloser(closer.Type())) {
			// No closing token: an indentation block ends at its last statement (and a
			// comment on that statement's line, which the grammar puts outside it).
			if src == nil {
				src = []byte(tr.snap.text[:p] + tr.cand[:k] + tr.snap.text[p:])
			}
			kEnd = trailingComment(root, src, kEnd, end)
			if kEnd >= end {
				return 0, "", false
			}
			return trimEnd(tr.cand, kEnd-p), ReasonEndOfBlock, true
		}
		if tr.suffixCloses(node) {
			return trimEnd(tr.cand, int(closer.StartByte())-p), ReasonClosedBySuffix, true
		}
		// The candidate closes what the document left open. Climb past the nodes that end
		// with it (a call around its argument list, a function around its body).
		par := node.Parent()
		for par != nil && !par.Equal(root) && int(par.EndByte()) == kEnd {
			par = par.Parent()
		}
		if src == nil {
			src = []byte(tr.snap.text[:p] + tr.cand[:k] + tr.snap.text[p:])
		}
		if par == nil || par.Equal(root) || par.IsError() || tr.isDeclarationBody(par, src) {
			if kEnd = trailingComment(root, src, kEnd, end); kEnd >= end {
				return 0, "", false
			}
			return kEnd - p, ReasonEndOfBlock, true
		}
		node = par
	}
}

// trailingComment returns the end of a comment that starts on the same line after byte at of
// src (spaces and tabs between), when it ends by end; else at. Grammars put such a comment
// outside the statement it annotates, so a cut at the statement's end would drop it.
func trailingComment(root *sitter.Node, src []byte, at, end int) int {
	i := at
	for i < end && (src[i] == ' ' || src[i] == '\t') {
		i++
	}
	if i >= end {
		return at
	}
	n := commentAt(root, i)
	if n == nil {
		return at
	}
	e := int(n.EndByte())
	if e > end || bytes.Contains(bytes.TrimRight(src[i:e], "\r\n"), []byte("\n")) {
		return at
	}
	return len(bytes.TrimRight(src[:e], "\r\n"))
}

// commentAt returns the comment node that starts at byte i, or nil.
func commentAt(root *sitter.Node, i int) *sitter.Node {
	n := root
	for {
		var next *sitter.Node
		for j := range int(n.ChildCount()) {
			if ch := n.Child(j); int(ch.StartByte()) <= i && int(ch.EndByte()) > i {
				next = ch
				break
			}
		}
		if next == nil {
			return nil
		}
		n = next
		if int(n.StartByte()) == i && strings.Contains(n.Type(), "comment") {
			return n
		}
	}
}

// suffixCloses reports whether the original document already closes the container node
// of the candidate's tree (doc'), after the cursor. The original's node of the same type
// and start decides when there is one: it extends past the cursor and ends with a real (not
// MISSING) token. When error recovery left no such node (an unclosed call earlier in the
// function turns it into ERROR), the tokens decide: the container's opening bracket is
// matched against the original's bracket tokens, which the lexer still produces inside
// ERROR nodes and never inside strings or comments.
func (tr *truncator) suffixCloses(node *sitter.Node) bool {
	start, typ := int(node.StartByte()), node.Type()
	t := tr.orig.Copy()
	defer t.Close()
	root := t.RootNode()
	for _, n := range pathAt(root, start) {
		if int(n.StartByte()) != start || n.Type() != typ {
			continue
		}
		if int(n.EndByte()) <= tr.off {
			continue
		}
		last := lastChild(n)
		return last != nil && !last.IsMissing() && last.EndByte() > last.StartByte()
	}
	open := node.Child(0)
	closeTok := lastChild(node)
	if open == nil || closeTok == nil || open.IsNamed() || int(open.StartByte()) >= tr.off {
		return false
	}
	pair := map[string]string{"{": "}", "(": ")", "[": "]"}
	if pair[open.Type()] != closeTok.Type() {
		return false
	}
	at := matchBracket(root, int(open.StartByte()), open.Type(), closeTok.Type())
	return at >= tr.off
}

// maxMatchTokens bounds the tokens matchBracket looks at.
const maxMatchTokens = 20000

// matchBracket returns the start of the token that closes the opening bracket token at
// byte offset at (of type open), or -1 when it is not closed within maxMatchTokens tokens.
// Zero-width (MISSING) tokens do not count.
func matchBracket(root *sitter.Node, at int, open, close string) int {
	c := sitter.NewTreeCursor(root)
	defer c.Close()
	// Down to the leaf that starts at the opening bracket.
	for c.GoToFirstChildForByte(uint32(at+1)) >= 0 {
	}
	if n := c.CurrentNode(); int(n.StartByte()) != at || n.Type() != open {
		return -1
	}
	depth := 0
	for i := 0; i < maxMatchTokens; i++ {
		n := c.CurrentNode()
		if n.ChildCount() == 0 && n.EndByte() > n.StartByte() {
			switch n.Type() {
			case open:
				depth++
			case close:
				depth--
				if depth == 0 {
					return int(n.StartByte())
				}
			}
		}
		// Next node in document order: first child, else next sibling, else up.
		if c.GoToFirstChild() {
			continue
		}
		for !c.GoToNextSibling() {
			if !c.GoToParent() {
				return -1
			}
		}
	}
	return -1
}

// definitionCut applies the one-definition rule: in a declaration container (the root, or
// the body of a class, interface, impl or module), keep the candidate up to the end of the
// first complete definition it writes when more follows it.
func (tr *truncator) definitionCut(nt *sitter.Tree, k int) (int, bool) {
	p := tr.off
	end := p + trimEnd(tr.cand, k)
	root := nt.RootNode()
	node := root
	c := sitter.NewTreeCursor(root)
	defer c.Close()
	for c.GoToFirstChildForByte(uint32(p+1)) >= 0 {
		ch := c.CurrentNode()
		if int(ch.StartByte()) >= p || ch.ChildCount() == 0 {
			break
		}
		node = ch
	}
	src := []byte(tr.snap.text[:p] + tr.cand[:k] + tr.snap.text[p:])
	if !node.Equal(root) && !tr.isDeclarationBody(node, src) {
		return 0, false
	}
	cq := tr.snap.lang.queries.definitions
	cnt := int(node.ChildCount())
	firstEnd := -1
	for i := 0; i < cnt; i++ {
		ch := node.Child(i)
		s, e := int(ch.StartByte()), int(ch.EndByte())
		if s < p || !ch.IsNamed() || tr.snap.lang.isComment(ch.Type()) {
			continue
		}
		if s >= end {
			break
		}
		if firstEnd >= 0 {
			return trimEnd(tr.cand, firstEnd-p), true
		}
		if e > end {
			break
		}
		for _, d := range queryDefinitions(cq, ch, src, nil, 0, true) {
			if scopeKindOpensBody(d.kind) {
				firstEnd = e
				break
			}
		}
	}
	return 0, false
}

// isDeclarationBody reports whether n is the body of a class, interface, impl or module
// definition (where members are declared one after another), or the root. src is the text
// n's tree was parsed from.
func (tr *truncator) isDeclarationBody(n *sitter.Node, src []byte) bool {
	par := n.Parent()
	if par == nil {
		return true
	}
	for _, d := range queryDefinitions(tr.snap.lang.queries.definitions, par, src, nil, 0, true) {
		switch d.kind {
		case KindClass, KindInterface, KindImpl, KindModule:
			return true
		}
	}
	return false
}

// errorCut backs off from syntax errors the candidate introduces: it returns a shorter
// length, the reason and true when cand[:k] makes the tree worse.
func (tr *truncator) errorCut(k int) (int, string, bool) {
	if !tr.origDone {
		t := tr.orig.Copy()
		tr.origErrs = collectErrors(t.RootNode())
		t.Close()
		tr.origDone = true
	}
	cut := false
	for k > 0 {
		nt, ok := tr.parseWith(k)
		if !ok {
			return k, ReasonSyntaxError, cut
		}
		q := tr.firstNewError(collectErrors(nt.RootNode()), k)
		nt.Close()
		if q < 0 {
			return k, ReasonSyntaxError, cut
		}
		cut = true
		// The commonest cause: the candidate ends with the closers that the text after
		// the cursor starts with ("a, b)" before ")"). Try without them first.
		if n := repeatedClosers(tr.cand[:trimEnd(tr.cand, k)], tr.snap.text[tr.off:]); n > 0 {
			k2 := trimEnd(tr.cand, trimEnd(tr.cand, k)-n)
			if nt2, ok := tr.parseWith(k2); ok {
				q2 := tr.firstNewError(collectErrors(nt2.RootNode()), k2)
				nt2.Close()
				if q2 < 0 {
					return k2, ReasonClosedBySuffix, true
				}
			}
		}
		rel := q - tr.off
		nl := strings.LastIndexByte(tr.cand[:rel], '\n')
		switch {
		case rel >= k:
			// An error after the candidate (in the suffix): drop its last line.
			nl = strings.LastIndexByte(tr.cand[:trimEnd(tr.cand, k)], '\n')
			if nl < 0 || !tr.multiLine {
				return 0, ReasonSyntaxError, true
			}
			k = trimEnd(tr.cand, nl)
		case nl > 0 && tr.multiLine:
			k = trimEnd(tr.cand, nl)
		default:
			k = trimEnd(tr.cand, rel)
		}
	}
	return k, ReasonSyntaxError, cut
}

// repeatedClosers returns the length of the longest run of closing brackets and quotes at
// the end of cand that the text after the cursor (after spaces) starts with.
func repeatedClosers(cand, after string) int {
	after = strings.TrimLeft(after, " \t")
	best := 0
	for n := 1; n <= len(cand) && n <= len(after); n++ {
		tail := cand[len(cand)-n:]
		if !strings.ContainsRune(")]}\"'`;", rune(tail[0])) {
			break
		}
		if strings.HasPrefix(after, tail) {
			best = n
		}
	}
	return best
}

// firstNewError returns the position (in the document with cand[:k] inserted) of the first
// error node that the original document does not have at the same place, or -1. Errors
// after the candidate count only for a multi-line candidate (a single line is often
// unfinished by nature: "if x {"). A MISSING node at the end of the candidate is
// unfinished text, not an error.
func (tr *truncator) firstNewError(errs []errorNode, k int) int {
	p := tr.off
	end := p + k
	tend := p + trimEnd(tr.cand, k)
	// has reports whether the original has an error overlapping e (shifted into the
	// original's coordinates): tree-sitter's recovery may draw the same error's bounds a
	// little differently once the text around it changed.
	has := func(e errorNode, shift int) bool {
		for _, o := range tr.origErrs {
			if o.start+shift <= e.end && e.start <= o.end+shift {
				return true
			}
		}
		return false
	}
	origAtCursor := false
	for _, o := range tr.origErrs {
		if o.start <= p && p <= o.end && !o.missing {
			origAtCursor = true
		}
	}
	for _, e := range errs {
		switch {
		case e.end <= p && e.start < p:
			// Entirely in the prefix.
			if !has(e, 0) && !origAtCursor {
				return p
			}
		case e.start >= end && e.start > p:
			if tr.multiLine && !has(e, k) {
				return end
			}
		case e.missing:
			if e.start < tend {
				return e.start
			}
		case e.start >= p:
			return e.start
		default:
			// An ERROR that starts before the cursor and reaches into the candidate.
			if !origAtCursor {
				return p
			}
		}
	}
	return -1
}

// indentCut cuts a multi-line candidate before its first non-blank line (after the first)
// indented less than the cursor's line. ok is false when nothing is cut.
func indentCut(text string, off int, cand string) (int, bool) {
	ls := lineStart(text, off)
	base := indentWidth(text[ls:off])
	if !isBlank(text[ls:off]) {
		base = indentWidth(text[ls:lineEnd(text, off)])
	}
	i := strings.IndexByte(cand, '\n')
	for i >= 0 {
		s := i + 1
		e := strings.IndexByte(cand[s:], '\n')
		lineEndAt := len(cand)
		if e >= 0 {
			lineEndAt = s + e
		}
		line := cand[s:lineEndAt]
		if !isBlank(line) && indentWidth(line) < base {
			return trimEnd(cand, i), true
		}
		if e < 0 {
			break
		}
		i = lineEndAt
	}
	return 0, false
}
