package codectx

import (
	"fmt"
	"sort"
	"strings"

	sitter "github.com/smacker/go-tree-sitter"
)

// CursorContext is what the syntax says about a cursor, for the prompt builder.
// All offsets are bytes into the UTF-8 text of the snapshot named by URI (for Scopes and
// Imports) or of the document named in each item.
type CursorContext struct {
	URI      string
	Version  int32
	Offset   int    // the cursor, bytes
	Language string // Language.Name

	// Completion is the completion type at the cursor and CompletionReason why
	// (CompletionTypeAt).
	Completion       CompletionType
	CompletionReason string

	// Scopes are the definitions enclosing the cursor, innermost first.
	Scopes []Scope
	// Imports are the file's imports in document order.
	Imports []Import
	// Definitions of identifiers used near the cursor, found in this document or in another
	// open (or recently closed) document of the same language family; the nearest use first.
	Definitions []Definition
	// Snippets of other documents ranked by similarity to the code around the cursor,
	// highest Score first, for a packer to take greedily until its token budget is spent.
	Snippets []Snippet
}

// Import is one import statement (or #include, use, require...) of a document.
type Import struct {
	Start, End int // byte range in the document
	Text       string
}

// Definition is the definition of an identifier used near the cursor.
type Definition struct {
	Name string
	Kind string // KindFunction, KindType, ...
	URI  string // the document that defines it
	// Start and End are the byte range of the whole definition in that document, with the
	// comment lines right above it (doc comments, attributes, decorators).
	Start, End int
	Line       int // 0-based line of Start
	// Text is the document's [Start, End) text, or a prefix of it cut at a line end when
	// Truncated: a long function keeps its signature only, a long type its first lines.
	Text      string
	Truncated bool
}

// ContextOptions tune [Workspace.Context]. Zero fields take the defaults below.
type ContextOptions struct {
	// WindowBefore and WindowAfter are the lines before and after the cursor line whose
	// identifiers are looked up for definitions and tokenized as the snippet query (the
	// window is also clipped to the innermost enclosing function). Defaults 30 and 10.
	WindowBefore, WindowAfter int
	// MaxDefinitions (default 12) and MaxDefinitionLines (default 20) bound the definitions
	// and the length of each; MaxDefinitionBytes (default 2000) bounds each text in bytes.
	MaxDefinitions     int
	MaxDefinitionLines int
	MaxDefinitionBytes int
	// MaxSnippets (default 8) snippets of SnippetLines (default 16) lines are returned, each
	// scoring at least MinSnippetScore (default 0.05). A negative MaxSnippets turns snippets
	// off.
	MaxSnippets     int
	SnippetLines    int
	MinSnippetScore float64
	// SameFileSnippets also ranks chunks of the cursor's own document that do not overlap
	// the window around the cursor.
	SameFileSnippets bool
}

func (o ContextOptions) withDefaults() ContextOptions {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&o.WindowBefore, 30)
	def(&o.WindowAfter, 10)
	def(&o.MaxDefinitions, 12)
	def(&o.MaxDefinitionLines, 20)
	def(&o.MaxDefinitionBytes, 2000)
	def(&o.MaxSnippets, 8)
	def(&o.SnippetLines, 16)
	if o.MinSnippetScore == 0 {
		o.MinSnippetScore = 0.05
	}
	return o
}

// Context gathers the cursor context of byte offset off in snap, using the other open and
// recently closed documents of the workspace as sources of definitions and snippets (the
// current snapshot of snap's URI is never a source of snippets unless SameFileSnippets).
// Errors: ErrBadOffset (wrapped) when off is outside [0, len(snap.Text())].
func (w *Workspace) Context(snap *Snapshot, off int, opts ContextOptions) (*CursorContext, error) {
	return GatherContext(snap, off, w.Snapshots(snap.uri), opts)
}

// GatherContext is [Workspace.Context] with explicit sources: others are the snapshots of
// the other documents, in order of preference.
func GatherContext(snap *Snapshot, off int, others []*Snapshot, opts ContextOptions) (*CursorContext, error) {
	if off < 0 || off > len(snap.text) {
		return nil, fmt.Errorf("%w: %d not in [0, %d] of %s", ErrBadOffset, off, len(snap.text), snap.uri)
	}
	opts = opts.withDefaults()
	cc := &CursorContext{URI: snap.uri, Version: snap.version, Offset: off, Language: snap.lang.Name}
	cc.Completion, cc.CompletionReason = CompletionTypeAt(snap, off)
	cc.Scopes = snap.scopesAt(off)
	idx := snap.definitions()
	cc.Imports = append([]Import(nil), idx.imports...)

	// The window around the cursor, clipped to the innermost function.
	text := snap.text
	winStart := linesBack(text, off, opts.WindowBefore)
	winEnd := linesForward(text, off, opts.WindowAfter)
	for _, sc := range cc.Scopes {
		if sc.Kind == KindFunction || sc.Kind == KindMethod {
			winStart, winEnd = max(winStart, sc.Start), min(winEnd, sc.End)
			break
		}
	}
	names := snap.identifiersNear(winStart, winEnd, off)
	cc.Definitions = findDefinitions(snap, names, others, cc.Scopes, winStart, winEnd, opts)

	if opts.MaxSnippets > 0 {
		// The query is the code before the cursor in the window plus the rest of its line.
		qStart := linesBack(text, off, opts.SnippetLines)
		query := tokenSet(text[qStart:lineEnd(text, off)])
		sources := others
		exclURI := ""
		if opts.SameFileSnippets {
			sources = append([]*Snapshot{snap}, others...)
			exclURI = snap.uri
		}
		cc.Snippets = rankSnippets(query, sources, opts.SnippetLines, opts.MaxSnippets, opts.MinSnippetScore,
			exclURI, min(winStart, qStart), winEnd)
	}
	return cc, nil
}

// identifiersNear returns the distinct identifiers used in [start, end), nearest to off
// first. With a tree they are the identifier leaves (so words in comments and strings do
// not count); without one, runs of identifier bytes.
func (s *Snapshot) identifiersNear(start, end, off int) []string {
	type use struct {
		name string
		dist int
	}
	var uses []use
	add := func(name string, at int) {
		d := at - off
		if d < 0 {
			d = -d
		}
		uses = append(uses, use{name, d})
	}
	if s.tree != nil {
		t := s.tree.Copy()
		defer t.Close()
		c := sitter.NewTreeCursor(t.RootNode())
		defer c.Close()
		// Depth-first walk of the nodes that overlap [start, end): jump to the first child
		// ending after start, stop at the first one starting at or after end.
		var walk func(n *sitter.Node)
		walk = func(n *sitter.Node) {
			if n.ChildCount() == 0 {
				if n.IsNamed() && isIdentifierType(n.Type()) {
					a := int(n.StartByte())
					add(s.text[a:n.EndByte()], a)
				}
				return
			}
			if c.GoToFirstChildForByte(uint32(start+1)) < 0 {
				return
			}
			for {
				ch := c.CurrentNode()
				if int(ch.StartByte()) >= end {
					break
				}
				walk(ch)
				if !c.GoToNextSibling() {
					break
				}
			}
			c.GoToParent()
		}
		walk(t.RootNode())
	} else {
		seg := s.text[start:end]
		for i := 0; i < len(seg); {
			if !isIdentByte(seg[i]) {
				i++
				continue
			}
			j := i
			for j < len(seg) && isIdentByte(seg[j]) {
				j++
			}
			if !('0' <= seg[i] && seg[i] <= '9') {
				add(seg[i:j], start+i)
			}
			i = j
		}
	}
	sort.SliceStable(uses, func(i, j int) bool { return uses[i].dist < uses[j].dist })
	seen := map[string]bool{}
	var out []string
	for _, u := range uses {
		if !seen[u.name] {
			seen[u.name] = true
			out = append(out, u.name)
		}
	}
	return out
}

// isIdentifierType reports whether a leaf node type names something (identifier,
// type_identifier, field_identifier, Ruby's constant, Bash's variable_name ...).
func isIdentifierType(typ string) bool {
	return strings.HasSuffix(typ, "identifier") || typ == "constant" || typ == "variable_name" || typ == "word"
}

// family groups languages whose files refer to each other's definitions.
func family(l *Language) string {
	switch l.Name {
	case "typescript", "typescriptreact", "javascript":
		return "js"
	case "c", "cpp":
		return "c"
	}
	return l.Name
}

// maxPerName bounds the definitions of one name (a method name defined on many types).
const maxPerName = 2

func findDefinitions(snap *Snapshot, names []string, others []*Snapshot, scopes []Scope, winStart, winEnd int, opts ContextOptions) []Definition {
	var out []Definition
	fam := family(snap.lang)
	sources := []*Snapshot{snap}
	for _, o := range others {
		if o.tree != nil && family(o.lang) == fam {
			sources = append(sources, o)
		}
	}
	for _, name := range names {
		if len(out) >= opts.MaxDefinitions {
			break
		}
		if len(name) < 2 {
			continue
		}
		n := 0
		for _, src := range sources {
			idx := src.definitions()
			for _, i := range idx.byName[name] {
				d := idx.defs[i]
				if d.kind == KindImpl || n >= maxPerName || len(out) >= opts.MaxDefinitions {
					continue
				}
				if src == snap {
					// Already in view: the definition holding the cursor and those that
					// overlap the window.
					if d.start <= winEnd && winStart <= d.end {
						continue
					}
				}
				out = append(out, src.definition(d, opts))
				n++
			}
		}
	}
	return out
}

// definition returns the Definition of d with its comment lines above and its text cut to
// the limits: a function or method longer than the limits keeps its header only.
func (s *Snapshot) definition(d defEntry, opts ContextOptions) Definition {
	text := s.text
	start := s.commentStart(d.start)
	full := text[start:d.end]
	def := Definition{Name: d.name, Kind: d.kind, URI: s.uri, Start: start, End: d.end,
		Line: strings.Count(text[:start], "\n")}
	fits := strings.Count(full, "\n") < opts.MaxDefinitionLines && len(full) <= opts.MaxDefinitionBytes
	switch {
	case fits:
		def.Text = full
	case (d.kind == KindFunction || d.kind == KindMethod) && d.bodyStart > d.start:
		def.Text = strings.TrimRight(text[start:d.bodyStart], " \t\r\n")
		def.Truncated = true
	default:
		def.Text = cutLines(full, opts.MaxDefinitionLines, opts.MaxDefinitionBytes)
		def.Truncated = true
	}
	if len(def.Text) > opts.MaxDefinitionBytes {
		def.Text = cutLines(def.Text, opts.MaxDefinitionLines, opts.MaxDefinitionBytes)
		def.Truncated = true
	}
	return def
}

// cutLines returns the longest prefix of s made of whole lines (without the final newline)
// that has at most maxLines lines and maxBytes bytes; when even the first line is too long,
// its first maxBytes bytes cut back to a UTF-8 boundary.
func cutLines(s string, maxLines, maxBytes int) string {
	end, lines := 0, 0
	for end < len(s) && lines < maxLines {
		e := strings.IndexByte(s[end:], '\n')
		next := len(s)
		if e >= 0 {
			next = end + e
		}
		if next > maxBytes {
			break
		}
		end = next
		lines++
		if e < 0 {
			break
		}
		end++ // past the newline, for the next line
	}
	out := strings.TrimRight(s[:end], "\r\n")
	if out == "" && len(s) > 0 {
		n := min(maxBytes, len(s))
		for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
			n--
		}
		out = s[:n]
	}
	return out
}

// commentStart returns the start of the run of comment, attribute and decorator lines right
// above the line of start (at most 20 lines), or start.
func (s *Snapshot) commentStart(start int) int {
	text := s.text
	ls := lineStart(text, start)
	if !isBlank(text[ls:start]) {
		return start
	}
	best := start
	for i := 0; i < 20 && ls > 0; i++ {
		pls := lineStart(text, ls-1)
		line := strings.TrimSpace(text[pls : ls-1])
		if !isCommentLine(s.lang, line) {
			break
		}
		best = pls + indentWidth(text[pls:ls-1])
		ls = pls
	}
	return best
}

func isCommentLine(l *Language, line string) bool {
	if line == "" {
		return false
	}
	var prefixes []string
	switch l.Name {
	case "python":
		prefixes = []string{"#", "@"}
	case "ruby", "shellscript":
		prefixes = []string{"#"}
	case "lua":
		prefixes = []string{"--"}
	case "rust":
		prefixes = []string{"//", "#[", "/*", "*"}
	case "java", "typescript", "typescriptreact", "javascript":
		prefixes = []string{"//", "/*", "*", "@"}
	default:
		prefixes = []string{"//", "/*", "*"}
	}
	for _, p := range prefixes {
		if strings.HasPrefix(line, p) {
			return true
		}
	}
	return false
}
