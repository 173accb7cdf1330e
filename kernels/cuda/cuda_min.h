// cuda_min.h: the few CUDA built-ins the kernels use, so that they compile both with nvcc (which
// provides them) and with clang -nocudainc when no CUDA toolkit is installed (clang's NVPTX
// back end has the intrinsics but, without the toolkit's headers, none of the CUDA names).
// Everything the kernels need goes through the macros and inline functions below.
#ifndef LLMLS_CUDA_MIN_H
#define LLMLS_CUDA_MIN_H

#if defined(LLMLS_EMU)
// Host emulation for the tests (testdata/emu.cc): thread indices, barriers and shuffles of
// cooperatively scheduled host threads.
#include "testdata/emu.h"
#elif !defined(__NVCC__)
// clang -x cuda -nocudainc: spell the execution-space attributes ourselves.
#define __global__ __attribute__((global))
#define __device__ __attribute__((device))
#define __shared__ __attribute__((shared))
#define __forceinline__ __inline__ __attribute__((always_inline))
#define __launch_bounds__(n) __attribute__((launch_bounds(n)))
#define TID_X ((int)__nvvm_read_ptx_sreg_tid_x())
#define TID_Y ((int)__nvvm_read_ptx_sreg_tid_y())
#define BID_X ((int)__nvvm_read_ptx_sreg_ctaid_x())
#define BID_Y ((int)__nvvm_read_ptx_sreg_ctaid_y())
#define BID_Z ((int)__nvvm_read_ptx_sreg_ctaid_z())
#define BDIM_X ((int)__nvvm_read_ptx_sreg_ntid_x())
#define BDIM_Y ((int)__nvvm_read_ptx_sreg_ntid_y())
#define GDIM_X ((int)__nvvm_read_ptx_sreg_nctaid_x())
#define SYNC() __syncthreads()
// shfl.sync.bfly.b32 over the full warp (clamp 0x1f) in inline PTX: clang's
// __nvvm_shfl_sync_bfly_f32 needs a PTX-version target feature that only a detected CUDA
// installation turns on.
static __device__ __forceinline__ float shfl_xor_(float v, int m) {
    float r;
    asm volatile("shfl.sync.bfly.b32 %0, %1, %2, 0x1f, 0xffffffff;" : "=f"(r) : "f"(v), "r"(m));
    return r;
}
#define SHFL_XOR(v, m) shfl_xor_((v), (m))
#else
#define TID_X ((int)threadIdx.x)
#define TID_Y ((int)threadIdx.y)
#define BID_X ((int)blockIdx.x)
#define BID_Y ((int)blockIdx.y)
#define BID_Z ((int)blockIdx.z)
#define BDIM_X ((int)blockDim.x)
#define BDIM_Y ((int)blockDim.y)
#define GDIM_X ((int)gridDim.x)
#define SYNC() __syncthreads()
#define SHFL_XOR(v, m) __shfl_xor_sync(0xffffffffu, (v), (m), 32)
#endif

typedef unsigned char u8;
typedef signed char i8;
typedef unsigned short u16;
typedef unsigned int u32;

// 16-byte vector of four floats (float4 lives in the toolkit's headers).
struct __attribute__((aligned(16))) f4 {
    float x, y, z, w;
};

// 16-byte vector of four words (eight halves).
struct __attribute__((aligned(16))) u4 {
    u32 x, y, z, w;
};

#define WARP 32

#if !defined(LLMLS_EMU)
// Half conversions in inline PTX (cvt), so no cuda_fp16.h is needed: f2h rounds to nearest
// even, as ggml's GGML_FP32_TO_FP16 and kernels/cpu's F32ToF16.
static __device__ __forceinline__ float h2f(u16 h) {
    float f;
    asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h));
    return f;
}
static __device__ __forceinline__ u16 f2h(float f) {
    u16 h;
    asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(f));
    return h;
}

// e^x as 2^(x·log2 e) with ex2.approx (max relative error 2^-22 in the PTX ISA, plus the
// rounding of the product): no libdevice needed.
static __device__ __forceinline__ float expf_(float x) {
    float y;
    asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x * 1.4426950408889634f));
    return y;
}

// Correctly rounded square root (sqrt.rn).
static __device__ __forceinline__ float sqrtf_(float x) {
    float y;
    asm("sqrt.rn.f32 %0, %1;" : "=f"(y) : "f"(x));
    return y;
}

// −∞ as a bit pattern (no math_constants.h).
static __device__ __forceinline__ float neg_inf() {
    float f;
    asm("mov.b32 %0, %1;" : "=f"(f) : "r"(0xff800000u));
    return f;
}
#endif

static __device__ __forceinline__ float fmax_(float a, float b) { return a > b ? a : b; }

static __device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
    for (int m = 16; m > 0; m >>= 1) v += SHFL_XOR(v, m);
    return v;
}

static __device__ __forceinline__ float warp_max(float v) {
#pragma unroll
    for (int m = 16; m > 0; m >>= 1) v = fmax_(v, SHFL_XOR(v, m));
    return v;
}

// block_sum returns the sum of v over the block (blockDim.x a multiple of 32, at most 1024) to
// every thread; red is 32 floats of shared memory.
static __device__ __forceinline__ float block_sum(float v, float* red) {
    const int lane = TID_X & 31, wid = TID_X >> 5, nw = BDIM_X >> 5;
    v = warp_sum(v);
    if (lane == 0) red[wid] = v;
    SYNC();
    v = lane < nw ? red[lane] : 0.f;
    v = warp_sum(v);
    SYNC();  // red may be reused by the caller
    return v;
}

static __device__ __forceinline__ float block_max(float v, float* red) {
    const int lane = TID_X & 31, wid = TID_X >> 5, nw = BDIM_X >> 5;
    v = warp_max(v);
    if (lane == 0) red[wid] = v;
    SYNC();
    v = lane < nw ? red[lane] : neg_inf();
    v = warp_max(v);
    SYNC();
    return v;
}

// Little-endian loads from byte pointers of the alignment stated at each call site.
static __device__ __forceinline__ u16 ld_u16(const u8* p) { return *(const u16*)p; }
static __device__ __forceinline__ u32 ld_u32(const u8* p) { return *(const u32*)p; }

#endif
