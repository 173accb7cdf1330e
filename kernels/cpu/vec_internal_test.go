package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// vecImpls lists the implementations of the vector ops to compare with the Generic twins:
// whatever is installed (assembly on amd64 with AVX2, else the twins themselves).
func sameFunc[T any](a, b T) bool { return fmt.Sprintf("%p", any(a)) == fmt.Sprintf("%p", any(b)) }

// ulpsApart returns the distance in float32 units in the last place.
func ulpsApart(a, b float32) float64 {
	if a == b {
		return 0
	}
	if math.IsNaN(float64(a)) || math.IsNaN(float64(b)) {
		return math.Inf(1)
	}
	ia, ib := int64(math.Float32bits(a)), int64(math.Float32bits(b))
	if ia < 0x80000000 != (ib < 0x80000000) {
		return math.Abs(float64(a)) + math.Abs(float64(b)) // opposite signs: report magnitude
	}
	return math.Abs(float64(ia - ib))
}

func randVec(r *rand.Rand, n int, scale float64) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64() * scale)
	}
	return x
}

// TestVecImplsMatchGeneric compares every installed vector op with its Generic twin for lengths
// 0..70 at element offsets 0..3 (alignment), with guards after the outputs.
func TestVecImplsMatchGeneric(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for n := 0; n <= 70; n++ {
		for off := 0; off < 4; off++ {
			a := randVec(r, n+off+1, 3)[off : off+n]
			b := randVec(r, n+off+1, 3)[off : off+n]
			name := fmt.Sprintf("n=%d/off=%d", n, off)
			out := func() ([]float32, []float32) {
				x := make([]float32, n+1)
				y := make([]float32, n+1)
				x[n], y[n] = -7, -7
				return x, y
			}
			check := func(op string, got, want []float32, maxUlps float64) {
				t.Helper()
				for i := range got {
					if d := ulpsApart(got[i], want[i]); d > maxUlps {
						t.Errorf("%s %s: [%d] = %g, Generic %g (%g ulps)", op, name, i, got[i], want[i], d)
						return
					}
				}
			}
			g, w := out()
			mulImpl(g[:n], a, b)
			mulGeneric(w[:n], a, b)
			check("Mul", g, w, 0)
			addImpl(g[:n], a, b)
			addGeneric(w[:n], a, b)
			check("Add", g, w, 0)
			scale2Impl(g[:n], a, 0.3)
			scale2Generic(w[:n], a, 0.3)
			check("Scale2", g, w, 0)
			copy(g, b)
			copy(w, b)
			axpyImpl(1.7, a, g[:n])
			axpyGeneric(1.7, a, w[:n])
			for i := range a { // FMA rounds once, the twin twice: within an ulp of the terms
				if d := math.Abs(float64(g[i] - w[i])); d > 2e-7*(math.Abs(float64(b[i]))+math.Abs(1.7*float64(a[i]))) {
					t.Errorf("Axpy %s: [%d] = %g, Generic %g", name, i, g[i], w[i])
				}
			}
			siluMulImpl(g[:n], a, b)
			siluMulGeneric(w[:n], a, b)
			check("SiLUMul", g, w, 8)
			copy(g, a)
			copy(w, a)
			sg := expSumImpl(g[:n], 2)
			sw := expSumGeneric(w[:n], 2)
			check("expSum", g, w, 4)
			if math.Abs(float64(sg-sw)) > 1e-6*float64(sw)+1e-30 {
				t.Errorf("expSum %s: sum %g, Generic %g", name, sg, sw)
			}
			var abs float64
			for i := range a {
				abs += math.Abs(float64(a[i] * b[i]))
			}
			if d, dg := dotImpl(a, b), dotGeneric(a, b); math.Abs(float64(d-dg)) > 1e-6*abs {
				t.Errorf("Dot %s: %g, Generic %g", name, d, dg)
			}
			if s, sg := sumSquaresImpl(a), sumSquaresGeneric(a); math.Abs(s-sg) > 1e-12*sg {
				t.Errorf("sumSquares %s: %g, Generic %g", name, s, sg)
			}
		}
	}
}

func TestExpSpecialValues(t *testing.T) {
	inf := float32(math.Inf(1))
	tests := []struct {
		name string
		x    float32
		want float32
	}{
		{"zero", 0, 1},
		{"one", 1, float32(math.E)},
		{"-Inf gives 0", -inf, 0},
		{"below -86.6 flushes to 0", -86.7, 0},
		{"+Inf", inf, inf},
		{"overflow", 100, inf},
		{"large", 88, float32(math.Exp(88))},
		{"small", -80, float32(math.Exp(-80))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := []float32{tt.x + 5} // expSum subtracts max = 5
			expSumImpl(x, 5)
			if tt.x == -inf || tt.x == inf {
				x = []float32{tt.x}
				expSumImpl(x, 0)
			}
			if tt.x == -86.7 && math.Abs(float64(x[0])-math.Exp(-86.7)) < 2.4e-38 {
				return // the assembly flushes below −86.6; the Generic twin is exact
			}
			if ulpsApart(x[0], tt.want) > 2 {
				t.Errorf("exp(%g) = %g, want %g", tt.x, x[0], tt.want)
			}
		})
	}
	x := []float32{float32(math.NaN())}
	expSumImpl(x, 0)
	if !math.IsNaN(float64(x[0])) {
		t.Errorf("exp(NaN) = %g, want NaN", x[0])
	}
}

// TestExpAccuracy sweeps exp over [−87, 88.7] and checks the relative error.
func TestExpAccuracy(t *testing.T) {
	const n = 100000
	x := make([]float32, n)
	for i := range x {
		x[i] = -86.6 + float32(i)*(88.7+86.6)/n
	}
	y := append([]float32(nil), x...)
	expSumImpl(y, 0)
	worst := 0.0
	for i := range x {
		want := math.Exp(float64(x[i]))
		rel := math.Abs(float64(y[i])-want) / want
		worst = math.Max(worst, rel)
	}
	if worst > 3e-7 {
		t.Errorf("worst relative error %g > 3e-7", worst)
	}
	t.Logf("worst relative error of exp: %g", worst)
}

// TestF16ConvertMatchesGeneric: every half through the fast widening; random floats (and
// special values) through the fast narrowing.
func TestF16ConvertMatchesGeneric(t *testing.T) {
	src := make([]uint16, 1<<16)
	for i := range src {
		src[i] = uint16(i)
	}
	got := make([]float32, len(src))
	f16ToF32Impl(got, src)
	for i, h := range src {
		w := F16ToF32(h)
		if math.Float32bits(got[i]) != math.Float32bits(w) && !(math.IsNaN(float64(w)) && math.IsNaN(float64(got[i]))) {
			t.Fatalf("widen %#04x: %g, want %g", h, got[i], w)
		}
	}
	r := rand.New(rand.NewPCG(5, 6))
	f := make([]float32, 100003)
	for i := range f {
		f[i] = math.Float32frombits(r.Uint32())
		if i%3 == 0 {
			f[i] = float32(r.NormFloat64() * 1000)
		}
	}
	f[0], f[1], f[2] = 65520, 65519.99, 1.0/(1<<25)
	h := make([]uint16, len(f))
	f32ToF16Impl(h, f)
	for i, v := range f {
		w := F32ToF16(v)
		if math.IsNaN(float64(v)) {
			if h[i]&0x7c00 != 0x7c00 || h[i]&0x3ff == 0 {
				t.Fatalf("narrow NaN: %#04x is not a NaN", h[i])
			}
			continue
		}
		if h[i] != w {
			t.Fatalf("narrow %g: %#04x, want %#04x", v, h[i], w)
		}
	}
}

// TestQuantizeActQ8MatchesGeneric: the installed Q8_0 activation quantizer gives exactly the
// Generic twin's quants, scales and sums (same arithmetic, same rounding).
func TestQuantizeActQ8MatchesGeneric(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 9))
	for _, nb := range []int{1, 2, 28, 152} {
		x := randVec(r, nb*qk, 2)
		for i := 0; i < qk; i++ {
			x[i] = 0 // an all-zero block
		}
		if nb > 1 {
			for i := qk; i < 2*qk; i++ {
				x[i] = float32(i-qk-16) * 0.5 // ties at .5 after scaling by 127/amax = 8
			}
			x[qk] = -15.875 // amax 15.875 → id = 8
		}
		q1, q2 := make([]int8, len(x)), make([]int8, len(x))
		d1, d2 := make([]float32, nb), make([]float32, nb)
		s1, s2 := make([]int32, nb), make([]int32, nb)
		quantizeActQ8(q1, d1, s1, nil, x)
		quantizeActQ8Generic(q2, d2, s2, nil, x)
		for i := range q1 {
			if q1[i] != q2[i] {
				t.Fatalf("nb=%d: q[%d] = %d, Generic %d (x %g)", nb, i, q1[i], q2[i], x[i])
			}
		}
		for b := range d1 {
			if d1[b] != d2[b] || s1[b] != s2[b] {
				t.Fatalf("nb=%d block %d: d %g sum %d, Generic d %g sum %d", nb, b, d1[b], s1[b], d2[b], s2[b])
			}
		}
	}
}

// TestRowsOpsMatchGeneric compares DotRows and AxpyRows (installed) with their Generic twins
// for row widths of attention heads and odd ones, and key counts around the 4-row unroll.
func TestRowsOpsMatchGeneric(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for _, hd := range []int{8, 16, 64, 72, 128, 136, 7, 1} {
		for _, n := range []int{0, 1, 3, 4, 5, 9, 33} {
			q := randVec(r, hd, 1)
			rows := randVec(r, n*hd+1, 1)[:n*hd]
			got := make([]float32, n+1)
			want := make([]float32, n+1)
			got[n], want[n] = -7, -7
			dotRowsImpl(got[:n], q, rows)
			dotRowsGeneric(want[:n], q, rows)
			for j := range got {
				if math.Abs(float64(got[j]-want[j])) > 1e-5*float64(hd) {
					t.Errorf("DotRows hd=%d n=%d: [%d] = %g, Generic %g", hd, n, j, got[j], want[j])
				}
			}
			w := randVec(r, n, 1)
			y1 := randVec(r, hd+1, 1)
			y2 := append([]float32(nil), y1...)
			axpyRowsImpl(y1[:hd], w, rows)
			axpyRowsGeneric(y2[:hd], w, rows)
			for i := range y1 {
				if math.Abs(float64(y1[i]-y2[i])) > 1e-5*float64(n+1) {
					t.Errorf("AxpyRows hd=%d n=%d: [%d] = %g, Generic %g", hd, n, i, y1[i], y2[i])
				}
			}
		}
	}
}
