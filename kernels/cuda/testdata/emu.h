// emu.h: what cuda_min.h needs, for running the kernels on the host (built into the test
// driver testdata/emu.cc with -DLLMLS_EMU). The threads of one block are user-level contexts
// (ucontext) run by a scheduler in emu.cc until they reach a barrier: __syncthreads waits for
// the whole block, a shuffle for the warp. Blocks run one after another, so __shared__ can be a
// function-level static.
#include <math.h>
#include <string.h>

#define __global__
#define __device__
#define __shared__ static
#define __forceinline__ inline
#define __launch_bounds__(n)

struct emu_thread {
    int tx, ty, lane, warp;
};
extern emu_thread* emu_cur;
extern int emu_bid[3], emu_bdim[3], emu_gdim[3];
void emu_block_barrier(void);
float emu_shfl_xor(float v, int m);

#define TID_X (emu_cur->tx)
#define TID_Y (emu_cur->ty)
#define BID_X (emu_bid[0])
#define BID_Y (emu_bid[1])
#define BID_Z (emu_bid[2])
#define BDIM_X (emu_bdim[0])
#define BDIM_Y (emu_bdim[1])
#define GDIM_X (emu_gdim[0])
#define SYNC() emu_block_barrier()
#define SHFL_XOR(v, m) emu_shfl_xor((v), (m))

// The PTX instructions' host equivalents: cvt with round to nearest even (_Float16), ex2 via
// expf, sqrt.rn via sqrtf.
static inline float h2f(unsigned short h) {
    _Float16 f;
    memcpy(&f, &h, 2);
    return (float)f;
}
static inline unsigned short f2h(float x) {
    _Float16 f = (_Float16)x;
    unsigned short h;
    memcpy(&h, &f, 2);
    return h;
}
static inline float expf_(float x) { return expf(x); }
static inline float sqrtf_(float x) { return sqrtf(x); }
static inline float neg_inf(void) { return -INFINITY; }
