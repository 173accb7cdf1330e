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

// AddLoRAForTest attaches an unmerged adapter y += scale·B(A·x) to a projection.
func AddLoRAForTest(l *Linear, a, b cpu.Matrix, scale float32) {
	l.lora = append(l.lora, loraAdapter{A: a, B: b, Scale: scale})
}

// ProjectForTest runs Model.project.
func ProjectForTest(m *Model, dst []float32, l *Linear, x []float32, n int) { m.project(dst, l, x, n) }
