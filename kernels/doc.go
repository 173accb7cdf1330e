// Package kernels defines what the tensor math of llmls shares across backends: the ggml element
// types and their block sizes ([DType]), and [Backend], the operations of a forward pass over
// backend-held buffers, weights and KV caches. The implementations live in kernels/cpu (Go,
// SIMD, goroutines; cpu.Backend is the reference) and kernels/cuda (build tag cuda); the
// kernels/kerneltest package runs a whole generated transformer on any Backend.
//
// Dimension order, stated once for the whole project: a matrix is row-major; a weight matrix
// of GGUF dims [ne0, ne1] = [in, out] is stored as out rows of in elements (ne0 is the innermost,
// contiguous index); strides are in bytes of whole blocks.
package kernels
