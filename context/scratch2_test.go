package codectx_test

import (
	"os"
	"testing"
	"time"

	codectx "github.com/llmls/llmls/context"
)

func TestScratchParse(t *testing.T) {
	src, _ := codectx.NetHTTPSource(5000)
	for i := 0; i < 3; i++ {
		t0 := time.Now()
		s, err := codectx.NewSnapshot("x.go", "go", 1, src, 0)
		t.Log(time.Since(t0), err, len(src), s.HasTree())
	}
	b, _ := os.ReadFile("/usr/local/go/src/net/http/server.go")
	t0 := time.Now()
	s, _ := codectx.NewSnapshot("x.go", "go", 1, string(b), 0)
	t.Log("server.go", time.Since(t0), len(b), s.HasTree())
	head := s.SExpr()
	if len(head) > 300 {
		head = head[:300]
	}
	t.Log(head)
}
