package decoder_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmls/llmls/decoder"
	"github.com/llmls/llmls/decoder/gguf"
	"github.com/llmls/llmls/kernels"
	"github.com/llmls/llmls/kernels/cpu"
)

// modelSpec is a small GGUF model under construction: metadata and tensors in order.
type modelSpec struct {
	meta    []gguf.KV
	tensors []specTensor
}

type specTensor struct {
	name string
	typ  kernels.DType
	dims []int64
	data []byte
}

func (m *modelSpec) set(key string, v any) {
	for i := range m.meta {
		if m.meta[i].Key == key {
			m.meta[i].Value.V = v
			return
		}
	}
	m.meta = append(m.meta, gguf.KV{Key: key, Value: gguf.Value{V: v}})
}

func (m *modelSpec) del(name string) {
	for i := range m.meta {
		if m.meta[i].Key == name {
			m.meta = append(m.meta[:i], m.meta[i+1:]...)
			return
		}
	}
	for i := range m.tensors {
		if m.tensors[i].name == name {
			m.tensors = append(m.tensors[:i], m.tensors[i+1:]...)
			return
		}
	}
	panic("no " + name)
}

func (m *modelSpec) tensor(name string) *specTensor {
	for i := range m.tensors {
		if m.tensors[i].name == name {
			return &m.tensors[i]
		}
	}
	panic("no tensor " + name)
}

// f32Tensor returns a tensor of random F32 values with standard deviation std (or 1 + 0.1·N
// for norm weights).
func f32Tensor(rng *rand.Rand, name string, std float64, norm bool, dims ...int64) specTensor {
	n := int64(1)
	for _, d := range dims {
		n *= d
	}
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64() * std)
		if norm {
			x[i] += 1
		}
	}
	data := make([]byte, 4*n)
	if err := cpu.Quantize(kernels.F32, data, x); err != nil {
		panic(err)
	}
	return specTensor{name, kernels.F32, dims, data}
}

// tinySpec returns a valid 2-layer model of architecture arch: n_embd 32, 2 heads of 16,
// 1 KV head, FFN 64, vocabulary 40, tied output for qwen2.
func tinySpec(arch string) *modelSpec {
	rng := rand.New(rand.NewPCG(9, 9))
	const d, nq, nkv, ff, vocab = 32, 32, 16, 64, 40
	m := &modelSpec{}
	m.set("general.architecture", arch)
	m.set(arch+".context_length", uint32(64))
	m.set(arch+".embedding_length", uint32(d))
	m.set(arch+".block_count", uint32(2))
	m.set(arch+".feed_forward_length", uint32(ff))
	m.set(arch+".attention.head_count", uint32(2))
	m.set(arch+".attention.head_count_kv", uint32(1))
	m.set(arch+".attention.layer_norm_rms_epsilon", float32(1e-6))
	m.set(arch+".rope.freq_base", float32(10000))
	m.set("tokenizer.ggml.eos_token_id", uint32(2))
	m.tensors = append(m.tensors, f32Tensor(rng, "token_embd.weight", 0.25, false, d, vocab))
	for il := range 2 {
		b := fmt.Sprintf("blk.%d.", il)
		m.tensors = append(m.tensors,
			f32Tensor(rng, b+"attn_norm.weight", 0.1, true, d),
			f32Tensor(rng, b+"attn_q.weight", 0.18, false, d, nq),
			f32Tensor(rng, b+"attn_k.weight", 0.18, false, d, nkv),
			f32Tensor(rng, b+"attn_v.weight", 0.18, false, d, nkv))
		if arch == "qwen2" {
			m.tensors = append(m.tensors,
				f32Tensor(rng, b+"attn_q.bias", 0.1, false, nq),
				f32Tensor(rng, b+"attn_k.bias", 0.1, false, nkv),
				f32Tensor(rng, b+"attn_v.bias", 0.1, false, nkv))
		}
		m.tensors = append(m.tensors,
			f32Tensor(rng, b+"attn_output.weight", 0.18, false, nq, d),
			f32Tensor(rng, b+"ffn_norm.weight", 0.1, true, d),
			f32Tensor(rng, b+"ffn_gate.weight", 0.18, false, d, ff),
			f32Tensor(rng, b+"ffn_up.weight", 0.18, false, d, ff),
			f32Tensor(rng, b+"ffn_down.weight", 0.12, false, ff, d))
	}
	m.tensors = append(m.tensors, f32Tensor(rng, "output_norm.weight", 0.1, true, d))
	if arch == "llama" {
		m.tensors = append(m.tensors, f32Tensor(rng, "output.weight", 0.25, false, d, vocab))
	}
	return m
}

// write writes the model to dir/name and returns the path.
func (m *modelSpec) write(t testing.TB, dir, name string) string {
	t.Helper()
	w := gguf.NewWriter()
	for _, kv := range m.meta {
		if err := w.Add(kv.Key, kv.Value.V); err != nil {
			t.Fatal(err)
		}
	}
	for _, ts := range m.tensors {
		if err := w.AddTensor(ts.name, ts.typ, ts.dims, ts.data); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := w.WriteTo(f); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestLoadGenerated loads the generated models of both architectures and runs them.
func TestLoadGenerated(t *testing.T) {
	for _, arch := range []string{"llama", "qwen2"} {
		t.Run(arch, func(t *testing.T) {
			path := tinySpec(arch).write(t, t.TempDir(), arch+".gguf")
			m, err := decoder.Load(path, decoder.WithThreads(1))
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			c := m.Config
			if c.NVocab != 40 || c.NEmbdHead != 16 || c.NRot != 16 || c.NHeadKV != 1 || m.Weights.Tied != (arch == "qwen2") {
				t.Errorf("config %+v, tied %v", c, m.Weights.Tied)
			}
			s, err := m.NewSession(decoder.SessionOptions{})
			if err != nil {
				t.Fatal(err)
			}
			res, err := s.Generate(context.Background(), []int32{1, 5, 7}, decoder.GenerateOptions{MaxTokens: 8})
			if err != nil || len(res.Tokens) == 0 {
				t.Fatalf("generate: %v, %v", res, err)
			}
		})
	}
}

// TestLoadBadModels checks that unusable model files give an error naming the file and what is
// wrong, never a panic.
func TestLoadBadModels(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name   string
		arch   string
		mutate func(m *modelSpec)
		want   string // in the error, besides the file name
	}{
		{"unsupported architecture", "llama", func(m *modelSpec) { m.set("general.architecture", "gpt2") }, `unsupported architecture "gpt2"`},
		{"no architecture", "llama", func(m *modelSpec) { m.del("general.architecture") }, `"general.architecture"`},
		{"missing block_count", "llama", func(m *modelSpec) { m.del("llama.block_count") }, `"llama.block_count"`},
		{"missing RMS epsilon", "llama", func(m *modelSpec) { m.del("llama.attention.layer_norm_rms_epsilon") }, `layer_norm_rms_epsilon`},
		{"block_count is a string", "llama", func(m *modelSpec) { m.set("llama.block_count", "two") }, `"llama.block_count"`},
		{"zero heads", "llama", func(m *modelSpec) { m.set("llama.attention.head_count", uint32(0)) }, `"llama.attention.head_count"`},
		{"absurd width", "llama", func(m *modelSpec) { m.set("llama.embedding_length", uint64(1)<<40) }, `"llama.embedding_length"`},
		{"heads not a multiple of KV heads", "llama", func(m *modelSpec) { m.set("llama.attention.head_count_kv", uint32(3)) }, `head_count_kv`},
		{"more heads than width", "llama", func(m *modelSpec) {
			m.set("llama.attention.head_count", uint32(64))
			m.set("llama.attention.head_count_kv", uint32(64))
		}, `"llama.attention.key_length": missing, and its default 0`},
		{"odd RoPE dims", "llama", func(m *modelSpec) { m.set("llama.rope.dimension_count", uint32(7)) }, `rope.dimension_count`},
		{"NaN epsilon", "llama", func(m *modelSpec) { m.set("llama.attention.layer_norm_rms_epsilon", float32(nan())) }, `layer_norm_rms_epsilon`},
		{"unknown RoPE scaling", "llama", func(m *modelSpec) { m.set("llama.rope.scaling.type", "longrope") }, `"longrope"`},
		{"missing tensor", "llama", func(m *modelSpec) { m.del("blk.1.ffn_down.weight") }, `"blk.1.ffn_down.weight": missing`},
		{"missing output norm", "llama", func(m *modelSpec) { m.del("output_norm.weight") }, `"output_norm.weight": missing`},
		{"missing qwen2 bias", "qwen2", func(m *modelSpec) { m.del("blk.0.attn_k.bias") }, `"blk.0.attn_k.bias": missing`},
		{"wrong shape", "llama", func(m *modelSpec) { m.tensor("blk.0.attn_q.weight").dims = []int64{16, 64} }, `"blk.0.attn_q.weight": shape [16 64], want [32 32]`},
		{"3-D matrix", "llama", func(m *modelSpec) { m.tensor("blk.0.attn_q.weight").dims = []int64{32, 16, 2} }, `"blk.0.attn_q.weight": shape`},
		{"output vocabulary differs", "llama", func(m *modelSpec) {
			o := m.tensor("output.weight")
			o.dims, o.data = []int64{32, 20}, o.data[:32*20*4]
		}, `"output.weight": shape [32 20], want [32 40]`},
		{"vocab_size disagrees", "llama", func(m *modelSpec) { m.set("llama.vocab_size", uint32(41)) }, `"llama.vocab_size"`},
		{"token list disagrees", "llama", func(m *modelSpec) { m.set("tokenizer.ggml.tokens", []string{"a", "b"}) }, `"tokenizer.ggml.tokens"`},
		{"matrix of unsupported type", "llama", func(m *modelSpec) {
			q := m.tensor("blk.0.attn_v.weight")
			q.typ = kernels.I32 // same size as F32
		}, `"blk.0.attn_v.weight"`},
		{"norm of quantized type", "llama", func(m *modelSpec) {
			n := m.tensor("blk.1.attn_norm.weight")
			n.typ, n.data = kernels.Q8_0, make([]byte, 34)
		}, `"blk.1.attn_norm.weight": type Q8_0 for a vector`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spec := tinySpec(tc.arch)
			tc.mutate(spec)
			path := spec.write(t, dir, strings.ReplaceAll(tc.name, " ", "_")+".gguf")
			var err error
			func() {
				defer func() {
					if p := recover(); p != nil {
						t.Fatalf("Load panicked: %v", p)
					}
				}()
				var m *decoder.Model
				m, err = decoder.Load(path)
				if err == nil {
					m.Close()
				}
			}()
			if err == nil {
				t.Fatal("Load succeeded")
			}
			if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q\nwant it to name %s and %q", err, path, tc.want)
			}
			var me *decoder.ModelError
			if !errors.As(err, &me) {
				t.Errorf("error is %T, want *decoder.ModelError", err)
			}
		})
	}
}

// TestLoadBadFiles checks files that are not valid GGUF at all.
func TestLoadBadFiles(t *testing.T) {
	dir := t.TempDir()
	good := tinySpec("llama").write(t, dir, "good.gguf")
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"not GGUF", []byte("hello, world: this is not a model")},
		{"truncated header", data[:100]},
		{"truncated tensor data", data[:len(data)-100]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".gguf")
			if err := os.WriteFile(path, tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			m, err := decoder.Load(path)
			if err == nil {
				m.Close()
				t.Fatal("Load succeeded")
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
	if _, err := decoder.Load(filepath.Join(dir, "absent.gguf")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("absent file: %v, want os.ErrNotExist", err)
	}
}

// FuzzLoad feeds mutated model files to the loader: it must return an error or a model that
// evaluates a token into NVocab logits, and never panic.
func FuzzLoad(f *testing.F) {
	for _, arch := range []string{"llama", "qwen2"} {
		dir := f.TempDir()
		path := tinySpec(arch).write(f, dir, "seed.gguf")
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := gguf.Parse(data, "fuzz.gguf")
		if err != nil {
			return
		}
		m, err := decoder.LoadFile(g, decoder.WithThreads(1))
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.gguf") {
				t.Errorf("error %q does not name the file", err)
			}
			return
		}
		defer m.Close()
		s, err := m.NewSession(decoder.SessionOptions{ContextLength: 4})
		if err != nil {
			t.Fatal(err)
		}
		logits, err := s.Eval(context.Background(), []int32{0})
		if err != nil || len(logits) != m.Config.NVocab {
			t.Fatalf("Eval: %d logits, %v", len(logits), err)
		}
	})
}

// TestLoRASeam checks the projection helper's unmerged-adapter path against float64 math:
// y = W·x + scale·B(A·x).
func TestLoRASeam(t *testing.T) {
	path := tinySpec("llama").write(t, t.TempDir(), "m.gguf")
	m, err := decoder.Load(path, decoder.WithThreads(2))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	rng := rand.New(rand.NewPCG(5, 6))
	lin := m.Weights.Layers[0].Wq // a copy: the model's projection is left alone
	const rank, n, scale = 4, 3, 0.5
	in, out := lin.In(), lin.Out()
	mat := func(rows, cols int) ([]float32, cpu.Matrix) {
		x := make([]float32, rows*cols)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		b := make([]byte, 4*len(x))
		cpu.Quantize(kernels.F32, b, x)
		mm, err := cpu.NewMatrix(kernels.F32, rows, cols, b)
		if err != nil {
			t.Fatal(err)
		}
		return x, mm
	}
	a, am := mat(rank, in)
	b, bm := mat(out, rank)
	x, _ := mat(n, in)
	w := make([]float32, out*in)
	cpu.Dequantize(kernels.F32, w, lin.W.Data)
	got := make([]float32, n*out)
	decoder.ProjectLoRAForTest(m, got, &lin, x, n, am, bm, scale)
	for tk := range n {
		xa := make([]float64, rank)
		for r := range rank {
			for c := range in {
				xa[r] += float64(a[r*in+c]) * float64(x[tk*in+c])
			}
		}
		for o := range out {
			var want float64
			for c := range in {
				want += float64(w[o*in+c]) * float64(x[tk*in+c])
			}
			for r := range rank {
				want += scale * float64(b[o*rank+r]) * xa[r]
			}
			if d := float64(got[tk*out+o]) - want; d > 1e-4 || d < -1e-4 {
				t.Fatalf("token %d output %d: %v, want %v", tk, o, got[tk*out+o], want)
			}
		}
	}
}

func nan() float64 { return math.NaN() }
