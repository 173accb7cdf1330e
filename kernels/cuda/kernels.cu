// kernels.cu: the single translation unit compiled to kernels.ptx (`make ptx`), so that the Go
// host code loads one module. The kernels live in the files included below.
#include "gemv.cu"
#include "ops.cu"
#include "attention.cu"
