package lora_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/llmls/llmls/decoder/gguf"
	"github.com/llmls/llmls/internal/sharedtest"
	"github.com/llmls/llmls/kernels"
)

// testdataDir returns ../shared/testdata, or skips the test when it is absent.
func testdataDir(t testing.TB) string {
	t.Helper()
	return sharedtest.Dir(t, "lora")
}

// stEntry is one tensor for writeSafetensors: float32 values written as dtype.
type stEntry struct {
	name  string
	dtype string // F32, F16, BF16
	shape []int64
	vals  []float32
	raw   []byte // written as is when set (then vals is ignored)
}

// writeSafetensors lays out tensors the way the reference writer does: sorted names,
// contiguous data, the header padded with spaces to a multiple of 8.
func writeSafetensors(entries []stEntry) []byte {
	sort.Slice(entries, func(i, j int) bool { return entries[i].name < entries[j].name })
	header := map[string]any{"__metadata__": map[string]string{"format": "pt"}}
	var data []byte
	for _, e := range entries {
		raw := e.raw
		if raw == nil {
			raw = encodeFloats(e.dtype, e.vals)
		}
		header[e.name] = map[string]any{"dtype": e.dtype, "shape": e.shape, "data_offsets": []int{len(data), len(data) + len(raw)}}
		data = append(data, raw...)
	}
	h, err := json.Marshal(header)
	if err != nil {
		panic(err)
	}
	for len(h)%8 != 0 {
		h = append(h, ' ')
	}
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(h)))
	return append(append(out, h...), data...)
}

func encodeFloats(dtype string, vals []float32) []byte {
	var b []byte
	for _, v := range vals {
		switch dtype {
		case "F32":
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
		case "BF16":
			b = binary.LittleEndian.AppendUint16(b, uint16(math.Float32bits(v)>>16))
		default:
			panic("encodeFloats: " + dtype)
		}
	}
	return b
}

// shapes of the synthetic base model: 2 layers, NEmbd 64, 4 heads of 16, 2 KV heads, NFF 128
// (the tiny reference models' projection shapes).
const (
	synEmbd, synHeads, synHeadsKV, synFF, synLayers = 64, 4, 2, 128, 2
)

// synModules are the HF module names and [in, out] of the synthetic base.
var synModules = []struct {
	hf, gguf string
	in, out  int
}{
	{"self_attn.q_proj", "attn_q", synEmbd, synEmbd},
	{"self_attn.k_proj", "attn_k", synEmbd, synEmbd / synHeads * synHeadsKV},
	{"self_attn.v_proj", "attn_v", synEmbd, synEmbd / synHeads * synHeadsKV},
	{"self_attn.o_proj", "attn_output", synEmbd, synEmbd},
	{"mlp.gate_proj", "ffn_gate", synEmbd, synFF},
	{"mlp.up_proj", "ffn_up", synEmbd, synFF},
	{"mlp.down_proj", "ffn_down", synFF, synEmbd},
}

// randMat returns rows×cols normal values times scale.
func randMat(rng *rand.Rand, rows, cols int, scale float32) []float32 {
	v := make([]float32, rows*cols)
	for i := range v {
		v[i] = float32(rng.NormFloat64()) * scale
	}
	return v
}

// peftSpec describes a synthetic PEFT folder.
type peftSpec struct {
	config  map[string]any // adapter_config.json; nil: the default below
	entries []stEntry      // nil: rank-4 A and B for every module of every layer
	rank    int
}

func defaultPEFTConfig(rank int) map[string]any {
	return map[string]any{"peft_type": "LORA", "r": rank, "lora_alpha": 2 * rank, "use_rslora": false,
		"target_modules":          []string{"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"},
		"base_model_name_or_path": "synthetic", "bias": "none", "rank_pattern": map[string]any{}, "alpha_pattern": map[string]any{}}
}

// peftEntries returns A and B for every module of every layer (seeded).
func peftEntries(rank int, seed uint64) []stEntry {
	rng := rand.New(rand.NewPCG(seed, 1))
	var es []stEntry
	for l := range synLayers {
		for _, m := range synModules {
			p := fmt.Sprintf("base_model.model.model.layers.%d.%s.", l, m.hf)
			es = append(es,
				stEntry{name: p + "lora_A.weight", dtype: "F32", shape: []int64{int64(rank), int64(m.in)}, vals: randMat(rng, rank, m.in, 0.1)},
				stEntry{name: p + "lora_B.weight", dtype: "F32", shape: []int64{int64(m.out), int64(rank)}, vals: randMat(rng, m.out, rank, 0.01)})
		}
	}
	return es
}

// write creates the PEFT folder under dir and returns its path.
func (s peftSpec) write(t testing.TB, dir string) string {
	t.Helper()
	if s.rank == 0 {
		s.rank = 4
	}
	if s.config == nil {
		s.config = defaultPEFTConfig(s.rank)
	}
	if s.entries == nil {
		s.entries = peftEntries(s.rank, 7)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg, err := json.Marshal(s.config)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "adapter_config.json"), cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "adapter_model.safetensors"), writeSafetensors(s.entries), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// ggufTensor is one tensor of a synthetic GGUF file (F32).
type ggufTensor struct {
	name string
	dims []int64
	vals []float32
}

// writeGGUF writes a GGUF file with the given metadata (in order) and F32 tensors.
func writeGGUF(t testing.TB, path string, kv [][2]any, tensors []ggufTensor) string {
	t.Helper()
	w := gguf.NewWriter()
	for _, e := range kv {
		if err := w.Add(e[0].(string), e[1]); err != nil {
			t.Fatal(err)
		}
	}
	for _, te := range tensors {
		if err := w.AddTensor(te.name, kernels.F32, te.dims, encodeFloats("F32", te.vals)); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// adapterKV is the metadata of a GGUF LoRA adapter for arch.
func adapterKV(arch string, alpha float32) [][2]any {
	return [][2]any{{"general.architecture", arch}, {"general.type", "adapter"}, {"adapter.type", "lora"}, {"adapter.lora.alpha", alpha}}
}

// ggufAdapterTensors converts PEFT entries (HF row order) to GGUF adapter tensors without
// any permutation (use for qwen2 bases, or with permuted B).
func ggufAdapterTensors(es []stEntry) []ggufTensor {
	var out []ggufTensor
	for _, e := range es {
		name := e.name
		var l int
		var mod, half string
		if _, err := fmt.Sscanf(name, "base_model.model.model.layers.%d.%s", &l, &mod); err != nil {
			panic(err)
		}
		for _, m := range synModules {
			for _, h := range []string{"A", "B"} {
				if mod == m.hf+".lora_"+h+".weight" {
					half = h
					name = fmt.Sprintf("blk.%d.%s.weight.lora_%s", l, m.gguf, map[string]string{"A": "a", "B": "b"}[h])
				}
			}
		}
		if half == "" {
			panic("ggufAdapterTensors: " + e.name)
		}
		out = append(out, ggufTensor{name: name, dims: []int64{e.shape[1], e.shape[0]}, vals: e.vals})
	}
	return out
}

// writeBase writes a weightless-looking base GGUF (zero F32 projections) of the synthetic
// shapes: enough for lora.BaseFromGGUF.
func writeBase(t testing.TB, path, arch string, embd int) string {
	t.Helper()
	kv := [][2]any{{"general.architecture", arch}, {arch + ".attention.head_count", uint32(synHeads)}, {arch + ".attention.head_count_kv", uint32(synHeadsKV)}}
	var ts []ggufTensor
	for l := range synLayers {
		for _, m := range synModules {
			in, out := m.in, m.out
			if in == synEmbd {
				in = embd
			}
			if out == synEmbd {
				out = embd
			}
			ts = append(ts, ggufTensor{name: fmt.Sprintf("blk.%d.%s.weight", l, m.gguf), dims: []int64{int64(in), int64(out)}, vals: make([]float32, in*out)})
		}
	}
	return writeGGUF(t, path, kv, ts)
}
