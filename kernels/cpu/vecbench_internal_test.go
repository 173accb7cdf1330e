package cpu

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkVec times each vector op per implementation (Generic and the one installed, when it
// differs) on lengths of the 0.5B model: 64 (a head), 896 (hidden), 4864 (FFN).
func BenchmarkVec(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	type impl struct {
		name string
		f    func(dst, a, b []float32)
	}
	ops := []struct {
		name  string
		impls []impl
	}{
		{"Dot", []impl{
			{"Generic", func(d, a, x []float32) { d[0] = dotGeneric(a, x) }},
			{"Installed", func(d, a, x []float32) { d[0] = dotImpl(a, x) }}}},
		{"Axpy", []impl{
			{"Generic", func(d, a, x []float32) { axpyGeneric(0.5, a, d) }},
			{"Installed", func(d, a, x []float32) { axpyImpl(0.5, a, d) }}}},
		{"SiLUMul", []impl{
			{"Generic", func(d, a, x []float32) { siluMulGeneric(d, a, x) }},
			{"Installed", func(d, a, x []float32) { siluMulImpl(d, a, x) }}}},
		{"Softmax", []impl{
			{"Generic", func(d, a, x []float32) { copy(d, a); expSumGeneric(d, 3) }},
			{"Installed", func(d, a, x []float32) { copy(d, a); expSumImpl(d, 3) }}}},
		{"RMSNorm", []impl{
			{"Generic", func(d, a, x []float32) { scale2Generic(d, a, float32(sumSquaresGeneric(a))) }},
			{"Installed", func(d, a, x []float32) { scale2Impl(d, a, float32(sumSquaresImpl(a))) }}}},
		{"Mul", []impl{
			{"Generic", func(d, a, x []float32) { mulGeneric(d, a, x) }},
			{"Installed", func(d, a, x []float32) { mulImpl(d, a, x) }}}},
	}
	for _, n := range []int{64, 896, 4864} {
		a, x, d := randVec(r, n, 1), randVec(r, n, 1), make([]float32, n)
		for _, op := range ops {
			for _, im := range op.impls {
				if im.name == "Installed" && !hasAVX2Vec() {
					continue
				}
				name := im.name
				if name == "Installed" {
					name = "AVX2"
				}
				b.Run(fmt.Sprintf("%s/n=%d/%s", op.name, n, name), func(b *testing.B) {
					b.SetBytes(int64(4 * n))
					for b.Loop() {
						im.f(d, a, x)
					}
				})
			}
		}
	}
}

// hasAVX2Vec reports whether the installed vector ops are the assembly ones.
func hasAVX2Vec() bool { return !sameFunc(dotImpl, dotGeneric) }

// BenchmarkAttentionRows times one query head of attention over 576 cached positions (head
// dimension 64): scores with DotRows vs a loop of Dot calls, and the weighted sum with AxpyRows
// vs a loop of Axpy calls.
func BenchmarkAttentionRows(b *testing.B) {
	r := rand.New(rand.NewPCG(2, 2))
	const hd, n = 64, 576
	q, keys, w := randVec(r, hd, 1), randVec(r, n*hd, 1), randVec(r, n, 1)
	s := make([]float32, n)
	y := make([]float32, hd)
	b.Run("scores/Dot-loop", func(b *testing.B) {
		for b.Loop() {
			for j := range s {
				s[j] = Dot(q, keys[j*hd:(j+1)*hd])
			}
		}
	})
	b.Run("scores/DotRows", func(b *testing.B) {
		for b.Loop() {
			DotRows(s, q, keys)
		}
	})
	b.Run("output/Axpy-loop", func(b *testing.B) {
		for b.Loop() {
			for j, a := range w {
				Axpy(a, keys[j*hd:(j+1)*hd], y)
			}
		}
	})
	b.Run("output/AxpyRows", func(b *testing.B) {
		for b.Loop() {
			AxpyRows(y, w, keys)
		}
	})
}
