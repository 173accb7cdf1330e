// Package cuda implements kernels.Backend on an NVIDIA GPU (build tag cuda): [Device] holds
// weights, activations and the KV cache in device memory and runs CUDA kernels for the
// operations of a forward pass; kernels/cpu is the reference it is tested against.
//
// Kernels (CUDA C, in this folder; semantics in kernels/backend.go):
//   - gemv.cu: matrix-vector products for decode, one warp per output row with shuffle
//     reductions, for Q8_0, F16, Q4_K and Q6_K weights in ggml's block layouts; a block serves up
//     to 8 tokens so that prompt evaluation reads each weight once per 8 tokens. There is no
//     tensor-core GEMM (cuBLAS or MMA) for long prompts yet.
//   - ops.cu: RMSNorm (with its weight), residual and bias adds, SiLU·mul, RoPE (neox and
//     normal pairing; angles from the caller), the KV cache store (F16 or F32).
//   - attention.cu: causal GQA attention, flash-decoding style: the sequence is split into
//     chunks of 256 cells computed in parallel, then a reduce kernel combines them.
//
// kernels.cu includes the three into one module, compiled to kernels.ptx by `make ptx` (nvcc
// for sm_90 where the CUDA toolkit is installed; otherwise clang's NVPTX back end for sm_80,
// which the driver JIT-compiles for newer GPUs, with cuda_min.h standing in for the toolkit's
// headers). kernels.ptx is committed and embedded, so building needs no CUDA toolkit at all.
//
// Driver API: the design card names gorgonia.org/cu, which binds the driver API through cgo
// against cuda.h and links -lcuda, so it cannot even be compiled on a machine without the CUDA
// toolkit (CI and the development machines), and it predates CUDA 12/13. This package instead
// declares the dozen driver entry points it uses (cuInit, cuDeviceGet, cuDevicePrimaryCtxRetain,
// cuCtxSetCurrent, cuModuleLoadDataEx, cuModuleGetFunction, cuMemAlloc_v2, cuMemcpyHtoD_v2,
// cuMemcpyDtoH_v2, cuLaunchKernel, cuStreamCreate, cuStreamSynchronize, cuMemFree_v2,
// cuGetErrorString, ...) and resolves them at run time with dlopen("libcuda.so.1"): `go build
// -tags cuda` needs only a C compiler, and the binary runs anywhere, reporting "cuda:
// libcuda.so.1 not found: ..." from [New] where there is no NVIDIA driver. These entry points
// have kept their ABI since CUDA 4 (the _v2 names since CUDA 3.2).
//
// Threading: the context is the device's primary context, made current on the calling OS
// thread at every driver call (goroutines move between threads). A Device is not safe for
// concurrent use.
package cuda
