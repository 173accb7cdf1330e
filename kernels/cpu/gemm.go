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

// tileSet is the kernels of one weight type indexed by [R][T] (nil where not provided): the
// driver uses the gemv kernel for one token, mainR×mainT tiles for several (when panels are not
// used), and smaller tiles for the edges.
type tileSet struct {
	k            [5][4]tileKernel
	gemv         gemvKernel  // one token, one row at a time
	gemvP        gemvPKernel // one token on pair-arranged activations (Q4_0), or nil
	mainR, mainT int
	blockBytes   int
}

// gemvPKernel is gemvKernel on activations also arranged by block pairs (q4Pairs); x, xd, xs in
// the plain layout serve an odd last block.
type gemvPKernel func(dst *float32, rows int, w *byte, rb int, nb int, xq *int8, corr *int32, dx *float32, x *int8, xd *float32, xs *int32, tab *float32)

// q4Pairs fills a's pair-arranged copy of its single Q8_0 row for gemvQ4_0P: for blocks A = 2p,
// B = 2p+1: pq[64p:] = x_A[0:16], x_B[0:16], x_A[16:32], x_B[16:32]; pcorr[8p:] = 2·Σx_A four
// times then 2·Σx_B four times; pdx[8p:] = d_A four times then d_B four times.
func q4Pairs(a *acts) {
	nb := a.cols / qk
	np := nb / 2
	a.pq = grow(a.pq, np*64)
	a.pcorr = grow(a.pcorr, np*8)
	a.pdx = grow(a.pdx, np*8)
	for p := 0; p < np; p++ {
		A, B := a.qs[64*p:64*p+32], a.qs[64*p+32:64*p+64]
		q := a.pq[64*p : 64*p+64]
		copy(q[0:16], A[0:16])
		copy(q[16:32], B[0:16])
		copy(q[32:48], A[16:32])
		copy(q[48:64], B[16:32])
		for l := 0; l < 4; l++ {
			a.pcorr[8*p+l], a.pcorr[8*p+4+l] = 2*a.isum[2*p], 2*a.isum[2*p+1]
			a.pdx[8*p+l], a.pdx[8*p+4+l] = a.d[2*p], a.d[2*p+1]
		}
	}
	a.pairsOK = true
}

// gemvQ4_0PGeneric is the plain-Go twin of gemvQ4_0P: the pair-arranged activations give the
// same sums as the plain ones, which it reads from the pair arrays (and the plain ones for an
// odd last block).
func gemvQ4_0PGeneric(dst *float32, rows int, w *byte, rb int, nb int, xq *int8, corr *int32, dx *float32, x *int8, xd *float32, xs *int32, tab *float32) {
	np := nb / 2
	Q := unsafe.Slice(xq, np*64)
	C := unsafe.Slice(corr, np*8)
	DX := unsafe.Slice(dx, np*8)
	X := unsafe.Slice(x, nb*qk)
	XD := unsafe.Slice(xd, nb)
	XS := unsafe.Slice(xs, nb)
	tb := (*[1 << 16]float32)(unsafe.Pointer(tab))
	out := unsafe.Slice(dst, rows)
	for r := 0; r < rows; r++ {
		W := unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(w), r*rb)), nb*blockQ4_0)
		var sum float32
		for p := 0; p < np; p++ {
			for k := 0; k < 2; k++ { // block A (k = 0) and B (k = 1) of the pair
				blk := W[(2*p+k)*blockQ4_0:]
				var dot int32
				for j := 0; j < 16; j++ {
					dot += int32(blk[2+j]&0xf)*int32(Q[64*p+16*k+j]) + int32(blk[2+j]>>4)*int32(Q[64*p+32+16*k+j])
				}
				dot -= 4 * C[8*p+4*k]
				sum += float32(dot) * float32(tb[le16(blk)]*DX[8*p+4*k])
			}
		}
		if nb%2 == 1 {
			b := nb - 1
			blk := W[b*blockQ4_0:]
			var dot int32
			for j := 0; j < 16; j++ {
				dot += int32(blk[2+j]&0xf)*int32(X[b*qk+j]) + int32(blk[2+j]>>4)*int32(X[b*qk+16+j])
			}
			dot -= 8 * XS[b]
			sum += float32(dot) * float32(tb[le16(blk)]*XD[b])
		}
		out[r] = sum
	}
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
		if ts.gemvP != nil && a.pairsOK && nb >= 2 {
			ts.gemvP(&dst[lo], hi-lo, &w[lo*rb], rb, nb, &a.pq[0], &a.pcorr[0], &a.pdx[0], &a.qs[0], &a.d[0], &a.isum[0], tab)
			return
		}
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
