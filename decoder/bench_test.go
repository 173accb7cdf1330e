package decoder_test

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"strconv"
	"testing"

	"github.com/llmls/llmls/decoder"
	"github.com/llmls/llmls/decoder/gguf"
	"github.com/llmls/llmls/kernels"
)

// qwen05B is the shape of Qwen2.5-Coder-0.5B (issue #4's benchmark model).
var qwen05B = struct{ layers, embd, heads, headsKV, ff, vocab int }{24, 896, 14, 2, 4864, 151936}

// syntheticQwen builds a Qwen2.5-Coder-0.5B-shaped qwen2 model with random weights of type
// typ (Q8_0 or Q4_0) in memory: quants from a cheap generator and every block scale 2^-10
// (random values, not quantized floats, so that building 500 MB takes a second). layers
// overrides the block count (0: 24); opts are passed to LoadFile after the thread count.
func syntheticQwen(b *testing.B, typ kernels.DType, layers int, opts ...decoder.Option) *decoder.Model {
	b.Helper()
	sh := qwen05B
	if layers > 0 {
		sh.layers = layers
	}
	w := gguf.NewWriter()
	add := func(k string, v any) {
		if err := w.Add(k, v); err != nil {
			b.Fatal(err)
		}
	}
	add("general.architecture", "qwen2")
	add("qwen2.context_length", uint32(32768))
	add("qwen2.embedding_length", uint32(sh.embd))
	add("qwen2.block_count", uint32(sh.layers))
	add("qwen2.feed_forward_length", uint32(sh.ff))
	add("qwen2.attention.head_count", uint32(sh.heads))
	add("qwen2.attention.head_count_kv", uint32(sh.headsKV))
	add("qwen2.attention.layer_norm_rms_epsilon", float32(1e-6))
	add("qwen2.rope.freq_base", float32(1e6))
	seed := uint32(1)
	matrix := func(name string, cols, rows int) {
		rb, _ := typ.RowSize(int64(cols))
		data := make([]byte, int(rb)*rows)
		for i := range data {
			seed = seed*1664525 + 1013904223
			data[i] = byte(seed >> 24)
		}
		for o := 0; o < len(data); o += typ.TypeSize() {
			data[o], data[o+1] = 0x00, 0x14 // f16 scale 2^-10
		}
		if err := w.AddTensor(name, typ, []int64{int64(cols), int64(rows)}, data); err != nil {
			b.Fatal(err)
		}
	}
	vector := func(name string, n int, v float32) {
		data := make([]byte, 4*n)
		for i := 0; i < n; i++ {
			bits := math.Float32bits(v)
			data[4*i], data[4*i+1], data[4*i+2], data[4*i+3] = byte(bits), byte(bits>>8), byte(bits>>16), byte(bits>>24)
		}
		if err := w.AddTensor(name, kernels.F32, []int64{int64(n)}, data); err != nil {
			b.Fatal(err)
		}
	}
	hd := sh.embd / sh.heads
	matrix("token_embd.weight", sh.embd, sh.vocab)
	for il := range sh.layers {
		p := fmt.Sprintf("blk.%d.", il)
		vector(p+"attn_norm.weight", sh.embd, 1)
		matrix(p+"attn_q.weight", sh.embd, sh.embd)
		matrix(p+"attn_k.weight", sh.embd, sh.headsKV*hd)
		matrix(p+"attn_v.weight", sh.embd, sh.headsKV*hd)
		vector(p+"attn_q.bias", sh.embd, 0.01)
		vector(p+"attn_k.bias", sh.headsKV*hd, 0.01)
		vector(p+"attn_v.bias", sh.headsKV*hd, 0.01)
		matrix(p+"attn_output.weight", sh.embd, sh.embd)
		vector(p+"ffn_norm.weight", sh.embd, 1)
		matrix(p+"ffn_gate.weight", sh.embd, sh.ff)
		matrix(p+"ffn_up.weight", sh.embd, sh.ff)
		matrix(p+"ffn_down.weight", sh.ff, sh.embd)
	}
	vector("output_norm.weight", sh.embd, 1)
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		b.Fatal(err)
	}
	f, err := gguf.Parse(buf.Bytes(), "synthetic-qwen2.5-0.5b-"+typ.String())
	if err != nil {
		b.Fatal(err)
	}
	m, err := decoder.LoadFile(f, append([]decoder.Option{decoder.WithThreads(benchThreads())}, opts...)...)
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// benchThreads is LLMLS_BENCH_THREADS, or 2 (the setting).
func benchThreads() int {
	if n, err := strconv.Atoi(os.Getenv("LLMLS_BENCH_THREADS")); err == nil && n > 0 {
		return n
	}
	return 2
}

// benchModel reports prompt tokens/s (one prefill of nPrompt tokens) and decode tokens/s
// (nDecode tokens one at a time after it) per iteration.
func benchModel(b *testing.B, m *decoder.Model, kv kernels.DType, nPrompt, nDecode int) {
	prompt := make([]int32, nPrompt)
	for i := range prompt {
		prompt[i] = int32(3 + i*7%min(1000, m.Config.NVocab-3))
	}
	ctx := context.Background()
	var promptS, decodeS float64
	for b.Loop() {
		s, err := m.NewSession(decoder.SessionOptions{KVType: kv, BatchSize: 512, ContextLength: nPrompt + nDecode})
		if err != nil {
			b.Fatal(err)
		}
		res, err := s.Generate(ctx, prompt, decoder.GenerateOptions{MaxTokens: nDecode + 1})
		if err != nil {
			b.Fatal(err)
		}
		promptS += res.Stats.PromptMS / 1000
		// Generate evaluates all generated tokens but the last: nDecode single-token passes.
		decodeS += res.Stats.GenerateMS / 1000
	}
	b.ReportMetric(float64(nPrompt*b.N)/promptS, "prompt-tok/s")
	b.ReportMetric(float64(nDecode*b.N)/decodeS, "decode-tok/s")
}

// BenchmarkTiny times the reference tiny models (random weights; vocabulary-bound).
func BenchmarkTiny(b *testing.B) {
	for _, name := range []string{"tiny-qwen2-q8_0", "tiny-qwen2-f32", "tiny-llama-q8_0", "stories260K/stories260K"} {
		b.Run(name, func(b *testing.B) {
			td := testdataDir(b)
			m, err := decoder.Load(td+"/models/"+name+".gguf", decoder.WithThreads(benchThreads()))
			if err != nil {
				b.Fatal(err)
			}
			defer m.Close()
			n := min(64, m.Config.NCtxTrain/2)
			benchModel(b, m, kernels.F16, n, n)
		})
	}
}

// BenchmarkQwen05B times a Qwen2.5-Coder-0.5B-shaped model (LLMLS_BENCH_LAYERS overrides the
// 24 layers for a quicker look): 512-token prompt, 64 decoded tokens, F16 KV cache.
func BenchmarkQwen05B(b *testing.B) {
	layers, _ := strconv.Atoi(os.Getenv("LLMLS_BENCH_LAYERS"))
	for _, typ := range []kernels.DType{kernels.Q8_0, kernels.Q4_0} {
		b.Run(typ.String(), func(b *testing.B) {
			m := syntheticQwen(b, typ, layers)
			defer m.Close()
			benchModel(b, m, kernels.F16, 512, 64)
		})
	}
}
