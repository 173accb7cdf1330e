package codectx

import (
	"sort"
	"strings"
	"sync"

	sitter "github.com/smacker/go-tree-sitter"
)

// Kinds of definitions, as the definitions.scm queries name them (@definition.KIND).
const (
	KindFunction  = "function"
	KindMethod    = "method"
	KindClass     = "class"
	KindInterface = "interface"
	KindType      = "type"
	KindConstant  = "constant"
	KindVariable  = "variable"
	KindModule    = "module"
	KindMacro     = "macro"
	KindImpl      = "impl" // a Rust impl block: a scope, not a definition of its type
)

// docIndex lists the definitions and imports of one snapshot.
//
// It is maintained incrementally: the index of the last snapshot for which one was built is
// the base, and only the region where the texts differ (common prefix and suffix) is
// queried in the new tree; definitions outside that region are carried over, shifted. This
// keeps a keystroke's cost proportional to the edit, and keeps the definitions of unchanged
// text while tree-sitter's error recovery turns the rest of the file into ERROR nodes (an
// unclosed bracket does that to everything after it).
type docIndex struct {
	text string
	// clean is the latest tree without errors among this index's ancestors (or its own),
	// with its text: the reference for ts_tree_get_changed_ranges.
	clean   *cleanTree
	defs    []defEntry       // by start
	byName  map[string][]int // name → indexes into defs
	imports []Import         // by start
	// incremental counts the builds since the last full one.
	incremental int
	// dirty marks [dirtyStart, dirtyEnd) as indexed from a tree with errors: its
	// definitions are queried again once the tree is clean.
	dirty                bool
	dirtyStart, dirtyEnd int
}

// cleanTree is a parsed text whose tree has no ERROR or MISSING node.
type cleanTree struct {
	tree *sitter.Tree
	text string
}

// defEntry is one definition found by the query, in absolute byte offsets.
type defEntry struct {
	name       string
	kind       string
	start, end int // the definition node (widened over single-child wrappers)
	bodyStart  int // start of its body, or -1
	// nameStart and nameEnd are the range of the @name capture: the query finds the
	// definition again from any range that holds its name.
	nameStart, nameEnd int
}

// shift moves the entry by delta bytes.
func (d *defEntry) shift(delta int) {
	d.start += delta
	d.end += delta
	d.nameStart += delta
	d.nameEnd += delta
	if d.bodyStart >= 0 {
		d.bodyStart += delta
	}
}

// indexCache carries the last index of a document from one snapshot to the next.
type indexCache struct {
	mu   sync.Mutex
	last *docIndex
}

// Limits of the index maintenance.
const (
	// maxIncremental incremental builds are followed by a full one (when the tree has no
	// error), so that carried-over definitions cannot drift for ever.
	maxIncremental = 512
	// A changed region longer than this share of the document is indexed in full.
	maxIncrementalShare = 4
	// defsMaxDepth and importsMaxDepth bound how deep in the tree the queries start
	// patterns (ts_query_cursor_set_max_start_depth): deep enough for members of classes in
	// namespaces (translation_unit > namespace > declaration_list > class > body > method),
	// and for imports under #ifdef or try; not into expressions, which is most of a tree.
	defsMaxDepth    = 6
	importsMaxDepth = 3
)

// wrapperTypes are node types that only wrap one definition and whose text belongs to it
// ("export const K = 1", "type T struct{}", "const c = 1").
var wrapperTypes = map[string]bool{
	"type_declaration": true, "const_declaration": true, "var_declaration": true,
	"lexical_declaration": true, "variable_declaration": true, "export_statement": true,
	"expression_statement": true, "ambient_declaration": true, "declaration": true,
}

// bodyTypes are the node types of bodies when a grammar gives them no "body" field.
var bodyTypes = map[string]bool{
	"function_body": true, "block": true, "compound_statement": true, "declaration_list": true,
	"class_body": true, "field_declaration_list": true, "body_statement": true,
	"statement_block": true, "interface_body": true, "enum_body": true,
}

// Context of a node for the definitions query: what encloses it.
const (
	inFunction = 1 << iota // constants and variables are locals
	inClass                // functions are methods
)

// definitions returns the snapshot's index, computing it on first use.
func (s *Snapshot) definitions() *docIndex {
	s.indexOnce.Do(func() { s.index = s.buildIndex() })
	return s.index
}

func (s *Snapshot) buildIndex() *docIndex {
	if s.tree == nil || s.lang.queries == nil {
		return &docIndex{text: s.text, byName: map[string][]int{}}
	}
	var base *docIndex
	if s.cache != nil {
		s.cache.mu.Lock()
		base = s.cache.last
		s.cache.mu.Unlock()
	}
	t := s.tree.Copy()
	defer t.Close()
	root := t.RootNode()
	var idx *docIndex
	if base != nil && (base.incremental < maxIncremental || root.HasError()) {
		idx = s.incrementalIndex(t, base)
	}
	if idx == nil {
		idx = s.fullIndex(root)
	}
	if !root.HasError() {
		idx.clean = &cleanTree{tree: s.tree.Copy(), text: s.text}
	} else if base != nil {
		idx.clean = base.clean
	}
	if s.cache != nil {
		s.cache.mu.Lock()
		s.cache.last = idx
		s.cache.mu.Unlock()
	}
	return idx
}

// fullIndex queries the whole tree.
func (s *Snapshot) fullIndex(root *sitter.Node) *docIndex {
	qs := s.lang.queries
	src := s.src()
	idx := &docIndex{text: s.text, defs: queryDefinitions(qs.definitions, root, src, nil, 0, false)}
	if root.HasError() {
		// Indexed from a broken tree: all of it is queried again once the tree is clean.
		idx.dirty, idx.dirtyStart, idx.dirtyEnd = true, 0, len(s.text)
	}
	for _, r := range appendImports(nil, qs.imports, root, src, 0, nil) {
		idx.imports = append(idx.imports, Import{Start: r[0], End: r[1], Text: strings.TrimSpace(s.text[r[0]:r[1]])})
	}
	idx.finish()
	return idx
}

// incrementalIndex builds the index from base, or returns nil when a full build is better.
//
// The region queried again is the text that changed since base, widened by base's dirty
// region and, when the new tree has no error, by the ranges whose syntax changed since the
// latest clean tree (ts_tree_get_changed_ranges: opening a comment changes the syntax of
// text that did not change). When the new tree has errors, its syntax outside the changed
// text is not trusted (error recovery wraps everything after an unclosed bracket in ERROR
// nodes), and base's definitions there are kept.
func (s *Snapshot) incrementalIndex(t *sitter.Tree, base *docIndex) *docIndex {
	root := t.RootNode()
	p, qOld, qNew := diffRegion(base.text, s.text)
	delta := qNew - qOld
	hasErr := root.HasError()
	qs, qe := p, qNew // the region to query, new coordinates
	if !hasErr && base.clean != nil {
		c := base.clean
		cp, cqOld, cqNew := diffRegion(c.text, s.text)
		old := c.tree.Copy()
		sp := pointAt(s.text, cp)
		editTree(old, inputEdit{
			startByte: uint32(cp), oldEndByte: uint32(cqOld), newEndByte: uint32(cqNew),
			startPoint: sp, oldEndPoint: pointAt(c.text, cqOld), newEndPoint: pointAt(s.text, cqNew),
		})
		if cs, ce, ok := changedRange(old, t); ok {
			qs, qe = min(qs, cs), max(qe, ce)
		}
		old.Close()
	}
	if base.dirty {
		mapPos := func(x int) int {
			switch {
			case x <= p:
				return x
			case x >= qOld:
				return x + delta
			}
			return p
		}
		qs, qe = min(qs, mapPos(base.dirtyStart)), max(qe, mapPos(base.dirtyEnd))
	}
	qe = min(max(qe, qs), len(s.text))
	if (qe-qs)*maxIncrementalShare > len(s.text) {
		return nil
	}
	// The same region in base's coordinates: [qs, qe - delta).
	oldQs, oldQe := qs, qe-delta

	// Sort base's definitions out: those wholly before or after the region are kept, moved;
	// those that overlap it are dropped and found again by the query, whose range is widened
	// to their names (a wrapper can start before the region while the node the query
	// matches, and its name, come after it: "var" typed before "\nconst x = 1").
	var kept []defEntry
	rs, re := qs, qe // query range, new coordinates
	for _, d := range base.defs {
		switch {
		// Strictly before or after: typing right at a definition's edge can change it
		// ("D" + "E" renames D).
		case d.end < oldQs:
		case d.start > oldQe:
			d.shift(delta)
		case d.start < oldQs && d.end > oldQe && (hasErr || d.nameEnd < oldQs):
			// Holds the whole region, name before it: the function being typed in. Kept
			// (the query finds it again when the tree is clean; while it is broken the
			// query may not, and the old extent, moved, is the better guess).
			d.end += delta
			if d.bodyStart >= oldQe {
				d.bodyStart += delta
			} else if d.bodyStart >= oldQs {
				d.bodyStart = -1
			}
		default:
			ns, ne := d.nameStart, d.nameEnd
			if ns >= oldQe {
				ns, ne = ns+delta, ne+delta
			}
			rs, re = min(rs, ns), max(re, min(ne, len(s.text)))
			continue
		}
		kept = append(kept, d)
	}

	qs2 := s.lang.queries
	src := s.src()
	rng := &pointRange{start: pointAt(s.text, max(rs-1, 0)), end: pointAt(s.text, re)}
	idx := &docIndex{text: s.text, incremental: base.incremental + 1}
	fresh := queryDefinitions(qs2.definitions, root, src, rng, 0, false)
	if hasErr {
		// Everything indexed from this broken tree is queried again once it is clean.
		ds, de := min(qs, rs), max(qe, re)
		for _, d := range fresh {
			ds, de = min(ds, d.start), max(de, d.end)
		}
		idx.dirty, idx.dirtyStart, idx.dirtyEnd = true, ds, de
	}
	type key struct {
		start int
		name  string
	}
	seen := make(map[key]bool, len(fresh))
	for _, d := range fresh {
		seen[key{d.start, d.name}] = true
	}
	idx.defs = make([]defEntry, 0, len(kept)+len(fresh))
	for _, d := range kept {
		if !seen[key{d.start, d.name}] {
			idx.defs = append(idx.defs, d)
		}
	}
	idx.defs = append(idx.defs, fresh...)
	sort.SliceStable(idx.defs, func(i, j int) bool { return idx.defs[i].start < idx.defs[j].start })

	freshImps := appendImports(nil, qs2.imports, root, src, 0, rng)
	impSeen := make(map[int]bool, len(freshImps))
	for _, r := range freshImps {
		impSeen[r[0]] = true
	}
	for _, im := range base.imports {
		switch {
		case im.End < oldQs:
		case im.Start > oldQe:
			im.Start += delta
			im.End += delta
		default:
			continue
		}
		if !impSeen[im.Start] {
			idx.imports = append(idx.imports, im)
		}
	}
	for _, r := range freshImps {
		idx.imports = append(idx.imports, Import{Start: r[0], End: r[1], Text: strings.TrimSpace(s.text[r[0]:r[1]])})
	}
	sort.SliceStable(idx.imports, func(i, j int) bool { return idx.imports[i].Start < idx.imports[j].Start })
	idx.finish()
	return idx
}

func (idx *docIndex) finish() {
	idx.byName = make(map[string][]int, len(idx.defs))
	for i, d := range idx.defs {
		idx.byName[d.name] = append(idx.byName[d.name], i)
	}
}

// diffRegion returns the region where old and new differ: they share [0, p) and old[qOld:]
// equals new[qNew:], with p <= qOld and p <= qNew.
func diffRegion(old, new string) (p, qOld, qNew int) {
	// Compare 4 KiB blocks first (memequal), then bytes.
	const block = 4096
	n := min(len(old), len(new))
	for p+block <= n && old[p:p+block] == new[p:p+block] {
		p += block
	}
	for p < n && old[p] == new[p] {
		p++
	}
	qOld, qNew = len(old), len(new)
	for qOld-block >= p && qNew-block >= p && old[qOld-block:qOld] == new[qNew-block:qNew] {
		qOld -= block
		qNew -= block
	}
	for qOld > p && qNew > p && old[qOld-1] == new[qNew-1] {
		qOld--
		qNew--
	}
	return p, qOld, qNew
}

// pointRange is a query range in tree-sitter points (rows and byte columns).
type pointRange struct{ start, end sitter.Point }

// appendImports runs the imports query on node (restricted to matches intersecting rng when
// it is not nil) and appends the ranges of the @import captures relative to base, in
// document order.
func appendImports(out [][2]int, cq *compiledQuery, node *sitter.Node, src []byte, base int, rng *pointRange) [][2]int {
	seen := map[[2]int]bool{}
	n0 := len(out)
	cq.runDepth(node, src, rng, importsMaxDepth, func(_ int, caps []captured) {
		for _, c := range caps {
			if c.name != captureImport {
				continue
			}
			r := [2]int{int(c.node.StartByte()) - base, int(c.node.EndByte()) - base}
			if !seen[r] {
				seen[r] = true
				out = append(out, r)
			}
		}
	})
	added := out[n0:]
	sort.Slice(added, func(i, j int) bool { return added[i][0] < added[j][0] })
	return out
}

// queryDefinitions runs the definitions query on node (restricted to matches intersecting
// rng when it is not nil) and returns the definitions in document order, absolute offsets. One definition node yields one entry: the first pattern that matched it wins.
// Functions inside a class, interface or impl become methods; constants and variables
// inside a function or method are locals and are dropped; ctx says what encloses node. With
// own, only the definition that is node itself (after widening over wrappers) is returned.
func queryDefinitions(cq *compiledQuery, node *sitter.Node, src []byte, rng *pointRange, ctx int, own bool) []defEntry {
	type found struct {
		defEntry
		pattern int
	}
	byRange := map[[2]int]int{}
	var all []found
	depth := defsMaxDepth
	if own {
		// Patterns rooted at node or at a wrapped child (export > lexical > declarator).
		depth = 2
	}
	ns, ne := int(node.StartByte()), int(node.EndByte())
	cq.runDepth(node, src, rng, depth, func(pattern int, caps []captured) {
		var def, name *sitter.Node
		kind := ""
		for _, c := range caps {
			switch {
			case c.name == captureName:
				name = c.node
			case strings.HasPrefix(c.name, captureDefinitionPfx):
				def, kind = c.node, strings.TrimPrefix(c.name, captureDefinitionPfx)
			}
		}
		if def == nil || name == nil {
			return
		}
		def = widen(def, node)
		r := [2]int{int(def.StartByte()), int(def.EndByte())}
		if own && (r[0] != ns || r[1] != ne) {
			return
		}
		if i, ok := byRange[r]; ok {
			if all[i].pattern <= pattern {
				return
			}
			all[i].kind, all[i].name, all[i].pattern = kind, strings.TrimSpace(name.Content(src)), pattern
			return
		}
		byRange[r] = len(all)
		start := r[0]
		// tjdevries Lua tokens begin at the newline before them.
		for start < r[1] && (src[start] == '\n' || src[start] == ' ' || src[start] == '\t' || src[start] == '\r') {
			start++
		}
		all = append(all, found{defEntry{
			name:      strings.TrimSpace(name.Content(src)), // Lua tokens carry newlines
			kind:      kind,
			start:     start,
			end:       r[1],
			bodyStart: bodyStart(def),
			nameStart: int(name.StartByte()),
			nameEnd:   int(name.EndByte()),
		}, pattern})
	})
	sort.SliceStable(all, func(i, j int) bool { return all[i].start < all[j].start })
	out := make([]defEntry, 0, len(all))
	for i, f := range all {
		container := ""
		// The innermost earlier definition that contains this one.
		for j := i - 1; j >= 0; j-- {
			if all[j].start <= f.start && f.end <= all[j].end && all[j].kind != KindConstant && all[j].kind != KindVariable {
				container = all[j].kind
				break
			}
		}
		inFunc := container == KindFunction || container == KindMethod || (container == "" && ctx&inFunction != 0)
		inCls := container == KindClass || container == KindInterface || container == KindImpl || (container == "" && ctx&inClass != 0)
		switch {
		case (f.kind == KindConstant || f.kind == KindVariable) && inFunc:
			continue
		case f.kind == KindFunction && inCls:
			f.kind = KindMethod
		}
		out = append(out, f.defEntry)
	}
	return out
}

// widen grows a definition node over wrapper parents that hold nothing else (so that
// "type T struct{}" includes "type"), never beyond top.
func widen(n, top *sitter.Node) *sitter.Node {
	for i := 0; i < 3; i++ {
		if n.Equal(top) {
			return n
		}
		p := n.Parent()
		if p == nil || !wrapperTypes[p.Type()] || p.NamedChildCount() != 1 {
			return n
		}
		n = p
	}
	return n
}

// bodyStart returns the start byte of a definition's body, or -1 when it has none.
func bodyStart(def *sitter.Node) int {
	// Wrappers (export, decorated) hold the definition as their only named child.
	for i := 0; i < 3 && def.NamedChildCount() > 0; i++ {
		if b := def.ChildByFieldName("body"); b != nil {
			return int(b.StartByte())
		}
		found := -1
		n := int(def.ChildCount())
		for j := 0; j < n; j++ {
			c := def.Child(j)
			if bodyTypes[c.Type()] {
				found = int(c.StartByte())
				break
			}
		}
		if found >= 0 {
			return found
		}
		if !wrapperTypes[def.Type()] || def.NamedChildCount() != 1 {
			return -1
		}
		def = def.NamedChild(0)
	}
	return -1
}
