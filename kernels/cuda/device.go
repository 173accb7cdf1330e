//go:build cuda

package cuda

import (
	_ "embed"
	"fmt"
	"math"
	"os"
	"unsafe"

	"github.com/llmls/llmls/kernels"
)

//go:embed kernels.ptx
var ptx string

// Device is kernels.Backend on one CUDA GPU: buffers, weights and KV caches in device memory,
// operations queued on one stream (see the package doc for what runs where).
type Device struct {
	d     *driver
	fns   map[string]cfunc
	err   error   // first failure since the last Sync or Read; operations after it are skipped
	split *buffer // attention scratch (grow-only)
}

var _ kernels.Backend = (*Device)(nil)

// New opens GPU ordinal (0 for the first) through the driver library libcuda.so.1 (or the one
// named by $LLMLS_CUDA_LIB: a driver outside the loader's path, or the tests' emulator) and
// loads the embedded kernels, or the PTX file named by $LLMLS_CUDA_PTX when set (the device
// check runs the parity tests on nvcc's PTX that way). It returns an error saying what is missing when the
// library cannot be loaded ("cuda: libcuda.so.1 not found: ..."), when there is no such device,
// or when the driver cannot compile the PTX for the GPU (with the JIT's log).
func New(ordinal int) (*Device, error) {
	lib := libName
	if l := os.Getenv("LLMLS_CUDA_LIB"); l != "" {
		lib = l
	}
	return open(lib, ordinal)
}

func open(lib string, ordinal int) (*Device, error) {
	if ordinal < 0 {
		return nil, fmt.Errorf("cuda: device ordinal %d is negative", ordinal)
	}
	src := ptx
	if f := os.Getenv("LLMLS_CUDA_PTX"); f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("cuda: $LLMLS_CUDA_PTX: %w", err)
		}
		src = string(b)
	}
	d, err := openDriver(lib, ordinal, src)
	if err != nil {
		return nil, err
	}
	dev := &Device{d: d, fns: map[string]cfunc{}}
	for _, k := range kernelSigs {
		f, err := d.function(k.Name)
		if err != nil {
			d.close()
			return nil, err
		}
		dev.fns[k.Name] = f
	}
	return dev, nil
}

// Name returns "cuda: " and the device's name.
func (v *Device) Name() string { return "cuda: " + v.d.name }

// buffer is device memory of n float32 (or, for weights and caches, bytes of any type).
type buffer struct {
	v     *Device
	p     devptr
	n     int // float32 elements
	bytes int
}

func (b *buffer) Len() int { return b.n }

func (b *buffer) Free() {
	if b.p != 0 {
		b.v.fail(b.v.d.free(b.p))
		b.p = 0
	}
}

type weights struct {
	buffer
	t          kernels.DType
	rows, cols int
}

func (w *weights) Type() kernels.DType { return w.t }
func (w *weights) Rows() int           { return w.rows }
func (w *weights) Cols() int           { return w.cols }

type kvCache struct {
	s        kernels.KVShape
	k, v     []*buffer // per layer
	elemSize int
}

func (c *kvCache) Shape() kernels.KVShape { return c.s }
func (c *kvCache) Free() {
	for i := range c.k {
		c.k[i].Free()
		c.v[i].Free()
	}
	c.k, c.v = nil, nil
}

func (v *Device) alloc(bytes int) (*buffer, error) {
	p, err := v.d.alloc(bytes)
	if err != nil {
		return nil, err
	}
	return &buffer{v: v, p: p, n: bytes / 4, bytes: bytes}, nil
}

// Alloc returns n zeroed float32 of device memory.
func (v *Device) Alloc(n int) (kernels.Buffer, error) {
	if n < 0 {
		panic(fmt.Sprintf("cuda: Alloc: negative size %d", n))
	}
	return v.alloc(4 * n)
}

// Write copies src to dst's elements [off, off+len(src)) (synchronously).
func (v *Device) Write(dst kernels.Buffer, off int, src []float32) error {
	b := v.buf("Write", dst, off+len(src))
	if len(src) == 0 {
		return nil
	}
	if v.err != nil {
		return v.err
	}
	return v.fail(v.d.htod(b.p+devptr(4*off), unsafe.Pointer(&src[0]), 4*len(src)))
}

// Read waits for the queued work, then copies src's elements [off, off+len(dst)) into dst.
func (v *Device) Read(dst []float32, src kernels.Buffer, off int) error {
	b := v.buf("Read", src, off+len(dst))
	if err := v.takeErr(); err != nil {
		return err
	}
	if len(dst) == 0 {
		return v.d.sync()
	}
	return v.d.dtoh(unsafe.Pointer(&dst[0]), b.p+devptr(4*off), 4*len(dst))
}

// LoadWeights copies a matrix of type Q8_0, Q4_K, Q6_K or F16 to device memory.
func (v *Device) LoadWeights(t kernels.DType, rows, cols int, data []byte) (kernels.Weights, error) {
	if _, ok := gemvKernel[t]; !ok {
		return nil, fmt.Errorf("cuda: weights of type %v: no kernel (have Q8_0, Q4_K, Q6_K, F16)", t)
	}
	if rows <= 0 || cols <= 0 {
		return nil, fmt.Errorf("cuda: weights %v [%d, %d]: dimensions must be positive", t, cols, rows)
	}
	rb, ok := t.RowSize(int64(cols))
	if !ok {
		return nil, fmt.Errorf("cuda: weights %v [%d, %d]: row of %d elements is not whole %d-element blocks", t, cols, rows, cols, t.BlockSize())
	}
	if int64(len(data)) != rb*int64(rows) {
		return nil, fmt.Errorf("cuda: weights %v [%d, %d]: need %d bytes, got %d", t, cols, rows, rb*int64(rows), len(data))
	}
	b, err := v.alloc(len(data))
	if err != nil {
		return nil, err
	}
	if err := v.d.htod(b.p, unsafe.Pointer(&data[0]), len(data)); err != nil {
		b.Free()
		return nil, err
	}
	return &weights{buffer: *b, t: t, rows: rows, cols: cols}, nil
}

// NewKV allocates an F16 or F32 KV cache in device memory.
func (v *Device) NewKV(s kernels.KVShape) (kernels.KV, error) {
	es := 0
	switch s.Type {
	case kernels.F16:
		es = 2
	case kernels.F32:
		es = 4
	default:
		return nil, fmt.Errorf("cuda: KV cache type %v is not supported (want F32 or F16)", s.Type)
	}
	if s.Layers <= 0 || s.HeadsKV <= 0 || s.HeadDim <= 0 || s.Cap <= 0 {
		return nil, fmt.Errorf("cuda: KV cache %+v: sizes must be positive", s)
	}
	if s.HeadDim > maxHeadDim {
		return nil, fmt.Errorf("cuda: KV cache head dimension %d exceeds the attention kernel's %d", s.HeadDim, maxHeadDim)
	}
	c := &kvCache{s: s, elemSize: es}
	for range s.Layers {
		k, err := v.alloc(es * s.Elems())
		if err != nil {
			c.Free()
			return nil, err
		}
		c.k = append(c.k, k)
		vv, err := v.alloc(es * s.Elems())
		if err != nil {
			k.Free()
			c.k = c.k[:len(c.k)-1]
			c.Free()
			return nil, err
		}
		c.v = append(c.v, vv)
	}
	return c, nil
}

// gemvKernel names the matrix-vector kernel of each weight type.
var gemvKernel = map[kernels.DType]string{
	kernels.Q8_0: "gemv_q8_0",
	kernels.F16:  "gemv_f16",
	kernels.Q4_K: "gemv_q4_k",
	kernels.Q6_K: "gemv_q6_k",
}

// Launch geometry shared with the .cu files (gemv.cu, attention.cu).
const (
	rowsPerBlock = 4   // ROWS_PER_BLOCK
	gemvNT       = 8   // GEMV_NT
	attnChunk    = 256 // ATTN_CHUNK
	attnThreads  = 128 // ATTN_THREADS
	maxHeadDim   = 256 // ATTN_MAX_HD
	ewThreads    = 256 // threads per block of the element-wise kernels
)

// MatMul queues dst = W·x for nTokens rows.
func (v *Device) MatMul(dst kernels.Buffer, w kernels.Weights, x kernels.Buffer, nTokens int) {
	cw, ok := w.(*weights)
	if !ok || cw.p == 0 {
		panic(fmt.Sprintf("cuda: MatMul: weights %T were not made by cuda.Device or were freed", w))
	}
	d, xb := v.buf("MatMul", dst, nTokens*cw.rows), v.buf("MatMul", x, nTokens*cw.cols)
	v.launch(gemvKernel[cw.t], [3]int{ceilDiv(cw.rows, rowsPerBlock), ceilDiv(nTokens, gemvNT), 1}, [3]int{32, rowsPerBlock, 1},
		cw.p, xb.p, d.p, cw.rows, cw.cols, nTokens)
}

// RMSNorm queues dst = RMSNorm(x)·w for n rows of width.
func (v *Device) RMSNorm(dst, x, w kernels.Buffer, n, width int, eps float32) {
	d, xb, wb := v.buf("RMSNorm", dst, n*width), v.buf("RMSNorm", x, n*width), v.buf("RMSNorm", w, width)
	v.launch("rms_norm", [3]int{n, 1, 1}, [3]int{256, 1, 1}, d.p, xb.p, wb.p, width, eps)
}

// Add queues dst = a + b over n elements.
func (v *Device) Add(dst, a, b kernels.Buffer, n int) {
	d, ab, bb := v.buf("Add", dst, n), v.buf("Add", a, n), v.buf("Add", b, n)
	v.launch("add", ewGrid(n), [3]int{ewThreads, 1, 1}, d.p, ab.p, bb.p, n)
}

// AddBias queues x[t] += bias for n rows of width.
func (v *Device) AddBias(x, bias kernels.Buffer, n, width int) {
	xb, bb := v.buf("AddBias", x, n*width), v.buf("AddBias", bias, width)
	v.launch("add_bias", ewGrid(n*width), [3]int{ewThreads, 1, 1}, xb.p, bb.p, n*width, width)
}

// SiLUMul queues dst = SiLU(gate) ⊙ up over n elements.
func (v *Device) SiLUMul(dst, gate, up kernels.Buffer, n int) {
	d, g, u := v.buf("SiLUMul", dst, n), v.buf("SiLUMul", gate, n), v.buf("SiLUMul", up, n)
	v.launch("silu_mul", ewGrid(n), [3]int{ewThreads, 1, 1}, d.p, g.p, u.p, n)
}

// RoPE queues the rotation of x's heads by the angles in cos and sin.
func (v *Device) RoPE(x kernels.Buffer, n, nHeads, headDim, nRot int, mode kernels.RopeMode, cos, sin kernels.Buffer) {
	if nRot <= 0 || nRot%2 != 0 || nRot > headDim {
		panic(fmt.Sprintf("cuda: RoPE: nRot %d must be even, positive and <= headDim %d", nRot, headDim))
	}
	xb := v.buf("RoPE", x, n*nHeads*headDim)
	cb, sb := v.buf("RoPE", cos, n*nRot/2), v.buf("RoPE", sin, n*nRot/2)
	neox := 0
	if mode == kernels.RopeNeox {
		neox = 1
	}
	v.launch("rope", ewGrid(n*nHeads*nRot/2), [3]int{ewThreads, 1, 1}, xb.p, cb.p, sb.p, n, nHeads, headDim, nRot, neox)
}

// StoreKV queues the store of n tokens' keys and values at cells [pos, pos+n) of layer.
func (v *Device) StoreKV(kv kernels.KV, layer, pos int, k, val kernels.Buffer, n int) {
	c := cache("StoreKV", kv)
	s := c.s
	if layer < 0 || layer >= s.Layers || pos < 0 || pos+n > s.Cap {
		panic(fmt.Sprintf("cuda: StoreKV: layer %d, cells [%d, %d) outside %d layers of %d cells", layer, pos, pos+n, s.Layers, s.Cap))
	}
	w := s.HeadsKV * s.HeadDim
	kb, vb := v.buf("StoreKV", k, n*w), v.buf("StoreKV", val, n*w)
	name := "kv_store_f32"
	if s.Type == kernels.F16 {
		name = "kv_store_f16"
	}
	v.launch(name, ewGrid(n*w), [3]int{ewThreads, 1, 1}, c.k[layer].p, c.v[layer].p, kb.p, vb.p, n, s.HeadsKV, s.HeadDim, s.Cap, pos)
}

// Attention queues flash-decoding attention (attn_split_*, then attn_reduce) for the n tokens at
// positions [pos0, pos0+n).
func (v *Device) Attention(out, q kernels.Buffer, kv kernels.KV, layer, pos0, n, nHead int) {
	c := cache("Attention", kv)
	s := c.s
	if nHead <= 0 || nHead%s.HeadsKV != 0 {
		panic(fmt.Sprintf("cuda: Attention: nHead %d is not a positive multiple of HeadsKV %d", nHead, s.HeadsKV))
	}
	if layer < 0 || layer >= s.Layers || pos0 < 0 || pos0+n > s.Cap {
		panic(fmt.Sprintf("cuda: Attention: layer %d, cells [%d, %d) outside %d layers of %d cells", layer, pos0, pos0+n, s.Layers, s.Cap))
	}
	if n == 0 {
		return
	}
	qw := nHead * s.HeadDim
	ob, qb := v.buf("Attention", out, n*qw), v.buf("Attention", q, n*qw)
	nsplit := ceilDiv(pos0+n, attnChunk)
	need := n * nHead * nsplit * (s.HeadDim + 2) // part_o then part_ml
	if v.split == nil || v.split.n < need {
		if v.split != nil {
			v.split.Free()
		}
		b, err := v.alloc(4 * max(need, 1<<16))
		if v.fail(err) != nil {
			return
		}
		v.split = b
	}
	partO := v.split.p
	partML := v.split.p + devptr(4*n*nHead*nsplit*s.HeadDim)
	name := "attn_split_f32"
	if s.Type == kernels.F16 {
		name = "attn_split_f16"
	}
	scale := float32(1 / math.Sqrt(float64(s.HeadDim)))
	v.launch(name, [3]int{nsplit, nHead, n}, [3]int{attnThreads, 1, 1},
		qb.p, c.k[layer].p, c.v[layer].p, partO, partML, nHead, s.HeadsKV, s.HeadDim, s.Cap, pos0, nsplit, scale)
	v.launch("attn_reduce", [3]int{nHead, n, 1}, [3]int{min(s.HeadDim, 256), 1, 1}, partO, partML, ob.p, nHead, s.HeadDim, nsplit)
}

// Sync waits for the queued work and returns the first error since the last Sync or Read.
func (v *Device) Sync() error {
	if err := v.takeErr(); err != nil {
		return err
	}
	return v.d.sync()
}

// Close releases the scratch, the module, the stream and the context; buffers, weights and
// caches not freed before are released with the context.
func (v *Device) Close() error {
	if v.d == nil {
		return nil
	}
	err := v.d.sync()
	if v.split != nil {
		v.split.Free()
	}
	v.d.close()
	v.d = nil
	return err
}

// launch queues kernel name unless an earlier operation failed; a failure is kept for Sync.
func (v *Device) launch(name string, grid, block [3]int, args ...any) {
	if v.err != nil {
		return
	}
	if sig, ok := kernelSigs[name]; !ok || len(sig.Params) != len(args) {
		panic(fmt.Sprintf("cuda: kernel %s launched with %d arguments, declared %v", name, len(args), kernelSigs[name].Params))
	}
	v.fail(v.d.launch(name, v.fns[name], grid, block, args...))
}

// fail records err as the pending error if there is none yet, and returns the pending error.
func (v *Device) fail(err error) error {
	if v.err == nil {
		v.err = err
	}
	return v.err
}

func (v *Device) takeErr() error {
	err := v.err
	v.err = nil
	return err
}

func (v *Device) buf(op string, b kernels.Buffer, n int) *buffer {
	cb, ok := b.(*buffer)
	if !ok || cb.p == 0 {
		panic(fmt.Sprintf("cuda: %s: buffer %T was not made by cuda.Device or was freed", op, b))
	}
	if n < 0 || cb.n < n {
		panic(fmt.Sprintf("cuda: %s: buffer of %d elements, need %d", op, cb.n, n))
	}
	return cb
}

func cache(op string, kv kernels.KV) *kvCache {
	c, ok := kv.(*kvCache)
	if !ok || c.k == nil {
		panic(fmt.Sprintf("cuda: %s: KV cache %T was not made by cuda.Device or was freed", op, kv))
	}
	return c
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// ewGrid is the grid of an element-wise kernel over n elements: one thread per element up to
// 4096 blocks, grid-stride beyond.
func ewGrid(n int) [3]int { return [3]int{min(4096, max(1, ceilDiv(n, ewThreads))), 1, 1} }
