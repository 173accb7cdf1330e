package cpu

import "github.com/llmls/llmls/kernels"

// Internals for the external tests.

var BlockSizes = map[kernels.DType]int{
	kernels.Q4_0: blockQ4_0, kernels.Q4_1: blockQ4_1, kernels.Q5_0: blockQ5_0, kernels.Q5_1: blockQ5_1,
	kernels.Q8_0: blockQ8_0, kernels.Q8_1: blockQ8_1, kernels.Q4_K: blockQ4_K, kernels.Q5_K: blockQ5_K,
	kernels.Q6_K: blockQ6_K, kernels.Q8_K: blockQ8_K,
}

var Partner = partner

// ActRef quantizes x (one row) to the vec_dot partner of weight type t exactly as MatMul does,
// and returns the dequantized values and, for Q8_1, the per-block s (f16(d·Σq)).
func ActRef(t kernels.DType, x []float32) (deq []float32, s []float32) {
	var a acts
	a.reset(partner(t), len(x), 1)
	a.quantizeRow(0, x)
	r := a.row(0)
	deq = make([]float32, len(x))
	switch a.kind {
	case kernels.Q8_0, kernels.Q8_1:
		for i := range x {
			deq[i] = float32(r.qs[i]) * r.d[i/qk]
		}
		if a.kind == kernels.Q8_1 {
			s = append(s, r.s...)
		}
	case kernels.Q8_K:
		for i := range x {
			deq[i] = float32(r.qs[i]) * r.d[i/qkK]
		}
	default:
		copy(deq, r.f)
	}
	return deq, s
}

// Impls returns the names of the MatMul implementations of weight type t: "Generic", and
// "AVX2" where assembly kernels exist on this machine.
func Impls(t kernels.DType) []string {
	if simdTiles[t] != nil || simdK[t] != nil || simdFloat[t] {
		return []string{"Generic", "AVX2"}
	}
	return []string{"Generic"}
}

// UseImpl switches weight type t's MatMul kernels to the named implementation and returns a
// function restoring the previous ones.
func UseImpl(t kernels.DType, name string) (restore func()) {
	old, oldPanel := dotKernels[t], panels[t]
	switch name {
	case "Generic":
		dotKernels[t] = genericKernels[t]
		if panels != nil {
			delete(panels, t)
		}
	case "AVX2":
		switch {
		case simdK[t] != nil:
			dotKernels[t] = simdK[t].rows()
		case simdTiles[t] != nil:
			dotKernels[t] = simdTiles[t].rows()
		}
	}
	return func() {
		dotKernels[t] = old
		if oldPanel != nil {
			panels[t] = oldPanel
		}
	}
}

const kernelsQ8_0, kernelsQ4_0 = kernels.Q8_0, kernels.Q4_0
