package decoder

import "context"

// archLlama is Llama 1/2/3 and the models that share its graph: CodeLlama, DeepSeek-Coder
// (llama.cpp LLM_ARCH_LLAMA). Q/K/V and output biases are used when the file has them.
var archLlama = &architecture{
	name:    "llama",
	rope:    RopeNorm,
	qkvBias: optional,
	forward: forwardLlama,
}

// forwardLlama runs the pre-norm decoder-only transformer of llama.cpp's llm_build_llama on
// micro-batch b: tokens at positions [b.pos0, b.pos0+n), logits for rows b.outputs.
// Shapes are in the package doc's glossary; every projection goes through Session.project
// (W·x, the active LoRA adapters, the bias).
func forwardLlama(ctx context.Context, s *Session, b *batch) error {
	m, c, w, buf := s.m, &s.m.Config, &s.m.Weights, &s.buf
	n, pos0 := len(b.tokens), b.pos0
	d, dq, dkv, dff := c.NEmbd, c.NEmbdQ(), c.NEmbdKV(), c.NFF

	// token embeddings
	m.embed(buf.x, b.tokens)
	s.debug("inp_embd", -1, pos0, buf.x, n, d)
	for il := range c.NLayer {
		if err := ctx.Err(); err != nil {
			return err
		}
		l := &w.Layers[il]
		// attention norm
		m.rmsNorm(buf.xn, buf.x, l.AttnNorm, n)
		s.debug("attn_norm", il, pos0, buf.xn, n, d)
		// Q, K, V projections (+ bias when present)
		s.project(buf.q, &l.Wq, buf.xn, n)
		s.project(buf.k, &l.Wk, buf.xn, n)
		s.project(buf.v, &l.Wv, buf.xn, n)
		// RoPE on queries and keys
		s.rope(buf.q, c.NHead, n)
		s.rope(buf.k, c.NHeadKV, n)
		s.debug("Qcur", il, pos0, buf.q, n, dq)
		s.debug("Kcur", il, pos0, buf.k, n, dkv)
		s.debug("Vcur", il, pos0, buf.v, n, dkv)
		// store K and V, then attend over cells [0, pos+1) of the KV cache (GQA)
		s.cache.Store(il, pos0, buf.k, buf.v, n)
		s.attention(buf.att, buf.q, il, pos0, n)
		s.debug("kqv_out", il, pos0, buf.att, n, dq)
		// attention output projection
		s.project(buf.tmp, &l.Wo, buf.att, n)
		// last layer: only the rows whose logits are wanted go on (llama.cpp inp_out_ids)
		if il == c.NLayer-1 {
			gatherRows(buf.tmp, b.outputs, d)
			gatherRows(buf.x, b.outputs, d)
			n = len(b.outputs)
		}
		// residual
		m.add(buf.x, buf.x, buf.tmp, n, d)
		s.debug("ffn_inp", il, pos0, buf.x, n, d)
		// FFN norm
		m.rmsNorm(buf.xn, buf.x, l.FFNNorm, n)
		s.debug("ffn_norm", il, pos0, buf.xn, n, d)
		// SwiGLU FFN: down(SiLU(gate·x) ⊙ up·x)
		s.project(buf.gate, &l.FFNGate, buf.xn, n)
		s.project(buf.up, &l.FFNUp, buf.xn, n)
		m.swiglu(buf.gate, buf.gate, buf.up, n, dff)
		s.debug("ffn_swiglu", il, pos0, buf.gate, n, dff)
		s.project(buf.tmp, &l.FFNDown, buf.gate, n)
		s.debug("ffn_out", il, pos0, buf.tmp, n, d)
		// residual
		m.add(buf.x, buf.x, buf.tmp, n, d)
		s.debug("l_out", il, pos0, buf.x, n, d)
	}
	if n == 0 {
		return nil
	}
	// final norm
	m.rmsNorm(buf.xn, buf.x, w.OutputNorm, n)
	s.debug("result_norm", -1, pos0, buf.xn, n, d)
	// logits
	s.project(b.logits, &w.Output, buf.xn, n)
	s.debug("result_output", -1, pos0, b.logits, n, c.NVocab)
	return nil
}
