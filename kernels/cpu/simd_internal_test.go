package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"

	"github.com/llmls/llmls/kernels"
)

// randTileInputs fills R weight rows of nb blocks (block size bs, f16 scale first) with random
// quants (every byte value, so Q8_0 weights include −128) and T activation rows.
func randTileInputs(seed uint64, bs, R, T, nb int) (w []byte, x []int8, xd []float32, xs []int32) {
	r := rand.New(rand.NewPCG(seed, 7))
	rb := nb * bs
	w = make([]byte, R*rb+3) // +3: reading the last block must not need more
	for i := range w {
		w[i] = byte(r.Uint32())
	}
	for row := 0; row < R; row++ {
		for b := 0; b < nb; b++ {
			putLE16(w[row*rb+b*bs:], F32ToF16(float32(r.NormFloat64()*0.01)))
		}
	}
	x = make([]int8, T*nb*qk)
	xd = make([]float32, T*nb)
	xs = make([]int32, T*nb)
	for i := range x {
		x[i] = int8(r.IntN(255) - 127)
	}
	for i := range xd {
		xd[i] = float32(r.Float64() * 0.05)
		var s int32
		for _, v := range x[i*qk : (i+1)*qk] {
			s += int32(v)
		}
		xs[i] = s
	}
	return w[:R*rb], x, xd, xs
}

// TestTileKernelsMatchGeneric runs every assembly tile kernel against its Generic twin.
func TestTileKernelsMatchGeneric(t *testing.T) {
	if simdTiles == nil {
		t.Skip("no assembly tile kernels on this machine or build (purego)")
	}
	initF16Table()
	generic := map[kernels.DType]func(R, T int) tileKernel{kernels.Q8_0: gemmQ8_0Generic, kernels.Q4_0: gemmQ4_0Generic}
	for typ, ts := range simdTiles {
		for R := range ts.k {
			for T := range ts.k[R] {
				k := ts.k[R][T]
				if k == nil {
					continue
				}
				for _, nb := range []int{1, 2, 7, 28} {
					t.Run(fmt.Sprintf("%v/%dx%d/nb=%d", typ, R, T, nb), func(t *testing.T) {
						w, x, xd, xs := randTileInputs(uint64(R*100+T*10+nb), ts.blockBytes, R, T, nb)
						rb := nb * ts.blockBytes
						ldd := R + 3
						got := make([]float32, T*ldd)
						want := make([]float32, T*ldd)
						for i := range got {
							got[i], want[i] = -7, -7 // guards between the tile's rows stay
						}
						k(&got[0], ldd, &w[0], rb, nb, &x[0], &xd[0], &xs[0], &f16Table[0])
						generic[typ](R, T)(&want[0], ldd, &w[0], rb, nb, &x[0], &xd[0], &xs[0], &f16Table[0])
						for i := range got {
							// Both sum the same exact block integers scaled by the same float
							// products; only the order of float additions differs.
							if d := math.Abs(float64(got[i] - want[i])); d > 1e-4*(1+math.Abs(float64(want[i]))) {
								t.Errorf("dst[%d] = %g, Generic %g", i, got[i], want[i])
							}
						}
					})
				}
			}
		}
	}
}

// TestPanelKernelsMatchGeneric runs every assembly panel kernel against panelGeneric on a
// repacked panel, and that against the direct Generic tile kernel on the original rows.
func TestPanelKernelsMatchGeneric(t *testing.T) {
	if panels == nil {
		t.Skip("no assembly panel kernels on this machine or build (purego)")
	}
	initF16Table()
	for typ, ps := range panels {
		bs := map[kernels.DType]int{kernels.Q8_0: blockQ8_0, kernels.Q4_0: blockQ4_0}[typ]
		direct := map[kernels.DType]func(R, T int) tileKernel{kernels.Q8_0: gemmQ8_0Generic, kernels.Q4_0: gemmQ4_0Generic}[typ]
		for T := 1; T <= 6; T++ {
			for _, nb := range []int{1, 3, 28} {
				t.Run(fmt.Sprintf("%v/T=%d/nb=%d", typ, T, nb), func(t *testing.T) {
					w, x, xd, xs := randTileInputs(uint64(T*10+nb), bs, panelRows, T, nb)
					rb := nb * bs
					a := acts{cols: nb * qk, n: T, qs: x}
					ps.prepare(&a)
					px := unsafe.Pointer(&a.xu)
					if ps.q8 {
						px = unsafe.Pointer(&a.x16)
					}
					xp := *(**byte)(px)
					p := make([]byte, nb*ps.blockBytes)
					ps.repack(p, w, rb, nb)
					pg := make([]byte, nb*ps.blockBytes)
					if ps.q8 {
						repackQ8_0(pg, w, rb, nb)
					} else {
						repackQ4_0(pg, w, rb, nb)
					}
					if string(p) != string(pg) {
						t.Fatalf("repack differs from its Generic twin")
					}
					ldd := panelRows + 2
					got := make([]float32, T*ldd)
					gen := make([]float32, T*ldd)
					want := make([]float32, T*ldd)
					ps.k[T](&got[0], ldd, &p[0], nb, xp, &xd[0])
					panelGeneric(ps.q8, T)(&gen[0], ldd, &p[0], nb, xp, &xd[0])
					direct(panelRows, T)(&want[0], ldd, &w[0], rb, nb, &x[0], &xd[0], &xs[0], &f16Table[0])
					for i := range got {
						tol := 1e-4 * (1 + math.Abs(float64(want[i])))
						if math.Abs(float64(got[i]-want[i])) > tol || math.Abs(float64(gen[i]-want[i])) > tol {
							t.Errorf("dst[%d]: asm %g, panelGeneric %g, direct Generic %g", i, got[i], gen[i], want[i])
						}
					}
				})
			}
		}
	}
}

// TestKTileKernelsMatchGeneric runs the assembly K-quant kernels against their Generic twins on
// random bytes (every scale and quant pattern) and random Q8_K activations.
func TestKTileKernelsMatchGeneric(t *testing.T) {
	if simdK == nil {
		t.Skip("no assembly K-quant kernels on this machine or build (purego)")
	}
	initF16Table()
	generic := map[kernels.DType]func(T int) kTileKernel{kernels.Q4_K: gemmQ4_KGeneric, kernels.Q5_K: gemmQ5_KGeneric, kernels.Q6_K: gemmQ6_KGeneric}
	bsz := map[kernels.DType]int{kernels.Q4_K: blockQ4_K, kernels.Q5_K: blockQ5_K, kernels.Q6_K: blockQ6_K}
	for typ, ks := range simdK {
		for T := 1; T < len(ks.k); T++ {
			for _, nb := range []int{1, 3, 19} {
				t.Run(fmt.Sprintf("%v/T=%d/nb=%d", typ, T, nb), func(t *testing.T) {
					r := rand.New(rand.NewPCG(uint64(T*100+nb), 1))
					bs := bsz[typ]
					w := make([]byte, nb*bs)
					for i := range w {
						w[i] = byte(r.Uint32())
					}
					for b := 0; b < nb; b++ { // sane f16 scales (random bytes could be Inf/NaN)
						off := b * bs
						if typ == kernels.Q6_K {
							putLE16(w[off+offQ6D:], F32ToF16(float32(r.NormFloat64()*0.01)))
						} else {
							putLE16(w[off:], F32ToF16(float32(r.NormFloat64()*0.01)))
							putLE16(w[off+2:], F32ToF16(float32(r.NormFloat64()*0.01)))
						}
					}
					x := randVec(r, T*nb*qkK, 1)
					qs := make([]int8, len(x))
					d := make([]float32, T*nb)
					bsum := make([]int16, T*nb*16)
					quantizeActQ8KGeneric(qs, d, bsum, x)
					ldd := 3
					got := make([]float32, T*ldd)
					want := make([]float32, T*ldd)
					ks.k[T](&got[0], ldd, &w[0], nb*bs, nb, &qs[0], &d[0], &bsum[0], &f16Table[0])
					generic[typ](T)(&want[0], ldd, &w[0], nb*bs, nb, &qs[0], &d[0], &bsum[0], &f16Table[0])
					for i := range got {
						if math.Abs(float64(got[i]-want[i])) > 1e-4*(1+math.Abs(float64(want[i]))) {
							t.Errorf("dst[%d] = %g, Generic %g", i, got[i], want[i])
						}
					}
				})
			}
		}
	}
}

// TestFloatRowDotsMatchGeneric compares the F32/F16/BF16 MatMul kernels in use with the Generic
// row kernels for every row length 1..70 (main loop and tail).
func TestFloatRowDotsMatchGeneric(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, typ := range []kernels.DType{kernels.F32, kernels.F16, kernels.BF16} {
		for n := 1; n <= 70; n++ {
			wf := randVec(r, 3*n, 1)
			w := make([]byte, 3*n*typ.TypeSize())
			if err := Quantize(typ, w, wf); err != nil {
				t.Fatal(err)
			}
			var a acts
			a.reset(typ, n, 2)
			a.quantizeRow(0, randVec(r, n, 1))
			a.quantizeRow(1, randVec(r, n, 1))
			got := make([]float32, 2*3)
			want := make([]float32, 2*3)
			dotKernels[typ](got, 3, w, n*typ.TypeSize(), 0, 3, &a)
			genericKernels[typ](want, 3, w, n*typ.TypeSize(), 0, 3, &a)
			for i := range got {
				if math.Abs(float64(got[i]-want[i])) > 1e-5*float64(n) {
					t.Errorf("%v n=%d: dst[%d] = %g, Generic %g", typ, n, i, got[i], want[i])
				}
			}
		}
	}
}

// TestGemvMatchesGeneric runs the one-token streaming kernels against gemvGeneric.
func TestGemvMatchesGeneric(t *testing.T) {
	if simdTiles == nil {
		t.Skip("no assembly kernels")
	}
	initF16Table()
	generic := map[kernels.DType]func(R, T int) tileKernel{kernels.Q8_0: gemmQ8_0Generic, kernels.Q4_0: gemmQ4_0Generic}
	for typ, ts := range simdTiles {
		for _, nb := range []int{1, 2, 3, 28, 29} {
			const rows = 5
			w, x, xd, xs := randTileInputs(uint64(nb), ts.blockBytes, rows, 1, nb)
			rb := nb * ts.blockBytes
			got := make([]float32, rows+1)
			want := make([]float32, rows+1)
			got[rows], want[rows] = -7, -7
			ts.gemv(&got[0], rows, &w[0], rb, nb, &x[0], &xd[0], &xs[0], &f16Table[0])
			gemvGeneric(generic[typ](1, 1))(&want[0], rows, &w[0], rb, nb, &x[0], &xd[0], &xs[0], &f16Table[0])
			for i := range got {
				if math.Abs(float64(got[i]-want[i])) > 1e-4*(1+math.Abs(float64(want[i]))) {
					t.Errorf("%v nb=%d: dst[%d] = %g, Generic %g", typ, nb, i, got[i], want[i])
				}
			}
		}
	}
}

// TestGemvPairsMatchGeneric runs gemvQ4_0P against gemvQ4_0PGeneric and the plain gemvGeneric
// (even and odd block counts).
func TestGemvPairsMatchGeneric(t *testing.T) {
	ts := simdTiles[kernels.Q4_0]
	if ts == nil || ts.gemvP == nil {
		t.Skip("no pair kernel")
	}
	initF16Table()
	for _, nb := range []int{2, 3, 4, 5, 7, 28, 152} {
		const rows = 5
		w, x, xd, xs := randTileInputs(uint64(nb), blockQ4_0, rows, 1, nb)
		rb := nb * blockQ4_0
		a := acts{cols: nb * qk, n: 1, qs: x, d: xd, isum: xs}
		q4Pairs(&a)
		got := make([]float32, rows+1)
		gen := make([]float32, rows+1)
		want := make([]float32, rows+1)
		got[rows], gen[rows], want[rows] = -7, -7, -7
		args := func(dst []float32, k gemvPKernel) {
			k(&dst[0], rows, &w[0], rb, nb, &a.pq[0], &a.pcorr[0], &a.pdx[0], &x[0], &xd[0], &xs[0], &f16Table[0])
		}
		args(got, ts.gemvP)
		args(gen, gemvQ4_0PGeneric)
		gemvGeneric(gemmQ4_0Generic(1, 1))(&want[0], rows, &w[0], rb, nb, &x[0], &xd[0], &xs[0], &f16Table[0])
		for i := range got {
			tol := 1e-4 * (1 + math.Abs(float64(want[i])))
			if math.Abs(float64(got[i]-want[i])) > tol || math.Abs(float64(gen[i]-want[i])) > tol {
				t.Errorf("nb=%d: dst[%d] = %g, pair Generic %g, plain Generic %g", nb, i, got[i], gen[i], want[i])
			}
		}
	}
}
