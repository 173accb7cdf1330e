package decoder

import (
	"fmt"
	"unsafe"

	"github.com/llmls/llmls/kernels"
	"github.com/llmls/llmls/kernels/cpu"
)

// KVCache holds the keys and values of one sequence for every layer: cells [0, Len()) hold
// the tokens at positions [0, Len()). Keys are stored after RoPE.
//
// Layout: per layer, K and V are [NHeadKV, Cap(), NEmbdHead] (head outermost), so the rows
// of one KV head that attention reads are contiguous. In F16, values are rounded to half
// precision on store with round-to-nearest-even, as llama.cpp's default F16 cache does
// (ggml_cpy F32→F16), and widened back to float32 on read.
//
// Methods are grouped by caller: the session writes (Store, Advance, Truncate), attention
// reads (Keys, Values). A KVCache is not safe for concurrent writes; reads of distinct heads
// may run in parallel.
type KVCache struct {
	typ                        kernels.DType
	nLayer, nHeadKV, nEmbdHead int
	nCtx                       int
	k32, v32                   [][]float32 // per layer, F32 cache
	k16, v16                   [][]uint16  // per layer, F16 cache
	n                          int         // cells [0, n) are valid
}

// NewKVCache allocates a cache of nCtx cells for nLayer layers of nHeadKV heads of width
// nEmbdHead, of type kernels.F32 or kernels.F16 (any other type is an error). Memory:
// 2·nLayer·nCtx·nHeadKV·nEmbdHead elements of 4 or 2 bytes (see [KVCacheBytes]).
func NewKVCache(typ kernels.DType, nLayer, nHeadKV, nEmbdHead, nCtx int) (*KVCache, error) {
	if typ != kernels.F32 && typ != kernels.F16 {
		return nil, fmt.Errorf("decoder: KV cache type %v is not supported (want F32 or F16)", typ)
	}
	if nLayer <= 0 || nHeadKV <= 0 || nEmbdHead <= 0 || nCtx <= 0 {
		return nil, fmt.Errorf("decoder: KV cache of %d layers, %d heads of %d, %d cells: sizes must be positive", nLayer, nHeadKV, nEmbdHead, nCtx)
	}
	c := &KVCache{typ: typ, nLayer: nLayer, nHeadKV: nHeadKV, nEmbdHead: nEmbdHead, nCtx: nCtx}
	size := nHeadKV * nCtx * nEmbdHead
	for range nLayer {
		if typ == kernels.F32 {
			c.k32 = append(c.k32, make([]float32, size))
			c.v32 = append(c.v32, make([]float32, size))
		} else {
			c.k16 = append(c.k16, make([]uint16, size))
			c.v16 = append(c.v16, make([]uint16, size))
		}
	}
	return c, nil
}

// KVCacheBytes returns the memory in bytes a KV cache of these sizes uses.
func KVCacheBytes(typ kernels.DType, nLayer, nHeadKV, nEmbdHead, nCtx int) int64 {
	elem := int64(4)
	if typ == kernels.F16 {
		elem = 2
	}
	return 2 * int64(nLayer) * int64(nCtx) * int64(nHeadKV) * int64(nEmbdHead) * elem
}

// Type returns the element type, kernels.F32 or kernels.F16.
func (c *KVCache) Type() kernels.DType { return c.typ }

// Len returns the number of valid cells: positions [0, Len()) are cached.
func (c *KVCache) Len() int { return c.n }

// Cap returns the number of cells, the context length in tokens.
func (c *KVCache) Cap() int { return c.nCtx }

// --- Session side ---

// Store writes the keys and values of n tokens at positions [pos, pos+n) of layer:
// k and v are [n, nHeadKV·nEmbdHead] (heads concatenated, as the projections produce them).
// The cells become valid for all layers with Advance. It panics if pos > Len() or
// pos+n > Cap(): the session checks both before a forward pass.
func (c *KVCache) Store(layer, pos int, k, v []float32, n int) {
	w := c.nHeadKV * c.nEmbdHead
	if pos < 0 || pos > c.n || pos+n > c.nCtx || len(k) < n*w || len(v) < n*w {
		panic(fmt.Sprintf("decoder: KVCache.Store(layer %d, pos %d, n %d) with %d valid of %d cells", layer, pos, n, c.n, c.nCtx))
	}
	hd := c.nEmbdHead
	for t := range n {
		for h := range c.nHeadKV {
			src := (t*c.nHeadKV + h) * hd
			dst := (h*c.nCtx + pos + t) * hd
			if c.typ == kernels.F32 {
				copy(c.k32[layer][dst:dst+hd], k[src:src+hd])
				copy(c.v32[layer][dst:dst+hd], v[src:src+hd])
				continue
			}
			roundF16(c.k16[layer][dst:dst+hd], k[src:src+hd])
			roundF16(c.v16[layer][dst:dst+hd], v[src:src+hd])
		}
	}
}

// Advance marks cells [Len(), hi) valid once Store wrote them in every layer.
// It panics if hi < Len() or hi > Cap().
func (c *KVCache) Advance(hi int) {
	if hi < c.n || hi > c.nCtx {
		panic(fmt.Sprintf("decoder: KVCache.Advance(%d) with %d valid of %d cells", hi, c.n, c.nCtx))
	}
	c.n = hi
}

// Truncate drops cells [n, Len()), keeping positions [0, n). It panics if n is outside
// [0, Len()].
func (c *KVCache) Truncate(n int) {
	if n < 0 || n > c.n {
		panic(fmt.Sprintf("decoder: KVCache.Truncate(%d) with %d valid cells", n, c.n))
	}
	c.n = n
}

// --- Attention side ---

// Keys returns the keys of KV head h of layer for cells [0, hi) as [hi, nEmbdHead] float32:
// a view of the cache for F32, or buf[:hi·nEmbdHead] filled by widening for F16. hi may
// exceed Len() by the cells the current forward pass stored.
func (c *KVCache) Keys(layer, h, hi int, buf []float32) []float32 {
	if c.typ == kernels.F32 {
		return c.rows32(c.k32[layer], h, hi)
	}
	return c.widen(c.k16[layer], h, hi, buf)
}

// Values is Keys for the values.
func (c *KVCache) Values(layer, h, hi int, buf []float32) []float32 {
	if c.typ == kernels.F32 {
		return c.rows32(c.v32[layer], h, hi)
	}
	return c.widen(c.v16[layer], h, hi, buf)
}

func (c *KVCache) rows32(x []float32, h, hi int) []float32 {
	base := h * c.nCtx * c.nEmbdHead
	return x[base : base+hi*c.nEmbdHead]
}

func (c *KVCache) widen(x []uint16, h, hi int, buf []float32) []float32 {
	base := h * c.nCtx * c.nEmbdHead
	src := x[base : base+hi*c.nEmbdHead]
	dst := buf[:len(src)]
	if len(src) > 0 {
		// Dequantize takes the bytes of a GGUF F16 tensor, little-endian; the cells are
		// uint16 in host order, which is little-endian on every platform Go's kernels/cpu
		// targets (amd64, arm64).
		b := unsafe.Slice((*byte)(unsafe.Pointer(&src[0])), 2*len(src))
		if err := cpu.Dequantize(kernels.F16, dst, b); err != nil {
			panic(err) // lengths are computed here: a bug, not bad input
		}
	}
	return dst
}

// roundF16 stores src rounded to half precision (ggml's GGML_FP32_TO_FP16).
func roundF16(dst []uint16, src []float32) {
	for i, v := range src {
		dst[i] = cpu.F32ToF16(v)
	}
}
