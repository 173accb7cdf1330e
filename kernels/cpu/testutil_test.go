package cpu_test

import (
	"math"
	"math/rand/v2"
	"testing"
)

// randFloats returns n values from N(0, scale²) with a fixed seed.
func randFloats(seed uint64, n int, scale float64) []float32 {
	r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64() * scale)
	}
	return x
}

// checkClose fails t with the first few mismatches and the max difference when
// |got−want| > tol[i] anywhere.
func checkClose(t *testing.T, what string, got []float32, want []float64, tol []float64) {
	t.Helper()
	bad, maxd := 0, 0.0
	for i := range want {
		d := math.Abs(float64(got[i]) - want[i])
		if !(d <= tol[i]) {
			if bad < 5 {
				t.Errorf("%s[%d] = %g, want %g ± %g (diff %g)", what, i, got[i], want[i], tol[i], d)
			}
			bad++
		}
		if d > maxd || math.IsNaN(d) {
			maxd = d
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d values out of tolerance, max diff %g", what, bad, len(want), maxd)
	}
}
