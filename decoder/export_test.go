package decoder

import "github.com/llmls/llmls/kernels/cpu"

// Internals reached by the external tests.

// RopeForTest rotates x [nHeads, c.NEmbdHead] in place as the forward pass does for a token
// at position pos, and returns the cos and sin [NRot/2] it used.
func RopeForTest(c *Config, freqFactors []float32, x []float32, nHeads, pos int) (cos, sin []float32) {
	r := newRopeParams(c, freqFactors)
	cos, sin = make([]float32, c.NRot/2), make([]float32, c.NRot/2)
	r.angles(pos, cos, sin)
	r.rotate(x, nHeads, c.NEmbdHead, cos, sin)
	return cos, sin
}

// ProjectLoRAForTest runs Model.project on l with one unmerged adapter y += scale·B(A·x):
// a [in, rank] (Rows = rank) and b [rank, out] (Rows = out), both F32.
func ProjectLoRAForTest(m *Model, dst []float32, l *Linear, x []float32, n int, a, b cpu.Matrix, scale float32) {
	bv := make([]float32, b.Rows*b.Cols)
	if err := cpu.Dequantize(b.Type, bv, b.Data); err != nil {
		panic(err)
	}
	bt := make([]float32, len(bv))
	for o := range b.Rows {
		for j := range b.Cols {
			bt[j*b.Rows+o] = bv[o*b.Cols+j]
		}
	}
	ad := &Adapter{model: m, weights: make([]*loraWeight, len(m.linears)), maxRank: a.Rows}
	ad.weights[l.slot-1] = &loraWeight{a: a, bt: bt, rank: a.Rows, scale: 1}
	m.project(dst, l, x, n, []ActiveAdapter{{ad, scale}}, make([]float32, n*a.Rows))
}

// ProjectForTest runs Model.project without adapters.
func ProjectForTest(m *Model, dst []float32, l *Linear, x []float32, n int) {
	m.project(dst, l, x, n, nil, nil)
}
