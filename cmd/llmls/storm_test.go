package main_test

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/llmls/llmls/completion"
	"github.com/llmls/llmls/lsp"
	"github.com/llmls/llmls/lsp/lsptest"
)

// TestCancellationStorm sends 1,000 inline completion requests 10–30 ms apart over a real
// `llmls --stdio`, typing between them and cancelling most, as a fast typist's editor would.
// Every request must be answered (a result, or RequestCancelled), the server must not leak
// goroutines or memory, and the last request must return within its budget.
func TestCancellationStorm(t *testing.T) {
	if testing.Short() {
		t.Skip("the storm takes ~25 s")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c, proc := startServer(t, ctx, modelArgs()...)
	if _, err := c.Initialize(ctx, lsptest.InitializeParams(nil)); err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join(repoRoot(), "testdata", "demo", "stack.go"))
	if err != nil {
		t.Fatal(err)
	}
	uri := "file:///work/demo/stack.go"
	c.DidOpen(ctx, uri, "go", 1, string(src))
	lines := strings.Split(string(src), "\n")
	line := uint32(slices.Index(lines, "func (s *Stack) Len() int {") + 1)

	stats := func() map[string]int64 {
		var st map[string]int64
		if err := c.Call(ctx, lsp.MethodStats, nil, &st); err != nil {
			t.Fatal(err)
		}
		return st
	}
	// Warm up, then take the baseline.
	c.InlineCompletion(ctx, uri, line, 0, completion.Invoked)
	before := stats()

	rng := rand.New(rand.NewPCG(1, 2))
	const n = 1000
	pending := make([]*lsptest.Pending, 0, n)
	sent := make([]time.Time, 0, n)
	version := int32(1)
	typed := 0
	for i := 0; i < n; i++ {
		// Type one character (or delete it again) so the document changes under the requests.
		version++
		if typed < 20 && rng.IntN(3) > 0 {
			c.DidChange(ctx, uri, version, lsptest.Replace(line, uint32(typed), line, uint32(typed), "x"))
			typed++
		} else if typed > 0 {
			c.DidChange(ctx, uri, version, lsptest.Replace(line, uint32(typed-1), line, uint32(typed), ""))
			typed--
		}
		p, err := c.StartInlineCompletion(ctx, uri, line, uint32(typed), completion.Automatic)
		if err != nil {
			t.Fatal(err)
		}
		pending = append(pending, p)
		sent = append(sent, time.Now())
		if i > 0 && rng.IntN(4) > 0 { // cancel most of the previous requests, as editors do
			c.Cancel(ctx, pending[i-1].ID)
		}
		time.Sleep(time.Duration(10+rng.IntN(21)) * time.Millisecond)
	}
	var lat []float64
	cancelled, answered := 0, 0
	for i, p := range pending {
		r, err := p.Wait(ctx)
		if err != nil {
			t.Fatalf("request %d never answered: %v", i, err)
		}
		switch {
		case r.Error != nil && r.Error.Code == -32800:
			cancelled++
		case r.Error != nil:
			t.Errorf("request %d: error %d %s", i, r.Error.Code, r.Error.Message)
		default:
			answered++
			lat = append(lat, float64(time.Since(sent[i]).Milliseconds()))
		}
	}
	last := time.Since(sent[n-1])
	time.Sleep(300 * time.Millisecond) // orphaned generations end (orphanGrace)
	after := stats()
	slices.Sort(lat)
	pct := func(p float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(p*float64(len(lat))))]
	}
	t.Logf("%d answered (latency p50 %.0f ms, p99 %.0f ms), %d cancelled; last request done %v after it was sent",
		answered, pct(0.50), pct(0.99), cancelled, last)
	t.Logf("goroutines %d → %d, heap %d → %d KiB", before["goroutines"], after["goroutines"], before["heapBytes"]>>10, after["heapBytes"]>>10)
	if answered+cancelled != n {
		t.Errorf("%d of %d requests answered", answered+cancelled, n)
	}
	if g := after["goroutines"] - before["goroutines"]; g > 5 {
		t.Errorf("%d more goroutines after the storm", g)
	}
	if h := after["heapBytes"] - before["heapBytes"]; h > 16<<20 {
		t.Errorf("heap grew by %d MiB", h>>20)
	}
	// The last request's budget: debounce + one generation with the embedded model.
	if last > 5*time.Second {
		t.Errorf("the last request took %v", last)
	}
	c.Shutdown(ctx)
	c.Exit(ctx)
	proc.Wait()
}
