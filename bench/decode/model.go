package main

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/llmls/llmls/decoder/gguf"
	"github.com/llmls/llmls/kernels"
	"github.com/llmls/llmls/kernels/cpu"
)

// shape is the architecture of the benchmark model.
type shape struct {
	Layers, Hidden, Heads, KVHeads, FFN, Vocab int
}

// qwen05 is Qwen2.5-Coder-0.5B (config.json of Qwen/Qwen2.5-Coder-0.5B): 24 layers, hidden 896,
// 14 query heads and 2 KV heads of 64, SwiGLU FFN 4864, vocabulary 151936, tied embeddings,
// Q/K/V biases.
var qwen05 = shape{Layers: 24, Hidden: 896, Heads: 14, KVHeads: 2, FFN: 4864, Vocab: 151936}

// tensorSpec is one tensor of the model: ggml dims [in, out] (or [n] for vectors).
type tensorSpec struct {
	name string
	dims []int64
}

// tensors lists the model's tensors in llama.cpp's order for the qwen2 architecture.
func (s shape) tensors() []tensorSpec {
	h, kv := int64(s.Hidden), int64(s.KVHeads*(s.Hidden/s.Heads))
	out := []tensorSpec{{"token_embd.weight", []int64{h, int64(s.Vocab)}}}
	for l := 0; l < s.Layers; l++ {
		p := fmt.Sprintf("blk.%d.", l)
		out = append(out,
			tensorSpec{p + "attn_norm.weight", []int64{h}},
			tensorSpec{p + "attn_q.weight", []int64{h, h}},
			tensorSpec{p + "attn_q.bias", []int64{h}},
			tensorSpec{p + "attn_k.weight", []int64{h, kv}},
			tensorSpec{p + "attn_k.bias", []int64{kv}},
			tensorSpec{p + "attn_v.weight", []int64{h, kv}},
			tensorSpec{p + "attn_v.bias", []int64{kv}},
			tensorSpec{p + "attn_output.weight", []int64{h, h}},
			tensorSpec{p + "ffn_norm.weight", []int64{h}},
			tensorSpec{p + "ffn_gate.weight", []int64{h, int64(s.FFN)}},
			tensorSpec{p + "ffn_up.weight", []int64{h, int64(s.FFN)}},
			tensorSpec{p + "ffn_down.weight", []int64{int64(s.FFN), h}},
		)
	}
	return append(out, tensorSpec{"output_norm.weight", []int64{h}})
}

// weightBytes returns the bytes of 2-D weights of type t that one decoded token reads: every
// matrix once (the tied embedding once, as the output head; the embedding row lookup is
// negligible).
func (s shape) weightBytes(t kernels.DType) int64 {
	var n int64
	for _, ts := range s.tensors() {
		if len(ts.dims) == 2 {
			rb, _ := t.RowSize(ts.dims[0])
			n += rb * ts.dims[1]
		}
	}
	return n
}

// fileType is general.file_type (llama.cpp's enum llama_ftype) of a model whose matrices are t.
func fileType(t kernels.DType) uint32 {
	switch t {
	case kernels.Q4_0:
		return 2 // LLAMA_FTYPE_MOSTLY_Q4_0
	case kernels.Q8_0:
		return 7 // LLAMA_FTYPE_MOSTLY_Q8_0
	case kernels.F16:
		return 1
	case kernels.Q4_K:
		return 15 // Q4_K_M
	}
	return 0
}

// generateModel writes a qwen2 GGUF of shape s with random weights to path: every 2-D weight
// of type t (quantized with cpu.Quantize from uniform values of standard deviation 0.02), norms
// 1, biases small. The tokenizer metadata is copied from the GGUF at vocabPath.
func generateModel(path string, s shape, t kernels.DType, vocabPath string) error {
	vocab, err := gguf.Open(vocabPath)
	if err != nil {
		return err
	}
	defer vocab.Close()
	w := gguf.NewWriter()
	add := func(k string, v any) {
		if err == nil {
			err = w.Add(k, v)
		}
	}
	add("general.architecture", "qwen2")
	add("general.name", fmt.Sprintf("llmls-bench qwen2.5-coder-0.5b-shaped random %v", t))
	add("general.file_type", fileType(t))
	add("qwen2.block_count", uint32(s.Layers))
	add("qwen2.context_length", uint32(32768))
	add("qwen2.embedding_length", uint32(s.Hidden))
	add("qwen2.feed_forward_length", uint32(s.FFN))
	add("qwen2.attention.head_count", uint32(s.Heads))
	add("qwen2.attention.head_count_kv", uint32(s.KVHeads))
	add("qwen2.rope.freq_base", float32(1e6))
	add("qwen2.attention.layer_norm_rms_epsilon", float32(1e-6))
	for _, kv := range vocab.KV {
		if strings.HasPrefix(kv.Key, "tokenizer.") {
			add(kv.Key, kv.Value.V)
		}
	}
	if err != nil {
		return fmt.Errorf("bench: metadata: %w", err)
	}
	if n, _ := vocab.Strings("tokenizer.ggml.tokens"); len(n) != s.Vocab {
		return fmt.Errorf("bench: %s has %d tokens, the model needs %d", vocabPath, len(n), s.Vocab)
	}

	rng := rand.New(rand.NewPCG(uint64(t), 42))
	// Uniform on [−a, a] has standard deviation a/√3.
	const a = 0.02 * 1.7320508
	for _, ts := range s.tensors() {
		if len(ts.dims) == 1 {
			x := make([]float32, ts.dims[0])
			for i := range x {
				if strings.HasSuffix(ts.name, "norm.weight") {
					x[i] = 1
				} else {
					x[i] = float32(rng.Float64()*0.2 - 0.1)
				}
			}
			data := make([]byte, 4*len(x))
			if err := cpu.Quantize(kernels.F32, data, x); err != nil {
				return err
			}
			if err := w.AddTensor(ts.name, kernels.F32, ts.dims, data); err != nil {
				return err
			}
			continue
		}
		cols, rows := ts.dims[0], ts.dims[1]
		rb, ok := t.RowSize(cols)
		if !ok {
			return fmt.Errorf("bench: %s: %d columns are not whole %v blocks", ts.name, cols, t)
		}
		data := make([]byte, rb*rows)
		x := make([]float32, cols)
		for r := int64(0); r < rows; r++ {
			for i := range x {
				x[i] = float32((rng.Float64()*2 - 1) * a)
			}
			if err := cpu.Quantize(t, data[r*rb:(r+1)*rb], x); err != nil {
				return err
			}
		}
		if err := w.AddTensor(ts.name, t, ts.dims, data); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	if _, err := w.WriteTo(bw); err != nil {
		f.Close()
		return err
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
