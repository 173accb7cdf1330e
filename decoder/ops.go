package decoder

import "github.com/llmls/llmls/kernels/cpu"

// The math of the forward pass: every call into kernels/cpu goes through these functions
// (and attention.go), so that a second backend replaces this file, not the architectures.
// Buffers are [n, width] row-major; only the first n rows are read or written.

// rowGrain is the minimum number of elements of a row-wise op worth a parallel chunk: below
// it, waking workers costs more than the work.
const rowGrain = 1 << 14

// forRows runs fn over rows [0, n) of width elements each, in parallel when it pays.
func (m *Model) forRows(n, width int, fn func(lo, hi int)) {
	if n*width < 2*rowGrain || n == 1 {
		fn(0, n)
		return
	}
	m.pool.ForChunk(n, max(1, rowGrain/width), fn)
}

// project computes dst = l(x) for n rows: x [n, l.In()], dst [n, l.Out()]: W·x, plus
// Σ userScale·scale·B(A·x) for each of the active adapters that adapts l (the LoRA helper
// every projection calls), plus the bias (llama.cpp build_lora_mm followed by the bias add).
// ax is scratch of at least n × the largest rank of active (see Session.SetAdapters).
func (m *Model) project(dst []float32, l *Linear, x []float32, n int, active []ActiveAdapter, ax []float32) {
	if n == 0 {
		return
	}
	out := l.Out()
	cpu.MatMul(m.pool, dst, l.W, x, n)
	if l.slot > 0 {
		for _, aa := range active {
			if w := aa.Adapter.weights[l.slot-1]; w != nil {
				m.addLoRA(dst, w, aa.Scale*w.scale, x, n, ax)
			}
		}
	}
	if l.Bias != nil {
		m.forRows(n, out, func(lo, hi int) {
			for t := lo; t < hi; t++ {
				row := dst[t*out : (t+1)*out]
				cpu.Add(row, row, l.Bias)
			}
		})
	}
}

// rmsNorm computes dst = RMSNorm(x)·w row by row: x, dst [n, len(w)]
// (llama.cpp build_norm with LLM_NORM_RMS: ggml_rms_norm then ggml_mul).
func (m *Model) rmsNorm(dst, x, w []float32, n int) {
	d := len(w)
	eps := m.Config.NormRMSEps
	m.forRows(n, d, func(lo, hi int) {
		for t := lo; t < hi; t++ {
			row := dst[t*d : (t+1)*d]
			cpu.RMSNorm(row, x[t*d:(t+1)*d], eps)
			cpu.Mul(row, row, w)
		}
	})
}

// add computes dst = a + b over n rows of width.
func (m *Model) add(dst, a, b []float32, n, width int) {
	m.forRows(n, width, func(lo, hi int) {
		cpu.Add(dst[lo*width:hi*width], a[lo*width:hi*width], b[lo*width:hi*width])
	})
}

// swiglu computes dst = SiLU(gate) ⊙ up over n rows of width.
func (m *Model) swiglu(dst, gate, up []float32, n, width int) {
	m.forRows(n, width, func(lo, hi int) {
		cpu.SiLUMul(dst[lo*width:hi*width], gate[lo*width:hi*width], up[lo*width:hi*width])
	})
}

// embed writes the embeddings of tokens into dst [len(tokens), NEmbd] (ggml_get_rows on
// token_embd: one row dequantized per token, never the whole matrix). Token ids are checked
// by the session.
func (m *Model) embed(dst []float32, tokens []int32) {
	d := m.Config.NEmbd
	for t, id := range tokens {
		m.Weights.TokenEmbd.DequantizeRow(int(id), dst[t*d:(t+1)*d])
	}
}

// gatherRows moves rows[i] of x (width elements each) to row i, for ascending rows.
func gatherRows(x []float32, rows []int, width int) {
	for i, r := range rows {
		if i != r {
			copy(x[i*width:(i+1)*width], x[r*width:(r+1)*width])
		}
	}
}
