package codectx

import (
	"fmt"
	"strings"

	sitter "github.com/smacker/go-tree-sitter"
)

// Internals reached by the external tests.

// QueryErr returns the error of compiling l's queries (nil when they all compile).
func QueryErr(l *Language) error {
	l.load()
	return l.queryErr
}

// Defs returns the snapshot's definition index as "kind name" lines in document order.
func Defs(s *Snapshot) []string { return formatDefs(s.definitions()) }

// FullDefs returns the index a full build gives for s, without using or changing the
// document's index cache.
func FullDefs(s *Snapshot) []string {
	if s.tree == nil {
		return nil
	}
	t := s.tree.Copy()
	defer t.Close()
	return formatDefs(s.fullIndex(t.RootNode()))
}

// FullImports returns the imports a full build gives for s.
func FullImports(s *Snapshot) []string {
	if s.tree == nil {
		return nil
	}
	t := s.tree.Copy()
	defer t.Close()
	var out []string
	for _, im := range s.fullIndex(t.RootNode()).imports {
		out = append(out, im.Text)
	}
	return out
}

// IndexImports returns the texts of the snapshot's imports.
func IndexImports(s *Snapshot) []string {
	var out []string
	for _, im := range s.definitions().imports {
		out = append(out, im.Text)
	}
	return out
}

func formatDefs(idx *docIndex) []string {
	var out []string
	for _, d := range idx.defs {
		out = append(out, fmt.Sprintf("%s %s [%d,%d)", d.kind, d.name, d.start, d.end))
	}
	return out
}

// NamedNodes returns every named node of the tree, depth first, with its field, type, byte
// range and points, and whether it is missing.
func NamedNodes(s *Snapshot) string {
	if s.tree == nil {
		return ""
	}
	t := s.tree.Copy()
	defer t.Close()
	var b strings.Builder
	c := sitter.NewTreeCursor(t.RootNode())
	defer c.Close()
	depth := 0
	for {
		n := c.CurrentNode()
		if n.IsNamed() {
			fmt.Fprintf(&b, "%*s%s %q [%d,%d) %v-%v named=%v missing=%v\n", depth, "", c.CurrentFieldName(), n.Type(),
				n.StartByte(), n.EndByte(), n.StartPoint(), n.EndPoint(), n.IsNamed(), n.IsMissing())
		}
		if c.GoToFirstChild() {
			depth++
			continue
		}
		for !c.GoToNextSibling() {
			if !c.GoToParent() {
				return b.String()
			}
			depth--
		}
	}
}

// NodesWithin reports whether every node of the snapshot's tree lies within [0, len(text)].
func NodesWithin(s *Snapshot) bool {
	if s.tree == nil {
		return true
	}
	t := s.tree.Copy()
	defer t.Close()
	ok := true
	var walk func(n *sitter.Node)
	walk = func(n *sitter.Node) {
		if int(n.EndByte()) > len(s.text) || n.StartByte() > n.EndByte() {
			ok = false
			return
		}
		for i := 0; i < int(n.ChildCount()) && ok; i++ {
			walk(n.Child(i))
		}
	}
	walk(t.RootNode())
	return ok
}
