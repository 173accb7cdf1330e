// fakecuda.c: a stand-in for libcuda.so.1 with host memory as "device" memory, so that the
// cuda-tagged host code (dlopen, symbol resolution, copies, kernel argument marshalling, error
// handling) is tested on machines without a GPU. Built by driver_test.go.
//
// Kernels are not run, except "add" (dst = a + b), which checks pointer and int arguments end to
// end; emu.cc includes this file and runs every kernel on the host instead (LLMLS_EMU). Every launch is appended to the file named by $LLMLS_FAKECUDA_LOG as
// "name gx gy gz bx by bz | arg arg ..." with pointers as p, ints as i:N, floats as f:%.9g, the
// parameter sizes taken from the PTX's .entry declaration. $LLMLS_FAKECUDA_FAIL_LAUNCH=1 makes
// every launch fail with CUDA_ERROR_LAUNCH_FAILED (719).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int CUresult;

#ifdef LLMLS_EMU
static CUresult emu_launch(const char* name, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz, void** params);
#endif
typedef unsigned long long CUdeviceptr;

typedef struct {
    char name[64];
    int nparams;
    char kinds[32];  // 'p' .u64, 'i' .u32, 'f' .f32
} fakefn;

static char* module_ptx;

CUresult cuInit(unsigned f) { return 0; }
CUresult cuDeviceGetCount(int* n) { *n = 1; return 0; }
CUresult cuDeviceGet(int* d, int o) { if (o != 0) return 101; *d = 0; return 0; }
CUresult cuDeviceGetName(char* s, int n, int d) { snprintf(s, n, "llmls fake GPU"); return 0; }
CUresult cuDevicePrimaryCtxRetain(void** c, int d) { *c = (void*)0x1; return 0; }
CUresult cuDevicePrimaryCtxRelease_v2(int d) { return 0; }
CUresult cuCtxSetCurrent(void* c) { return c == (void*)0x1 ? 0 : 201; }
CUresult cuModuleLoadDataEx(void** m, const void* img, unsigned n, int* o, void** v) {
    module_ptx = strdup((const char*)img);
    *m = module_ptx;
    return 0;
}
CUresult cuModuleUnload(void* m) { free(m); module_ptx = NULL; return 0; }
CUresult cuModuleGetFunction(void** f, void* m, const char* name) {
    char pat[96];
    snprintf(pat, sizeof pat, ".entry %s(", name);
    const char* p = strstr((const char*)m, pat);
    if (!p) return 500;  // CUDA_ERROR_NOT_FOUND
    fakefn* fn = (fakefn*)calloc(1, sizeof *fn);
    snprintf(fn->name, sizeof fn->name, "%s", name);
    const char* end = strchr(p, ')');
    for (const char* q = strstr(p, ".param ."); q && q < end && fn->nparams < 31; q = strstr(q + 1, ".param .")) {
        q += 8;
        fn->kinds[fn->nparams++] = q[0] == 'u' && q[1] == '6' ? 'p' : q[0] == 'f' ? 'f' : 'i';
    }
    *f = fn;
    return 0;
}
CUresult cuMemAlloc_v2(CUdeviceptr* p, size_t n) { *p = (CUdeviceptr)malloc(n); return *p ? 0 : 2; }
CUresult cuMemFree_v2(CUdeviceptr p) { free((void*)p); return 0; }
CUresult cuMemsetD32_v2(CUdeviceptr p, unsigned v, size_t n) {
    for (size_t i = 0; i < n; i++) ((unsigned*)p)[i] = v;
    return 0;
}
CUresult cuMemcpyHtoD_v2(CUdeviceptr d, const void* s, size_t n) { memcpy((void*)d, s, n); return 0; }
CUresult cuMemcpyDtoH_v2(void* d, CUdeviceptr s, size_t n) { memcpy(d, (void*)s, n); return 0; }
CUresult cuStreamCreate(void** s, unsigned f) { *s = (void*)0x2; return 0; }
CUresult cuStreamDestroy_v2(void* s) { return 0; }
CUresult cuStreamSynchronize(void* s) { return s == (void*)0x2 ? 0 : 400; }
CUresult cuGetErrorString(CUresult r, const char** s) {
    *s = r == 719 ? "fake launch failure" : "fake error";
    return 0;
}
CUresult cuLaunchKernel(void* f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz, unsigned sh,
                        void* stream, void** params, void** extra) {
    fakefn* fn = (fakefn*)f;
    const char* fail = getenv("LLMLS_FAKECUDA_FAIL_LAUNCH");
    if (fail && fail[0] == '1') return 719;
    const char* log = getenv("LLMLS_FAKECUDA_LOG");
    if (log) {
        FILE* fp = fopen(log, "a");
        if (fp) {
            fprintf(fp, "%s %u %u %u %u %u %u |", fn->name, gx, gy, gz, bx, by, bz);
            for (int i = 0; i < fn->nparams; i++) {
                if (fn->kinds[i] == 'p') fprintf(fp, " p");
                else if (fn->kinds[i] == 'f') fprintf(fp, " f:%.9g", *(float*)params[i]);
                else fprintf(fp, " i:%d", *(int*)params[i]);
            }
            fprintf(fp, "\n");
            fclose(fp);
        }
    }
#ifdef LLMLS_EMU
    return emu_launch(fn->name, gx, gy, gz, bx, by, bz, params);
#endif
    if (strcmp(fn->name, "add") == 0) {
        float* d = *(float**)params[0];
        const float* a = *(float**)params[1];
        const float* b = *(float**)params[2];
        int n = *(int*)params[3];
        for (int i = 0; i < n; i++) d[i] = a[i] + b[i];
    }
    return 0;
}
