//go:build cuda

package cuda

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdlib.h>
#include <stddef.h>

// The few CUDA driver API types and entry points used, declared here so that no cuda.h is
// needed at build time (ABI as in cuda.h of CUDA 12/13: handles are pointers, CUdeviceptr is
// 64-bit, CUresult is an int enum).
typedef int CUresult;
typedef int CUdevice;
typedef void* CUcontext;
typedef void* CUmodule;
typedef void* CUfunction;
typedef void* CUstream;
typedef unsigned long long CUdeviceptr;

typedef CUresult (*fn_cuInit)(unsigned int);
typedef CUresult (*fn_cuDeviceGetCount)(int*);
typedef CUresult (*fn_cuDeviceGet)(CUdevice*, int);
typedef CUresult (*fn_cuDeviceGetName)(char*, int, CUdevice);
typedef CUresult (*fn_cuDevicePrimaryCtxRetain)(CUcontext*, CUdevice);
typedef CUresult (*fn_cuDevicePrimaryCtxRelease)(CUdevice);
typedef CUresult (*fn_cuCtxSetCurrent)(CUcontext);
typedef CUresult (*fn_cuModuleLoadDataEx)(CUmodule*, const void*, unsigned int, int*, void**);
typedef CUresult (*fn_cuModuleUnload)(CUmodule);
typedef CUresult (*fn_cuModuleGetFunction)(CUfunction*, CUmodule, const char*);
typedef CUresult (*fn_cuMemAlloc)(CUdeviceptr*, size_t);
typedef CUresult (*fn_cuMemFree)(CUdeviceptr);
typedef CUresult (*fn_cuMemsetD32)(CUdeviceptr, unsigned int, size_t);
typedef CUresult (*fn_cuMemcpyHtoD)(CUdeviceptr, const void*, size_t);
typedef CUresult (*fn_cuMemcpyDtoH)(void*, CUdeviceptr, size_t);
typedef CUresult (*fn_cuLaunchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, CUstream, void**, void**);
typedef CUresult (*fn_cuStreamCreate)(CUstream*, unsigned int);
typedef CUresult (*fn_cuStreamDestroy)(CUstream);
typedef CUresult (*fn_cuStreamSynchronize)(CUstream);
typedef CUresult (*fn_cuGetErrorString)(CUresult, const char**);

// The resolved entry points; a NULL member means the library lacks the symbol.
typedef struct {
	void* lib;
	fn_cuInit cuInit;
	fn_cuDeviceGetCount cuDeviceGetCount;
	fn_cuDeviceGet cuDeviceGet;
	fn_cuDeviceGetName cuDeviceGetName;
	fn_cuDevicePrimaryCtxRetain cuDevicePrimaryCtxRetain;
	fn_cuDevicePrimaryCtxRelease cuDevicePrimaryCtxRelease;
	fn_cuCtxSetCurrent cuCtxSetCurrent;
	fn_cuModuleLoadDataEx cuModuleLoadDataEx;
	fn_cuModuleUnload cuModuleUnload;
	fn_cuModuleGetFunction cuModuleGetFunction;
	fn_cuMemAlloc cuMemAlloc;
	fn_cuMemFree cuMemFree;
	fn_cuMemsetD32 cuMemsetD32;
	fn_cuMemcpyHtoD cuMemcpyHtoD;
	fn_cuMemcpyDtoH cuMemcpyDtoH;
	fn_cuLaunchKernel cuLaunchKernel;
	fn_cuStreamCreate cuStreamCreate;
	fn_cuStreamDestroy cuStreamDestroy;
	fn_cuStreamSynchronize cuStreamSynchronize;
	fn_cuGetErrorString cuGetErrorString;
} llmls_cu;

static const char* llmls_dlerror(void) {
	const char* e = dlerror();
	return e ? e : "unknown dlopen error";
}

// llmls_cu_open loads the library and resolves every entry point; it returns NULL on success,
// else the name of the first missing symbol (or NULL in *lib_err's case, with the dlerror text).
static const char* llmls_cu_open(llmls_cu* c, const char* name, const char** lib_err) {
	*lib_err = NULL;
	c->lib = dlopen(name, RTLD_NOW | RTLD_LOCAL);
	if (!c->lib) {
		*lib_err = llmls_dlerror();
		return NULL;
	}
#define SYM(field, sym) if (!(c->field = (void*)dlsym(c->lib, sym))) return sym;
	SYM(cuInit, "cuInit")
	SYM(cuDeviceGetCount, "cuDeviceGetCount")
	SYM(cuDeviceGet, "cuDeviceGet")
	SYM(cuDeviceGetName, "cuDeviceGetName")
	SYM(cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain")
	SYM(cuDevicePrimaryCtxRelease, "cuDevicePrimaryCtxRelease_v2")
	SYM(cuCtxSetCurrent, "cuCtxSetCurrent")
	SYM(cuModuleLoadDataEx, "cuModuleLoadDataEx")
	SYM(cuModuleUnload, "cuModuleUnload")
	SYM(cuModuleGetFunction, "cuModuleGetFunction")
	SYM(cuMemAlloc, "cuMemAlloc_v2")
	SYM(cuMemFree, "cuMemFree_v2")
	SYM(cuMemsetD32, "cuMemsetD32_v2")
	SYM(cuMemcpyHtoD, "cuMemcpyHtoD_v2")
	SYM(cuMemcpyDtoH, "cuMemcpyDtoH_v2")
	SYM(cuLaunchKernel, "cuLaunchKernel")
	SYM(cuStreamCreate, "cuStreamCreate")
	SYM(cuStreamDestroy, "cuStreamDestroy_v2")
	SYM(cuStreamSynchronize, "cuStreamSynchronize")
	SYM(cuGetErrorString, "cuGetErrorString")
#undef SYM
	return NULL;
}

// Every call that touches a context first makes ctx current on the calling OS thread: goroutines
// move between threads, and the current context is per thread (cuCtxSetCurrent is cheap).
#define CTX(c, ctx) { CUresult r_ = c->cuCtxSetCurrent(ctx); if (r_) return r_; }

static CUresult llmls_init(llmls_cu* c, int ordinal, CUdevice* dev, CUcontext* ctx, CUstream* stream, char* name, int nameLen) {
	CUresult r;
	int n = 0;
	if ((r = c->cuInit(0))) return r;
	if ((r = c->cuDeviceGetCount(&n))) return r;
	if (ordinal >= n) return 101; // CUDA_ERROR_INVALID_DEVICE
	if ((r = c->cuDeviceGet(dev, ordinal))) return r;
	if ((r = c->cuDeviceGetName(name, nameLen, *dev))) return r;
	if ((r = c->cuDevicePrimaryCtxRetain(ctx, *dev))) return r;
	CTX(c, *ctx);
	return c->cuStreamCreate(stream, 0);
}

static CUresult llmls_load(llmls_cu* c, CUcontext ctx, CUmodule* mod, const char* ptx, char* log, unsigned logLen) {
	CTX(c, ctx);
	// CU_JIT_ERROR_LOG_BUFFER = 5, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6
	int opts[2] = {5, 6};
	void* vals[2] = {log, (void*)(size_t)logLen};
	return c->cuModuleLoadDataEx(mod, ptx, 2, opts, vals);
}

static CUresult llmls_func(llmls_cu* c, CUcontext ctx, CUmodule mod, CUfunction* f, const char* name) {
	CTX(c, ctx);
	return c->cuModuleGetFunction(f, mod, name);
}

static CUresult llmls_alloc(llmls_cu* c, CUcontext ctx, CUdeviceptr* p, size_t bytes) {
	CTX(c, ctx);
	CUresult r = c->cuMemAlloc(p, bytes);
	if (r) return r;
	return c->cuMemsetD32(*p, 0, bytes / 4);
}

static CUresult llmls_free(llmls_cu* c, CUcontext ctx, CUdeviceptr p) {
	CTX(c, ctx);
	return c->cuMemFree(p);
}

// Copies are synchronous and go through the legacy default stream, which waits for the work of
// stream (created blocking); a DtoH additionally synchronizes stream first.
static CUresult llmls_htod(llmls_cu* c, CUcontext ctx, CUdeviceptr dst, const void* src, size_t bytes) {
	CTX(c, ctx);
	return c->cuMemcpyHtoD(dst, src, bytes);
}

static CUresult llmls_dtoh(llmls_cu* c, CUcontext ctx, CUstream s, void* dst, CUdeviceptr src, size_t bytes) {
	CTX(c, ctx);
	CUresult r = c->cuStreamSynchronize(s);
	if (r) return r;
	return c->cuMemcpyDtoH(dst, src, bytes);
}

static CUresult llmls_sync(llmls_cu* c, CUcontext ctx, CUstream s) {
	CTX(c, ctx);
	return c->cuStreamSynchronize(s);
}

// llmls_launch launches f with nargs parameters stored in 8-byte slots of args (each value at
// the start of its slot, little-endian); the driver copies them before returning.
static CUresult llmls_launch(llmls_cu* c, CUcontext ctx, CUstream s, CUfunction f, unsigned gx, unsigned gy, unsigned gz,
		unsigned bx, unsigned by, unsigned bz, unsigned shmem, void* args, int nargs) {
	void* params[16];
	int i;
	CTX(c, ctx);
	for (i = 0; i < nargs && i < 16; i++) params[i] = (char*)args + 8 * i;
	return c->cuLaunchKernel(f, gx, gy, gz, bx, by, bz, shmem, s, params, NULL);
}

static const char* llmls_errstr(llmls_cu* c, CUresult r) {
	const char* s = NULL;
	if (c->cuGetErrorString && c->cuGetErrorString(r, &s) == 0 && s) return s;
	return "unknown CUDA error";
}

static void llmls_teardown(llmls_cu* c, CUcontext ctx, CUdevice dev, CUmodule mod, CUstream s) {
	if (c->cuCtxSetCurrent(ctx)) return;
	if (s) c->cuStreamDestroy(s);
	if (mod) c->cuModuleUnload(mod);
	c->cuDevicePrimaryCtxRelease(dev);
}
*/
import "C"

import (
	"encoding/binary"
	"fmt"
	"math"
	"unsafe"
)

// devptr is a device address (CUdeviceptr); cfunc a kernel handle (CUfunction).
type (
	devptr = C.CUdeviceptr
	cfunc  = C.CUfunction
)

// libName is the CUDA driver library that New loads (the driver installs it; the toolkit is not
// needed).
const libName = "libcuda.so.1"

// driver is the CUDA driver API resolved from the library at run time, with one context and one
// stream.
type driver struct {
	c      *C.llmls_cu // C memory: its function pointers are called from C only
	dev    C.CUdevice
	ctx    C.CUcontext
	stream C.CUstream
	mod    C.CUmodule
	name   string
}

// Error is a CUDA driver API error: the call, the CUresult code and the driver's description.
type Error struct {
	Call string
	Code int
	Msg  string
}

func (e *Error) Error() string {
	return fmt.Sprintf("cuda: %s: %s (CUresult %d)", e.Call, e.Msg, e.Code)
}

func (d *driver) check(call string, r C.CUresult) error {
	if r == 0 {
		return nil
	}
	return &Error{Call: call, Code: int(r), Msg: C.GoString(C.llmls_errstr(d.c, r))}
}

// openDriver loads lib, initializes device ordinal, and loads ptx as the kernels' module.
func openDriver(lib string, ordinal int, ptx string) (*driver, error) {
	d := &driver{c: (*C.llmls_cu)(C.calloc(1, C.sizeof_llmls_cu))}
	cname := C.CString(lib)
	defer C.free(unsafe.Pointer(cname))
	var libErr *C.char
	if missing := C.llmls_cu_open(d.c, cname, &libErr); libErr != nil || missing != nil {
		d.closeLib()
		if libErr != nil {
			return nil, fmt.Errorf("cuda: %s not found: %s (is the NVIDIA driver installed?)", lib, C.GoString(libErr))
		}
		return nil, fmt.Errorf("cuda: %s lacks %s (driver too old)", lib, C.GoString(missing))
	}
	var buf [256]C.char
	if err := d.check("initializing the device", C.llmls_init(d.c, C.int(ordinal), &d.dev, &d.ctx, &d.stream, &buf[0], C.int(len(buf)))); err != nil {
		d.closeLib()
		return nil, err
	}
	d.name = C.GoString(&buf[0])
	cptx := C.CString(ptx)
	defer C.free(unsafe.Pointer(cptx))
	var log [4096]C.char
	if err := d.check("loading the kernels' PTX", C.llmls_load(d.c, d.ctx, &d.mod, cptx, &log[0], C.uint(len(log)))); err != nil {
		d.close()
		return nil, fmt.Errorf("%w: %s", err, C.GoString(&log[0]))
	}
	return d, nil
}

func (d *driver) closeLib() {
	if d.c.lib != nil {
		C.dlclose(d.c.lib)
	}
	C.free(unsafe.Pointer(d.c))
	d.c = nil
}

func (d *driver) close() {
	if d.c == nil {
		return
	}
	C.llmls_teardown(d.c, d.ctx, d.dev, d.mod, d.stream)
	d.closeLib()
}

func (d *driver) function(name string) (C.CUfunction, error) {
	cn := C.CString(name)
	defer C.free(unsafe.Pointer(cn))
	var f C.CUfunction
	if err := d.check("cuModuleGetFunction "+name, C.llmls_func(d.c, d.ctx, d.mod, &f, cn)); err != nil {
		return nil, err
	}
	return f, nil
}

// alloc returns bytes of zeroed device memory.
func (d *driver) alloc(bytes int) (C.CUdeviceptr, error) {
	var p C.CUdeviceptr
	if bytes == 0 {
		bytes = 4
	}
	if err := d.check(fmt.Sprintf("cuMemAlloc of %d bytes", bytes), C.llmls_alloc(d.c, d.ctx, &p, C.size_t(bytes))); err != nil {
		return 0, err
	}
	return p, nil
}

func (d *driver) free(p C.CUdeviceptr) error {
	if p == 0 || d.c == nil {
		return nil
	}
	return d.check("cuMemFree", C.llmls_free(d.c, d.ctx, p))
}

// htod copies bytes from host memory at src (Go memory holding no Go pointers) to dst.
func (d *driver) htod(dst C.CUdeviceptr, src unsafe.Pointer, bytes int) error {
	if bytes == 0 {
		return nil
	}
	return d.check("cuMemcpyHtoD", C.llmls_htod(d.c, d.ctx, dst, src, C.size_t(bytes)))
}

func (d *driver) dtoh(dst unsafe.Pointer, src C.CUdeviceptr, bytes int) error {
	if bytes == 0 {
		return d.sync()
	}
	return d.check("cuMemcpyDtoH", C.llmls_dtoh(d.c, d.ctx, d.stream, dst, src, C.size_t(bytes)))
}

func (d *driver) sync() error {
	return d.check("cuStreamSynchronize", C.llmls_sync(d.c, d.ctx, d.stream))
}

// launch queues f on the stream with grid and block dimensions and the arguments args, each a
// C.CUdeviceptr, int or float32 (the kernels' parameter types: pointers, int and float).
func (d *driver) launch(name string, f C.CUfunction, grid, block [3]int, args ...any) error {
	if len(args) > 16 {
		panic("cuda: more than 16 kernel arguments")
	}
	var slots [16 * 8]byte
	for i, a := range args {
		s := slots[8*i : 8*i+8]
		switch v := a.(type) {
		case C.CUdeviceptr:
			binary.LittleEndian.PutUint64(s, uint64(v))
		case int:
			if v < math.MinInt32 || v > math.MaxInt32 {
				panic(fmt.Sprintf("cuda: %s: argument %d = %d overflows int32", name, i, v))
			}
			binary.LittleEndian.PutUint32(s, uint32(int32(v)))
		case float32:
			binary.LittleEndian.PutUint32(s, math.Float32bits(v))
		default:
			panic(fmt.Sprintf("cuda: %s: argument %d of type %T", name, i, a))
		}
	}
	for _, g := range grid {
		if g <= 0 {
			return nil // nothing to do (an empty batch)
		}
	}
	return d.check("cuLaunchKernel "+name, C.llmls_launch(d.c, d.ctx, d.stream, f,
		C.uint(grid[0]), C.uint(grid[1]), C.uint(grid[2]), C.uint(block[0]), C.uint(block[1]), C.uint(block[2]),
		0, unsafe.Pointer(&slots[0]), C.int(len(args))))
}
