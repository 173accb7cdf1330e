package cpu_test

import (
	"fmt"
	"testing"

	"github.com/llmls/llmls/kernels"
	"github.com/llmls/llmls/kernels/cpu"
)

// The matrix shapes of Qwen2.5-Coder-0.5B ([in, out]): attention Q/O, K/V, FFN gate/up, FFN down,
// and the tied output head.
var qwenShapes = []struct {
	name       string
	cols, rows int
}{
	{"q896x896", 896, 896},
	{"kv896x128", 896, 128},
	{"up896x4864", 896, 4864},
	{"down4864x896", 4864, 896},
	{"head896x151936", 896, 151936},
}

// BenchmarkMatMul times MatMul per implementation on the 0.5B shapes with 2 threads, for one
// token (decode: memory-bound, reported as weight GB/s) and 64 tokens (prompt: compute-bound).
func BenchmarkMatMul(b *testing.B) {
	p := cpu.NewPool(2)
	defer p.Close()
	for _, typ := range []kernels.DType{kernels.Q8_0, kernels.Q4_0} {
		for _, sh := range qwenShapes {
			data := make([]byte, typ.TypeSize()*sh.cols/typ.BlockSize()*sh.rows)
			for i := range data {
				data[i] = byte(i*7 + i>>8) // arbitrary quants; scales of small halves below
			}
			rb := len(data) / sh.rows
			for r := 0; r < sh.rows; r++ {
				for o := 0; o < rb; o += typ.TypeSize() {
					data[r*rb+o], data[r*rb+o+1] = 0x00, 0x20 // d = 2^-7
				}
			}
			w, err := cpu.NewMatrix(typ, sh.rows, sh.cols, data)
			if err != nil {
				b.Fatal(err)
			}
			for _, n := range []int{1, 64} {
				if sh.rows > 100000 && n > 1 {
					continue
				}
				x := randFloats(1, n*sh.cols, 1)
				dst := make([]float32, n*sh.rows)
				for _, impl := range cpu.Impls(typ) {
					b.Run(fmt.Sprintf("%v/%s/n=%d/%s", typ, sh.name, n, impl), func(b *testing.B) {
						defer cpu.UseImpl(typ, impl)()
						b.SetBytes(int64(len(data)))
						for b.Loop() {
							cpu.MatMul(p, dst, w, x, n)
						}
						b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
					})
				}
			}
		}
	}
}
