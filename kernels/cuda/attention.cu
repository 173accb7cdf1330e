// attention.cu: causal GQA attention over a KV cache, flash-decoding style (Dao et al.,
// "Flash-Decoding for long-context inference", 2023): the cells of the sequence are split in
// chunks of ATTN_CHUNK, one block per (chunk, query head, token) computes the chunk's scores,
// their max m, the sum l of e^(score−m) and the unnormalized Σ e^(score−m)·V; attn_reduce then
// combines the chunks with the usual rescaling by e^(m_s − max m).
//
// Cache layout, per layer: K and V [hkv, cap, hd] (head outermost, as decoder.KVCache), F16 or
// F32. q and out are [ntok, nhead·hd]; token t sits at position pos0 + t and attends to cells
// [0, pos0 + t]. Scratch: part_o [ntok, nhead, nsplit, hd], part_ml [ntok, nhead, nsplit, 2].
// hd ≤ ATTN_MAX_HD.
#include "cuda_min.h"

#define ATTN_CHUNK 256
#define ATTN_THREADS 128
#define ATTN_MAX_HD 256

template <typename T>
static __device__ __forceinline__ float kv_load(const T* p);
template <>
__device__ __forceinline__ float kv_load<u16>(const u16* p) { return h2f(*p); }
template <>
__device__ __forceinline__ float kv_load<float>(const float* p) { return *p; }

// With an F16 cache q is rounded to F16 first, as ggml_mul_mat does for the CPU path
// (kernels/cpu rounds the softmax weights too; here they stay float32).
template <typename T>
static __device__ __forceinline__ void attn_split(const float* __restrict__ q, const T* __restrict__ kc, const T* __restrict__ vc,
                                                  float* __restrict__ part_o, float* __restrict__ part_ml, int nhead, int hkv, int hd,
                                                  int cap, int pos0, int nsplit, float scale, bool round_q) {
    __shared__ float qs[ATTN_MAX_HD];
    __shared__ float p[ATTN_CHUNK];
    __shared__ float red[32];
    const int s = BID_X, h = BID_Y, t = BID_Z;
    const int nkv = pos0 + t + 1;
    const int j0 = s * ATTN_CHUNK;
    const int j1 = j0 + ATTN_CHUNK < nkv ? j0 + ATTN_CHUNK : nkv;
    const int kh = h / (nhead / hkv);
    const long slot = ((long)t * nhead + h) * nsplit + s;
    float* po = part_o + slot * hd;
    if (j0 >= j1) {  // the chunk lies past this token's causal horizon
        for (int d = TID_X; d < hd; d += BDIM_X) po[d] = 0.f;
        if (TID_X == 0) {
            part_ml[2 * slot] = neg_inf();
            part_ml[2 * slot + 1] = 0.f;
        }
        return;
    }
    const float* qh = q + ((long)t * nhead + h) * hd;
    for (int d = TID_X; d < hd; d += BDIM_X) qs[d] = round_q ? h2f(f2h(qh[d])) : qh[d];
    SYNC();
    const T* K = kc + (long)kh * cap * hd;
    const T* V = vc + (long)kh * cap * hd;
    const int lane = TID_X & 31, wid = TID_X >> 5, nw = BDIM_X >> 5;
    // Scores: one warp per cell, the lanes split the head dimension.
    for (int j = j0 + wid; j < j1; j += nw) {
        const T* kr = K + (long)j * hd;
        float dot = 0.f;
        for (int d = lane; d < hd; d += WARP) dot += qs[d] * kv_load<T>(kr + d);
        dot = warp_sum(dot);
        if (lane == 0) p[j - j0] = dot * scale;
    }
    SYNC();
    float m = neg_inf();
    for (int j = TID_X; j < j1 - j0; j += BDIM_X) m = fmax_(m, p[j]);
    m = block_max(m, red);
    float l = 0.f;
    for (int j = TID_X; j < j1 - j0; j += BDIM_X) {
        const float e = expf_(p[j] - m);
        p[j] = e;
        l += e;
    }
    l = block_sum(l, red);  // its SYNC also publishes p
    // Output: thread d sums column d of V over the chunk (rows of V are contiguous in d, so the
    // block reads each row coalesced).
    for (int d = TID_X; d < hd; d += BDIM_X) {
        float o = 0.f;
        for (int j = j0; j < j1; j++) o += p[j - j0] * kv_load<T>(V + (long)j * hd + d);
        po[d] = o;
    }
    if (TID_X == 0) {
        part_ml[2 * slot] = m;
        part_ml[2 * slot + 1] = l;
    }
}

// Grid (nsplit, nhead, ntok), block ATTN_THREADS.
extern "C" __global__ void __launch_bounds__(ATTN_THREADS)
attn_split_f16(const float* q, const u16* kc, const u16* vc, float* part_o, float* part_ml, int nhead, int hkv, int hd, int cap, int pos0, int nsplit, float scale) {
    attn_split<u16>(q, kc, vc, part_o, part_ml, nhead, hkv, hd, cap, pos0, nsplit, scale, true);
}

extern "C" __global__ void __launch_bounds__(ATTN_THREADS)
attn_split_f32(const float* q, const float* kc, const float* vc, float* part_o, float* part_ml, int nhead, int hkv, int hd, int cap, int pos0, int nsplit, float scale) {
    attn_split<float>(q, kc, vc, part_o, part_ml, nhead, hkv, hd, cap, pos0, nsplit, scale, false);
}

// attn_reduce: out[t, h] = Σ_s e^(m_s−M)·o_s / Σ_s e^(m_s−M)·l_s with M = max_s m_s. Grid (nhead,
// ntok), block ≥ 1 thread (threads stride over hd). Chunks past the horizon have l = 0 and
// m = −∞, so they add nothing.
extern "C" __global__ void attn_reduce(const float* __restrict__ part_o, const float* __restrict__ part_ml, float* __restrict__ out, int nhead, int hd, int nsplit) {
    const int h = BID_X, t = BID_Y;
    const long base = ((long)t * nhead + h) * nsplit;
    float M = neg_inf();
    for (int s = 0; s < nsplit; s++) M = fmax_(M, part_ml[2 * (base + s)]);
    float L = 0.f;
    for (int s = 0; s < nsplit; s++) {
        const float ms = part_ml[2 * (base + s)];
        if (ms != neg_inf()) L += expf_(ms - M) * part_ml[2 * (base + s) + 1];
    }
    float* o = out + ((long)t * nhead + h) * hd;
    for (int d = TID_X; d < hd; d += BDIM_X) {
        float acc = 0.f;
        for (int s = 0; s < nsplit; s++) {
            const float ms = part_ml[2 * (base + s)];
            if (ms != neg_inf()) acc += expf_(ms - M) * part_o[(base + s) * hd + d];
        }
        o[d] = acc / L;
    }
}
