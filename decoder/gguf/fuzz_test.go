package gguf_test

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/llmls/llmls/decoder/gguf"
)

// FuzzParse checks that Parse never panics and that whatever it accepts survives a
// write/re-parse round trip with the same metadata and tensors.
func FuzzParse(f *testing.F) {
	f.Add(sample(f))
	if dir, err := os.ReadDir(filepath.Join("..", "..", "..", "shared", "testdata", "lora")); err == nil {
		for _, e := range dir {
			if filepath.Ext(e.Name()) == ".gguf" {
				if b, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "testdata", "lora", e.Name())); err == nil {
					f.Add(b)
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := gguf.Parse(data, "fuzz.gguf")
		if err != nil {
			return
		}
		w := gguf.NewWriter()
		for _, kv := range g.KV {
			if kv.Value.Type == gguf.TypeArray && kv.Value.ElemType == gguf.TypeArray {
				return // the writer does not produce nested arrays
			}
			if err := w.Add(kv.Key, kv.Value.V); err != nil {
				t.Fatalf("re-adding %q: %v", kv.Key, err)
			}
		}
		for _, ti := range g.Tensors {
			if err := w.AddTensor(ti.Name, ti.Type, ti.Dims, ti.Data); err != nil {
				t.Fatalf("re-adding tensor %q: %v", ti.Name, err)
			}
		}
		var buf bytes.Buffer
		if _, err := w.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		h, err := gguf.Parse(buf.Bytes(), "rewritten.gguf")
		if err != nil {
			t.Fatalf("rewritten file does not parse: %v", err)
		}
		if len(h.KV) != len(g.KV) || len(h.Tensors) != len(g.Tensors) {
			t.Fatalf("round trip changed counts")
		}
		for i := range g.KV {
			if !reflect.DeepEqual(g.KV[i], h.KV[i]) {
				if g.KV[i].Value.Type == gguf.TypeFloat32 || g.KV[i].Value.Type == gguf.TypeFloat64 || g.KV[i].Value.Type == gguf.TypeArray {
					continue // NaN != NaN
				}
				t.Fatalf("KV %d: %#v != %#v", i, g.KV[i], h.KV[i])
			}
		}
		for i := range g.Tensors {
			a, b := g.Tensors[i], h.Tensors[i]
			if a.Name != b.Name || a.Type != b.Type || !reflect.DeepEqual(a.Dims, b.Dims) || !bytes.Equal(a.Data, b.Data) {
				t.Fatalf("tensor %d changed", i)
			}
		}
	})
}
