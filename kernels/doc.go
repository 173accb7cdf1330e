// Package kernels defines what the tensor math of llmls shares across backends: the ggml element
// types and their block sizes ([DType]). The implementations live in kernels/cpu (Go, SIMD,
// goroutines) and kernels/cuda (build tag cuda).
//
// Dimension order, stated once for the whole project: a matrix is row-major; a weight matrix
// of GGUF dims [ne0, ne1] = [in, out] is stored as out rows of in elements (ne0 is the innermost,
// contiguous index); strides are in bytes of whole blocks.
package kernels
