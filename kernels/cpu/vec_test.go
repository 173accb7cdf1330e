package cpu_test

import (
	"math"
	"testing"

	"github.com/llmls/llmls/kernels/cpu"
)

var vecLengths = []int{0, 1, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 100, 896}

func f64(x []float32) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}

func relTol(want []float64, rel float64) []float64 {
	tol := make([]float64, len(want))
	for i, w := range want {
		tol[i] = rel*math.Abs(w) + 1e-30
	}
	return tol
}

// sumAbs returns |a[i]| + |s·b[i]|.
func sumAbs(a, b []float32, s float64) []float64 {
	y := make([]float64, len(a))
	for i := range a {
		y[i] = math.Abs(float64(a[i])) + math.Abs(s*float64(b[i]))
	}
	return y
}

// withGuards returns a slice of n elements inside a larger buffer with guard values around it,
// and a function that checks the guards.
func withGuards(t *testing.T, n int) ([]float32, func()) {
	buf := make([]float32, n+2)
	buf[0], buf[n+1] = guard, guard
	return buf[1 : n+1], func() {
		t.Helper()
		if buf[0] != guard || buf[n+1] != guard {
			t.Fatalf("guard values overwritten")
		}
	}
}

func TestVecOps(t *testing.T) {
	const rel = 1e-6
	for _, n := range vecLengths {
		a := randFloats(uint64(n), n, 1)
		b := randFloats(uint64(n+1000), n, 1)
		t.Run("Mul", func(t *testing.T) {
			dst, check := withGuards(t, n)
			cpu.Mul(dst, a, b)
			check()
			want := make([]float64, n)
			for i := range want {
				want[i] = float64(a[i]) * float64(b[i])
			}
			checkClose(t, "Mul", dst, want, relTol(want, rel))
		})
		t.Run("Add", func(t *testing.T) {
			dst, check := withGuards(t, n)
			cpu.Add(dst, a, b)
			check()
			want := make([]float64, n)
			for i := range want {
				want[i] = float64(a[i]) + float64(b[i])
			}
			// Cancellation: the error bound is relative to the operands, not the sum.
			checkClose(t, "Add", dst, want, relTol(sumAbs(a, b, 1), rel))
		})
		t.Run("SiLUMul", func(t *testing.T) {
			dst, check := withGuards(t, n)
			cpu.SiLUMul(dst, a, b)
			check()
			want := make([]float64, n)
			for i := range want {
				g := float64(a[i])
				want[i] = g / (1 + math.Exp(-g)) * float64(b[i])
			}
			checkClose(t, "SiLUMul", dst, want, relTol(want, 1e-5))
		})
		t.Run("RMSNorm", func(t *testing.T) {
			dst, check := withGuards(t, n)
			cpu.RMSNorm(dst, a, 1e-6)
			check()
			var ss float64
			for _, v := range a {
				ss += float64(v) * float64(v)
			}
			want := make([]float64, n)
			for i := range want {
				want[i] = float64(a[i]) / math.Sqrt(ss/float64(n)+1e-6)
			}
			checkClose(t, "RMSNorm", dst, want, relTol(want, 1e-5))
		})
		t.Run("Softmax", func(t *testing.T) {
			x, check := withGuards(t, n)
			copy(x, a)
			if n > 2 {
				x[1] = float32(math.Inf(-1)) // masked
			}
			in := f64(x)
			cpu.Softmax(x)
			check()
			mx := math.Inf(-1)
			for _, v := range in {
				mx = math.Max(mx, v)
			}
			var sum float64
			want := make([]float64, n)
			for i, v := range in {
				want[i] = math.Exp(v - mx)
				sum += want[i]
			}
			for i := range want {
				want[i] /= sum
			}
			checkClose(t, "Softmax", x, want, relTol(want, 1e-5))
		})
		t.Run("Dot", func(t *testing.T) {
			var want, abs float64
			for i := range a {
				want += float64(a[i]) * float64(b[i])
				abs += math.Abs(float64(a[i]) * float64(b[i]))
			}
			got := cpu.Dot(a, b)
			checkClose(t, "Dot", []float32{got}, []float64{want}, []float64{1e-6*abs + 1e-30})
		})
		t.Run("Axpy", func(t *testing.T) {
			y, check := withGuards(t, n)
			copy(y, b)
			cpu.Axpy(0.75, a, y)
			check()
			want := make([]float64, n)
			for i := range want {
				want[i] = float64(b[i]) + 0.75*float64(a[i])
			}
			checkClose(t, "Axpy", y, want, relTol(sumAbs(b, a, 0.75), 2*rel))
		})
		t.Run("Scale", func(t *testing.T) {
			x, check := withGuards(t, n)
			copy(x, a)
			cpu.Scale(x, -1.5)
			check()
			want := make([]float64, n)
			for i := range want {
				want[i] = -1.5 * float64(a[i])
			}
			checkClose(t, "Scale", x, want, relTol(want, rel))
		})
	}
}

func TestVecNaNInf(t *testing.T) {
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	a := []float32{1, inf, nan, -2}
	b := []float32{2, 1, 1, 0}
	dst := make([]float32, 4)
	cpu.Mul(dst, a, b)
	if dst[0] != 2 || !math.IsInf(float64(dst[1]), 1) || !math.IsNaN(float64(dst[2])) {
		t.Errorf("Mul propagates Inf/NaN wrongly: %v", dst)
	}
	if d := cpu.Dot(a, b); !math.IsNaN(float64(d)) {
		t.Errorf("Dot with NaN = %g, want NaN", d)
	}
	x := []float32{0, float32(math.Inf(-1)), 0}
	cpu.Softmax(x)
	if x[0] != 0.5 || x[1] != 0 || x[2] != 0.5 {
		t.Errorf("Softmax with a −Inf entry = %v, want [0.5 0 0.5]", x)
	}
	g := []float32{-100, 100}
	cpu.SiLUMul(g, g, []float32{1, 1})
	if g[0] != 0 && math.Abs(float64(g[0])) > 1e-30 || g[1] != 100 {
		t.Errorf("SiLU saturation: %v", g)
	}
}

func TestVecPanics(t *testing.T) {
	defer func() {
		if _, ok := recover().(*cpu.ShapeError); !ok {
			t.Error("length mismatch did not panic with *ShapeError")
		}
	}()
	cpu.Add(make([]float32, 3), make([]float32, 3), make([]float32, 2))
}
