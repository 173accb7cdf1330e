package codectx_test

import (
	"os"
	"testing"

	codectx "github.com/llmls/llmls/context"
)

// TestKeystrokeLatency prints the per-keystroke p50/p99 of edit + incremental reparse +
// context gathering on a 5,000-line Go file (run with -v; skipped with -short).
//
//	go test ./context -run TestKeystrokeLatency -v
func TestKeystrokeLatency(t *testing.T) {
	if testing.Short() {
		t.Skip("timing run")
	}
	src, err := codectx.NetHTTPSource(5000)
	if err != nil {
		t.Skipf("no Go source tree: %v", err)
	}
	for _, paced := range []bool{true, false} {
		st, err := codectx.BenchKeystrokes(src, nil, 1500, paced, codectx.Options{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Log(st)
		if os.Getenv("CODECTX_STRICT_LATENCY") != "" && paced && st.P99 > 5e6 {
			t.Errorf("p99 %v above the 5 ms target", st.P99)
		}
	}
}

// BenchmarkKeystroke measures one keystroke (Change with one Edit, then Context at the
// cursor) while typing BenchText into a 5,000-line Go file.
func BenchmarkKeystroke(b *testing.B) {
	src, err := codectx.NetHTTPSource(5000)
	if err != nil {
		b.Skipf("no Go source tree: %v", err)
	}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		// Each BenchKeystrokes call types at one place; timing covers its setup too, so
		// it is amortised over many keystrokes.
		if _, err := codectx.BenchKeystrokes(src, nil, 200, false, codectx.Options{}, nil); err != nil {
			b.Fatal(err)
		}
		n += 200
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/keystroke")
}
