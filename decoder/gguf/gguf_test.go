package gguf_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/llmls/llmls/decoder/gguf"
	"github.com/llmls/llmls/internal/sharedtest"
	"github.com/llmls/llmls/kernels"
)

// sharedTestdata returns ../shared/testdata, or skips the test when it is absent.
func sharedTestdata(t testing.TB) string {
	t.Helper()
	return sharedtest.Dir(t)
}

func TestOpenTinyModels(t *testing.T) {
	dir := filepath.Join(sharedTestdata(t), "models")
	tests := []struct {
		name      string
		file      string
		arch      string
		tensors   int
		qType     kernels.DType
		nVocab    int
		hasOutput bool
	}{
		// Counts from models/README.md: token_embd + 2 blocks × (9 or 12) + output_norm (+ output).
		{"qwen2 f32", "tiny-qwen2-f32.gguf", "qwen2", 1 + 2*12 + 1, kernels.F32, 151936, false},
		{"qwen2 q8_0", "tiny-qwen2-q8_0.gguf", "qwen2", 1 + 2*12 + 1, kernels.Q8_0, 151936, false},
		{"llama f32", "tiny-llama-f32.gguf", "llama", 1 + 2*9 + 2, kernels.F32, 32256, true},
		{"llama q8_0", "tiny-llama-q8_0.gguf", "llama", 1 + 2*9 + 2, kernels.Q8_0, 32256, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := gguf.Open(filepath.Join(dir, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if f.Version != 3 || f.Alignment != 32 {
				t.Errorf("version %d alignment %d, want 3 and 32", f.Version, f.Alignment)
			}
			arch, err := f.String("general.architecture")
			if err != nil || arch != tc.arch {
				t.Errorf("general.architecture = %q, %v; want %q", arch, err, tc.arch)
			}
			if n, err := f.Int(tc.arch + ".embedding_length"); err != nil || n != 64 {
				t.Errorf("embedding_length = %d, %v; want 64", n, err)
			}
			if eps, err := f.Float(tc.arch + ".attention.layer_norm_rms_epsilon"); err != nil || float32(eps) != 1e-6 {
				t.Errorf("rms eps = %v, %v; want 1e-6", eps, err)
			}
			if len(f.Tensors) != tc.tensors {
				t.Errorf("%d tensors, want %d", len(f.Tensors), tc.tensors)
			}
			tokens, err := f.Strings("tokenizer.ggml.tokens")
			if err != nil || len(tokens) != tc.nVocab {
				t.Errorf("%d tokens (%v), want %d", len(tokens), err, tc.nVocab)
			}
			emb, ok := f.Tensor("token_embd.weight")
			if !ok {
				t.Fatal("no token_embd.weight")
			}
			if !reflect.DeepEqual(emb.Dims, []int64{64, int64(tc.nVocab)}) || emb.Type != tc.qType {
				t.Errorf("token_embd.weight dims %v type %s, want [64 %d] %s", emb.Dims, emb.Type, tc.nVocab, tc.qType)
			}
			q, _ := f.Tensor("blk.1.attn_k.weight")
			if q == nil || !reflect.DeepEqual(q.Dims, []int64{64, 32}) || int64(len(q.Data)) != q.Size {
				t.Errorf("blk.1.attn_k.weight = %+v", q)
			}
			norm, _ := f.Tensor("output_norm.weight")
			if norm == nil || norm.Type != kernels.F32 {
				t.Fatalf("output_norm.weight = %+v", norm)
			}
			_, hasOut := f.Tensor("output.weight")
			if hasOut != tc.hasOutput {
				t.Errorf("output.weight present = %v, want %v", hasOut, tc.hasOutput)
			}
			// The file must also parse from memory identically.
			data, err := os.ReadFile(filepath.Join(dir, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			g, err := gguf.Parse(data, tc.file)
			if err != nil {
				t.Fatal(err)
			}
			if g.DataOffset != f.DataOffset || len(g.KV) != len(f.KV) {
				t.Errorf("Parse and Open disagree: data offset %d vs %d", g.DataOffset, f.DataOffset)
			}
		})
	}
}

func TestMissingKey(t *testing.T) {
	f, err := gguf.Parse(sample(t), "sample.gguf")
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.String("no.such.key")
	if !errors.Is(err, gguf.ErrMissingKey) {
		t.Errorf("missing key error %v does not wrap ErrMissingKey", err)
	}
	_, err = f.String("test.u32")
	var ke *gguf.KeyError
	if !errors.As(err, &ke) || ke.Key != "test.u32" || errors.Is(err, gguf.ErrMissingKey) {
		t.Errorf("wrong-type error = %v", err)
	}
}

// sample writes a small file with every value type and two tensors.
func sample(t testing.TB) []byte {
	w := gguf.NewWriter()
	add := func(k string, v any) {
		if err := w.Add(k, v); err != nil {
			t.Fatal(err)
		}
	}
	add("general.architecture", "llama")
	add("test.u8", uint8(200))
	add("test.i8", int8(-3))
	add("test.u16", uint16(60000))
	add("test.i16", int16(-30000))
	add("test.u32", uint32(4000000000))
	add("test.i32", int32(-2000000000))
	add("test.u64", uint64(1<<60))
	add("test.i64", int64(-1<<60))
	add("test.f32", float32(0.5))
	add("test.f64", float64(-0.25))
	add("test.bool", true)
	add("test.strings", []string{"a", "", "ü<|x|>"})
	add("test.i32s", []int32{1, -2, 3})
	add("test.f32s", []float32{1.5, -2})
	add("test.u8s", []uint8{1, 2})
	f32 := make([]byte, 4*3*2)
	for i := range f32 {
		f32[i] = byte(i)
	}
	if err := w.AddTensor("a", kernels.F32, []int64{3, 2}, f32); err != nil {
		t.Fatal(err)
	}
	q := make([]byte, 34*2)
	q[0] = 0x3c
	if err := w.AddTensor("b", kernels.Q8_0, []int64{64}, q); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestWriterRoundTrip(t *testing.T) {
	data := sample(t)
	f, err := gguf.Parse(data, "sample.gguf")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"test.u8": uint8(200), "test.i8": int8(-3), "test.u16": uint16(60000), "test.i16": int16(-30000),
		"test.u32": uint32(4000000000), "test.i32": int32(-2000000000), "test.u64": uint64(1 << 60),
		"test.i64": int64(-1 << 60), "test.f32": float32(0.5), "test.f64": float64(-0.25), "test.bool": true,
		"test.strings": []string{"a", "", "ü<|x|>"}, "test.i32s": []int32{1, -2, 3},
		"test.f32s": []float32{1.5, -2}, "test.u8s": []uint8{1, 2},
	}
	for k, v := range want {
		got, ok := f.Lookup(k)
		if !ok || !reflect.DeepEqual(got.V, v) {
			t.Errorf("%s = %#v, want %#v", k, got.V, v)
		}
	}
	if f.KV[0].Key != "general.architecture" {
		t.Errorf("metadata order not kept: first key %q", f.KV[0].Key)
	}
	a, _ := f.Tensor("a")
	b, _ := f.Tensor("b")
	if a == nil || b == nil {
		t.Fatal("tensors missing")
	}
	if a.Data[5] != 5 || len(a.Data) != 24 || b.Data[0] != 0x3c || len(b.Data) != 68 {
		t.Errorf("tensor data wrong: a=%v b[0]=%x", a.Data, b.Data[0])
	}
	if (f.DataOffset+b.Offset)%32 != 0 || b.Offset < a.Offset+a.Size {
		t.Errorf("tensor b at %d not aligned after a", b.Offset)
	}
}

func TestBadInput(t *testing.T) {
	good := sample(t)
	set := func(off int, b ...byte) []byte {
		d := append([]byte(nil), good...)
		copy(d[off:], b)
		return d
	}
	tests := []struct {
		name string
		data []byte
		kind string // "format" or "unsupported"
	}{
		{"empty", nil, "format"},
		{"wrong magic", set(0, 'G', 'G', 'M', 'L'), "format"},
		{"version 1", set(4, 1, 0, 0, 0), "unsupported"},
		{"version 99", set(4, 99, 0, 0, 0), "unsupported"},
		{"huge kv count", set(16, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f), "format"},
		{"huge tensor count", set(8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f), "format"},
		{"huge key length", set(24, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f), "format"},
		{"truncated in data", good[:len(good)-10], "format"},
		{"truncated in header", good[:100], "format"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := gguf.Parse(tc.data, "bad.gguf")
			var fe *gguf.FormatError
			var ue *gguf.UnsupportedError
			switch {
			case err == nil:
				t.Fatal("no error")
			case tc.kind == "format" && !errors.As(err, &fe):
				t.Fatalf("error %v (%T), want *FormatError", err, err)
			case tc.kind == "unsupported" && !errors.As(err, &ue):
				t.Fatalf("error %v (%T), want *UnsupportedError", err, err)
			}
			t.Log(err)
		})
	}
	// Every truncation point gives an error, never a panic.
	for n := 0; n < len(good); n++ {
		if _, err := gguf.Parse(good[:n], "cut.gguf"); err == nil {
			t.Fatalf("truncated to %d of %d bytes: no error", n, len(good))
		}
	}
}

// TestBadTensorInfo corrupts single fields of a tensor-info record.
func TestBadTensorInfo(t *testing.T) {
	good := sample(t)
	// Locate tensor "b"'s info: name "b" preceded by its u64 length 1.
	idx := bytes.LastIndex(good, []byte{1, 0, 0, 0, 0, 0, 0, 0, 'b'})
	if idx < 0 {
		t.Fatal("tensor b info not found")
	}
	nd := idx + 9   // u32 n_dims
	dim0 := nd + 4  // u64 ne0
	typ := dim0 + 8 // u32 type
	off := typ + 4  // u64 offset
	set := func(at int, b ...byte) []byte {
		d := append([]byte(nil), good...)
		copy(d[at:], b)
		return d
	}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"zero dims", set(nd, 0, 0, 0, 0), "n_dims"},
		{"five dims", set(nd, 5, 0, 0, 0), "n_dims"},
		{"absurd dim", set(dim0, 0, 0, 0, 0, 0, 0, 0, 0x40), "absurd"},
		{"zero dim", set(dim0, 0, 0, 0, 0, 0, 0, 0, 0), "absurd"},
		{"not whole blocks", set(dim0, 33), "block size"},
		{"unknown type", set(typ, 77), "unknown tensor type"},
		{"offset past end", set(off, 0, 0, 1), "past the end"},
		{"unaligned offset", set(off, 1), "alignment"},
		{"overlapping", set(off, 0), "overlaps"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := gguf.Parse(tc.data, "bad.gguf")
			if err == nil || !bytes.Contains([]byte(err.Error()), []byte(tc.want)) {
				t.Fatalf("error %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := gguf.Open(filepath.Join(dir, "missing.gguf")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	if _, err := gguf.Open(dir); err == nil {
		t.Error("directory: no error")
	}
	p := filepath.Join(dir, "text.gguf")
	os.WriteFile(p, []byte("hello, this is not a model file"), 0o644)
	_, err := gguf.Open(p)
	var fe *gguf.FormatError
	if !errors.As(err, &fe) || fe.File != p {
		t.Errorf("text file: %v", err)
	}
}
