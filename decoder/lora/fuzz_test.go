package lora_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/llmls/llmls/decoder/gguf"
	"github.com/llmls/llmls/decoder/lora"
)

// seedFiles adds the reference adapters' files with the given base name to f, when present.
func seedFiles(f *testing.F, name string) {
	for _, dir := range []string{"tiny-llama-lora-peft", "tiny-qwen2-lora-peft", "."} {
		if b, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "testdata", "lora", dir, name)); err == nil {
			f.Add(b)
		}
	}
}

// typed reports whether err is one of the package's error kinds.
func typed(err error) bool {
	return errors.Is(err, lora.ErrFormat) || errors.Is(err, lora.ErrUnsupported) || errors.Is(err, lora.ErrMismatch)
}

// FuzzSafetensors: parsing never panics, every error is an *lora.Error, and an accepted file
// describes tensors that lie inside it, hold exactly shape × dtype bytes, do not overlap, and
// survive a rewrite by the reference layout unchanged.
func FuzzSafetensors(f *testing.F) {
	seedFiles(f, "adapter_model.safetensors")
	f.Add(writeSafetensors([]stEntry{{name: "a", dtype: "F32", shape: []int64{2, 3}, vals: make([]float32, 6)},
		{name: "b", dtype: "BF16", shape: []int64{1}, vals: []float32{1}}}))
	f.Add(writeSafetensors(nil))
	f.Add([]byte("\x10\x00\x00\x00\x00\x00\x00\x00{\"x\":{}}        "))
	f.Fuzz(func(t *testing.T, data []byte) {
		ts, err := lora.ParseSafetensorsForTest(data)
		if err != nil {
			if !typed(err) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		type span struct{ lo, hi int64 }
		var spans []span
		var entries []stEntry
		for _, tt := range ts {
			size := lora.DTypeSizeForTest(tt.DType)
			n := int64(size)
			for _, d := range tt.Shape {
				n *= d
			}
			if int64(len(tt.Data)) != n {
				t.Fatalf("%s: %d bytes for %s %v", tt.Name, len(tt.Data), tt.DType, tt.Shape)
			}
			if tt.Begin < 8 || tt.Begin+n > int64(len(data)) || !bytes.Equal(data[tt.Begin:tt.Begin+n], tt.Data) {
				t.Fatalf("%s: data at %d+%d is not the file's", tt.Name, tt.Begin, n)
			}
			if n > 0 {
				spans = append(spans, span{tt.Begin, tt.Begin + n})
			}
			entries = append(entries, stEntry{name: tt.Name, dtype: tt.DType, shape: tt.Shape, raw: tt.Data})
		}
		sort.Slice(spans, func(i, j int) bool { return spans[i].lo < spans[j].lo })
		for i := 1; i < len(spans); i++ {
			if spans[i].lo < spans[i-1].hi {
				t.Fatalf("overlapping tensors accepted: %v", spans)
			}
		}
		again, err := lora.ParseSafetensorsForTest(writeSafetensors(entries))
		if err != nil {
			t.Fatalf("rewritten file rejected: %v", err)
		}
		byName := map[string]lora.STTensor{}
		for _, tt := range again {
			byName[tt.Name] = tt
		}
		for _, tt := range ts {
			u, ok := byName[tt.Name]
			if !ok || u.DType != tt.DType || !equalShape(u.Shape, tt.Shape) || !bytes.Equal(u.Data, tt.Data) {
				t.Fatalf("%s changed in the round trip", tt.Name)
			}
		}
	})
}

func equalShape(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// checkAdapter asserts the invariants of an accepted adapter.
func checkAdapter(t *testing.T, a *lora.Adapter) {
	t.Helper()
	if len(a.Pairs) == 0 {
		t.Fatal("adapter without pairs accepted")
	}
	for _, p := range a.Pairs {
		if p.Rank <= 0 || len(p.A) != p.Rank*p.In || len(p.B) != p.Out*p.Rank {
			t.Fatalf("%s: rank %d in %d out %d with %d A and %d B values", p.Target, p.Rank, p.In, p.Out, len(p.A), len(p.B))
		}
		for _, v := range append(append([]float32{p.Scale}, p.A...), p.B...) {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				t.Fatalf("%s: non-finite value accepted", p.Target)
			}
		}
	}
}

// FuzzPEFT: a PEFT adapter from arbitrary config and weights bytes is an adapter whose pairs
// are consistent and finite, or a typed error.
func FuzzPEFT(f *testing.F) {
	cfg, _ := json.Marshal(defaultPEFTConfig(4))
	f.Add(cfg, writeSafetensors(peftEntries(4, 1)[:2]))
	f.Add([]byte(`{"r":2,"lora_alpha":4,"rank_pattern":{"q_proj":4,"(":1}}`), writeSafetensors(peftEntries(2, 1)[:4]))
	f.Add([]byte(`{"r":1,"lora_alpha":1,"alpha_pattern":{"layers\\.0\\..*":3}}`), writeSafetensors(peftEntries(1, 2)))
	f.Fuzz(func(t *testing.T, config, weights []byte) {
		a, err := lora.ParsePEFTForTest(config, weights)
		if err != nil {
			if !typed(err) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		checkAdapter(t, a)
	})
}

// FuzzGGUFAdapter: a GGUF adapter from arbitrary bytes is an adapter whose pairs are
// consistent and finite, or a typed error (bytes gguf.Parse rejects are its business).
func FuzzGGUFAdapter(f *testing.F) {
	seedFiles(f, "tiny-llama-lora.gguf")
	dir := f.TempDir()
	b, _ := os.ReadFile(writeGGUF(f, filepath.Join(dir, "a.gguf"), adapterKV("llama", 8), ggufAdapterTensors(peftEntries(2, 3)[:6])))
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		gf, err := gguf.Parse(data, "fuzz.gguf")
		if err != nil {
			return
		}
		a, err := lora.AdapterFromGGUFForTest(gf)
		if err != nil {
			if !typed(err) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		checkAdapter(t, a)
	})
}
