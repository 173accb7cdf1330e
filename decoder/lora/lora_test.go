package lora_test

import (
	"bytes"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/llmls/llmls/decoder/gguf"
	"github.com/llmls/llmls/decoder/lora"
)

// baseOf reads the lora.Base of a GGUF model.
func baseOf(t testing.TB, path string) *lora.Base {
	t.Helper()
	f, err := gguf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := lora.BaseFromGGUF(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestReferenceAdapters loads the GGUF and the PEFT copy of each reference adapter: they hold
// the same float32 values (README), so after Fit every pair must be bit-identical — for
// llama only once q_proj/k_proj lora_B rows are permuted, which the unfitted PEFT copy shows.
func TestReferenceAdapters(t *testing.T) {
	td := testdataDir(t)
	for _, tc := range []struct {
		name     string
		permuted bool // llama: PEFT q/k lora_B are in HF row order
	}{
		{"llama", true},
		{"qwen2", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := baseOf(t, filepath.Join(td, "models", "tiny-"+tc.name+"-f32.gguf"))
			g, err := lora.Load(filepath.Join(td, "lora", "tiny-"+tc.name+"-lora.gguf"), base)
			if err != nil {
				t.Fatal(err)
			}
			peftDir := filepath.Join(td, "lora", "tiny-"+tc.name+"-lora-peft")
			raw, err := lora.Read(peftDir)
			if err != nil {
				t.Fatal(err)
			}
			p, err := lora.Load(peftDir, base)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range []*lora.Adapter{g, p} {
				if a.Rank != 4 || a.Alpha != 8 || len(a.Pairs) != 14 || a.Params != 8192 ||
					!slices.Equal(a.Targets, []string{"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}) ||
					!slices.Equal(a.Layers, []int{0, 1}) {
					t.Errorf("%s: info %+v", a.Format, a.Info)
				}
			}
			if g.Arch != tc.name || g.BaseModel != "tiny-"+tc.name {
				t.Errorf("GGUF arch %q, base model %q", g.Arch, g.BaseModel)
			}
			permutedSeen := 0
			for i := range g.Pairs {
				gp, pp, rp := &g.Pairs[i], &p.Pairs[i], &raw.Pairs[i]
				if gp.Target != pp.Target || gp.Rank != pp.Rank || gp.In != pp.In || gp.Out != pp.Out {
					t.Fatalf("pair %d: GGUF %s [%d %d %d], PEFT %s [%d %d %d]", i, gp.Target, gp.Rank, gp.In, gp.Out, pp.Target, pp.Rank, pp.In, pp.Out)
				}
				if gp.Scale != 2 || pp.Scale != 2 {
					t.Errorf("%s: scale GGUF %v, PEFT %v, want alpha/rank = 2", gp.Target, gp.Scale, pp.Scale)
				}
				if !slices.Equal(gp.A, pp.A) {
					t.Errorf("%s: lora_A differs between GGUF and PEFT", gp.Target)
				}
				if !slices.Equal(gp.B, pp.B) {
					t.Errorf("%s: lora_B differs between GGUF and fitted PEFT", gp.Target)
				}
				qk := strings.Contains(gp.Target, "attn_q") || strings.Contains(gp.Target, "attn_k")
				if slices.Equal(gp.B, rp.B) == (tc.permuted && qk) {
					t.Errorf("%s: unfitted PEFT lora_B equal to GGUF: %v (want equal unless llama q/k)", gp.Target, slices.Equal(gp.B, rp.B))
				}
				if tc.permuted && qk {
					permutedSeen++
				}
			}
			if tc.permuted && permutedSeen != 4 {
				t.Errorf("%d permuted q/k tensors, want 4", permutedSeen)
			}
		})
	}
}

// TestPermuteRows checks the llama row permutation on a hand-derived case: 2 heads of 4 rows
// (half 2): GGUF rows are HF rows 0, 2, 1, 3 | 4, 6, 5, 7 (GGUF row 2j+t = HF row t·half+j).
func TestPermuteRows(t *testing.T) {
	const out, r = 8, 2
	b := make([]float32, out*r)
	for i := range out {
		b[i*r], b[i*r+1] = float32(i), float32(10*i)
	}
	if err := lora.PermuteRowsForTest(b, out, r, 2); err != nil {
		t.Fatal(err)
	}
	want := []float32{0, 0, 2, 20, 1, 10, 3, 30, 4, 40, 6, 60, 5, 50, 7, 70}
	if !slices.Equal(b, want) {
		t.Errorf("permuted %v, want %v", b, want)
	}
	if err := lora.PermuteRowsForTest(make([]float32, 6*r), 6, r, 2); err == nil {
		t.Error("6 rows in 2 heads of pairs: want an error")
	}
}

// TestScaling checks Pair.Scale: alpha/rank, rsLoRA alpha/√rank, rank_pattern and
// alpha_pattern (first matching key, PEFT get_pattern_key), and GGUF's alpha 0 → 1.
func TestScaling(t *testing.T) {
	dir := t.TempDir()
	base := baseOf(t, writeBase(t, filepath.Join(dir, "base.gguf"), "qwen2", synEmbd))

	es := peftEntries(4, 3)
	// Layer 1 q_proj with rank 8.
	rng8 := peftEntries(8, 4)
	for i, e := range es {
		if strings.Contains(e.name, "layers.1.self_attn.q_proj") {
			for _, e8 := range rng8 {
				if e8.name == e.name {
					es[i] = e8
				}
			}
		}
	}
	cfg := defaultPEFTConfig(4)
	cfg["lora_alpha"] = 8
	cfg["rank_pattern"] = map[string]any{"layers.1.self_attn.q_proj": 8}
	cfg["alpha_pattern"] = map[string]any{`1\.mlp\.down_proj`: 2}
	a, err := lora.Load(peftSpec{config: cfg, entries: es}.write(t, filepath.Join(dir, "pat")), base)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range a.Pairs {
		want := float32(8.0 / 4)
		switch p.Target {
		case "blk.1.attn_q.weight":
			want = 8.0 / 8
		case "blk.1.ffn_down.weight":
			want = 2.0 / 4
		}
		if p.Scale != want {
			t.Errorf("%s: scale %v, want %v", p.Target, p.Scale, want)
		}
	}

	cfg = defaultPEFTConfig(4)
	cfg["lora_alpha"], cfg["use_rslora"] = 8, true
	a, err = lora.Load(peftSpec{config: cfg}.write(t, filepath.Join(dir, "rs")), base)
	if err != nil {
		t.Fatal(err)
	}
	if a.Pairs[0].Scale != 4 || !a.RSLoRA {
		t.Errorf("rsLoRA scale %v, want alpha/√rank = 8/2 = 4", a.Pairs[0].Scale)
	}

	kv := adapterKV("qwen2", 0)[:3] // no adapter.lora.alpha
	g, err := lora.Load(writeGGUF(t, filepath.Join(dir, "a0.gguf"), kv, ggufAdapterTensors(peftEntries(4, 3))), base)
	if err != nil {
		t.Fatal(err)
	}
	if g.Pairs[0].Scale != 1 {
		t.Errorf("GGUF without alpha: scale %v, want 1 (llama.cpp)", g.Pairs[0].Scale)
	}
}

// TestBF16Weights reads a PEFT adapter saved in bfloat16 (training dtype): values widen
// exactly.
func TestBF16Weights(t *testing.T) {
	dir := t.TempDir()
	es := peftEntries(4, 9)
	want := map[string][]float32{}
	for i := range es {
		es[i].dtype = "BF16"
		for j, v := range es[i].vals {
			es[i].vals[j] = math.Float32frombits(math.Float32bits(v) &^ 0xffff) // representable
		}
		want[es[i].name] = es[i].vals
	}
	a, err := lora.Read(peftSpec{entries: es}.write(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range a.Pairs {
		if !slices.Equal(p.A, want[p.SourceA]) || !slices.Equal(p.B, want[p.SourceB]) {
			t.Errorf("%s: BF16 values changed", p.Target)
		}
	}
}

// TestBadInput: every bad adapter is a clear error at load naming the file and the tensor or
// key, of the right kind; never a panic.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	llamaBase := baseOf(t, writeBase(t, filepath.Join(dir, "llama.gguf"), "llama", synEmbd))
	smallBase := baseOf(t, writeBase(t, filepath.Join(dir, "small.gguf"), "llama", 32))
	good := peftSpec{}.write(t, filepath.Join(dir, "good"))
	goodGGUF := writeGGUF(t, filepath.Join(dir, "good.gguf"), adapterKV("llama", 8), ggufAdapterTensors(peftEntries(4, 7)))
	if _, err := lora.Load(good, llamaBase); err != nil {
		t.Fatalf("good PEFT adapter: %v", err)
	}
	if _, err := lora.Load(goodGGUF, llamaBase); err != nil {
		t.Fatalf("good GGUF adapter: %v", err)
	}

	withEntries := func(name string, edit func([]stEntry) []stEntry) string {
		return peftSpec{entries: edit(peftEntries(4, 7))}.write(t, filepath.Join(dir, name))
	}
	withConfig := func(name string, edit func(map[string]any)) string {
		c := defaultPEFTConfig(4)
		edit(c)
		return peftSpec{config: c}.write(t, filepath.Join(dir, name))
	}
	truncate := func(name, src string, n int) string {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(dir, name)
		if filepath.Ext(src) == ".safetensors" {
			if err := os.MkdirAll(dst, 0o755); err != nil {
				t.Fatal(err)
			}
			cfg, _ := os.ReadFile(filepath.Join(filepath.Dir(src), "adapter_config.json"))
			os.WriteFile(filepath.Join(dst, "adapter_config.json"), cfg, 0o644)
			dst = filepath.Join(dst, "adapter_model.safetensors")
		}
		if err := os.WriteFile(dst, b[:n], 0o644); err != nil {
			t.Fatal(err)
		}
		return dst
	}
	poison := func(name string, which int, v float32) string {
		return withEntries(name, func(es []stEntry) []stEntry {
			es[which].vals[5] = v
			return es
		})
	}
	ggufPoison := func() string {
		ts := ggufAdapterTensors(peftEntries(4, 7))
		ts[0].vals[3] = float32(math.NaN())
		return writeGGUF(t, filepath.Join(dir, "nan.gguf"), adapterKV("llama", 8), ts)
	}
	safetensorsSize := func() int {
		st, err := os.Stat(filepath.Join(good, "adapter_model.safetensors"))
		if err != nil {
			t.Fatal(err)
		}
		return int(st.Size())
	}()
	ggufSize := func() int {
		st, err := os.Stat(goodGGUF)
		if err != nil {
			t.Fatal(err)
		}
		return int(st.Size())
	}()

	cases := []struct {
		name string
		path string
		base *lora.Base
		kind error    // lora.Err*, or fs.ErrNotExist
		says []string // substrings of the message
	}{
		{"adapter for another base (shape)", good, smallBase, lora.ErrMismatch,
			[]string{"base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", "[64, 64]", "[32, 32]"}},
		{"GGUF for another architecture", writeGGUF(t, filepath.Join(dir, "qwen.gguf"), adapterKV("qwen2", 8), ggufAdapterTensors(peftEntries(4, 7))), llamaBase, lora.ErrMismatch,
			[]string{"qwen2", "llama"}},
		{"GGUF for another base (shape)", goodGGUF, smallBase, lora.ErrMismatch, []string{"blk.0.attn_q.weight.lora_a"}},
		{"layer the base lacks", withEntries("layer9", func(es []stEntry) []stEntry {
			for i := range es {
				es[i].name = strings.Replace(es[i].name, "layers.1.", "layers.9.", 1)
			}
			return es
		}), llamaBase, lora.ErrMismatch, []string{"layers.9.", "blk.9.attn_q.weight"}},
		{"lm_head on a base with tied embeddings", withEntries("lmhead", func(es []stEntry) []stEntry {
			return append(es, stEntry{name: "base_model.model.lm_head.lora_A.weight", dtype: "F32", shape: []int64{4, 64}, vals: make([]float32, 256)},
				stEntry{name: "base_model.model.lm_head.lora_B.weight", dtype: "F32", shape: []int64{100, 4}, vals: make([]float32, 400)})
		}), llamaBase, lora.ErrMismatch, []string{"lm_head.lora_A.weight", "no adaptable tensor output.weight"}},
		{"unknown target module", withEntries("unknown", func(es []stEntry) []stEntry {
			return append(es, stEntry{name: "base_model.model.model.layers.0.self_attn.qkv_proj.lora_A.weight", dtype: "F32", shape: []int64{4, 64}, vals: make([]float32, 256)},
				stEntry{name: "base_model.model.model.layers.0.self_attn.qkv_proj.lora_B.weight", dtype: "F32", shape: []int64{192, 4}, vals: make([]float32, 768)})
		}), llamaBase, lora.ErrUnsupported, []string{"qkv_proj.lora_A.weight", "unknown target module"}},
		{"GGUF unknown target", writeGGUF(t, filepath.Join(dir, "qkv.gguf"), adapterKV("llama", 8), []ggufTensor{
			{"blk.0.attn_qkv.weight.lora_a", []int64{64, 4}, make([]float32, 256)}, {"blk.0.attn_qkv.weight.lora_b", []int64{4, 192}, make([]float32, 768)}}),
			llamaBase, lora.ErrUnsupported, []string{"blk.0.attn_qkv.weight.lora_a", "unknown target"}},
		{"embedding adapter", withEntries("embed", func(es []stEntry) []stEntry {
			return append(es, stEntry{name: "base_model.model.model.embed_tokens.lora_embedding_A", dtype: "F32", shape: []int64{4, 100}, vals: make([]float32, 400)})
		}), llamaBase, lora.ErrUnsupported, []string{"embed_tokens.lora_embedding_A", "embeddings"}},
		{"modules_to_save weights", withEntries("mts", func(es []stEntry) []stEntry {
			return append(es, stEntry{name: "base_model.model.lm_head.weight", dtype: "F32", shape: []int64{100, 64}, vals: make([]float32, 6400)})
		}), llamaBase, lora.ErrUnsupported, []string{"lm_head.weight", "modules_to_save"}},
		{"DoRA", withConfig("dora", func(c map[string]any) { c["use_dora"] = true }), llamaBase, lora.ErrUnsupported, []string{"use_dora"}},
		{"not a LoRA config", withConfig("ia3", func(c map[string]any) { c["peft_type"] = "IA3" }), llamaBase, lora.ErrUnsupported, []string{"peft_type", "IA3"}},
		{"rank disagrees with config", withConfig("rank", func(c map[string]any) { c["r"] = 8 }), llamaBase, lora.ErrFormat,
			[]string{"lora_A.weight", "rank 4", "says 8"}},
		{"no rank in config", withConfig("norank", func(c map[string]any) { delete(c, "r") }), llamaBase, lora.ErrFormat, []string{`key "r"`}},
		{"A and B ranks differ", withEntries("ab", func(es []stEntry) []stEntry {
			es[1].shape, es[1].vals = []int64{64, 3}, es[1].vals[:192]
			return es
		}), llamaBase, lora.ErrFormat, []string{"lora_B.weight", "rank 3"}},
		{"missing half", withEntries("half", func(es []stEntry) []stEntry {
			return slices.DeleteFunc(es, func(e stEntry) bool { return e.name == "base_model.model.model.layers.1.mlp.up_proj.lora_B.weight" })
		}), llamaBase, lora.ErrFormat, []string{"layers.1.mlp.up_proj.lora_A.weight", "missing"}},
		{"NaN in lora_A", poison("nan", 0, float32(math.NaN())), llamaBase, lora.ErrFormat,
			[]string{"layers.0.self_attn.q_proj.lora_A.weight", "NaN", "[0, 5]"}},
		{"Inf in lora_B", poison("inf", 1, float32(math.Inf(1))), llamaBase, lora.ErrFormat,
			[]string{"layers.0.self_attn.q_proj.lora_B.weight", "+Inf", "[1, 1]"}},
		{"NaN in a GGUF adapter", ggufPoison(), llamaBase, lora.ErrFormat, []string{"lora_a", "NaN"}},
		{"truncated safetensors (in the data)", truncate("trunc1", filepath.Join(good, "adapter_model.safetensors"), safetensorsSize-100), llamaBase, lora.ErrFormat,
			[]string{"adapter_model.safetensors", "truncated"}},
		{"truncated safetensors (in the header)", truncate("trunc2", filepath.Join(good, "adapter_model.safetensors"), 200), llamaBase, lora.ErrFormat,
			[]string{"header length", "truncated"}},
		{"truncated safetensors (length)", truncate("trunc3", filepath.Join(good, "adapter_model.safetensors"), 5), llamaBase, lora.ErrFormat,
			[]string{"too short"}},
		{"truncated GGUF", truncate("trunc.gguf", goodGGUF, ggufSize-64), llamaBase, lora.ErrFormat, []string{"trunc.gguf"}},
		{"bad config JSON", func() string {
			d := filepath.Join(dir, "badjson")
			peftSpec{}.write(t, d)
			os.WriteFile(filepath.Join(d, "adapter_config.json"), []byte(`{"r": 4, "lora_alpha": `), 0o644)
			return d
		}(), llamaBase, lora.ErrFormat, []string{"adapter_config.json"}},
		{"a model, not an adapter", filepath.Join(dir, "llama.gguf"), llamaBase, lora.ErrFormat, []string{"general.type"}},
		{"PyTorch pickle only", func() string {
			d := filepath.Join(dir, "pickle")
			peftSpec{}.write(t, d)
			os.Rename(filepath.Join(d, "adapter_model.safetensors"), filepath.Join(d, "adapter_model.bin"))
			return d
		}(), llamaBase, lora.ErrUnsupported, []string{"adapter_model.bin", "safe_serialization"}},
		{"missing folder", filepath.Join(dir, "nope"), llamaBase, fs.ErrNotExist, []string{"nope"}},
		{"missing safetensors", func() string {
			d := filepath.Join(dir, "noweights")
			peftSpec{}.write(t, d)
			os.Remove(filepath.Join(d, "adapter_model.safetensors"))
			return d
		}(), llamaBase, fs.ErrNotExist, []string{"adapter_model.safetensors"}},
		{"missing config", func() string {
			d := filepath.Join(dir, "noconfig")
			peftSpec{}.write(t, d)
			os.Remove(filepath.Join(d, "adapter_config.json"))
			return d
		}(), llamaBase, fs.ErrNotExist, []string{"adapter_config.json"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, err := lora.Load(tc.path, tc.base)
			if err == nil {
				t.Fatalf("loaded %d pairs, want an error", len(a.Pairs))
			}
			if !errors.Is(err, tc.kind) {
				t.Errorf("error %q is not %v", err, tc.kind)
			}
			for _, s := range tc.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
		})
	}
}

// TestInspect prints a summary and says whether the adapter fits a base.
func TestInspect(t *testing.T) {
	dir := t.TempDir()
	adapter := peftSpec{}.write(t, filepath.Join(dir, "ad"))
	fits := writeBase(t, filepath.Join(dir, "fits.gguf"), "qwen2", synEmbd)
	other := writeBase(t, filepath.Join(dir, "other.gguf"), "qwen2", 32)
	for _, tc := range []struct {
		name, base string
		wantErr    error
		says       []string
	}{
		{"no base", "", nil, []string{"adapter       " + adapter + " (PEFT", "trained on    synthetic", "rank          4\n", "alpha         8\n",
			"scaling       alpha/rank = 2 (× the user scale)", "targets       q_proj k_proj v_proj o_proj gate_proj up_proj down_proj",
			"layers        0–1 (2)", "in 14 A/B pairs", "give a base model"}},
		{"fits", fits, nil, []string{"fits          yes: " + fits}},
		{"does not fit", other, lora.ErrMismatch, []string{"fits          no: ", "[64, 64]"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			err := lora.Inspect(&out, adapter, tc.base)
			if !errors.Is(err, tc.wantErr) && !(err == nil && tc.wantErr == nil) {
				t.Errorf("error %v, want %v", err, tc.wantErr)
			}
			for _, s := range tc.says {
				if !strings.Contains(out.String(), s) {
					t.Errorf("output lacks %q:\n%s", s, out.String())
				}
			}
		})
	}
	if !lora.IsAdapter(adapter) || lora.IsAdapter(fits) || lora.IsAdapter(filepath.Join(dir, "none")) {
		t.Error("IsAdapter: want true for the PEFT folder, false for a model and a missing path")
	}
	g := writeGGUF(t, filepath.Join(dir, "a.gguf"), adapterKV("qwen2", 8), ggufAdapterTensors(peftEntries(4, 1)))
	if !lora.IsAdapter(g) {
		t.Error("IsAdapter: false for a GGUF adapter")
	}
}

func TestParseSpec(t *testing.T) {
	for _, tc := range []struct {
		name, spec, path string
		scale            float32
		err              bool
	}{
		{"path only", "ad/peft", "ad/peft", 1, false},
		{"with scale", "ad/x.gguf:0.5", "ad/x.gguf", 0.5, false},
		{"negative scale", "x.gguf:-1", "x.gguf", -1, false},
		{"colon in path", "C:\\ad\\x.gguf", "C:\\ad\\x.gguf", 1, false},
		{"colon in path and scale", "C:\\x.gguf:2", "C:\\x.gguf", 2, false},
		{"not finite", "x.gguf:NaN", "", 0, true},
		{"empty path", ":0.5", "", 0, true},
		{"empty", "", "", 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, s, err := lora.ParseSpec(tc.spec)
			if (err != nil) != tc.err || p != tc.path || s != tc.scale {
				t.Errorf("ParseSpec(%q) = %q, %v, %v", tc.spec, p, s, err)
			}
		})
	}
}
