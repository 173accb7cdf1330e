// ops.cu: the element-wise and row-wise operations of a transformer layer (semantics in
// kernels/backend.go; the CPU reference is kernels/cpu).
#include "cuda_min.h"

// rms_norm: dst[t] = x[t] / sqrt(mean(x[t]²) + eps) ⊙ w. Grid (ntok), block 256 (a multiple of
// 32). The sum of squares is float32 here (float64 in kernels/cpu, as ggml-cpu).
extern "C" __global__ void __launch_bounds__(1024)
rms_norm(float* __restrict__ dst, const float* __restrict__ x, const float* __restrict__ w, int width, float eps) {
    __shared__ float red[32];
    const float* xr = x + (long)BID_X * width;
    float* dr = dst + (long)BID_X * width;
    float ss = 0.f;
    for (int i = TID_X; i < width; i += BDIM_X) ss += xr[i] * xr[i];
    ss = block_sum(ss, red);
    const float scale = 1.f / sqrtf_(ss / (float)width + eps);
    for (int i = TID_X; i < width; i += BDIM_X) dr[i] = (xr[i] * scale) * w[i];
}

// add: dst = a + b over n elements. Any 1-D launch (grid-stride loop).
extern "C" __global__ void add(float* dst, const float* a, const float* b, int n) {
    for (int i = BID_X * BDIM_X + TID_X; i < n; i += GDIM_X * BDIM_X) dst[i] = a[i] + b[i];
}

// add_bias: x[i] += bias[i mod width] over n elements (n = rows × width).
extern "C" __global__ void add_bias(float* x, const float* __restrict__ bias, int n, int width) {
    for (int i = BID_X * BDIM_X + TID_X; i < n; i += GDIM_X * BDIM_X) x[i] += bias[i % width];
}

// silu_mul: dst = g / (1 + e^−g) ⊙ u over n elements (SwiGLU).
extern "C" __global__ void silu_mul(float* dst, const float* gate, const float* up, int n) {
    for (int i = BID_X * BDIM_X + TID_X; i < n; i += GDIM_X * BDIM_X) {
        const float g = gate[i];
        dst[i] = g / (1.f + expf_(-g)) * up[i];
    }
}

// rope: rotates, in place, pair i < nrot/2 of head h of token t of x [ntok, nheads·headdim] by
// the angle whose cos and sin are at [t·nrot/2 + i]; neox pairs (i, i + nrot/2), otherwise
// (2i, 2i+1). One thread per (t, h, i), grid-stride.
extern "C" __global__ void rope(float* x, const float* __restrict__ cs, const float* __restrict__ sn, int ntok, int nheads, int headdim, int nrot, int neox) {
    const int half = nrot / 2;
    const int n = ntok * nheads * half;
    for (int idx = BID_X * BDIM_X + TID_X; idx < n; idx += GDIM_X * BDIM_X) {
        const int i = idx % half, th = idx / half;  // th = t·nheads + h
        const int t = th / nheads;
        float* v = x + (long)th * headdim;
        const int i0 = neox ? i : 2 * i, i1 = neox ? i + half : 2 * i + 1;
        const float c = cs[t * half + i], s = sn[t * half + i];
        const float x0 = v[i0], x1 = v[i1];
        v[i0] = x0 * c - x1 * s;
        v[i1] = x0 * s + x1 * c;
    }
}

// kv_store_f16 / kv_store_f32: k, v [ntok, hkv·hd] into one layer's caches [hkv, cap, hd] at cells
// [pos, pos+ntok); F16 rounds to nearest even. One thread per element, grid-stride.
extern "C" __global__ void kv_store_f16(u16* kc, u16* vc, const float* k, const float* v, int ntok, int hkv, int hd, int cap, int pos) {
    const int w = hkv * hd, n = ntok * w;
    for (int i = BID_X * BDIM_X + TID_X; i < n; i += GDIM_X * BDIM_X) {
        const int t = i / w, h = (i % w) / hd, d = i % hd;
        const long o = ((long)h * cap + pos + t) * hd + d;
        kc[o] = f2h(k[i]);
        vc[o] = f2h(v[i]);
    }
}

extern "C" __global__ void kv_store_f32(float* kc, float* vc, const float* k, const float* v, int ntok, int hkv, int hd, int cap, int pos) {
    const int w = hkv * hd, n = ntok * w;
    for (int i = BID_X * BDIM_X + TID_X; i < n; i += GDIM_X * BDIM_X) {
        const int t = i / w, h = (i % w) / hd, d = i % hd;
        const long o = ((long)h * cap + pos + t) * hd + d;
        kc[o] = k[i];
        vc[o] = v[i];
    }
}
