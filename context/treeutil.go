package codectx

import (
	sitter "github.com/smacker/go-tree-sitter"
)

// pathAt returns the nodes from root down to the deepest node whose range holds the byte at
// off (start <= off < end), named or not. Zero-width (MISSING) nodes are never on it.
func pathAt(root *sitter.Node, off int) []*sitter.Node {
	path := []*sitter.Node{root}
	c := sitter.NewTreeCursor(root)
	defer c.Close()
	// goto_first_child_for_byte stops at the first child whose end >= goal; off+1 asks
	// for end > off.
	for c.GoToFirstChildForByte(uint32(off+1)) >= 0 {
		n := c.CurrentNode()
		if int(n.StartByte()) > off {
			break
		}
		path = append(path, n)
	}
	return path
}

// errorNode is one ERROR or MISSING node of a tree.
type errorNode struct {
	start, end int
	missing    bool
}

// collectErrors returns the ERROR and MISSING nodes of the tree under root, in document
// order, visiting only subtrees that contain an error (ts_node_has_error).
func collectErrors(root *sitter.Node) []errorNode {
	var out []errorNode
	if !root.HasError() {
		return out
	}
	var walk func(n *sitter.Node)
	walk = func(n *sitter.Node) {
		switch {
		case n.IsMissing():
			out = append(out, errorNode{int(n.StartByte()), int(n.EndByte()), true})
			return
		case n.IsError():
			out = append(out, errorNode{int(n.StartByte()), int(n.EndByte()), false})
		}
		cnt := int(n.ChildCount())
		for i := 0; i < cnt; i++ {
			c := n.Child(i)
			if c.HasError() || c.IsMissing() {
				walk(c)
			}
		}
	}
	walk(root)
	return out
}

// lastChild returns n's last child (named or not), or nil.
func lastChild(n *sitter.Node) *sitter.Node {
	cnt := int(n.ChildCount())
	if cnt == 0 {
		return nil
	}
	return n.Child(cnt - 1)
}
