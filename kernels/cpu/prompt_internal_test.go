package cpu

import (
	"math/rand/v2"
	"os"
	"runtime"
	"testing"

	"github.com/llmls/llmls/kernels"
)

// TestPromptScaling (a measurement: LLMLS_KERNEL_MEASURE=1 go test -run PromptScaling -v) reports single-thread CPU time per token of the
// panel MatMul for a 64- and a 512-token prompt: a rise at 512 means the activations no longer
// stay in cache while a panel streams them.
func TestPromptScaling(t *testing.T) {
	if os.Getenv("LLMLS_KERNEL_MEASURE") == "" || panels == nil {
		t.Skip("a measurement, not a check: set LLMLS_KERNEL_MEASURE=1 (needs the panel kernels)")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	r := rand.New(rand.NewPCG(1, 1))
	for _, typ := range []kernels.DType{kernels.Q8_0, kernels.Q4_0} {
		for _, sh := range [][2]int{{896, 896}, {4864, 896}} {
			cols, rows := sh[0], sh[1]
			rb, _ := typ.RowSize(int64(cols))
			data := make([]byte, int(rb)*rows)
			if err := Quantize(typ, data, randVec(r, rows*cols, 0.02)); err != nil {
				t.Fatal(err)
			}
			w, _ := NewMatrix(typ, rows, cols, data)
			for _, n := range []int{64, 512} {
				x := randVec(r, n*cols, 1)
				dst := make([]float32, n*rows)
				best := 1e18
				for i := 0; i < 3; i++ {
					c0 := threadCPU()
					MatMul(nil, dst, w, x, n)
					best = min(best, float64(threadCPU()-c0))
				}
				pairs := float64(n) * float64(rows) * float64(cols/qk)
				t.Logf("%v %dx%d n=%d: %.1f µs CPU per token, %.2f cycles/pair at 2.45 GHz", typ, cols, rows, n, best/1e3/float64(n), best*2.45/pairs)
			}
		}
	}
}
