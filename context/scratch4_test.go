package codectx

import (
	"testing"
	"time"
)

func TestScratchFullIndex(t *testing.T) {
	src, _ := NetHTTPSource(5000)
	s, _ := NewSnapshot("x.go", "go", 1, src, 0)
	tr := s.Tree()
	for i := 0; i < 3; i++ {
		c0, _ := threadCPU()
		defs := queryDefinitions(s.lang.queries.definitions, tr.RootNode(), s.src(), nil, 0, false)
		c1, _ := threadCPU()
		imps := appendImports(nil, s.lang.queries.imports, tr.RootNode(), s.src(), 0, nil)
		c2, _ := threadCPU()
		t.Log(len(defs), len(imps), c1-c0, c2-c1)
	}
	_ = time.Now
}
