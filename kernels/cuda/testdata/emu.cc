// emu.cc: a libcuda stand-in that runs the kernels themselves on the host, so the parity tests
// check the kernels' indexing and arithmetic on machines without a GPU (not their speed, nor
// what only the hardware does: memory coalescing, the PTX compilers, real warp scheduling).
// fakecuda.c provides the driver entry points; each launch runs every block in order, its
// threads as ucontext coroutines switched at barriers (see emu.h). Build (driver_test.go does):
//
//	c++ -std=c++17 -O2 -DLLMLS_EMU -shared -fPIC -o libemucuda.so testdata/emu.cc
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

#include "../kernels.cu"

extern "C" {
#include "fakecuda.c"
}

emu_thread* emu_cur;
int emu_bid[3], emu_bdim[3], emu_gdim[3];

enum { RUNNABLE, AT_BLOCK, AT_WARP, DONE };

struct emu_ctx {
    ucontext_t uc;
    emu_thread t;
    int state;
};

static const size_t STACK = 128 * 1024;
static emu_ctx* threads;
static char* stacks;
static int nthreads, cur;
static ucontext_t sched;
static float warp_vals[32][32];  // [warp][lane]
static void (*kernel)(void**);
static void** kparams;

static void yield_as(int state) {
    emu_ctx* c = &threads[cur];
    c->state = state;
    swapcontext(&c->uc, &sched);
}

void emu_block_barrier(void) { yield_as(AT_BLOCK); }

float emu_shfl_xor(float v, int m) {
    emu_thread* t = emu_cur;
    warp_vals[t->warp][t->lane] = v;
    yield_as(AT_WARP);
    float r = warp_vals[t->warp][t->lane ^ m];
    yield_as(AT_WARP);  // nobody overwrites the slots before every lane has read
    return r;
}

static void entry(void) {
    kernel(kparams);
    threads[cur].state = DONE;  // then uc_link returns to the scheduler
}

// run_block runs one block to completion; it returns nonzero on a deadlock (divergent barriers).
static int run_block(void) {
    for (int i = 0; i < nthreads; i++) {
        emu_ctx* c = &threads[i];
        getcontext(&c->uc);
        c->uc.uc_stack.ss_sp = stacks + (size_t)i * STACK;
        c->uc.uc_stack.ss_size = STACK;
        c->uc.uc_link = &sched;
        makecontext(&c->uc, entry, 0);
        c->state = RUNNABLE;
        c->t.tx = i % emu_bdim[0];
        c->t.ty = i / emu_bdim[0];
        c->t.lane = i % 32;
        c->t.warp = i / 32;
    }
    for (;;) {
        for (int i = 0; i < nthreads; i++) {
            if (threads[i].state != RUNNABLE) continue;
            cur = i;
            emu_cur = &threads[i].t;
            swapcontext(&sched, &threads[i].uc);
        }
        int live = 0, atBlock = 0, released = 0;
        for (int w = 0; w * 32 < nthreads; w++) {
            int wl = 0, ww = 0;
            for (int i = w * 32; i < nthreads && i < w * 32 + 32; i++) {
                if (threads[i].state == DONE) continue;
                wl++;
                if (threads[i].state == AT_WARP) ww++;
            }
            if (wl > 0 && ww == wl) {
                for (int i = w * 32; i < nthreads && i < w * 32 + 32; i++)
                    if (threads[i].state == AT_WARP) threads[i].state = RUNNABLE;
                released = 1;
            }
        }
        if (released) continue;
        for (int i = 0; i < nthreads; i++) {
            if (threads[i].state == DONE) continue;
            live++;
            if (threads[i].state == AT_BLOCK) atBlock++;
        }
        if (live == 0) return 0;
        if (atBlock == live) {
            for (int i = 0; i < nthreads; i++)
                if (threads[i].state == AT_BLOCK) threads[i].state = RUNNABLE;
            continue;
        }
        fprintf(stderr, "emucuda: deadlock in block (%d,%d,%d): %d live threads, %d at __syncthreads\n", emu_bid[0], emu_bid[1], emu_bid[2], live, atBlock);
        return 1;
    }
}

#define P(i, T) (*(T*)p[i])
static void k_gemv_q8_0(void** p) { gemv_q8_0(P(0, const u8*), P(1, const float*), P(2, float*), P(3, int), P(4, int), P(5, int)); }
static void k_gemv_f16(void** p) { gemv_f16(P(0, const u16*), P(1, const float*), P(2, float*), P(3, int), P(4, int), P(5, int)); }
static void k_gemv_q4_k(void** p) { gemv_q4_k(P(0, const u8*), P(1, const float*), P(2, float*), P(3, int), P(4, int), P(5, int)); }
static void k_gemv_q6_k(void** p) { gemv_q6_k(P(0, const u8*), P(1, const float*), P(2, float*), P(3, int), P(4, int), P(5, int)); }
static void k_rms_norm(void** p) { rms_norm(P(0, float*), P(1, const float*), P(2, const float*), P(3, int), P(4, float)); }
static void k_add(void** p) { add(P(0, float*), P(1, const float*), P(2, const float*), P(3, int)); }
static void k_add_bias(void** p) { add_bias(P(0, float*), P(1, const float*), P(2, int), P(3, int)); }
static void k_silu_mul(void** p) { silu_mul(P(0, float*), P(1, const float*), P(2, const float*), P(3, int)); }
static void k_rope(void** p) {
    rope(P(0, float*), P(1, const float*), P(2, const float*), P(3, int), P(4, int), P(5, int), P(6, int), P(7, int));
}
static void k_kv_store_f16(void** p) {
    kv_store_f16(P(0, u16*), P(1, u16*), P(2, const float*), P(3, const float*), P(4, int), P(5, int), P(6, int), P(7, int), P(8, int));
}
static void k_kv_store_f32(void** p) {
    kv_store_f32(P(0, float*), P(1, float*), P(2, const float*), P(3, const float*), P(4, int), P(5, int), P(6, int), P(7, int), P(8, int));
}
static void k_attn_split_f16(void** p) {
    attn_split_f16(P(0, const float*), P(1, const u16*), P(2, const u16*), P(3, float*), P(4, float*), P(5, int), P(6, int), P(7, int),
                   P(8, int), P(9, int), P(10, int), P(11, float));
}
static void k_attn_split_f32(void** p) {
    attn_split_f32(P(0, const float*), P(1, const float*), P(2, const float*), P(3, float*), P(4, float*), P(5, int), P(6, int),
                   P(7, int), P(8, int), P(9, int), P(10, int), P(11, float));
}
static void k_attn_reduce(void** p) { attn_reduce(P(0, const float*), P(1, const float*), P(2, float*), P(3, int), P(4, int), P(5, int)); }

static const struct {
    const char* name;
    void (*fn)(void**);
} table[] = {
    {"gemv_q8_0", k_gemv_q8_0}, {"gemv_f16", k_gemv_f16}, {"gemv_q4_k", k_gemv_q4_k}, {"gemv_q6_k", k_gemv_q6_k},
    {"rms_norm", k_rms_norm}, {"add", k_add}, {"add_bias", k_add_bias}, {"silu_mul", k_silu_mul}, {"rope", k_rope},
    {"kv_store_f16", k_kv_store_f16}, {"kv_store_f32", k_kv_store_f32}, {"attn_split_f16", k_attn_split_f16},
    {"attn_split_f32", k_attn_split_f32}, {"attn_reduce", k_attn_reduce},
};

extern "C" {
static CUresult emu_launch(const char* name, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz, void** params) {
    kernel = NULL;
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(table[i].name, name) == 0) kernel = table[i].fn;
    if (!kernel) return 500;
    nthreads = (int)(bx * by * bz);
    if (nthreads > 1024 || nthreads <= 0) return 1;  // CUDA_ERROR_INVALID_VALUE
    threads = (emu_ctx*)calloc(nthreads, sizeof(emu_ctx));
    stacks = (char*)malloc((size_t)nthreads * STACK);
    kparams = params;
    emu_bdim[0] = bx, emu_bdim[1] = by, emu_bdim[2] = bz;
    emu_gdim[0] = gx, emu_gdim[1] = gy, emu_gdim[2] = gz;
    int bad = 0;
    for (unsigned z = 0; z < gz && !bad; z++)
        for (unsigned y = 0; y < gy && !bad; y++)
            for (unsigned x = 0; x < gx && !bad; x++) {
                emu_bid[0] = x, emu_bid[1] = y, emu_bid[2] = z;
                bad = run_block();
            }
    free(stacks);
    free(threads);
    return bad ? 719 : 0;
}
}
