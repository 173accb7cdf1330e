package cpu

import "unsafe"

// K-quant tile kernels: one weight row × T activation rows of Q8_K (quants x + t·nb·256, scales
// xd + t·nb, 16-element sums xs + t·nb·16), dst[t·ldd] = the row's dot product with token t.
type kTileKernel func(dst *float32, ldd int, w *byte, rb int, nb int, x *int8, xd *float32, xs *int16, tab *float32)

// kTileSet is the kernels of one K type indexed by T (1, 2).
type kTileSet struct {
	k [3]kTileKernel
}

func (ks *kTileSet) rows() rowsKernel {
	return func(dst []float32, ldd int, w []byte, rb, lo, hi int, a *acts) {
		nb := a.cols / qkK
		n := a.n
		_ = w[hi*rb-1]
		_ = a.qs[n*a.cols-1]
		_ = a.d[n*nb-1]
		_ = a.bsum[n*nb*16-1]
		_ = dst[(n-1)*ldd+hi-1]
		tab := &f16Table[0]
		for r := lo; r < hi; r++ {
			for t := 0; t < n; {
				T := min(2, n-t)
				ks.k[T](&dst[t*ldd+r], ldd, &w[r*rb], rb, nb, &a.qs[t*a.cols], &a.d[t*nb], &a.bsum[t*nb*16], tab)
				t += T
			}
		}
	}
}

// gemmQ4_KGeneric(T) is the plain-Go twin of gemmQ4_Kx1xT.
func gemmQ4_KGeneric(T int) kTileKernel {
	return func(dst *float32, ldd int, w *byte, rb int, nb int, x *int8, xd *float32, xs *int16, tab *float32) {
		W := unsafe.Slice(w, nb*blockQ4_K)
		out := unsafe.Slice(dst, (T-1)*ldd+1)
		for t := 0; t < T; t++ {
			a := kActRow(nb, t, x, xd, xs)
			out[t*ldd] = dotQ4_KGeneric(W, a)
		}
	}
}

// gemmQ6_KGeneric(T) is the plain-Go twin of gemmQ6_Kx1xT.
func gemmQ6_KGeneric(T int) kTileKernel {
	return func(dst *float32, ldd int, w *byte, rb int, nb int, x *int8, xd *float32, xs *int16, tab *float32) {
		W := unsafe.Slice(w, nb*blockQ6_K)
		out := unsafe.Slice(dst, (T-1)*ldd+1)
		for t := 0; t < T; t++ {
			a := kActRow(nb, t, x, xd, xs)
			out[t*ldd] = dotQ6_KGeneric(W, a)
		}
	}
}

// kActRow returns token t's Q8_K row from kernel pointers.
func kActRow(nb, t int, x *int8, xd *float32, xs *int16) actRow {
	return actRow{
		qs:   unsafe.Slice((*int8)(unsafe.Add(unsafe.Pointer(x), t*nb*qkK)), nb*qkK),
		d:    unsafe.Slice((*float32)(unsafe.Add(unsafe.Pointer(xd), 4*t*nb)), nb),
		bsum: unsafe.Slice((*int16)(unsafe.Add(unsafe.Pointer(xs), 2*16*t*nb)), nb*16),
	}
}

// gemmQ5_KGeneric(T) is the plain-Go twin of gemmQ5_Kx1xT.
func gemmQ5_KGeneric(T int) kTileKernel {
	return func(dst *float32, ldd int, w *byte, rb int, nb int, x *int8, xd *float32, xs *int16, tab *float32) {
		W := unsafe.Slice(w, nb*blockQ5_K)
		out := unsafe.Slice(dst, (T-1)*ldd+1)
		for t := 0; t < T; t++ {
			out[t*ldd] = dotQ5_KGeneric(W, kActRow(nb, t, x, xd, xs))
		}
	}
}
