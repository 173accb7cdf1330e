// Package kerneltest runs a whole transformer forward pass on any kernels.Backend, with
// generated weights: the parity tests of kernels/cuda compare a device's logits with
// kernels/cpu's on it, and bench/cuda times it with Qwen2.5-Coder-1.5B's shapes.
//
// The model is Qwen2's architecture (llama.cpp's llm_build_qwen2): pre-RMSNorm blocks with
// biased Q/K/V projections, NEOX RoPE, GQA attention over a KV cache, a SwiGLU feed-forward
// block, and an output head tied to the token embedding. Weights are random (so the outputs mean
// nothing) but shaped, typed and laid out exactly as a GGUF model's: what is timed and compared
// is the arithmetic and the memory traffic of a real forward pass. The principal types are
// [Config], [Model] (the weights on the host) and [Runner] (a model loaded on a backend).
package kerneltest

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/llmls/llmls/kernels"
	"github.com/llmls/llmls/kernels/cpu"
)

// Config is the shape of a generated model.
type Config struct {
	Layers   int
	Embd     int // residual stream width
	Heads    int // query heads
	HeadsKV  int // key/value heads (GQA)
	HeadDim  int
	FF       int // feed-forward hidden width
	Vocab    int
	Type     kernels.DType // type of every projection and of the embedding/output matrix
	KVType   kernels.DType // F16 or F32
	Ctx      int           // KV cache cells, tokens
	RopeBase float32
	Eps      float32 // RMSNorm ε
}

// Qwen25Coder15B returns the shapes of Qwen2.5-Coder-1.5B (its config.json: 28 layers, hidden
// 1536, 12 heads, 2 KV heads, intermediate 8960, vocabulary 151936, rope θ 1e6, tied
// embeddings) with weights of type t and an F16 KV cache of ctx cells.
func Qwen25Coder15B(t kernels.DType, ctx int) Config {
	return Config{Layers: 28, Embd: 1536, Heads: 12, HeadsKV: 2, HeadDim: 128, FF: 8960, Vocab: 151936,
		Type: t, KVType: kernels.F16, Ctx: ctx, RopeBase: 1e6, Eps: 1e-6}
}

// Matrix is one weight matrix of a Model in GGUF layout.
type Matrix struct {
	Rows, Cols int
	Data       []byte // Rows × Type.RowSize(Cols)
}

// Layer is one transformer block's weights.
type Layer struct {
	AttnNorm, FFNNorm   []float32 // [Embd]
	Q, K, V, O          Matrix    // Q, O [Embd, Embd]; K, V [Embd, HeadsKV·HeadDim] (GGUF dims [in, out])
	QBias, KBias, VBias []float32
	Gate, Up, Down      Matrix // Gate, Up [Embd, FF]; Down [FF, Embd]
}

// Model is a generated model's weights on the host.
type Model struct {
	Config
	Layers  []Layer
	Embd    Matrix    // token embedding [Embd, Vocab], also the output head (tied)
	OutNorm []float32 // [Embd]
}

// WeightBytes returns the bytes of the matrices a decode step reads: every layer's projections
// and the output head.
func (m *Model) WeightBytes() int64 {
	n := int64(len(m.Embd.Data))
	for _, l := range m.Layers {
		for _, w := range []Matrix{l.Q, l.K, l.V, l.O, l.Gate, l.Up, l.Down} {
			n += int64(len(w.Data))
		}
	}
	return n
}

// Generate makes a model of shape c with random weights from seed. Q8_0 blocks are written
// directly (a random scale about 1/(127·√cols) and random quants in [−127, 127], fast enough for
// a 1.5B model); other types are quantized from N(0, 1/cols) floats with kernels/cpu's
// reference quantizer. It returns an error for a type kernels/cpu cannot quantize.
func Generate(c Config, seed uint64) (*Model, error) {
	if c.Heads%c.HeadsKV != 0 || c.HeadDim%2 != 0 {
		return nil, fmt.Errorf("kerneltest: %d heads, %d KV heads of %d: heads must be a multiple of KV heads and the head dimension even", c.Heads, c.HeadsKV, c.HeadDim)
	}
	r := rand.New(rand.NewPCG(seed, 0x853c49e6748fea9b))
	m := &Model{Config: c}
	mat := func(cols, rows int) (Matrix, error) { return randMatrix(r, c.Type, rows, cols) }
	vec := func(n int, mean, sd float64) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(mean + sd*r.NormFloat64())
		}
		return v
	}
	kvw := c.HeadsKV * c.HeadDim
	for range c.Layers {
		var l Layer
		var err error
		for _, p := range []struct {
			dst        *Matrix
			cols, rows int
		}{{&l.Q, c.Embd, c.Heads * c.HeadDim}, {&l.K, c.Embd, kvw}, {&l.V, c.Embd, kvw}, {&l.O, c.Heads * c.HeadDim, c.Embd},
			{&l.Gate, c.Embd, c.FF}, {&l.Up, c.Embd, c.FF}, {&l.Down, c.FF, c.Embd}} {
			if *p.dst, err = mat(p.cols, p.rows); err != nil {
				return nil, err
			}
		}
		l.AttnNorm, l.FFNNorm = vec(c.Embd, 1, 0.1), vec(c.Embd, 1, 0.1)
		l.QBias, l.KBias, l.VBias = vec(c.Heads*c.HeadDim, 0, 0.1), vec(kvw, 0, 0.1), vec(kvw, 0, 0.1)
		m.Layers = append(m.Layers, l)
	}
	var err error
	if m.Embd, err = mat(c.Embd, c.Vocab); err != nil {
		return nil, err
	}
	m.OutNorm = vec(c.Embd, 1, 0.1)
	return m, nil
}

func randMatrix(r *rand.Rand, t kernels.DType, rows, cols int) (Matrix, error) {
	rb, ok := t.RowSize(int64(cols))
	if !ok {
		return Matrix{}, fmt.Errorf("kerneltest: %d columns are not whole blocks of %v", cols, t)
	}
	data := make([]byte, int(rb)*rows)
	if t == kernels.Q8_0 {
		d := cpu.F32ToF16(float32(1 / (127 * math.Sqrt(float64(cols)))))
		for b := 0; b < len(data); b += 34 {
			binary.LittleEndian.PutUint16(data[b:], d)
			for i := 2; i < 34; i += 8 {
				u := r.Uint64()
				for k := range 8 {
					q := int8(u >> (8 * k))
					if q == -128 {
						q = -127
					}
					data[b+i+k] = byte(q)
				}
			}
		}
		return Matrix{Rows: rows, Cols: cols, Data: data}, nil
	}
	row := make([]float32, cols)
	sd := 1 / math.Sqrt(float64(cols))
	for i := range rows {
		for j := range row {
			row[j] = float32(sd * r.NormFloat64())
		}
		if err := cpu.Quantize(t, data[i*int(rb):(i+1)*int(rb)], row); err != nil {
			return Matrix{}, fmt.Errorf("kerneltest: %w", err)
		}
	}
	return Matrix{Rows: rows, Cols: cols, Data: data}, nil
}
