package completion

import (
	"slices"
	"strings"
	"sync"
)

// The prompt anchor keeps a document's prompt stable while the user types on, so that each
// request evaluates only the tokens typed since the last one.
//
// A FIM prompt is [snippets] PRE prefix SUF suffix MID typed (PSM; SPM orders it suffix
// first). ChooseWindow splits at the start of the cursor line, so pressing Enter moves a line
// from "typed" into "prefix", and everything after it in the prompt — the whole suffix in PSM,
// some hundred tokens — must be evaluated again: on a 0.5B model on two cores that is 1-2 s,
// longer than the pause at the start of a line, which is exactly when ghost text is wanted.
// With an anchor the split stays where it was: the lines typed since then stay in "typed"
// (the middle the model continues), the prefix, suffix and snippets are the same strings as
// before, and the KV cache holds all of them. The anchor moves (a fresh window is chosen)
// when the text before it or after the cursor changed, the cursor went before it, or the
// typed part grew past maxAnchorTyped.

// maxAnchorTyped caps the text kept after the anchor, bytes (about 100-150 tokens of code):
// past it the window is chosen afresh, so that the prefix budget is not exceeded for long.
const maxAnchorTyped = 512

// anchor is the window of a document's last prompt.
type anchor struct {
	prefixStart, lineStart int    // as in Window
	prefix                 string // doc[prefixStart:lineStart]
	suffix                 string // doc[cursor:suffixEnd] of the window
	snippets               []Snippet
}

// anchors holds one anchor per document URI.
type anchors struct {
	mu sync.Mutex
	m  map[string]*anchor
}

// window returns the anchored window of uri for doc and cursor, when the anchor still holds.
func (as *anchors) window(uri, doc string, cursor int) (Window, []Snippet, bool) {
	as.mu.Lock()
	a := as.m[uri]
	as.mu.Unlock()
	if a == nil || cursor < a.lineStart || cursor-a.lineStart > maxAnchorTyped || cursor > len(doc) ||
		a.lineStart > len(doc) || doc[a.prefixStart:a.lineStart] != a.prefix || !strings.HasPrefix(doc[cursor:], a.suffix) {
		return Window{}, nil, false
	}
	return Window{PrefixStart: a.prefixStart, LineStart: a.lineStart, Cursor: cursor, SuffixEnd: cursor + len(a.suffix)},
		a.snippets, true
}

// set records w (chosen afresh for doc) and its snippets as uri's anchor.
func (as *anchors) set(uri, doc string, w Window, snippets []Snippet) {
	as.mu.Lock()
	defer as.mu.Unlock()
	if as.m == nil {
		as.m = map[string]*anchor{}
	}
	as.m[uri] = &anchor{prefixStart: w.PrefixStart, lineStart: w.LineStart, prefix: doc[w.PrefixStart:w.LineStart],
		suffix: doc[w.Cursor:w.SuffixEnd], snippets: slices.Clone(snippets)}
}

// forget drops uri's anchor; with uri == "" every anchor (the budget or model changed).
func (as *anchors) forget(uri string) {
	as.mu.Lock()
	defer as.mu.Unlock()
	if uri == "" {
		as.m = nil
		return
	}
	delete(as.m, uri)
}
