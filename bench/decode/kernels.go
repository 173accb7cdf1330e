package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/llmls/llmls/kernels"
	"github.com/llmls/llmls/kernels/cpu"
)

// kernelShapes are the matrices of one Qwen2.5-Coder-0.5B layer and its output head, [in, out],
// with how many of each a decoded token multiplies.
var kernelShapes = []struct {
	name       string
	cols, rows int
	perToken   int
}{
	{"attn_q/attn_output 896x896", 896, 896, 2 * 24},
	{"attn_k/attn_v 896x128", 896, 128, 2 * 24},
	{"ffn_gate/ffn_up 896x4864", 896, 4864, 2 * 24},
	{"ffn_down 4864x896", 4864, 896, 24},
	{"output 896x151936", 896, 151936, 1},
}

// benchKernels times cpu.MatMul on each shape for one token (decode) and for nPrompt tokens,
// reporting the decode weight streaming rate as a fraction of the measured bandwidth, and
// estimates whole-model decode and prompt rates from the per-token mix of shapes.
func benchKernels(w io.Writer, t kernels.DType, threads, nPrompt int, bwGBs float64) error {
	p := cpu.NewPool(threads)
	defer p.Close()
	r := rand.New(rand.NewPCG(1, 2))
	fmt.Fprintf(w, "\n%v MatMul, %d threads (bandwidth %.1f GB/s)\n", t, threads, bwGBs)
	fmt.Fprintf(w, "%-28s %12s %9s %10s %14s\n", "shape", "decode µs", "GB/s", "of roof", "prompt tok/s")
	var decodeS, promptS float64
	for _, sh := range kernelShapes {
		rb, ok := t.RowSize(int64(sh.cols))
		if !ok {
			fmt.Fprintf(w, "%-28s (%d columns are not whole %v blocks)\n", sh.name, sh.cols, t)
			continue
		}
		data := make([]byte, int(rb)*sh.rows)
		row := make([]float32, sh.cols)
		for i := 0; i < sh.rows; i++ {
			for j := range row {
				row[j] = float32(r.NormFloat64() * 0.02)
			}
			if err := cpu.Quantize(t, data[i*int(rb):(i+1)*int(rb)], row); err != nil {
				return err
			}
		}
		m, err := cpu.NewMatrix(t, sh.rows, sh.cols, data)
		if err != nil {
			return err
		}
		x := make([]float32, nPrompt*sh.cols)
		for i := range x {
			x[i] = float32(r.NormFloat64())
		}
		dst := make([]float32, nPrompt*sh.rows)
		// Decode: enough calls for ≥ 0.3 s, after one warm-up; best of 3 runs.
		dec := bestOf(3, func() time.Duration {
			n := max(3, int(3e8/float64(len(data))))
			start := time.Now()
			for i := 0; i < n; i++ {
				cpu.MatMul(p, dst, m, x[:sh.cols], 1)
			}
			return time.Since(start) / time.Duration(n)
		})
		pr := bestOf(2, func() time.Duration {
			if sh.rows > 100000 {
				return 0 // the output head runs for one row of the prompt only
			}
			start := time.Now()
			cpu.MatMul(p, dst, m, x, nPrompt)
			return time.Since(start)
		})
		gbs := float64(len(data)) / dec.Seconds() / 1e9
		prompt := "-"
		if pr > 0 {
			prompt = fmt.Sprintf("%.0f", float64(nPrompt)/pr.Seconds())
			promptS += pr.Seconds() / float64(nPrompt) * float64(sh.perToken)
		} else {
			promptS += dec.Seconds() / float64(nPrompt) // head: once per prompt
		}
		decodeS += dec.Seconds() * float64(sh.perToken)
		fmt.Fprintf(w, "%-28s %12.1f %9.1f %10.2f %14s\n", sh.name, float64(dec.Nanoseconds())/1e3, gbs, gbs/bwGBs, prompt)
	}
	fmt.Fprintf(w, "MatMuls of one token: decode %.1f tok/s, prompt %.0f tok/s (matrix products only)\n", 1/decodeS, 1/promptS)
	return nil
}

func bestOf(n int, f func() time.Duration) time.Duration {
	f() // warm-up: page in, size buffers
	best := time.Duration(1<<63 - 1)
	for i := 0; i < n; i++ {
		best = min(best, f())
	}
	return best
}
