package cpu

import "github.com/llmls/llmls/kernels"

// Kernel selection. These variables hold the Generic implementations; on amd64 with AVX2
// dispatch_amd64.go replaces some of them at init (unless built with the purego tag).
var (
	quantizeActQ8  = quantizeActQ8Generic
	quantizeActQ8K = quantizeActQ8KGeneric
)

// dotKernels maps a weight type to its rows kernel in use.
var dotKernels = func() map[kernels.DType]rowsKernel {
	m := make(map[kernels.DType]rowsKernel)
	for t, k := range genericKernels {
		m[t] = k
	}
	return m
}()

// genericKernels maps a weight type to its plain-Go rows kernel.
var genericKernels = map[kernels.DType]rowsKernel{
	kernels.F32:  genericRows(dotF32Generic),
	kernels.F16:  genericRows(dotF16Generic),
	kernels.BF16: genericRows(dotBF16Generic),
	kernels.Q4_0: genericRows(dotQ4_0Generic),
	kernels.Q4_1: genericRows(dotQ4_1Generic),
	kernels.Q5_0: genericRows(dotQ5_0Generic),
	kernels.Q5_1: genericRows(dotQ5_1Generic),
	kernels.Q8_0: genericRows(dotQ8_0Generic),
	kernels.Q4_K: genericRows(dotQ4_KGeneric),
	kernels.Q5_K: genericRows(dotQ5_KGeneric),
	kernels.Q6_K: genericRows(dotQ6_KGeneric),
}

// simdTiles holds the assembly tile kernels in use (nil when none), for tests and benchmarks.
var simdTiles map[kernels.DType]*tileSet

// panels holds the panel kernels of the weight types that have them (nil when none).
var panels map[kernels.DType]*panelSet

// simdK holds the assembly K-quant kernels in use (nil when none).
var simdK map[kernels.DType]*kTileSet

// simdFloat marks the float weight types whose row dot products have assembly.
var simdFloat map[kernels.DType]bool
