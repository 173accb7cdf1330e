package decoder

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/llmls/llmls/decoder/gguf"
	"github.com/llmls/llmls/kernels"
	"github.com/llmls/llmls/kernels/cpu"
)

// Linear is one projection y = W·x + Bias (+ Σ scale·B(A·x) for the unmerged LoRA adapters
// active in a session), the only way the forward pass multiplies by a weight matrix
// (llama.cpp build_lora_mm).
type Linear struct {
	W    cpu.Matrix // [in, out] in GGUF dims: Rows = out, Cols = in; stays in the file mapping (merged LoRA: a heap copy)
	Bias []float32  // [out], or nil
	// name is W's GGUF tensor name, by which LoRA adapters target it; "" for the tied output.
	name string
	// slot is 1 + the index of this projection in Model.linears (Adapter.weights is indexed
	// by slot−1); 0 for a projection no adapter can target.
	slot int
}

// In returns the input width of the projection.
func (l *Linear) In() int { return l.W.Cols }

// Out returns the output width of the projection.
func (l *Linear) Out() int { return l.W.Rows }

// LayerWeights are the tensors of transformer block N (GGUF names "blk.N.…"; dims [ne0, ne1]).
type LayerWeights struct {
	AttnNorm []float32 // attn_norm.weight [NEmbd]
	Wq       Linear    // attn_q.weight [NEmbd, NHead·NEmbdHead] (+ attn_q.bias)
	Wk       Linear    // attn_k.weight [NEmbd, NEmbdKV] (+ attn_k.bias)
	Wv       Linear    // attn_v.weight [NEmbd, NEmbdKV] (+ attn_v.bias)
	Wo       Linear    // attn_output.weight [NHead·NEmbdHead, NEmbd] (+ attn_output.bias)
	FFNNorm  []float32 // ffn_norm.weight [NEmbd]
	FFNGate  Linear    // ffn_gate.weight [NEmbd, NFF]
	FFNUp    Linear    // ffn_up.weight [NEmbd, NFF]
	FFNDown  Linear    // ffn_down.weight [NFF, NEmbd]
}

// Weights are the tensors of a model. Matrices alias the GGUF file's tensor data; the 1-D
// tensors (norm weights, biases: a few KiB per layer) are copied to float32.
type Weights struct {
	TokenEmbd  cpu.Matrix // token_embd.weight [NEmbd, NVocab]: row t is token t's embedding
	OutputNorm []float32  // output_norm.weight [NEmbd]
	Output     Linear     // output.weight [NEmbd, NVocab], or token_embd.weight when tied
	Tied       bool       // Output is token_embd.weight (the file has no output.weight)
	RopeFreqs  []float32  // rope_freqs.weight [NRot/2] per-frequency divisors, or nil
	Layers     []LayerWeights
}

// tensorLoader reads tensors of f, checking names, shapes and types, keeping the first error.
type tensorLoader struct {
	f   *gguf.File
	err error
}

func (l *tensorLoader) fail(name, msg string, err error) {
	if l.err == nil {
		l.err = &ModelError{File: l.f.Path, Tensor: name, Msg: msg, Err: err}
	}
}

// lookup finds tensor name with GGUF dims want (trailing dims of 1 allowed; a negative
// entry matches any size). A missing optional tensor gives nil and no error.
func (l *tensorLoader) lookup(name string, n need, want ...int) *gguf.TensorInfo {
	if l.err != nil {
		return nil
	}
	t, ok := l.f.Tensor(name)
	if !ok {
		if n == required {
			l.fail(name, "missing", nil)
		}
		return nil
	}
	got := t.Dims
	for len(got) > len(want) && got[len(got)-1] == 1 {
		got = got[:len(got)-1]
	}
	okShape := len(got) == len(want)
	for i := 0; okShape && i < len(want); i++ {
		okShape = want[i] < 0 || got[i] == int64(want[i])
	}
	if !okShape {
		l.fail(name, fmt.Sprintf("shape %v, want %s", t.Dims, fmtDims(want)), nil)
		return nil
	}
	return t
}

// matrix returns the 2-D tensor name of GGUF dims [cols, rows].
func (l *tensorLoader) matrix(name string, n need, cols, rows int) (cpu.Matrix, bool) {
	t := l.lookup(name, n, cols, rows)
	if t == nil {
		return cpu.Matrix{}, false
	}
	m, err := cpu.NewMatrix(t.Type, rows, cols, t.Data)
	if err != nil {
		l.fail(name, fmt.Sprintf("type %v", t.Type), err)
		return cpu.Matrix{}, false
	}
	return m, true
}

// linear returns the projection weight name (GGUF dims [in, out]) with its optional bias.
func (l *tensorLoader) linear(weight, bias string, biasNeed need, in, out int) Linear {
	w, _ := l.matrix(weight, required, in, out)
	lin := Linear{W: w, name: weight}
	if bias != "" {
		lin.Bias = l.vector(bias, biasNeed, out)
	}
	return lin
}

// vector returns the 1-D tensor name of n elements as float32 (F32, F16 or BF16 in the file).
func (l *tensorLoader) vector(name string, nd need, n int) []float32 {
	t := l.lookup(name, nd, n)
	if t == nil {
		return nil
	}
	out := make([]float32, n)
	switch t.Type {
	case kernels.F32:
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(t.Data[4*i:]))
		}
	case kernels.F16:
		for i := range out {
			out[i] = cpu.F16ToF32(binary.LittleEndian.Uint16(t.Data[2*i:]))
		}
	case kernels.BF16:
		for i := range out {
			out[i] = cpu.BF16ToF32(binary.LittleEndian.Uint16(t.Data[2*i:]))
		}
	default:
		l.fail(name, fmt.Sprintf("type %v for a vector (want F32, F16 or BF16)", t.Type), nil)
		return nil
	}
	return out
}

// weightsFromGGUF finds and checks every tensor the architecture needs (llama.cpp
// llama_model::load_tensors for LLM_ARCH_LLAMA / LLM_ARCH_QWEN2).
func weightsFromGGUF(f *gguf.File, a *architecture, c *Config) (Weights, error) {
	l := &tensorLoader{f: f}
	var w Weights
	emb := l.lookup(tensorTokenEmbd, required, c.NEmbd, -1) // -1: NVocab, known from it
	if l.err != nil {
		return w, l.err
	}
	if emb.Dims[1] > maxDim {
		return w, &ModelError{File: f.Path, Tensor: tensorTokenEmbd, Msg: fmt.Sprintf("shape %v: absurd vocabulary size", emb.Dims)}
	}
	c.NVocab = int(emb.Dims[1])
	if err := checkVocab(f, c); err != nil {
		return w, err
	}
	w.TokenEmbd, _ = l.matrix(tensorTokenEmbd, required, c.NEmbd, c.NVocab)
	w.OutputNorm = l.vector(tensorOutputNorm, required, c.NEmbd)
	if out, ok := l.matrix(tensorOutput, optional, c.NEmbd, c.NVocab); ok {
		w.Output = Linear{W: out, name: tensorOutput}
	} else {
		w.Output, w.Tied = Linear{W: w.TokenEmbd}, true
	}
	w.RopeFreqs = l.vector(tensorRopeFreqs, optional, c.NRot/2)

	nq, nkv := c.NEmbdQ(), c.NEmbdKV()
	w.Layers = make([]LayerWeights, c.NLayer)
	for il := range w.Layers {
		name := func(t string) string { return blockTensor(t, il) }
		lw := &w.Layers[il]
		lw.AttnNorm = l.vector(name(tensorAttnNorm), required, c.NEmbd)
		lw.Wq = l.linear(name(tensorAttnQ), name(tensorAttnQB), a.qkvBias, c.NEmbd, nq)
		lw.Wk = l.linear(name(tensorAttnK), name(tensorAttnKB), a.qkvBias, c.NEmbd, nkv)
		lw.Wv = l.linear(name(tensorAttnV), name(tensorAttnVB), a.qkvBias, c.NEmbd, nkv)
		lw.Wo = l.linear(name(tensorAttnOut), name(tensorAttnOutB), optional, nq, c.NEmbd)
		lw.FFNNorm = l.vector(name(tensorFFNNorm), required, c.NEmbd)
		lw.FFNGate = l.linear(name(tensorFFNGate), "", optional, c.NEmbd, c.NFF)
		lw.FFNUp = l.linear(name(tensorFFNUp), "", optional, c.NEmbd, c.NFF)
		lw.FFNDown = l.linear(name(tensorFFNDown), "", optional, c.NFF, c.NEmbd)
		if l.err != nil {
			break
		}
	}
	return w, l.err
}

// checkVocab checks that the vocabulary size of the metadata, when given, agrees with the
// rows of token_embd.
func checkVocab(f *gguf.File, c *Config) error {
	key := archKey(keyVocabSize, c.Arch)
	if v, err := f.Int(key); err == nil && v != int64(c.NVocab) {
		return &ModelError{File: f.Path, Key: key, Msg: fmt.Sprintf("%d, but %s has %d rows", v, tensorTokenEmbd, c.NVocab)}
	}
	if toks, err := f.Strings(keyTokens); err == nil && len(toks) != c.NVocab {
		return &ModelError{File: f.Path, Key: keyTokens, Msg: fmt.Sprintf("%d tokens, but %s has %d rows", len(toks), tensorTokenEmbd, c.NVocab)}
	}
	return nil
}

// fmtDims formats wanted dims, a negative one as "n".
func fmtDims(dims []int) string {
	parts := make([]string, len(dims))
	for i, d := range dims {
		parts[i] = "n"
		if d >= 0 {
			parts[i] = strconv.Itoa(d)
		}
	}
	return "[" + strings.Join(parts, " ") + "]"
}
