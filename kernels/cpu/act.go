package cpu

import (
	"math"

	"github.com/llmls/llmls/kernels"
)

// actRow is one row of activations converted to a weight type's vec_dot partner. The layout is
// ours (structure of arrays, so SIMD kernels load quants contiguously), the values are exactly
// those of ggml's block_q8_0 / block_q8_1 / block_q8_K / f16 / bf16 rows:
//   - Q8_0: qs[n], d[n/32] (the f16-rounded block scale as float32), isum[n/32] = Σ block qs.
//   - Q8_1: qs, d, isum as Q8_0, s[n/32] = f16(d·Σqs) as float32 (ggml's block_q8_1.s).
//   - Q8_K: qs[n], d[n/256] (float32), bsum[n/16] = Σ of each 16 qs (block_q8_K.bsums).
//   - F32, F16, BF16: f[n], the values rounded to the partner type.
type actRow struct {
	qs   []int8
	d    []float32
	s    []float32
	isum []int32
	bsum []int16
	f    []float32
}

// acts holds nTokens rows of one partner type, contiguous, and hands out actRow views.
type acts struct {
	kind kernels.DType
	cols int
	n    int // tokens
	qs   []int8
	d    []float32
	s    []float32
	isum []int32
	bsum []int16
	f    []float32
	xu   []uint8 // panel activations: qs+128 (Q4_0 panels)
	x16  []int16 // panel activations: qs as int16 (Q8_0 panels)

	// Pair-arranged copy for the one-token Q4_0 kernel (see q4Pairs); pairsOK when filled.
	pq      []int8
	pcorr   []int32
	pdx     []float32
	pairsOK bool
}

// partner returns the vec_dot partner type of weight type t (ggml-cpu.c type_traits_cpu
// vec_dot_type).
func partner(t kernels.DType) kernels.DType {
	switch t {
	case kernels.Q4_0, kernels.Q5_0, kernels.Q8_0:
		return kernels.Q8_0
	case kernels.Q4_1, kernels.Q5_1:
		return kernels.Q8_1
	case kernels.Q4_K, kernels.Q5_K, kernels.Q6_K:
		return kernels.Q8_K
	}
	return t // F32, F16, BF16
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// reset sizes a for nTokens rows of cols elements of partner kind k, reusing its buffers.
func (a *acts) reset(k kernels.DType, cols, nTokens int) {
	a.kind, a.cols, a.n = k, cols, nTokens
	a.pairsOK = false
	total := cols * nTokens
	switch k {
	case kernels.Q8_0, kernels.Q8_1:
		a.qs = grow(a.qs, total)
		a.d = grow(a.d, total/qk)
		a.isum = grow(a.isum, total/qk)
		a.s = grow(a.s, total/qk)
	case kernels.Q8_K:
		a.qs = grow(a.qs, total)
		a.d = grow(a.d, total/qkK)
		a.bsum = grow(a.bsum, total/16)
	default:
		a.f = grow(a.f, total)
	}
}

// row returns token t's view.
func (a *acts) row(t int) actRow {
	c := a.cols
	switch a.kind {
	case kernels.Q8_0, kernels.Q8_1:
		nb := c / qk
		return actRow{qs: a.qs[t*c : (t+1)*c], d: a.d[t*nb : (t+1)*nb], s: a.s[t*nb : (t+1)*nb], isum: a.isum[t*nb : (t+1)*nb]}
	case kernels.Q8_K:
		nb := c / qkK
		return actRow{qs: a.qs[t*c : (t+1)*c], d: a.d[t*nb : (t+1)*nb], bsum: a.bsum[t*c/16 : (t+1)*c/16]}
	}
	return actRow{f: a.f[t*c : (t+1)*c]}
}

// quantizeRow converts x (one token, cols elements) into row t of a.
func (a *acts) quantizeRow(t int, x []float32) {
	r := a.row(t)
	switch a.kind {
	case kernels.Q8_0:
		quantizeActQ8(r.qs, r.d, r.isum, nil, x)
	case kernels.Q8_1:
		quantizeActQ8(r.qs, r.d, r.isum, r.s, x)
	case kernels.Q8_K:
		quantizeActQ8K(r.qs, r.d, r.bsum, x)
	case kernels.F16:
		for i, v := range x {
			r.f[i] = roundF16(v)
		}
	case kernels.BF16:
		for i, v := range x {
			r.f[i] = BF16ToF32(F32ToBF16(v))
		}
	default:
		copy(r.f, x)
	}
}

// quantizeActQ8Generic quantizes x to Q8_0 (s == nil) or Q8_1 the way ggml-cpu's x86 build does
// (arch/x86/quants.c quantize_row_q8_0 / q8_1): d = amax/127 stored as f16, q = round-half-even
// of x·(127/amax), s = f16(d·Σq). It also records Σq per block in isum.
func quantizeActQ8Generic(qs []int8, d []float32, isum []int32, s []float32, x []float32) {
	for i := range d {
		xb := x[i*qk : (i+1)*qk]
		var amax float32
		for _, v := range xb {
			amax = max(amax, fabs32(v))
		}
		dd := amax / 127
		d[i] = roundF16(dd)
		var id float32
		if amax != 0 {
			id = 127 / amax
		}
		sum := 0
		q := qs[i*qk : (i+1)*qk]
		for j, v := range xb {
			qv := int8(math.RoundToEven(float64(float32(v * id))))
			q[j] = qv
			sum += int(qv)
		}
		isum[i] = int32(sum)
		if s != nil {
			s[i] = roundF16(dd * float32(sum))
		}
	}
}

// quantizeActQ8KGeneric is quantize_row_q8_K_ref in actRow layout.
func quantizeActQ8KGeneric(qs []int8, d []float32, bsum []int16, x []float32) {
	for i := range d {
		xb := x[i*qkK : (i+1)*qkK]
		q := qs[i*qkK : (i+1)*qkK]
		var amax, mx float32
		for _, v := range xb {
			if ax := fabs32(v); ax > amax {
				amax, mx = ax, v
			}
		}
		if amax == 0 {
			d[i] = 0
			clear(q)
			clear(bsum[i*16 : i*16+16])
			continue
		}
		iscale := -127 / mx
		for j, v := range xb {
			q[j] = int8(min(127, nearestInt(float32(iscale*v))))
		}
		for j := 0; j < 16; j++ {
			sum := 0
			for _, v := range q[16*j : 16*j+16] {
				sum += int(v)
			}
			bsum[i*16+j] = int16(sum)
		}
		d[i] = 1 / iscale
	}
}
