package cpu_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/llmls/llmls/kernels"
	"github.com/llmls/llmls/kernels/cpu"
)

// matMulTol is the relative tolerance of MatMul against the float64 reference on the same
// quantized operands: the kernels accumulate block results in float32, so errors grow like
// ε_f32·(number of blocks) relative to Σ|w·x|.
const matMulTol = 1e-5

// refMatMul computes, in float64, the product MatMul should give: the dequantized weights times
// the activations quantized to the partner type as MatMul quantizes them. For Q8_1 partners
// ggml's dot uses s = f16(d·Σq) for the min term, so the reference does too. It also returns
// the per-output tolerance.
func refMatMul(t *testing.T, w cpu.Matrix, x []float32, nTokens int) (want, tol []float64) {
	t.Helper()
	W := make([]float32, w.Rows*w.Cols)
	for r := 0; r < w.Rows; r++ {
		w.DequantizeRow(r, W[r*w.Cols:(r+1)*w.Cols])
	}
	var mins []float32 // Q4_1/Q5_1: per block m
	if w.Type == kernels.Q4_1 || w.Type == kernels.Q5_1 {
		rb := w.RowBytes()
		bs := w.Type.TypeSize()
		for r := 0; r < w.Rows; r++ {
			for b := 0; b < w.Cols/32; b++ {
				blk := w.Data[r*rb+b*bs:]
				mins = append(mins, cpu.F16ToF32(uint16(blk[2])|uint16(blk[3])<<8))
			}
		}
	}
	want = make([]float64, nTokens*w.Rows)
	tol = make([]float64, nTokens*w.Rows)
	for tk := 0; tk < nTokens; tk++ {
		a, s := cpu.ActRef(w.Type, x[tk*w.Cols:(tk+1)*w.Cols])
		for r := 0; r < w.Rows; r++ {
			var sum, abs float64
			for c := 0; c < w.Cols; c++ {
				wv := float64(W[r*w.Cols+c])
				if mins != nil {
					wv -= float64(mins[r*w.Cols/32+c/32])
				}
				sum += wv * float64(a[c])
				abs += math.Abs(wv * float64(a[c]))
			}
			for b := range s {
				m := float64(mins[r*w.Cols/32+b])
				sum += m * float64(s[b])
				abs += math.Abs(m * float64(s[b]))
			}
			want[tk*w.Rows+r] = sum
			tol[tk*w.Rows+r] = matMulTol*abs + 1e-30
		}
	}
	return want, tol
}

func newMatrix(t *testing.T, typ kernels.DType, rows, cols int, seed uint64) cpu.Matrix {
	t.Helper()
	w, err := cpu.NewMatrix(typ, rows, cols, quantize(t, typ, randFloats(seed, rows*cols, 0.5)))
	if err != nil {
		t.Fatal(err)
	}
	return w
}

const guard = float32(-12345.5)

func TestMatMul(t *testing.T) {
	pools := []struct {
		name string
		p    *cpu.Pool
	}{{"nil", nil}, {"3threads", cpu.NewPool(3)}}
	defer pools[1].p.Close()
	for _, typ := range cpu.MatMulTypes {
		bs := typ.BlockSize()
		if bs == 1 {
			bs = 32 // float types: test the same lengths as the 32-blocks
		}
		for _, cols := range []int{bs, 2 * bs, 3 * bs, 1, 7} {
			if cols%typ.BlockSize() != 0 {
				continue
			}
			for _, rows := range []int{1, 5, 33} {
				for nTokens := 1; nTokens <= 5; nTokens++ {
					w := newMatrix(t, typ, rows, cols, uint64(cols*rows+nTokens))
					x := randFloats(uint64(1000+nTokens), nTokens*cols, 1)
					x[0] = 3 // a block whose max is positive
					want, tol := refMatMul(t, w, x, nTokens)
					for _, pl := range pools {
						name := fmt.Sprintf("%v/cols=%d/rows=%d/n=%d/%s", typ, cols, rows, nTokens, pl.name)
						t.Run(name, func(t *testing.T) {
							dst := make([]float32, nTokens*rows+2)
							dst[0], dst[len(dst)-1] = guard, guard
							cpu.MatMul(pl.p, dst[1:len(dst)-1], w, x, nTokens)
							if dst[0] != guard || dst[len(dst)-1] != guard {
								t.Fatalf("guard values overwritten: %g %g", dst[0], dst[len(dst)-1])
							}
							checkClose(t, "dst", dst[1:len(dst)-1], want, tol)
						})
					}
				}
			}
		}
	}
}

// TestMatMulHand: one block of each quantized type times activations whose quantization is
// exact, against sums worked out by hand.
func TestMatMulHand(t *testing.T) {
	// Activations: x[j] = 127 at the start of each 32-block, else (j mod 5) − 2: with amax 127
	// the Q8 scale is 1 (exact in f16) and every value is an integer, so quantization is exact.
	mk := func(n int) []float32 {
		x := make([]float32, n)
		for j := range x {
			x[j] = float32(j%5 - 2)
		}
		for j := 0; j < n; j += 32 {
			x[j] = 127
		}
		return x
	}
	tests := []struct {
		name string
		typ  kernels.DType
		w    func(n int) []float32 // weights, exactly representable in the type
		n    int
	}{
		// Q8_0 with max |w| 127 and integer weights: d = 1.
		{"Q8_0", kernels.Q8_0, func(n int) []float32 {
			w := make([]float32, n)
			for j := range w {
				w[j] = float32(j%7 - 3)
			}
			w[1] = -127
			return w
		}, 32},
		// Q4_0 with max −8 (d = 1) and integers in [−8, 7].
		{"Q4_0", kernels.Q4_0, func(n int) []float32 {
			w := make([]float32, n)
			for j := range w {
				w[j] = float32(j%16 - 8)
			}
			return w
		}, 64},
		// Q5_0 with max −16 (d = 1) and integers in [−16, 15].
		{"Q5_0", kernels.Q5_0, func(n int) []float32 {
			w := make([]float32, n)
			for j := range w {
				w[j] = float32(j%32 - 16)
			}
			return w
		}, 32},
		// Q4_1: min 0, max 15 → d = 1, m = 0.
		{"Q4_1", kernels.Q4_1, func(n int) []float32 {
			w := make([]float32, n)
			for j := range w {
				w[j] = float32(j % 16)
			}
			return w
		}, 32},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wf, x := tt.w(tt.n), mk(tt.n)
			var want float32 // the sum of integer products, exact in float32
			for j := range wf {
				want += wf[j] * x[j]
			}
			if back := dequantize(t, tt.typ, quantize(t, tt.typ, wf), tt.n); fmt.Sprint(back) != fmt.Sprint(wf) {
				t.Fatalf("weights not exact in %v: %v", tt.typ, back)
			}
			w, err := cpu.NewMatrix(tt.typ, 1, tt.n, quantize(t, tt.typ, wf))
			if err != nil {
				t.Fatal(err)
			}
			var got [1]float32
			cpu.MatMul(nil, got[:], w, x, 1)
			if got[0] != want {
				t.Errorf("MatMul = %g, want %g", got[0], want)
			}
		})
	}
}

func TestNewMatrixErrors(t *testing.T) {
	tests := []struct {
		name       string
		typ        kernels.DType
		rows, cols int
		nbytes     int
	}{
		{"unsupported", kernels.Q2_K, 1, 256, 84},
		{"not whole blocks", kernels.Q8_0, 1, 33, 34},
		{"short data", kernels.Q8_0, 2, 32, 34},
		{"zero rows", kernels.Q8_0, 0, 32, 0},
		{"negative cols", kernels.F32, 1, -4, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := cpu.NewMatrix(tt.typ, tt.rows, tt.cols, make([]byte, tt.nbytes)); err == nil {
				t.Error("no error")
			}
		})
	}
}

func TestMatMulPanics(t *testing.T) {
	w := newMatrix(t, kernels.Q8_0, 2, 32, 1)
	tests := []struct {
		name string
		f    func()
	}{
		{"short x", func() { cpu.MatMul(nil, make([]float32, 2), w, make([]float32, 31), 1) }},
		{"short dst", func() { cpu.MatMul(nil, make([]float32, 1), w, make([]float32, 32), 1) }},
		{"bad matrix", func() {
			cpu.MatMul(nil, make([]float32, 2), cpu.Matrix{Type: kernels.Q8_0, Rows: 2, Cols: 32}, make([]float32, 32), 1)
		}},
		{"row out of range", func() { w.DequantizeRow(2, make([]float32, 32)) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if _, ok := recover().(*cpu.ShapeError); !ok {
					t.Error("did not panic with a *ShapeError")
				}
			}()
			tt.f()
		})
	}
}
