package cpu

import (
	"fmt"
	"math"
)

// The vector ops of a transformer layer on float32 slices. Lengths must match (documented per
// function); a mismatch panics with a *ShapeError. Sources: ggml/src/ggml-cpu/vec.h, ops.cpp.
// Each op checks its arguments and calls an implementation through a variable holding either the
// plain-Go twin (name ending in Generic, in this file) or an assembly version (vec_amd64.go).

func checkLen(op string, n int, others ...int) {
	for _, m := range others {
		if m != n {
			panic(&ShapeError{Op: op, Msg: fmt.Sprintf("length mismatch: %d vs %d", n, m)})
		}
	}
}

// Implementations in use.
var (
	mulImpl        = mulGeneric
	addImpl        = addGeneric
	scale2Impl     = scale2Generic
	axpyImpl       = axpyGeneric
	siluMulImpl    = siluMulGeneric
	expSumImpl     = expSumGeneric
	dotImpl        = dotGeneric
	sumSquaresImpl = sumSquaresGeneric
	f16ToF32Impl   = f16ToF32Generic
	f32ToF16Impl   = f32ToF16Generic
)

// RMSNorm sets dst = x / sqrt(mean(x²) + eps), without the weight multiply (compose with [Mul]).
// len(dst) == len(x); dst may be x. The squares are summed in float64 like ggml's
// ggml_compute_forward_rms_norm_f32. An empty x is a no-op.
func RMSNorm(dst, x []float32, eps float32) {
	checkLen("RMSNorm", len(dst), len(x))
	if len(x) == 0 {
		return
	}
	mean := float32(sumSquaresImpl(x) / float64(len(x)))
	scale2Impl(dst, x, 1/float32(math.Sqrt(float64(mean+eps))))
}

// Scale2 sets dst = s·x. len(dst) == len(x); dst may be x.
func Scale2(dst, x []float32, s float32) {
	checkLen("Scale2", len(dst), len(x))
	scale2Impl(dst, x, s)
}

// Scale sets x *= s.
func Scale(x []float32, s float32) { scale2Impl(x, x, s) }

// Mul sets dst = a ⊙ b (element-wise). All three lengths equal; dst may alias a or b.
func Mul(dst, a, b []float32) {
	checkLen("Mul", len(dst), len(a), len(b))
	mulImpl(dst, a, b)
}

// Add sets dst = a + b. All three lengths equal; dst may alias a or b.
func Add(dst, a, b []float32) {
	checkLen("Add", len(dst), len(a), len(b))
	addImpl(dst, a, b)
}

// SiLUMul sets dst = silu(gate) ⊙ up with silu(g) = g·σ(g) = g / (1 + e^−g): the SwiGLU of a
// feed-forward block (ggml_vec_swiglu_f32). All lengths equal; dst may alias gate or up.
// The assembly version's e^x has a relative error below 2e-7.
func SiLUMul(dst, gate, up []float32) {
	checkLen("SiLUMul", len(dst), len(gate), len(up))
	siluMulImpl(dst, gate, up)
}

// Softmax replaces x by softmax(x) = e^(x−max) / Σ e^(x−max) (ggml_vec_soft_max_f32). Entries of
// −Inf (masked) become 0. An empty x is a no-op.
func Softmax(x []float32) {
	if len(x) == 0 {
		return
	}
	mx := float32(math.Inf(-1))
	for _, v := range x {
		mx = max(mx, v)
	}
	sum := expSumImpl(x, mx)
	scale2Impl(x, x, 1/sum)
}

// Dot returns Σ a[i]·b[i]. len(a) == len(b).
func Dot(a, b []float32) float32 {
	checkLen("Dot", len(a), len(b))
	return dotImpl(a, b)
}

// Axpy sets y += a·x. len(x) == len(y).
func Axpy(a float32, x, y []float32) {
	checkLen("Axpy", len(x), len(y))
	axpyImpl(a, x, y)
}

// ConvertF16ToF32 widens IEEE half values (bits) to float32: dst[i] = F16ToF32(src[i]).
// len(dst) == len(src).
func ConvertF16ToF32(dst []float32, src []uint16) {
	checkLen("ConvertF16ToF32", len(dst), len(src))
	f16ToF32Impl(dst, src)
}

// ConvertF32ToF16 rounds float32 values to IEEE half bits: dst[i] = F32ToF16(src[i]) (nearest,
// ties to even). len(dst) == len(src).
func ConvertF32ToF16(dst []uint16, src []float32) {
	checkLen("ConvertF32ToF16", len(dst), len(src))
	f32ToF16Impl(dst, src)
}

// Generic twins.

func mulGeneric(dst, a, b []float32) {
	for i := range dst {
		dst[i] = a[i] * b[i]
	}
}

func addGeneric(dst, a, b []float32) {
	for i := range dst {
		dst[i] = a[i] + b[i]
	}
}

func scale2Generic(dst, x []float32, s float32) {
	for i, v := range x {
		dst[i] = v * s
	}
}

func axpyGeneric(a float32, x, y []float32) {
	for i, v := range x {
		y[i] += a * v
	}
}

func siluMulGeneric(dst, gate, up []float32) {
	for i, g := range gate {
		dst[i] = g / (1 + float32(math.Exp(float64(-g)))) * up[i]
	}
}

// expSumGeneric sets x[i] = e^(x[i]−max) and returns their sum.
func expSumGeneric(x []float32, max float32) float32 {
	var sum float32
	for i, v := range x {
		e := float32(math.Exp(float64(v - max)))
		x[i] = e
		sum += e
	}
	return sum
}

func dotGeneric(a, b []float32) float32 {
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// sumSquaresGeneric returns Σ x² with each square rounded to float32 and summed in float64.
func sumSquaresGeneric(x []float32) float64 {
	var sum float64
	for _, v := range x {
		sum += float64(v * v)
	}
	return sum
}

func f16ToF32Generic(dst []float32, src []uint16) {
	for i, h := range src {
		dst[i] = F16ToF32(h)
	}
}

func f32ToF16Generic(dst []uint16, src []float32) {
	for i, v := range src {
		dst[i] = F32ToF16(v)
	}
}

// DotRows sets dst[j] = Σ_d q[d]·rows[j·len(q)+d] for j < len(dst): one query against len(dst)
// keys stored row-major ([len(dst), len(q)]), the scores of attention in one call. It panics with
// a *ShapeError if len(rows) < len(dst)·len(q).
func DotRows(dst, q, rows []float32) {
	if len(rows) < len(dst)*len(q) {
		panic(&ShapeError{Op: "DotRows", Msg: fmt.Sprintf("rows has %d elements, need %d×%d", len(rows), len(dst), len(q))})
	}
	dotRowsImpl(dst, q, rows)
}

// AxpyRows sets y += Σ_j w[j]·rows[j·len(y) : (j+1)·len(y)] for j < len(w): the weighted sum of
// len(w) values stored row-major ([len(w), len(y)]), the output of attention in one call. It
// panics with a *ShapeError if len(rows) < len(w)·len(y).
func AxpyRows(y, w, rows []float32) {
	if len(rows) < len(w)*len(y) {
		panic(&ShapeError{Op: "AxpyRows", Msg: fmt.Sprintf("rows has %d elements, need %d×%d", len(rows), len(w), len(y))})
	}
	axpyRowsImpl(y, w, rows)
}

var (
	dotRowsImpl  = dotRowsGeneric
	axpyRowsImpl = axpyRowsGeneric
)

func dotRowsGeneric(dst, q, rows []float32) {
	n := len(q)
	for j := range dst {
		dst[j] = dotImpl(q, rows[j*n:(j+1)*n])
	}
}

func axpyRowsGeneric(y, w, rows []float32) {
	n := len(y)
	for j, a := range w {
		axpyImpl(a, rows[j*n:(j+1)*n], y)
	}
}
