package cpu

import (
	"fmt"
	"runtime"
	"syscall"
	"testing"
	"unsafe"

	"github.com/llmls/llmls/kernels"
)

// threadCPU returns this thread's CPU time in ns (CLOCK_THREAD_CPUTIME_ID): on a machine shared
// with other jobs it excludes the time other processes ran.
func threadCPU() int64 {
	var ts syscall.Timespec
	syscall.Syscall(syscall.SYS_CLOCK_GETTIME, 3, uintptr(unsafe.Pointer(&ts)), 0)
	return ts.Nano()
}

// BenchmarkTile times single tile-kernel calls on L1-resident data (28 blocks: a 896-column
// row), reporting thread CPU time per weight-block×token pair in cycles at 2.45 GHz.
func BenchmarkTile(b *testing.B) {
	initF16Table()
	const nb = 28
	generic := map[kernels.DType]func(R, T int) tileKernel{kernels.Q8_0: gemmQ8_0Generic, kernels.Q4_0: gemmQ4_0Generic}
	for _, typ := range []kernels.DType{kernels.Q8_0, kernels.Q4_0} {
		bs := map[kernels.DType]int{kernels.Q8_0: blockQ8_0, kernels.Q4_0: blockQ4_0}[typ]
		for _, rt := range [][2]int{{4, 1}, {4, 2}, {3, 3}} {
			R, T := rt[0], rt[1]
			impls := map[string]tileKernel{"Generic": generic[typ](R, T)}
			if ts := simdTiles[typ]; ts != nil && ts.k[R][T] != nil {
				impls["AVX2"] = ts.k[R][T]
			}
			w, x, xd, xs := randTileInputs(1, bs, R, T, nb)
			dst := make([]float32, R*T)
			for _, name := range []string{"Generic", "AVX2"} {
				k := impls[name]
				if k == nil {
					continue
				}
				b.Run(fmt.Sprintf("%v/%dx%d/%s", typ, R, T, name), func(b *testing.B) {
					runtime.LockOSThread()
					defer runtime.UnlockOSThread()
					c0 := threadCPU()
					for b.Loop() {
						k(&dst[0], R, &w[0], nb*bs, nb, &x[0], &xd[0], &xs[0], &f16Table[0])
					}
					b.ReportMetric(float64(threadCPU()-c0)/float64(b.N)/float64(nb*R*T)*2.45, "cycles/pair")
				})
			}
		}
	}
}

// BenchmarkPanel times panel kernels (8 rows × T tokens, 28 blocks) and the repacking of a
// panel, in thread CPU cycles per block×token pair (repack: per block×row).
func BenchmarkPanel(b *testing.B) {
	if panels == nil {
		b.Skip("no panel kernels")
	}
	initF16Table()
	const nb = 28
	for _, typ := range []kernels.DType{kernels.Q8_0, kernels.Q4_0} {
		ps := panels[typ]
		bs := map[kernels.DType]int{kernels.Q8_0: blockQ8_0, kernels.Q4_0: blockQ4_0}[typ]
		w, x, xd, _ := randTileInputs(1, bs, panelRows, 6, nb)
		a := acts{cols: nb * qk, n: 6, qs: x}
		ps.prepare(&a)
		xp := &a.xu
		_ = xp
		var xb *byte
		if ps.q8 {
			xb = (*byte)(unsafe.Pointer(&a.x16[0]))
		} else {
			xb = &a.xu[0]
		}
		p := make([]byte, nb*ps.blockBytes)
		ps.repack(p, w, nb*bs, nb)
		dst := make([]float32, 6*panelRows)
		for _, T := range []int{1, 4, 6} {
			b.Run(fmt.Sprintf("%v/T=%d", typ, T), func(b *testing.B) {
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				c0 := threadCPU()
				for b.Loop() {
					ps.k[T](&dst[0], panelRows, &p[0], nb, xb, &xd[0])
				}
				b.ReportMetric(float64(threadCPU()-c0)/float64(b.N)/float64(nb*panelRows*T)*2.45, "cycles/pair")
			})
		}
		b.Run(fmt.Sprintf("%v/repack", typ), func(b *testing.B) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			c0 := threadCPU()
			for b.Loop() {
				ps.repack(p, w, nb*bs, nb)
			}
			b.ReportMetric(float64(threadCPU()-c0)/float64(b.N)/float64(nb*panelRows)*2.45, "cycles/rowblock")
		})
	}
}
