package cpu

import (
	"os"
	"runtime"
	"testing"
)

// TestStreamEfficiency (a measurement: LLMLS_KERNEL_MEASURE=1 go test -run StreamEfficiency -v) compares the thread
// CPU time of the Q8_0 and Q4_0 decode kernels over a matrix far larger than the caches with a
// plain read of the same bytes: both stall on DRAM alike, so the ratio shows the kernel's
// streaming efficiency.
func TestStreamEfficiency(t *testing.T) {
	if os.Getenv("LLMLS_KERNEL_MEASURE") == "" || simdTiles == nil {
		t.Skip("a measurement, not a check: set LLMLS_KERNEL_MEASURE=1 (needs the assembly kernels)")
	}
	initF16Table()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for _, c := range []struct {
		name string
		ts   *tileSet
		bs   int
	}{{"Q8_0", simdTiles[kernelsQ8_0], blockQ8_0}, {"Q4_0", simdTiles[kernelsQ4_0], blockQ4_0}} {
		const rows, nb = 151936, 28
		rb := nb * c.bs
		w := make([]byte, rows*rb)
		for i := range w {
			w[i] = byte(i)
		}
		for r := 0; r < rows; r++ {
			for b := 0; b < nb; b++ {
				w[r*rb+b*c.bs], w[r*rb+b*c.bs+1] = 0, 0x20
			}
		}
		var a acts
		a.reset(kernelsQ8_0, nb*qk, 1)
		x := make([]float32, nb*qk)
		for i := range x {
			x[i] = float32(i%7) - 3
		}
		a.quantizeRow(0, x)
		dst := make([]float32, rows)
		best := func(f func()) float64 {
			b := 1e18
			for i := 0; i < 3; i++ {
				c0 := threadCPU()
				f()
				b = min(b, float64(threadCPU()-c0))
			}
			return b
		}
		var sink uint64
		read := best(func() { sink += sumBytes(w) })
		for _, R := range []int{0, 1, 4} { // 0: one row at a time on pair-arranged activations
			if R == 0 {
				if c.ts.gemvP == nil {
					continue
				}
				q4Pairs(&a)
			} else {
				a.pairsOK = false
			}
			kern := best(func() {
				if R <= 1 {
					c.ts.run(dst, rows, w, rb, 0, rows, &a) // the gemv kernel
					return
				}
				for r := 0; r < rows; r += 4 {
					c.ts.k[4][1](&dst[r], rows, &w[r*rb], rb, nb, &a.qs[0], &a.d[0], &a.isum[0], &f16Table[0])
				}
			})
			t.Logf("%s R=%d: kernel %.1f ms CPU (%.2f GB/s), plain read %.1f ms (%.2f GB/s): efficiency %.2f (%d)",
				c.name, R, kern/1e6, float64(len(w))/kern, read/1e6, float64(len(w))/read, read/kern, sink&1)
		}
	}
}

func sumBytes(b []byte) uint64 {
	var s0, s1, s2, s3 uint64
	for i := 0; i+32 <= len(b); i += 32 {
		s0 += uint64(b[i]) + uint64(b[i+16])
		s1 += uint64(b[i+4]) + uint64(b[i+20])
		s2 += uint64(b[i+8]) + uint64(b[i+24])
		s3 += uint64(b[i+12]) + uint64(b[i+28])
	}
	return s0 + s1 + s2 + s3
}
