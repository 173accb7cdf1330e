package cpu

import (
	"fmt"
	"math"

	"github.com/llmls/llmls/kernels"
)

// Backend is kernels.Backend on the host: a thin adapter over this package's functions
// (MatMul, RMSNorm, Mul, Add, SiLUMul, Dot, Softmax, Axpy) that runs them on a [Pool]. Its
// buffers are Go slices ([Buffer]), its weights are [Matrix] values that keep the caller's bytes
// without copying, and its KV cache is F32 or F16 in decoder.KVCache's layout.
//
// It is the reference that kernels/cuda is tested against: Attention follows decoder's
// (llama.cpp's non-flash path, with its roundings to F16 of q and of the softmax weights when
// the cache is F16), and RoPE is decoder's rotation with the caller's angles. Operations are
// synchronous, so Sync and Read never report an error.
type Backend struct {
	pool *Pool
	own  bool // Close closes pool
}

var _ kernels.Backend = (*Backend)(nil)

// NewBackend returns a Backend on a new Pool of threads workers (threads <= 0: runtime.NumCPU()).
func NewBackend(threads int) *Backend { return &Backend{pool: NewPool(threads), own: true} }

// NewBackendPool returns a Backend that runs on p; Close leaves p open.
func NewBackendPool(p *Pool) *Backend { return &Backend{pool: p} }

// Buffer is the CPU backend's kernels.Buffer: a float32 slice.
type Buffer struct{ Data []float32 }

// Len returns len(b.Data).
func (b *Buffer) Len() int { return len(b.Data) }

// Free drops the slice (the garbage collector frees it).
func (b *Buffer) Free() { b.Data = nil }

// weights wraps a Matrix as kernels.Weights.
type weights struct{ m Matrix }

func (w *weights) Type() kernels.DType { return w.m.Type }
func (w *weights) Rows() int           { return w.m.Rows }
func (w *weights) Cols() int           { return w.m.Cols }
func (w *weights) Free()               { w.m = Matrix{} }

// kvCache is the CPU KV cache: per layer K and V of shape [HeadsKV, Cap, HeadDim].
type kvCache struct {
	s        kernels.KVShape
	k32, v32 [][]float32
	k16, v16 [][]uint16
}

func (c *kvCache) Shape() kernels.KVShape { return c.s }
func (c *kvCache) Free()                  { c.k32, c.v32, c.k16, c.v16 = nil, nil, nil, nil }

// Name reports the backend and its thread count.
func (b *Backend) Name() string { return fmt.Sprintf("cpu (%d threads)", b.pool.Threads()) }

// Alloc returns a zeroed Buffer of n elements; it never fails for n >= 0 (it panics with a
// *ShapeError for n < 0).
func (b *Backend) Alloc(n int) (kernels.Buffer, error) {
	if n < 0 {
		panic(&ShapeError{Op: "Alloc", Msg: fmt.Sprintf("negative size %d", n)})
	}
	return &Buffer{Data: make([]float32, n)}, nil
}

// Write copies src into dst at element off.
func (b *Backend) Write(dst kernels.Buffer, off int, src []float32) error {
	d := buf("Write", dst, off+len(src))
	copy(d[off:], src)
	return nil
}

// Read copies src's elements [off, off+len(dst)) into dst.
func (b *Backend) Read(dst []float32, src kernels.Buffer, off int) error {
	s := buf("Read", src, off+len(dst))
	copy(dst, s[off:])
	return nil
}

// LoadWeights returns a Matrix over data (not copied) as kernels.Weights; errors are
// [NewMatrix]'s.
func (b *Backend) LoadWeights(t kernels.DType, rows, cols int, data []byte) (kernels.Weights, error) {
	m, err := NewMatrix(t, rows, cols, data)
	if err != nil {
		return nil, err
	}
	return &weights{m}, nil
}

// NewKV allocates an F32 or F16 cache.
func (b *Backend) NewKV(s kernels.KVShape) (kernels.KV, error) {
	if s.Type != kernels.F32 && s.Type != kernels.F16 {
		return nil, fmt.Errorf("cpu: KV cache type %v is not supported (want F32 or F16)", s.Type)
	}
	if s.Layers <= 0 || s.HeadsKV <= 0 || s.HeadDim <= 0 || s.Cap <= 0 {
		return nil, fmt.Errorf("cpu: KV cache %+v: sizes must be positive", s)
	}
	c := &kvCache{s: s}
	for range s.Layers {
		if s.Type == kernels.F32 {
			c.k32 = append(c.k32, make([]float32, s.Elems()))
			c.v32 = append(c.v32, make([]float32, s.Elems()))
		} else {
			c.k16 = append(c.k16, make([]uint16, s.Elems()))
			c.v16 = append(c.v16, make([]uint16, s.Elems()))
		}
	}
	return c, nil
}

// MatMul is [MatMul] on the backend's pool.
func (b *Backend) MatMul(dst kernels.Buffer, w kernels.Weights, x kernels.Buffer, nTokens int) {
	m := mat("MatMul", w)
	MatMul(b.pool, buf("MatMul", dst, nTokens*m.Rows), m, buf("MatMul", x, nTokens*m.Cols), nTokens)
}

// RMSNorm is [RMSNorm] then [Mul] by w, row by row.
func (b *Backend) RMSNorm(dst, x, w kernels.Buffer, n, width int, eps float32) {
	d, xs, ws := buf("RMSNorm", dst, n*width), buf("RMSNorm", x, n*width), buf("RMSNorm", w, width)[:width]
	b.rows(n, width, func(lo, hi int) {
		for t := lo; t < hi; t++ {
			row := d[t*width : (t+1)*width]
			RMSNorm(row, xs[t*width:(t+1)*width], eps)
			Mul(row, row, ws)
		}
	})
}

// Add is [Add] over the first n elements.
func (b *Backend) Add(dst, a, c kernels.Buffer, n int) {
	Add(buf("Add", dst, n)[:n], buf("Add", a, n)[:n], buf("Add", c, n)[:n])
}

// AddBias adds bias to each row of x.
func (b *Backend) AddBias(x, bias kernels.Buffer, n, width int) {
	xs, bs := buf("AddBias", x, n*width), buf("AddBias", bias, width)[:width]
	for t := range n {
		row := xs[t*width : (t+1)*width]
		Add(row, row, bs)
	}
}

// SiLUMul is [SiLUMul] over the first n elements.
func (b *Backend) SiLUMul(dst, gate, up kernels.Buffer, n int) {
	SiLUMul(buf("SiLUMul", dst, n)[:n], buf("SiLUMul", gate, n)[:n], buf("SiLUMul", up, n)[:n])
}

// RoPE rotates the heads of each token by its angles (decoder's ropeParams.rotate).
func (b *Backend) RoPE(x kernels.Buffer, n, nHeads, headDim, nRot int, mode kernels.RopeMode, cos, sin kernels.Buffer) {
	if nRot <= 0 || nRot%2 != 0 || nRot > headDim {
		panic(&ShapeError{Op: "RoPE", Msg: fmt.Sprintf("nRot %d must be even, positive and <= headDim %d", nRot, headDim)})
	}
	half, w := nRot/2, nHeads*headDim
	xs, cs, ss := buf("RoPE", x, n*w), buf("RoPE", cos, n*half), buf("RoPE", sin, n*half)
	for t := range n {
		c, s := cs[t*half:(t+1)*half], ss[t*half:(t+1)*half]
		for h := range nHeads {
			v := xs[t*w+h*headDim : t*w+h*headDim+nRot]
			for i := range half {
				i0, i1 := 2*i, 2*i+1
				if mode == kernels.RopeNeox {
					i0, i1 = i, i+half
				}
				x0, x1 := v[i0], v[i1]
				v[i0] = x0*c[i] - x1*s[i]
				v[i1] = x0*s[i] + x1*c[i]
			}
		}
	}
}

// StoreKV writes n tokens' keys and values at cells [pos, pos+n).
func (b *Backend) StoreKV(kv kernels.KV, layer, pos int, k, v kernels.Buffer, n int) {
	c := cache("StoreKV", kv)
	s := c.s
	w := s.HeadsKV * s.HeadDim
	if layer < 0 || layer >= s.Layers || pos < 0 || pos+n > s.Cap {
		panic(&ShapeError{Op: "StoreKV", Msg: fmt.Sprintf("layer %d, cells [%d, %d) outside %d layers of %d cells", layer, pos, pos+n, s.Layers, s.Cap)})
	}
	ks, vs := buf("StoreKV", k, n*w), buf("StoreKV", v, n*w)
	for t := range n {
		for h := range s.HeadsKV {
			src := t*w + h*s.HeadDim
			dst := (h*s.Cap + pos + t) * s.HeadDim
			if s.Type == kernels.F32 {
				copy(c.k32[layer][dst:dst+s.HeadDim], ks[src:src+s.HeadDim])
				copy(c.v32[layer][dst:dst+s.HeadDim], vs[src:src+s.HeadDim])
			} else {
				ConvertF32ToF16(c.k16[layer][dst:dst+s.HeadDim], ks[src:src+s.HeadDim])
				ConvertF32ToF16(c.v16[layer][dst:dst+s.HeadDim], vs[src:src+s.HeadDim])
			}
		}
	}
}

// Attention is decoder's attention (llama.cpp's non-flash path): per (token, head) the scores
// q·K/√HeadDim over the cells [0, pos0+t], Softmax, then the weighted sum of V; with an F16
// cache q and the softmax weights are rounded to F16 first, as ggml_mul_mat does.
func (b *Backend) Attention(out, q kernels.Buffer, kv kernels.KV, layer, pos0, n, nHead int) {
	c := cache("Attention", kv)
	s := c.s
	if nHead <= 0 || nHead%s.HeadsKV != 0 {
		panic(&ShapeError{Op: "Attention", Msg: fmt.Sprintf("nHead %d is not a positive multiple of HeadsKV %d", nHead, s.HeadsKV)})
	}
	if layer < 0 || layer >= s.Layers || pos0 < 0 || pos0+n > s.Cap {
		panic(&ShapeError{Op: "Attention", Msg: fmt.Sprintf("layer %d, cells [%d, %d) outside %d layers of %d cells", layer, pos0, pos0+n, s.Layers, s.Cap)})
	}
	hd, group, qw := s.HeadDim, nHead/s.HeadsKV, nHead*s.HeadDim
	os, qs := buf("Attention", out, n*qw), buf("Attention", q, n*qw)
	scale := float32(1 / math.Sqrt(float64(hd)))
	f16 := s.Type == kernels.F16
	nkvMax := pos0 + n
	b.pool.ForChunk(s.HeadsKV, 1, func(lo, hi int) {
		kq := make([]float32, nkvMax)
		qr := make([]float32, hd)
		var keys, values []float32
		if f16 {
			keys, values = make([]float32, nkvMax*hd), make([]float32, nkvMax*hd)
		}
		for h := lo; h < hi; h++ {
			base := h * s.Cap * hd
			if f16 {
				ConvertF16ToF32(keys, c.k16[layer][base:base+nkvMax*hd])
				ConvertF16ToF32(values, c.v16[layer][base:base+nkvMax*hd])
			} else {
				keys, values = c.k32[layer][base:base+nkvMax*hd], c.v32[layer][base:base+nkvMax*hd]
			}
			for t := range n {
				nkv := pos0 + t + 1
				for g := range group {
					qh := h*group + g
					qv := qs[t*qw+qh*hd : t*qw+(qh+1)*hd]
					if f16 {
						roundSliceF16(qr, qv)
						qv = qr
					}
					w := kq[:nkv]
					for j := range w {
						w[j] = Dot(qv, keys[j*hd:(j+1)*hd]) * scale
					}
					Softmax(w)
					if f16 {
						roundSliceF16(w, w)
					}
					o := os[t*qw+qh*hd : t*qw+(qh+1)*hd]
					clear(o)
					for j, p := range w {
						Axpy(p, values[j*hd:(j+1)*hd], o)
					}
				}
			}
		}
	})
}

// Sync returns nil: every operation has completed when it returns.
func (b *Backend) Sync() error { return nil }

// Close closes the pool if NewBackend made it.
func (b *Backend) Close() error {
	if b.own {
		b.pool.Close()
	}
	return nil
}

// rows runs fn over rows [0, n) in parallel when the work is worth waking workers for.
func (b *Backend) rows(n, width int, fn func(lo, hi int)) {
	const grain = 1 << 14
	if n <= 1 || n*width < 2*grain {
		fn(0, n)
		return
	}
	b.pool.ForChunk(n, max(1, grain/width), fn)
}

// roundSliceF16 writes x rounded to half precision and widened back into dst.
func roundSliceF16(dst, x []float32) {
	for i, v := range x {
		dst[i] = roundF16(v)
	}
}

// buf returns the slice of a *Buffer holding at least n elements, or panics with a *ShapeError.
func buf(op string, b kernels.Buffer, n int) []float32 {
	cb, ok := b.(*Buffer)
	if !ok {
		panic(&ShapeError{Op: op, Msg: fmt.Sprintf("buffer %T is not a cpu.Buffer", b)})
	}
	if n < 0 || len(cb.Data) < n {
		panic(&ShapeError{Op: op, Msg: fmt.Sprintf("buffer of %d elements, need %d", len(cb.Data), n)})
	}
	return cb.Data
}

func mat(op string, w kernels.Weights) Matrix {
	cw, ok := w.(*weights)
	if !ok {
		panic(&ShapeError{Op: op, Msg: fmt.Sprintf("weights %T were not made by cpu.Backend", w)})
	}
	return cw.m
}

func cache(op string, kv kernels.KV) *kvCache {
	c, ok := kv.(*kvCache)
	if !ok || (c.k32 == nil && c.k16 == nil) {
		panic(&ShapeError{Op: op, Msg: fmt.Sprintf("KV cache %T was not made by cpu.Backend or was freed", kv)})
	}
	return c
}
