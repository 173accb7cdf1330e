package cpu

import (
	"sync"
	"unsafe"
)

// Tile kernels: the inner loops of MatMul for the weight types with assembly (Q8_0, Q4_0).
// A tile kernel computes an R×T tile of the product: for r in [0, R) and t in [0, T),
//
//	dst[t·ldd + r] = Σ_b s(r, b, t) · dot_b(r, t)
//
// over the nb blocks b of weight row r (w + r·rb bytes) and activation row t (quants x + t·nb·32,
// scales xd + t·nb, block sums xs + t·nb), where s = tab[f16 bits of the weight block's d] ·
// xd[b] and dot_b is the integer dot product of the block (for Q4_0 with the −8 offset of the
// weights). Pointers rather than slices keep the per-call cost low: callers check bounds.
type tileKernel func(dst *float32, ldd int, w *byte, rb int, nb int, x *int8, xd *float32, xs *int32, tab *float32)

// tileSet is the kernels of one weight type indexed by [R][T] (nil where not provided); the
// driver uses mainR×mainT tiles for prompts, decR×1 tiles for one token, and smaller ones for the
// edges.
type tileSet struct {
	k            [5][4]tileKernel
	gemv         gemvKernel // one token, one row at a time
	mainR, mainT int
	blockBytes   int
}

// gemvKernel computes dst[r] for r < rows: weight row r (w + r·rb) times one activation row.
type gemvKernel func(dst *float32, rows int, w *byte, rb int, nb int, x *int8, xd *float32, xs *int32, tab *float32)

// gemvGeneric is the plain-Go twin of the gemv kernels, from the 1×1 tile twin k.
func gemvGeneric(k tileKernel) gemvKernel {
	return func(dst *float32, rows int, w *byte, rb int, nb int, x *int8, xd *float32, xs *int32, tab *float32) {
		for r := 0; r < rows; r++ {
			k((*float32)(unsafe.Add(unsafe.Pointer(dst), 4*r)), 1, (*byte)(unsafe.Add(unsafe.Pointer(w), r*rb)), rb, nb, x, xd, xs, tab)
		}
	}
}

// f16Table maps every f16 bit pattern to its float32 value (256 KiB): the kernels look up
// weight block scales in it, like ggml's ggml_table_f32_f16.
var (
	f16Table     [1 << 16]float32
	f16TableOnce sync.Once
)

func initF16Table() {
	f16TableOnce.Do(func() {
		for i := range f16Table {
			f16Table[i] = F16ToF32(uint16(i))
		}
	})
}

// rows returns a rowsKernel running the tile kernels of ts.
func (ts *tileSet) rows() rowsKernel {
	return func(dst []float32, ldd int, w []byte, rb, lo, hi int, a *acts) {
		ts.run(dst, ldd, w, rb, lo, hi, a)
	}
}

func (ts *tileSet) run(dst []float32, ldd int, w []byte, rb, lo, hi int, a *acts) {
	nb := a.cols / qk
	n := a.n
	// Bounds, once: every tile reads rows [lo, hi) of w and all tokens of a, and writes
	// dst[t·ldd + r] for t < n, r in [lo, hi).
	_ = w[hi*rb-1]
	_ = a.qs[n*a.cols-1]
	_ = a.d[n*nb-1]
	_ = a.isum[n*nb-1]
	_ = dst[(n-1)*ldd+hi-1]
	tab := &f16Table[0]
	call := func(k tileKernel, r, t int) {
		k(&dst[t*ldd+r], ldd, &w[r*rb], rb, nb, &a.qs[t*a.cols], &a.d[t*nb], &a.isum[t*nb], tab)
	}
	if n == 1 {
		ts.gemv(&dst[lo], hi-lo, &w[lo*rb], rb, nb, &a.qs[0], &a.d[0], &a.isum[0], tab)
		return
	}
	R, T := ts.mainR, ts.mainT
	r := lo
	for ; r+R <= hi; r += R {
		t := 0
		for ; t+T <= n; t += T {
			call(ts.k[R][T], r, t)
		}
		for ; t < n; t++ {
			call(ts.k[R][1], r, t)
		}
	}
	for ; r < hi; r++ {
		t := 0
		for ; t+T <= n; t += T {
			call(ts.k[1][T], r, t)
		}
		for ; t < n; t++ {
			call(ts.k[1][1], r, t)
		}
	}
}

// Generic tile kernels, the plain-Go twins of the assembly ones (same signature, any R×T).

func gemmQ8_0Generic(R, T int) tileKernel {
	return func(dst *float32, ldd int, w *byte, rb int, nb int, x *int8, xd *float32, xs *int32, tab *float32) {
		W := unsafe.Slice(w, (R-1)*rb+nb*blockQ8_0)
		X := unsafe.Slice(x, ((T-1)*nb+nb)*qk)
		D := unsafe.Slice(xd, T*nb)
		tb := (*[1 << 16]float32)(unsafe.Pointer(tab))
		out := unsafe.Slice(dst, (T-1)*ldd+R)
		for t := 0; t < T; t++ {
			for r := 0; r < R; r++ {
				var sum float32
				for b := 0; b < nb; b++ {
					blk := W[r*rb+b*blockQ8_0:]
					xq := X[(t*nb+b)*qk:]
					var dot int32
					for j := 0; j < qk; j++ {
						dot += int32(int8(blk[2+j])) * int32(xq[j])
					}
					sum += float32(dot) * float32(tb[le16(blk)]*D[t*nb+b])
				}
				out[t*ldd+r] = sum
			}
		}
	}
}

func gemmQ4_0Generic(R, T int) tileKernel {
	return func(dst *float32, ldd int, w *byte, rb int, nb int, x *int8, xd *float32, xs *int32, tab *float32) {
		W := unsafe.Slice(w, (R-1)*rb+nb*blockQ4_0)
		X := unsafe.Slice(x, T*nb*qk)
		D := unsafe.Slice(xd, T*nb)
		S := unsafe.Slice(xs, T*nb)
		tb := (*[1 << 16]float32)(unsafe.Pointer(tab))
		out := unsafe.Slice(dst, (T-1)*ldd+R)
		for t := 0; t < T; t++ {
			for r := 0; r < R; r++ {
				var sum float32
				for b := 0; b < nb; b++ {
					blk := W[r*rb+b*blockQ4_0:]
					xq := X[(t*nb+b)*qk:]
					var dot int32
					for j := 0; j < qk/2; j++ {
						dot += int32(blk[2+j]&0xf)*int32(xq[j]) + int32(blk[2+j]>>4)*int32(xq[j+qk/2])
					}
					dot -= 8 * S[t*nb+b]
					sum += float32(dot) * float32(tb[le16(blk)]*D[t*nb+b])
				}
				out[t*ldd+r] = sum
			}
		}
	}
}
