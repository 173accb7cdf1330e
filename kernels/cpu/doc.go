// Package cpu implements the tensor math of llmls on the CPU: quantized matrix products that
// keep the weights quantized (the GGUF block formats of ggml), the float vector operations of a
// transformer layer, and a Pool of persistent worker goroutines that splits work across cores.
//
// Principal types and entry points:
//   - [Matrix]: a weight tensor in GGUF layout (row r = output feature r), usually a slice of an
//     mmapped model file.
//   - [MatMul]: dst = W·x for nTokens rows of x. Each row of x is quantized once to the weight
//     type's vec_dot partner (Q8_0, Q8_1, Q8_K, F16, BF16) and dotted block by block with
//     integer arithmetic, as llama.cpp's ggml-cpu does (ggml/src/ggml-cpu/ggml-cpu.c
//     type_traits_cpu, ggml/src/ggml-cpu/quants.c), so results agree with llama.cpp's to float
//     rounding.
//   - [Quantize] / [Dequantize]: whole rows with ggml's reference rounding
//     (ggml/src/ggml-quants.c quantize_row_*_ref, dequantize_row_*).
//   - [Pool]: data-parallel loops on a fixed set of workers that spin briefly, then park.
//   - Vector ops: [RMSNorm], [Mul], [Add], [SiLUMul], [Softmax], [Dot], [Axpy], [Scale], [Scale2];
//     for attention [DotRows] (one query against many keys) and [AxpyRows] (weighted sum of many
//     values); bulk half conversions [ConvertF16ToF32], [ConvertF32ToF16].
//
// How MatMul runs (amd64 with AVX2):
//   - One token (decode, memory-bound): each thread streams its rows one at a time through a
//     gemv kernel (Q8_0, Q4_0), so the hardware prefetcher sees one sequential stream; K-quant
//     and float rows likewise.
//   - Many tokens (prompt, compute-bound): for Q8_0 and Q4_0, each 8-row panel of weights is
//     repacked into a small per-thread buffer (the layout of llama.cpp's repacked Q4_0×8 GEMM:
//     one vpmaddubsw/vpmaddwd covers 8 rows) and every token is streamed through it; the weights
//     themselves are never copied whole or modified.
//   - Threads claim chunks of rows from a [Pool] dynamically.
//
// Dimension order is stated once in package kernels: row-major, the innermost index contiguous.
//
// SIMD: on amd64 with AVX2 and FMA (and F16C for the half conversions) the hot kernels run
// assembly generated with avo by internal/asmgen (its own module: users need no avo; regenerate
// with `go generate` in this folder). Every such kernel has a plain-Go twin with the same
// signature whose name ends in Generic; the implementation is chosen once at start from the CPU
// features, and tests run both and compare. The build tag purego forces the Go twins everywhere.
//
// Misuse that is the caller's bug (mismatched lengths, an unsupported type in a Matrix not made by
// [NewMatrix]) panics with a [ShapeError]; bad bytes from files are reported by [NewMatrix] as
// errors.
package cpu
