package decoder

import (
	"context"
	"fmt"
	"slices"

	"github.com/llmls/llmls/kernels"
)

// Defaults of SessionOptions.
const (
	// DefaultContextLength caps the KV cache when SessionOptions.ContextLength is 0: code
	// completion prompts are a few thousand tokens, and a model's full trained context (32k
	// for Qwen2.5-Coder) would cost 8× the memory.
	DefaultContextLength = 4096
	// DefaultBatchSize is the micro-batch of prompt evaluation, tokens. Activation buffers
	// grow with it (about 4·(3·NEmbd + NEmbdQ + NEmbdKV + NFF) bytes per token: ~2 MiB per
	// 128 tokens for a 0.5B model, ~27 MiB for a 7B one); past a hundred tokens the matrix
	// products are compute-bound, so larger batches gain little.
	DefaultBatchSize = 128
)

// SessionOptions configure NewSession. The zero value is usable.
type SessionOptions struct {
	// ContextLength is the number of KV cache cells (tokens); 0 means
	// min(Config.NCtxTrain, DefaultContextLength).
	ContextLength int
	// KVType is the KV cache element type: kernels.F32 (the zero value) or kernels.F16
	// (llama.cpp's default: half the memory, logits move by up to ~1e-2).
	KVType kernels.DType
	// BatchSize is the micro-batch of prompt evaluation in tokens; 0 means DefaultBatchSize.
	BatchSize int
	// Debug, when set, receives every named intermediate of every forward pass.
	Debug DebugHook
}

// Session is one sequence being evaluated: its KV cache, the tokens it holds, the activation
// buffers of the forward pass and the logits of the last evaluated token. Cells [0, Len())
// hold the tokens Tokens() at positions [0, Len()).
//
// A Session is not safe for concurrent use; distinct sessions of one Model are.
type Session struct {
	m         *Model
	cache     *KVCache
	tokens    []int32 // tokens of cells [0, cache.Len())
	batchSize int
	debugHook DebugHook
	buf       buffers
	allRows   []int             // 0, 1, …, batchSize−1: outputs of a batch that wants all logits
	scratch   chan *attnScratch // attention buffers, one per concurrent worker
	logits    []float32         // [NVocab] logits of the last evaluated token
	hasLogits bool              // logits belong to tokens[len(tokens)−1]
	active    []ActiveAdapter   // LoRA adapters applied unmerged (adapter.go SetAdapters)
	loraAX    []float32         // [batchSize, max rank of active] scratch: A·x
}

// buffers are the activations of a micro-batch of up to batchSize tokens (names as in the
// package doc's glossary).
type buffers struct {
	x        []float32 // [B, NEmbd] residual stream: inp_embd → ffn_inp → l_out
	xn       []float32 // [B, NEmbd] normalized input of a sub-layer: attn_norm, ffn_norm, result_norm
	q        []float32 // [B, NEmbdQ] Qcur
	k, v     []float32 // [B, NEmbdKV] Kcur, Vcur
	att      []float32 // [B, NEmbdQ] kqv_out
	tmp      []float32 // [B, NEmbd] output of a sub-layer before the residual add
	gate, up []float32 // [B, NFF] FFN hidden activations
	cos, sin []float32 // [B, NRot/2] RoPE angles of the batch's positions, shared by all layers and heads
}

// NewSession creates a session with an empty KV cache. Errors: an unsupported KVType, or
// negative sizes.
func (m *Model) NewSession(opts SessionOptions) (*Session, error) {
	c := &m.Config
	nCtx := opts.ContextLength
	if nCtx == 0 {
		nCtx = min(c.NCtxTrain, DefaultContextLength)
	}
	bs := opts.BatchSize
	if bs == 0 {
		bs = DefaultBatchSize
	}
	if nCtx < 0 || bs < 0 {
		return nil, fmt.Errorf("decoder: session with context length %d, batch size %d: must not be negative", nCtx, bs)
	}
	bs = min(bs, nCtx)
	cache, err := NewKVCache(opts.KVType, c.NLayer, c.NHeadKV, c.NEmbdHead, nCtx)
	if err != nil {
		return nil, err
	}
	s := &Session{
		m: m, cache: cache, batchSize: bs, debugHook: opts.Debug,
		scratch: make(chan *attnScratch, m.pool.Threads()+1),
		logits:  make([]float32, c.NVocab),
	}
	s.buf = buffers{
		x: make([]float32, bs*c.NEmbd), xn: make([]float32, bs*c.NEmbd),
		q: make([]float32, bs*c.NEmbdQ()), k: make([]float32, bs*c.NEmbdKV()), v: make([]float32, bs*c.NEmbdKV()),
		att: make([]float32, bs*c.NEmbdQ()), tmp: make([]float32, bs*c.NEmbd),
		gate: make([]float32, bs*c.NFF), up: make([]float32, bs*c.NFF),
		cos: make([]float32, bs*c.NRot/2), sin: make([]float32, bs*c.NRot/2),
	}
	for i := range bs {
		s.allRows = append(s.allRows, i)
	}
	return s, nil
}

// Model returns the session's model.
func (s *Session) Model() *Model { return s.m }

// Len returns the number of tokens in the KV cache.
func (s *Session) Len() int { return s.cache.Len() }

// Cap returns the context length: the most tokens the session can hold.
func (s *Session) Cap() int { return s.cache.Cap() }

// KVType returns the KV cache element type.
func (s *Session) KVType() kernels.DType { return s.cache.Type() }

// Tokens returns a copy of the tokens in the KV cache, positions [0, Len()).
func (s *Session) Tokens() []int32 { return slices.Clone(s.tokens) }

// Logits returns the logits [NVocab] of the last evaluated token, or nil when the last call
// failed or truncated the session. The slice is the session's: it changes with the next call.
func (s *Session) Logits() []float32 {
	if !s.hasLogits {
		return nil
	}
	return s.logits
}

// Truncate drops the tokens at positions [n, Len()) (rolling back, e.g. a rejected
// speculative draft). Errors: n outside [0, Len()].
func (s *Session) Truncate(n int) error {
	if n < 0 || n > s.Len() {
		return fmt.Errorf("decoder: truncate to %d tokens: session holds %d", n, s.Len())
	}
	if n < s.Len() {
		s.cache.Truncate(n)
		s.tokens = s.tokens[:n]
		s.hasLogits = false
	}
	return nil
}

// Eval evaluates tokens at positions [Len(), Len()+len(tokens)), in micro-batches, appending
// them to the KV cache, and returns the logits [NVocab] of the last one (as Logits).
//
// ctx is checked before each micro-batch and before each layer. On an error (cancellation
// included) the session keeps the micro-batches that completed, so a later Prefill reuses
// them. Errors: ctx.Err(), ErrBadToken or ErrContextFull (wrapped, with the numbers).
func (s *Session) Eval(ctx context.Context, tokens []int32) ([]float32, error) {
	if err := s.eval(ctx, tokens, nil); err != nil {
		return nil, err
	}
	return s.Logits(), nil
}

// EvalAll is Eval returning the logits at every position: [len(tokens)][NVocab], newly
// allocated (len(tokens)·NVocab·4 bytes: meant for verifying a few speculative tokens and
// for tests, not for long prompts). Errors are as for Eval.
func (s *Session) EvalAll(ctx context.Context, tokens []int32) ([][]float32, error) {
	v := s.m.Config.NVocab
	flat := make([]float32, len(tokens)*v)
	if err := s.eval(ctx, tokens, flat); err != nil {
		return nil, err
	}
	rows := make([][]float32, len(tokens))
	for i := range rows {
		rows[i] = flat[i*v : (i+1)*v : (i+1)*v]
	}
	return rows, nil
}

// Prefill makes the session hold exactly prompt, evaluating as little as possible: it keeps
// the longest common prefix of prompt and Tokens() and evaluates the rest (prefix reuse).
// The last prompt token is evaluated again when the cache already holds all of prompt but its
// logits are gone, so that Logits() is always the last token's afterwards. It returns the
// number of tokens reused. The results are those of evaluating prompt from an empty session.
// Errors are as for Eval; a prompt longer than Cap() is ErrContextFull, an empty one an error.
func (s *Session) Prefill(ctx context.Context, prompt []int32) (reused int, err error) {
	if len(prompt) == 0 {
		return 0, fmt.Errorf("decoder: prefill with an empty prompt")
	}
	if len(prompt) > s.Cap() {
		return 0, fmt.Errorf("%w: prompt of %d tokens, context length %d", ErrContextFull, len(prompt), s.Cap())
	}
	common := commonPrefix(s.tokens, prompt)
	if common == len(prompt) && common == s.Len() && s.hasLogits {
		return common, nil
	}
	keep := min(common, len(prompt)-1)
	if err := s.Truncate(keep); err != nil {
		return 0, err
	}
	if _, err := s.Eval(ctx, prompt[keep:]); err != nil {
		return keep, err
	}
	return keep, nil
}

// commonPrefix returns the length of the longest common prefix of a and b.
func commonPrefix(a, b []int32) int {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

// eval runs the forward pass over tokens in micro-batches. With all == nil only the last
// token's logits are computed (into s.logits); otherwise every token's, into all
// [len(tokens), NVocab].
func (s *Session) eval(ctx context.Context, tokens []int32, all []float32) error {
	s.hasLogits = false
	if len(tokens) == 0 {
		return nil
	}
	v := s.m.Config.NVocab
	for i, id := range tokens {
		if id < 0 || int(id) >= v {
			return fmt.Errorf("%w: token %d at index %d, vocabulary has %d", ErrBadToken, id, i, v)
		}
	}
	if s.Len()+len(tokens) > s.Cap() {
		return fmt.Errorf("%w: %d tokens held + %d new > context length %d", ErrContextFull, s.Len(), len(tokens), s.Cap())
	}
	for start := 0; start < len(tokens); start += s.batchSize {
		if err := ctx.Err(); err != nil {
			return err
		}
		end := min(start+s.batchSize, len(tokens))
		b := batch{tokens: tokens[start:end], pos0: s.Len()}
		switch {
		case all != nil:
			b.outputs, b.logits = s.allRows[:end-start], all[start*v:end*v]
		case end == len(tokens):
			b.outputs, b.logits = s.allRows[end-start-1:end-start], s.logits
		}
		s.ropeAngles(b.pos0, len(b.tokens))
		s.m.evalMu.Lock()
		err := s.m.arch.forward(ctx, s, &b)
		s.m.evalMu.Unlock()
		if err != nil {
			return err
		}
		s.cache.Advance(b.pos0 + len(b.tokens))
		s.tokens = append(s.tokens, b.tokens...)
	}
	s.hasLogits = true
	return nil
}

// ropeAngles computes the RoPE cos and sin of positions [pos0, pos0+n) once per micro-batch.
func (s *Session) ropeAngles(pos0, n int) {
	half := s.m.Config.NRot / 2
	for t := range n {
		s.m.rope.angles(pos0+t, s.buf.cos[t*half:(t+1)*half], s.buf.sin[t*half:(t+1)*half])
	}
}

// rope rotates the n rows of x [n, nHeads·NEmbdHead] by the angles of the micro-batch.
func (s *Session) rope(x []float32, nHeads, n int) {
	c := &s.m.Config
	half, w := c.NRot/2, nHeads*c.NEmbdHead
	s.m.forRows(n, w, func(lo, hi int) {
		for t := lo; t < hi; t++ {
			s.m.rope.rotate(x[t*w:(t+1)*w], nHeads, c.NEmbdHead, s.buf.cos[t*half:(t+1)*half], s.buf.sin[t*half:(t+1)*half])
		}
	})
}
