package codectx

import (
	"os"
	"strings"
	"testing"
)

func TestScratchImp(t *testing.T) {
	b, _ := os.ReadFile("testdata/samples/lru.go")
	src := string(b)
	ws := NewWorkspace(Options{KeystrokeBudget: -1})
	ws.Open("u.go", "go", 1, src)
	lines := strings.SplitAfter(src, "\n")
	line := lines[0]
	text := src[len(line):]
	ws.Change("u.go", 2, text, []Edit{{Start: 0, End: len(line)}})
	s, _ := ws.Snapshot("u.go")
	t.Log(s.definitions().imports, s.definitions().dirty)
	for j := 0; j < 2; j++ {
		text = text[:j] + line[j:j+1] + text[j:]
		ws.Change("u.go", int32(3+j), text, []Edit{{Start: j, End: j, Text: line[j : j+1]}})
		s, _ := ws.Snapshot("u.go")
		idx := s.definitions()
		t.Logf("%q dirty=%v [%d,%d) incr=%d imports=%v", text[:j+1], idx.dirty, idx.dirtyStart, idx.dirtyEnd, idx.incremental, idx.imports)
		t.Log(s.SExpr()[:200])
	}
}
