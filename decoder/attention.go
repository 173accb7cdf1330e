package decoder

import (
	"math"

	"github.com/llmls/llmls/kernels"
	"github.com/llmls/llmls/kernels/cpu"
)

// attention computes scaled dot-product attention with a causal mask over the KV cache for
// the n tokens of a micro-batch at positions [pos0, pos0+n) in layer il:
//
//	out[t, h] = Σ_{j ≤ pos0+t} softmax_j(q[t, h]·K[j, h/g] / √NEmbdHead) · V[j, h/g]
//
// with g = NHead/NHeadKV query heads per KV head (GQA). q and out are
// [n, NHead·NEmbdHead]. The cache must already hold K and V for cells [0, pos0+n).
//
// This is llama.cpp's non-flash path (llm_graph_context::build_attn_mha: kq = K·q,
// soft_max_ext with the scale, kqv = V·kq), including its roundings with an F16 cache:
// ggml_mul_mat converts the F32 operand to the F16 partner type, so q is rounded to F16 before
// K·q and the softmax weights are rounded to F16 before V·kq.
//
// Work items are (KV head, chunk of tokens): an item widens its head's K and V from F16 once
// and reuses them for every token of the chunk and every query head of the group.
func (s *Session) attention(out, q []float32, il, pos0, n int) {
	c := &s.m.Config
	hd, group := c.NEmbdHead, c.NHead/c.NHeadKV
	qw := c.NEmbdQ()
	scale := float32(1 / math.Sqrt(float64(hd)))
	f16 := s.cache.Type() == kernels.F16

	// About four items per thread balances the uneven items (later tokens attend to more
	// cells) while keeping the F16 widening per item amortized over many tokens.
	threads := s.m.pool.Threads()
	chunk := max(1, (n*c.NHeadKV+4*threads-1)/(4*threads))
	nChunks := (n + chunk - 1) / chunk

	s.m.pool.ForChunk(c.NHeadKV*nChunks, 1, func(lo, hi int) {
		sc := s.getScratch()
		defer s.putScratch(sc)
		for it := lo; it < hi; it++ {
			h, ck := it%c.NHeadKV, it/c.NHeadKV
			t0, t1 := ck*chunk, min(n, (ck+1)*chunk)
			keys := s.cache.Keys(il, h, pos0+t1, sc.k)
			values := s.cache.Values(il, h, pos0+t1, sc.v)
			for t := t0; t < t1; t++ {
				nkv := pos0 + t + 1 // causal mask: cells after the token's own position are −∞
				for g := range group {
					qh := h*group + g
					qv := q[t*qw+qh*hd : t*qw+(qh+1)*hd]
					if f16 {
						qv = roundTripF16(sc.q, qv)
					}
					kq := sc.kq[:nkv]
					for j := range kq {
						kq[j] = cpu.Dot(qv, keys[j*hd:(j+1)*hd]) * scale
					}
					cpu.Softmax(kq)
					if f16 {
						roundTripF16(kq, kq)
					}
					o := out[t*qw+qh*hd : t*qw+(qh+1)*hd]
					clear(o)
					for j, p := range kq {
						cpu.Axpy(p, values[j*hd:(j+1)*hd], o)
					}
				}
			}
		}
	})
}

// attnScratch is one worker's buffers for attention.
type attnScratch struct {
	k, v []float32 // [Cap(), NEmbdHead] widened F16 keys and values (nil for an F32 cache)
	q    []float32 // [NEmbdHead] query rounded to F16
	kq   []float32 // [Cap()] attention weights of one query
}

func (s *Session) getScratch() *attnScratch {
	select {
	case sc := <-s.scratch:
		return sc
	default:
	}
	c, nCtx := &s.m.Config, s.cache.Cap()
	sc := &attnScratch{q: make([]float32, c.NEmbdHead), kq: make([]float32, nCtx)}
	if s.cache.Type() == kernels.F16 {
		sc.k = make([]float32, nCtx*c.NEmbdHead)
		sc.v = make([]float32, nCtx*c.NEmbdHead)
	}
	return sc
}

func (s *Session) putScratch(sc *attnScratch) {
	select {
	case s.scratch <- sc:
	default: // more workers than slots: let it go
	}
}

// roundTripF16 writes x rounded to half precision and widened back into dst, returning
// dst[:len(x)]; dst may be x.
func roundTripF16(dst, x []float32) []float32 {
	dst = dst[:len(x)]
	for i, v := range x {
		dst[i] = cpu.F16ToF32(cpu.F32ToF16(v))
	}
	return dst
}
