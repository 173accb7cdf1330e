// gemv.cu: y = W·x for quantized weights in ggml's block layouts (ggml/src/ggml-common.h), one
// warp per output row, the partial sums of the 32 lanes added with shuffles (warp_sum).
//
// Launch (all four kernels): block (32, ROWS_PER_BLOCK) threads, grid (ceil(rows /
// ROWS_PER_BLOCK), ceil(ntok / GEMV_NT)). W is rows × row_bytes, x is [ntok, cols] float32,
// y is [ntok, rows] float32. Each block handles up to GEMV_NT tokens so that, for a prompt, every
// weight block read from memory is used GEMV_NT times (decode has ntok = 1).
//
// Unlike kernels/cpu (and llama.cpp's mmvq), x is not quantized to the weights' partner type:
// the products are float32, which is at least as accurate; parity with the CPU is within the
// rounding of that quantization (see the parity tests' tolerances).
#include "cuda_min.h"

#define ROWS_PER_BLOCK 4
#define GEMV_NT 8

// Q8_0: {f16 d; i8 qs[32]} (34 bytes): w = d·q. Four lanes per block, eight weights each (four
// 2-byte loads: blocks are only 2-byte aligned), so a warp covers 8 consecutive blocks (272
// bytes) per step.
extern "C" __global__ void __launch_bounds__(128)
gemv_q8_0(const u8* __restrict__ W, const float* __restrict__ x, float* __restrict__ y, int rows, int cols, int ntok) {
    const int row = BID_X * ROWS_PER_BLOCK + TID_Y;
    if (row >= rows) return;
    const int lane = TID_X, t0 = BID_Y * GEMV_NT;
    const int nt = ntok - t0 < GEMV_NT ? ntok - t0 : GEMV_NT;
    const int nb = cols / 32;
    const u8* w = W + (long)row * nb * 34;
    float acc[GEMV_NT];
#pragma unroll
    for (int t = 0; t < GEMV_NT; t++) acc[t] = 0.f;
    const int part = lane & 3;
    for (int ib = lane >> 2; ib < nb; ib += 8) {
        const u8* b = w + ib * 34;
        const float d = h2f(ld_u16(b));
        float q[8];
#pragma unroll
        for (int k = 0; k < 4; k++) {
            u16 v = ld_u16(b + 2 + 8 * part + 2 * k);
            q[2 * k] = (float)(i8)(v & 0xff);
            q[2 * k + 1] = (float)(i8)(v >> 8);
        }
#pragma unroll
        for (int t = 0; t < GEMV_NT; t++) {
            if (t < nt) {
                const f4* xp = (const f4*)(x + (long)(t0 + t) * cols + ib * 32 + 8 * part);
                f4 a = xp[0], c = xp[1];
                float s = q[0] * a.x + q[1] * a.y + q[2] * a.z + q[3] * a.w + q[4] * c.x + q[5] * c.y + q[6] * c.z + q[7] * c.w;
                acc[t] += d * s;
            }
        }
    }
#pragma unroll
    for (int t = 0; t < GEMV_NT; t++) {
        if (t < nt) {
            float s = warp_sum(acc[t]);
            if (lane == 0) y[(long)(t0 + t) * rows + row] = s;
        }
    }
}

// F16: IEEE half weights. With cols a multiple of 8, each lane reads 16 bytes (8 halves) per
// step; otherwise one half at a time.
extern "C" __global__ void __launch_bounds__(128)
gemv_f16(const u16* __restrict__ W, const float* __restrict__ x, float* __restrict__ y, int rows, int cols, int ntok) {
    const int row = BID_X * ROWS_PER_BLOCK + TID_Y;
    if (row >= rows) return;
    const int lane = TID_X, t0 = BID_Y * GEMV_NT;
    const int nt = ntok - t0 < GEMV_NT ? ntok - t0 : GEMV_NT;
    const u16* w = W + (long)row * cols;
    float acc[GEMV_NT];
#pragma unroll
    for (int t = 0; t < GEMV_NT; t++) acc[t] = 0.f;
    if ((cols & 7) == 0) {
        for (int i = lane * 8; i < cols; i += WARP * 8) {
            u4 v = *(const u4*)(w + i);
            float q[8] = {h2f(v.x & 0xffff), h2f(v.x >> 16), h2f(v.y & 0xffff), h2f(v.y >> 16),
                          h2f(v.z & 0xffff), h2f(v.z >> 16), h2f(v.w & 0xffff), h2f(v.w >> 16)};
#pragma unroll
            for (int t = 0; t < GEMV_NT; t++) {
                if (t < nt) {
                    const f4* xp = (const f4*)(x + (long)(t0 + t) * cols + i);
                    f4 a = xp[0], c = xp[1];
                    acc[t] += q[0] * a.x + q[1] * a.y + q[2] * a.z + q[3] * a.w + q[4] * c.x + q[5] * c.y + q[6] * c.z + q[7] * c.w;
                }
            }
        }
    } else {
        for (int i = lane; i < cols; i += WARP) {
            float q = h2f(w[i]);
#pragma unroll
            for (int t = 0; t < GEMV_NT; t++)
                if (t < nt) acc[t] += q * x[(long)(t0 + t) * cols + i];
        }
    }
#pragma unroll
    for (int t = 0; t < GEMV_NT; t++) {
        if (t < nt) {
            float s = warp_sum(acc[t]);
            if (lane == 0) y[(long)(t0 + t) * rows + row] = s;
        }
    }
}

// get_scale_min_k4 (ggml-quants.c): the 6-bit scale and min of sub-block j (0..7) of a
// Q4_K/Q5_K super-block from its 12 packed bytes.
static __device__ __forceinline__ void scale_min_k4(int j, const u8* q, float* sc, float* m) {
    if (j < 4) {
        *sc = (float)(q[j] & 63);
        *m = (float)(q[j + 4] & 63);
    } else {
        *sc = (float)((q[j + 4] & 0xf) | ((q[j - 4] >> 6) << 4));
        *m = (float)((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
    }
}

// Q4_K: super-block of 256 {f16 d, dmin; u8 scales[12]; u8 qs[128]} (144 bytes). Weights
// 64j+l and 64j+32+l (l < 32) are the low and high nibbles of qs[32j+l], with sub-block scales
// and mins 2j and 2j+1: w = d·sc·q − dmin·m. One super-block per warp step: lane = 8j + k reads
// the 4 bytes qs[32j+4k .. +4] and the 8 activations they multiply.
extern "C" __global__ void __launch_bounds__(128)
gemv_q4_k(const u8* __restrict__ W, const float* __restrict__ x, float* __restrict__ y, int rows, int cols, int ntok) {
    const int row = BID_X * ROWS_PER_BLOCK + TID_Y;
    if (row >= rows) return;
    const int lane = TID_X, t0 = BID_Y * GEMV_NT;
    const int nt = ntok - t0 < GEMV_NT ? ntok - t0 : GEMV_NT;
    const int nb = cols / 256;
    const u8* w = W + (long)row * nb * 144;
    const int j = lane >> 3, k = lane & 7;
    float acc[GEMV_NT];
#pragma unroll
    for (int t = 0; t < GEMV_NT; t++) acc[t] = 0.f;
    for (int ib = 0; ib < nb; ib++) {
        const u8* b = w + ib * 144;
        const float d = h2f(ld_u16(b)), dmin = h2f(ld_u16(b + 2));
        float sc1, m1, sc2, m2;
        scale_min_k4(2 * j, b + 4, &sc1, &m1);
        scale_min_k4(2 * j + 1, b + 4, &sc2, &m2);
        const u32 q = ld_u32(b + 16 + 32 * j + 4 * k);
        const float lo0 = (float)(q & 0xf), lo1 = (float)((q >> 8) & 0xf), lo2 = (float)((q >> 16) & 0xf), lo3 = (float)((q >> 24) & 0xf);
        const float hi0 = (float)((q >> 4) & 0xf), hi1 = (float)((q >> 12) & 0xf), hi2 = (float)((q >> 20) & 0xf), hi3 = (float)(q >> 28);
#pragma unroll
        for (int t = 0; t < GEMV_NT; t++) {
            if (t < nt) {
                const float* xb = x + (long)(t0 + t) * cols + ib * 256 + 64 * j + 4 * k;
                f4 a = *(const f4*)xb, c = *(const f4*)(xb + 32);
                float slo = lo0 * a.x + lo1 * a.y + lo2 * a.z + lo3 * a.w;
                float shi = hi0 * c.x + hi1 * c.y + hi2 * c.z + hi3 * c.w;
                float xlo = a.x + a.y + a.z + a.w, xhi = c.x + c.y + c.z + c.w;
                acc[t] += d * (sc1 * slo + sc2 * shi) - dmin * (m1 * xlo + m2 * xhi);
            }
        }
    }
#pragma unroll
    for (int t = 0; t < GEMV_NT; t++) {
        if (t < nt) {
            float s = warp_sum(acc[t]);
            if (lane == 0) y[(long)(t0 + t) * rows + row] = s;
        }
    }
}

// Q6_K: super-block of 256 {u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d} (210 bytes, so only
// 2-byte aligned). For each half n (128 weights) and l < 32: weights 128n + l + 32i (i = 0..3)
// take 4 bits from ql[64n + l (+32)] (low or high nibble) and 2 bits from qh[32n + l] at bit 2i,
// minus 32, times d·scales[8n + l/16 + 2i] (dequantize_row_q6_K). Lane l does those 8 weights,
// reading bytes that are consecutive across the warp.
extern "C" __global__ void __launch_bounds__(128)
gemv_q6_k(const u8* __restrict__ W, const float* __restrict__ x, float* __restrict__ y, int rows, int cols, int ntok) {
    const int row = BID_X * ROWS_PER_BLOCK + TID_Y;
    if (row >= rows) return;
    const int l = TID_X, t0 = BID_Y * GEMV_NT;
    const int nt = ntok - t0 < GEMV_NT ? ntok - t0 : GEMV_NT;
    const int nb = cols / 256;
    const u8* w = W + (long)row * nb * 210;
    const int is = l >> 4;
    float acc[GEMV_NT];
#pragma unroll
    for (int t = 0; t < GEMV_NT; t++) acc[t] = 0.f;
    for (int ib = 0; ib < nb; ib++) {
        const u8* b = w + ib * 210;
        const float d = h2f(ld_u16(b + 208));
#pragma unroll
        for (int n = 0; n < 2; n++) {
            const u8 ql0 = b[64 * n + l], ql1 = b[64 * n + l + 32], qh = b[128 + 32 * n + l];
            const i8* sc = (const i8*)(b + 192 + 8 * n);
            const float w0 = d * (float)sc[is] * (float)((int)((ql0 & 0xf) | ((qh & 3) << 4)) - 32);
            const float w1 = d * (float)sc[is + 2] * (float)((int)((ql1 & 0xf) | (((qh >> 2) & 3) << 4)) - 32);
            const float w2 = d * (float)sc[is + 4] * (float)((int)((ql0 >> 4) | (((qh >> 4) & 3) << 4)) - 32);
            const float w3 = d * (float)sc[is + 6] * (float)((int)((ql1 >> 4) | (((qh >> 6) & 3) << 4)) - 32);
#pragma unroll
            for (int t = 0; t < GEMV_NT; t++) {
                if (t < nt) {
                    const float* xb = x + (long)(t0 + t) * cols + ib * 256 + 128 * n + l;
                    acc[t] += w0 * xb[0] + w1 * xb[32] + w2 * xb[64] + w3 * xb[96];
                }
            }
        }
    }
#pragma unroll
    for (int t = 0; t < GEMV_NT; t++) {
        if (t < nt) {
            float s = warp_sum(acc[t]);
            if (l == 0) y[(long)(t0 + t) * rows + row] = s;
        }
    }
}
