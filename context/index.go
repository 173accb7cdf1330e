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
	// dirty are the ranges indexed from a broken tree (with errors, or stale): their
	// definitions are queried again once the tree is clean. Sorted, disjoint.
	dirty []span
}

// span is a byte range [start, end).
type span struct{ start, end int }

// maxDirtySpans bounds docIndex.dirty; beyond it the closest spans merge.
const maxDirtySpans = 16

// addSpan inserts x into the sorted, disjoint list ss, merging what overlaps or touches.
func addSpan(ss []span, x span) []span {
	out := make([]span, 0, len(ss)+1)
	for _, s := range ss {
		switch {
		case s.end < x.start:
			out = append(out, s)
		case x.end < s.start:
			if x.end >= 0 {
				out = append(out, x)
				x = span{-1, -1}
			}
			out = append(out, s)
		default:
			x = span{min(x.start, s.start), max(x.end, s.end)}
		}
	}
	if x.end >= 0 {
		out = append(out, x)
	}
	for len(out) > maxDirtySpans {
		// Merge the two neighbours with the smallest gap.
		best := 0
		for i := 1; i+1 < len(out); i++ {
			if out[i+1].start-out[i].end < out[best+1].start-out[best].end {
				best = i
			}
		}
		out[best].end = out[best+1].end
		out = append(out[:best+1], out[best+2:]...)
	}
	return out
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
	if base != nil && (base.incremental < maxIncremental || root.HasError() || s.stale) {
		idx = s.incrementalIndex(t, base)
	}
	if idx == nil {
		idx = s.fullIndex(root)
	}
	if !root.HasError() && !s.stale {
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
	if root.HasError() || s.stale {
		// Indexed from a broken tree: all of it is queried again once the tree is clean.
		idx.dirty = []span{{0, len(s.text)}}
	}
	for _, r := range appendImports(nil, qs.imports, root, src, 0, nil) {
		idx.imports = append(idx.imports, Import{Start: r[0], End: r[1], Text: strings.TrimSpace(s.text[r[0]:r[1]])})
	}
	idx.finish()
	return idx
}

// incrementalIndex builds the index from base, or returns nil when a full build is better.
//
// The regions queried again are the text that changed since base and, when the new tree is
// clean (no error, not stale), the ranges whose syntax changed since the latest clean tree
// (ts_tree_get_changed_ranges: opening a comment changes the syntax of text that did not
// change) and base's dirty ranges. When the new tree is broken, its syntax outside the
// changed text is not trusted (error recovery wraps everything after an unclosed bracket in
// ERROR nodes): base's definitions there are kept, and what this build indexes is marked
// dirty.
func (s *Snapshot) incrementalIndex(t *sitter.Tree, base *docIndex) *docIndex {
	root := t.RootNode()
	p, qOld, qNew := diffRegion(base.text, s.text)
	delta := qNew - qOld
	broken := root.HasError() || s.stale
	// mapPos maps an offset of base's text to the new text. A start at the change moves
	// with the text after it, an end stays with the text before it; an offset inside the
	// replaced text goes to the start (or, for an end, the end) of the replacement.
	mapPos := func(x int, isEnd bool) int {
		if isEnd {
			switch {
			case x <= p:
				return x
			case x >= qOld:
				return x + delta
			}
			return qNew
		}
		switch {
		case x >= qOld:
			return x + delta
		case x <= p:
			return x
		}
		return p
	}
	regions := []span{{p, qNew}}
	if !broken {
		if base.clean != nil {
			c := base.clean
			cp, cqOld, cqNew := diffRegion(c.text, s.text)
			old := c.tree.Copy()
			sp := pointAt(s.text, cp)
			editTree(old, inputEdit{
				startByte: uint32(cp), oldEndByte: uint32(cqOld), newEndByte: uint32(cqNew),
				startPoint: sp, oldEndPoint: pointAt(c.text, cqOld), newEndPoint: pointAt(s.text, cqNew),
			})
			if cs, ce, ok := changedRange(old, t); ok {
				regions = addSpan(regions, span{cs, ce})
			}
			old.Close()
		}
		for _, d := range base.dirty {
			regions = addSpan(regions, span{mapPos(d.start, false), mapPos(d.end, true)})
		}
	}
	if total := spanTotal(regions); total*maxIncrementalShare > len(s.text) {
		return nil
	}

	// Sort base's definitions out. Those clear of every region are kept, moved; those that
	// hold a whole region with their name before it are kept too (the function being typed
	// in: while the tree is broken the query may not find it again, and the old extent,
	// moved, is the better guess). The others are dropped and found again by the query,
	// whose region is widened to their names (a wrapper can start before the region while
	// the node the query matches, and its name, come after it: "var" typed before
	// "\nconst x = 1"). Edges count as overlap: typing right after "D" renames it.
	var kept []defEntry
	for _, d := range base.defs {
		if d.start < qOld && d.end > p && !(d.start < p && d.end > qOld) {
			// Overlaps the replaced text without holding it.
			regions = widenTo(regions, 0, mapPos(d.nameStart, false), mapPos(d.nameEnd, true))
			continue
		}
		nd := d
		nd.start, nd.end = mapPos(d.start, false), mapPos(d.end, true)
		nd.nameStart, nd.nameEnd = mapPos(d.nameStart, false), mapPos(d.nameEnd, true)
		if d.bodyStart >= 0 {
			if d.bodyStart > p && d.bodyStart < qOld {
				nd.bodyStart = -1
			} else {
				nd.bodyStart = mapPos(d.bodyStart, false)
			}
		}
		drop := -1
		for i, r := range regions {
			if nd.end < r.start || nd.start > r.end {
				continue
			}
			if nd.start < r.start && nd.end > r.end && (broken || nd.nameEnd < r.start) {
				continue
			}
			drop = i
			break
		}
		if drop >= 0 {
			regions = widenTo(regions, drop, nd.nameStart, nd.nameEnd)
			continue
		}
		kept = append(kept, nd)
	}
	var keptImps []Import
	for _, im := range base.imports {
		ni := Import{Start: mapPos(im.Start, false), End: mapPos(im.End, true), Text: im.Text}
		drop := -1
		if im.Start < qOld && im.End > p {
			drop = 0
		} else {
			for i, r := range regions {
				if !(ni.End < r.start || ni.Start > r.end) {
					drop = i
					break
				}
			}
		}
		if drop >= 0 {
			regions = widenTo(regions, drop, ni.Start, min(ni.Start+1, len(s.text)))
			continue
		}
		keptImps = append(keptImps, ni)
	}
	// Widening may have made regions overlap.
	merged := regions[:0:0]
	for _, r := range regions {
		merged = addSpan(merged, r)
	}
	regions = merged

	queries := s.lang.queries
	src := s.src()
	idx := &docIndex{text: s.text, incremental: base.incremental + 1}
	type key struct {
		start int
		name  string
	}
	seen := map[key]bool{}
	impSeen := map[int]bool{}
	var fresh []defEntry
	var freshImps [][2]int
	for _, r := range regions {
		rng := &pointRange{start: pointAt(s.text, max(r.start-1, 0)), end: pointAt(s.text, min(r.end, len(s.text)))}
		for _, d := range queryDefinitions(queries.definitions, root, src, rng, 0, false) {
			if k := (key{d.start, d.name}); !seen[k] {
				seen[k] = true
				fresh = append(fresh, d)
			}
		}
		for _, im := range appendImports(nil, queries.imports, root, src, 0, rng) {
			if !impSeen[im[0]] {
				impSeen[im[0]] = true
				freshImps = append(freshImps, im)
			}
		}
	}
	if broken {
		// Everything indexed from this broken tree is queried again once it is clean.
		var dirty []span
		for _, d := range base.dirty {
			dirty = addSpan(dirty, span{mapPos(d.start, false), mapPos(d.end, true)})
		}
		for _, r := range regions {
			dirty = addSpan(dirty, r)
		}
		for _, d := range fresh {
			dirty = addSpan(dirty, span{d.start, d.end})
		}
		for _, im := range freshImps {
			dirty = addSpan(dirty, span{im[0], im[1]})
		}
		idx.dirty = dirty
	}

	idx.defs = make([]defEntry, 0, len(kept)+len(fresh))
	for _, d := range kept {
		if !seen[key{d.start, d.name}] {
			idx.defs = append(idx.defs, d)
		}
	}
	idx.defs = append(idx.defs, fresh...)
	sort.SliceStable(idx.defs, func(i, j int) bool { return idx.defs[i].start < idx.defs[j].start })

	for _, im := range keptImps {
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

// widenTo grows regions[i] to include [start, end).
func widenTo(regions []span, i, start, end int) []span {
	regions[i] = span{min(regions[i].start, start), max(regions[i].end, end)}
	return regions
}

func spanTotal(ss []span) int {
	n := 0
	for _, s := range ss {
		n += s.end - s.start
	}
	return n
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
