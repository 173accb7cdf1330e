//go:build !purego

package cpu

import (
	"github.com/llmls/llmls/kernels"
	"golang.org/x/sys/cpu"
)

// hasAVX2 reports whether the assembly kernels can run: AVX2 and FMA, with the OS saving the
// YMM registers (golang.org/x/sys/cpu checks that too).
var hasAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

func init() {
	if !hasAVX2 {
		return
	}
	initF16Table()
	q8 := &tileSet{mainR: 4, mainT: 2, gemv: gemvQ8_0, blockBytes: blockQ8_0}
	q8.k[1][1], q8.k[4][1], q8.k[1][2], q8.k[4][2], q8.k[3][3] = gemmQ8_0x1x1, gemmQ8_0x4x1, gemmQ8_0x1x2, gemmQ8_0x4x2, gemmQ8_0x3x3
	q4 := &tileSet{mainR: 4, mainT: 2, gemv: gemvQ4_0, gemvP: gemvQ4_0P, blockBytes: blockQ4_0}
	q4.k[1][1], q4.k[4][1], q4.k[1][2], q4.k[4][2], q4.k[3][3] = gemmQ4_0x1x1, gemmQ4_0x4x1, gemmQ4_0x1x2, gemmQ4_0x4x2, gemmQ4_0x3x3
	dotKernels[kernels.Q8_0] = q8.rows()
	dotKernels[kernels.Q4_0] = q4.rows()
	simdTiles = map[kernels.DType]*tileSet{kernels.Q8_0: q8, kernels.Q4_0: q4}
	p4 := &panelSet{blockBytes: panelQ4Block, repack: repackQ4_0AVX2,
		k: [7]panelKernel{nil, panelQ4_0x1, panelQ4_0x2, panelQ4_0x3, panelQ4_0x4, panelQ4_0x5, panelQ4_0x6}}
	p8 := &panelSet{q8: true, blockBytes: panelQ8Block, repack: repackQ8_0AVX2,
		k: [7]panelKernel{nil, panelQ8_0x1, panelQ8_0x2, panelQ8_0x3, panelQ8_0x4, panelQ8_0x5, panelQ8_0x6}}
	panels = map[kernels.DType]*panelSet{kernels.Q8_0: p8, kernels.Q4_0: p4}
	k4 := &kTileSet{k: [3]kTileKernel{nil, gemmQ4_Kx1x1, gemmQ4_Kx1x2}}
	k5 := &kTileSet{k: [3]kTileKernel{nil, gemmQ5_Kx1x1, gemmQ5_Kx1x2}}
	k6 := &kTileSet{k: [3]kTileKernel{nil, gemmQ6_Kx1x1, gemmQ6_Kx1x2}}
	simdK = map[kernels.DType]*kTileSet{kernels.Q4_K: k4, kernels.Q5_K: k5, kernels.Q6_K: k6}
	for t, ks := range simdK {
		dotKernels[t] = ks.rows()
	}
}
