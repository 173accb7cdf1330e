package kerneltest

import (
	"fmt"
	"math"

	"github.com/llmls/llmls/kernels"
	"github.com/llmls/llmls/kernels/cpu"
)

// Runner is a Model loaded on a backend, with a KV cache and activation buffers for
// micro-batches of up to MaxBatch tokens.
type Runner struct {
	B        kernels.Backend
	M        *Model
	MaxBatch int

	layers []devLayer
	embd   kernels.Weights
	out    kernels.Buffer // OutNorm
	kv     kernels.KV

	x, h, q, k, v, att, o, g, u kernels.Buffer
	last, logits                kernels.Buffer // [1, Embd], [1, Vocab]
	cos, sin                    kernels.Buffer // [MaxBatch, HeadDim/2]
	host                        []float32      // [MaxBatch·max(Embd, ...)] staging
}

type devLayer struct {
	q, k, v, o, gate, up, down    kernels.Weights
	attnNorm, ffnNorm, qb, kb, vb kernels.Buffer
}

// Load copies m's weights to b and allocates a KV cache of m.Ctx cells and buffers for
// micro-batches of up to maxBatch tokens. Errors are b's (exhausted memory, an unsupported type).
func Load(b kernels.Backend, m *Model, maxBatch int) (*Runner, error) {
	c := m.Config
	r := &Runner{B: b, M: m, MaxBatch: maxBatch}
	var err error
	w := func(x Matrix) kernels.Weights {
		if err != nil {
			return nil
		}
		var ww kernels.Weights
		ww, err = b.LoadWeights(c.Type, x.Rows, x.Cols, x.Data)
		return ww
	}
	vec := func(x []float32) kernels.Buffer {
		if err != nil {
			return nil
		}
		var buf kernels.Buffer
		if buf, err = b.Alloc(len(x)); err == nil {
			err = b.Write(buf, 0, x)
		}
		return buf
	}
	alloc := func(n int) kernels.Buffer {
		if err != nil {
			return nil
		}
		var buf kernels.Buffer
		buf, err = b.Alloc(n)
		return buf
	}
	for _, l := range m.Layers {
		r.layers = append(r.layers, devLayer{
			q: w(l.Q), k: w(l.K), v: w(l.V), o: w(l.O), gate: w(l.Gate), up: w(l.Up), down: w(l.Down),
			attnNorm: vec(l.AttnNorm), ffnNorm: vec(l.FFNNorm), qb: vec(l.QBias), kb: vec(l.KBias), vb: vec(l.VBias),
		})
	}
	r.embd, r.out = w(m.Embd), vec(m.OutNorm)
	qw, kvw := c.Heads*c.HeadDim, c.HeadsKV*c.HeadDim
	r.x, r.h, r.q, r.k, r.v = alloc(maxBatch*c.Embd), alloc(maxBatch*c.Embd), alloc(maxBatch*qw), alloc(maxBatch*kvw), alloc(maxBatch*kvw)
	r.att, r.o, r.g, r.u = alloc(maxBatch*qw), alloc(maxBatch*c.Embd), alloc(maxBatch*c.FF), alloc(maxBatch*c.FF)
	r.last, r.logits = alloc(c.Embd), alloc(c.Vocab)
	r.cos, r.sin = alloc(maxBatch*c.HeadDim/2), alloc(maxBatch*c.HeadDim/2)
	if err != nil {
		return nil, err
	}
	if r.kv, err = b.NewKV(kernels.KVShape{Layers: c.Layers, HeadsKV: c.HeadsKV, HeadDim: c.HeadDim, Cap: c.Ctx, Type: c.KVType}); err != nil {
		return nil, err
	}
	r.host = make([]float32, maxBatch*max(c.Embd, c.HeadDim/2))
	return r, nil
}

// Eval runs the forward pass of tokens at positions [pos0, pos0+len(tokens)) (in micro-batches
// of MaxBatch), storing their keys and values in the cache, and writes the last token's logits
// into logits [Vocab] if logits is not nil. The cache must hold positions [0, pos0).
func (r *Runner) Eval(tokens []int32, pos0 int, logits []float32) error {
	c := r.M.Config
	if pos0 < 0 || pos0+len(tokens) > c.Ctx {
		return fmt.Errorf("kerneltest: positions [%d, %d) outside the %d-cell cache", pos0, pos0+len(tokens), c.Ctx)
	}
	for _, id := range tokens {
		if id < 0 || int(id) >= c.Vocab {
			return fmt.Errorf("kerneltest: token %d outside the vocabulary of %d", id, c.Vocab)
		}
	}
	for s := 0; s < len(tokens); s += r.MaxBatch {
		e := min(len(tokens), s+r.MaxBatch)
		var out []float32
		if e == len(tokens) {
			out = logits
		}
		if err := r.batch(tokens[s:e], pos0+s, out); err != nil {
			return err
		}
	}
	if logits == nil {
		return r.B.Sync()
	}
	return nil
}

// batch is Eval of at most MaxBatch tokens.
func (r *Runner) batch(tokens []int32, pos0 int, logits []float32) error {
	b, c, n := r.B, r.M.Config, len(tokens)
	E, qw, kvw, half := c.Embd, c.Heads*c.HeadDim, c.HeadsKV*c.HeadDim, c.HeadDim/2

	// Embedding rows on the host (ggml_get_rows), one upload.
	rb, _ := c.Type.RowSize(int64(E))
	for t, id := range tokens {
		row := r.M.Embd.Data[int(id)*int(rb) : (int(id)+1)*int(rb)]
		if err := cpu.Dequantize(c.Type, r.host[t*E:(t+1)*E], row); err != nil {
			return err
		}
	}
	if err := b.Write(r.x, 0, r.host[:n*E]); err != nil {
		return err
	}
	// RoPE angles θ_i = pos·base^(−2i/HeadDim), NEOX pairing, no scaling.
	cs, sn := make([]float32, n*half), make([]float32, n*half)
	for t := range n {
		for i := range half {
			th := float64(pos0+t) * math.Pow(float64(c.RopeBase), -2*float64(i)/float64(c.HeadDim))
			cs[t*half+i], sn[t*half+i] = float32(math.Cos(th)), float32(math.Sin(th))
		}
	}
	if err := b.Write(r.cos, 0, cs); err != nil {
		return err
	}
	if err := b.Write(r.sin, 0, sn); err != nil {
		return err
	}
	for il, l := range r.layers {
		b.RMSNorm(r.h, r.x, l.attnNorm, n, E, c.Eps)
		b.MatMul(r.q, l.q, r.h, n)
		b.AddBias(r.q, l.qb, n, qw)
		b.MatMul(r.k, l.k, r.h, n)
		b.AddBias(r.k, l.kb, n, kvw)
		b.MatMul(r.v, l.v, r.h, n)
		b.AddBias(r.v, l.vb, n, kvw)
		b.RoPE(r.q, n, c.Heads, c.HeadDim, c.HeadDim, kernels.RopeNeox, r.cos, r.sin)
		b.RoPE(r.k, n, c.HeadsKV, c.HeadDim, c.HeadDim, kernels.RopeNeox, r.cos, r.sin)
		b.StoreKV(r.kv, il, pos0, r.k, r.v, n)
		b.Attention(r.att, r.q, r.kv, il, pos0, n, c.Heads)
		b.MatMul(r.o, l.o, r.att, n)
		b.Add(r.x, r.x, r.o, n*E)
		b.RMSNorm(r.h, r.x, l.ffnNorm, n, E, c.Eps)
		b.MatMul(r.g, l.gate, r.h, n)
		b.MatMul(r.u, l.up, r.h, n)
		b.SiLUMul(r.g, r.g, r.u, n*c.FF)
		b.MatMul(r.o, l.down, r.g, n)
		b.Add(r.x, r.x, r.o, n*E)
	}
	if logits == nil {
		return nil
	}
	// Output head on the last token only: its row goes through the host when n > 1 (Buffer has no
	// views), one row of Embd floats.
	last := r.x
	if n > 1 {
		row := r.host[:E]
		if err := b.Read(row, r.x, (n-1)*E); err != nil {
			return err
		}
		if err := b.Write(r.last, 0, row); err != nil {
			return err
		}
		last = r.last
	}
	b.RMSNorm(r.h, last, r.out, 1, E, c.Eps)
	b.MatMul(r.logits, r.embd, r.h, 1)
	return b.Read(logits[:c.Vocab], r.logits, 0)
}

// Close frees the runner's weights, buffers and cache on the backend.
func (r *Runner) Close() {
	for _, l := range r.layers {
		for _, w := range []kernels.Weights{l.q, l.k, l.v, l.o, l.gate, l.up, l.down} {
			w.Free()
		}
		for _, x := range []kernels.Buffer{l.attnNorm, l.ffnNorm, l.qb, l.kb, l.vb} {
			x.Free()
		}
	}
	r.embd.Free()
	for _, x := range []kernels.Buffer{r.out, r.x, r.h, r.q, r.k, r.v, r.att, r.o, r.g, r.u, r.last, r.logits, r.cos, r.sin} {
		x.Free()
	}
	r.kv.Free()
}

// Weights returns the loaded matrices in the order a decode step reads them: per layer Q, K, V,
// O, gate, up, down, then the output head.
func (r *Runner) Weights() []kernels.Weights {
	var ws []kernels.Weights
	for _, l := range r.layers {
		ws = append(ws, l.q, l.k, l.v, l.o, l.gate, l.up, l.down)
	}
	return append(ws, r.embd)
}
