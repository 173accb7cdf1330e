package lora

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Format is an adapter file format.
type Format string

// Formats.
const (
	// FormatPEFT is a Hugging Face PEFT folder: adapter_config.json + adapter_model.safetensors.
	FormatPEFT Format = "PEFT"
	// FormatGGUF is a llama.cpp GGUF LoRA adapter (general.type = adapter).
	FormatGGUF Format = "GGUF"
)

// Info describes an adapter without its tensors.
type Info struct {
	Path      string // the PEFT folder or the GGUF file
	Format    Format
	Arch      string   // GGUF general.architecture; "" for PEFT, which names no architecture
	BaseModel string   // PEFT base_model_name_or_path, GGUF general.basename or general.name; may be ""
	Alpha     float32  // lora_alpha / adapter.lora.alpha (a GGUF adapter without it: 0, scale 1)
	Rank      int      // the largest rank: PEFT r (or a larger rank_pattern value); GGUF: of the tensors
	RSLoRA    bool     // PEFT use_rslora: scaling alpha/√rank instead of alpha/rank
	Targets   []string // adapted modules in PEFT spelling ("q_proj", …, "lm_head"), forward-pass order
	Layers    []int    // adapted blocks, ascending
	Params    int64    // elements of all A and B matrices
}

// Pair is the update of one base weight W [Out, In] (GGUF dims [In, Out]):
// W' = W + userScale·Scale·B·A (Hu et al. 2021, "LoRA", eq. 3; PEFT lora/layer.py).
type Pair struct {
	Target           string // GGUF base tensor, e.g. "blk.0.attn_q.weight"
	SourceA, SourceB string // names of the A and B tensors in the file
	Rank, In, Out    int
	// A is [Rank, In] row-major: PEFT lora_A.weight, GGUF lora_a (dims [In, Rank]).
	A []float32
	// B is [Out, Rank] row-major: PEFT lora_B.weight, GGUF lora_b (dims [Rank, Out]). Rows are
	// in the base GGUF's order once fitted (llama q/k rows permuted for PEFT adapters).
	B     []float32
	Alpha float32 // this pair's alpha: PEFT alpha_pattern, else Info.Alpha
	// Scale is alpha/Rank (rsLoRA: alpha/√Rank; a GGUF adapter with alpha 0: 1, as llama.cpp's
	// llama_adapter_lora_weight::get_scale), before the user scale.
	Scale float32
}

// Adapter is a LoRA adapter read from a file: its Info and one Pair per adapted weight,
// ordered by layer and then as the forward pass applies them (output last).
type Adapter struct {
	Info
	Pairs []Pair

	fittedArch string // the base architecture B rows are ordered for; "" before Fit
}

// Read reads the adapter at path: a PEFT folder (or a file in it), or a GGUF adapter. It
// checks the file (shapes, ranks, finite values) but not the base model: call Fit before
// using the values, since a PEFT adapter's q/k rows depend on it. Errors: *Error (kinds
// ErrFormat, ErrUnsupported), or a wrapped *fs.PathError for a missing or unreadable file.
func Read(path string) (*Adapter, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("lora: %w", err)
	}
	var a *Adapter
	switch {
	case st.IsDir():
		a, err = readPEFT(path)
	case filepath.Base(path) == peftConfigName || filepath.Base(path) == peftWeightsName:
		a, err = readPEFT(filepath.Dir(path))
	default:
		a, err = readGGUF(path)
	}
	if err != nil {
		return nil, err
	}
	a.summarize()
	return a, nil
}

// Load reads the adapter at path and fits it to base (Read, then Fit).
func Load(path string, base *Base) (*Adapter, error) {
	a, err := Read(path)
	if err != nil {
		return nil, err
	}
	if err := a.Fit(base); err != nil {
		return nil, err
	}
	return a, nil
}

// Fit checks that the adapter fits base (architecture, every target present with the same
// [in, out] shape) and, for a PEFT adapter on a llama base, permutes the q_proj/k_proj B rows
// into GGUF order (see permuteRows). Fitting again to a base of the same architecture only
// checks. Errors: *Error of kind ErrMismatch naming the tensor, or ErrUnsupported for a PEFT
// adapter on an architecture without a known HF → GGUF mapping.
func (a *Adapter) Fit(base *Base) error {
	if a.Format == FormatGGUF && a.Arch != base.Arch {
		// llama.cpp llama_adapter_lora_init: "model arch and LoRA arch mismatch".
		return mismatchErr(a.Path, "", "adapter for architecture %q, base model %s is %q", a.Arch, base.File, base.Arch)
	}
	if a.fittedArch != "" && a.fittedArch != base.Arch {
		return mismatchErr(a.Path, "", "already fitted to a %q base, now %q: read it again", a.fittedArch, base.Arch)
	}
	permute, known := permutedArchs[base.Arch]
	if a.Format == FormatPEFT && !known {
		return unsupportedErr(a.Path, "", "PEFT adapter on a %q base: the HF → GGUF tensor mapping is known for llama and qwen2", base.Arch)
	}
	for i := range a.Pairs {
		p := &a.Pairs[i]
		shape, ok := base.Shapes[p.Target]
		if !ok {
			return mismatchErr(a.Path, p.SourceA, "base model %s has no adaptable tensor %s", base.File, p.Target)
		}
		if shape[0] != p.In || shape[1] != p.Out {
			return mismatchErr(a.Path, p.SourceA, "ΔW = B·A is [%d, %d] (out, in), base %s %s is [%d, %d]", p.Out, p.In, base.File, p.Target, shape[1], shape[0])
		}
	}
	if a.Format == FormatPEFT && permute && a.fittedArch == "" {
		for i := range a.Pairs {
			p := &a.Pairs[i]
			t, _ := parseGGUFTarget(p.Target)
			nh := 0
			switch modules[t.mod].short {
			case "q_proj":
				nh = base.NHead
			case "k_proj":
				nh = base.NHeadKV
			default:
				continue
			}
			if err := permuteRows(p.B, p.Out, p.Rank, nh); err != nil {
				return mismatchErr(a.Path, p.SourceB, "llama Q/K row permutation: %v", err)
			}
		}
	}
	a.fittedArch = base.Arch
	return nil
}

// Fitted reports whether Fit has succeeded.
func (a *Adapter) Fitted() bool { return a.fittedArch != "" }

// newPair builds a Pair after checking shapes and values. a is [rank, in], b [out, rank].
func newPair(file string, t target, srcA, srcB string, rank, in, out int, av, bv []float32, alpha float32, rslora bool) (Pair, error) {
	if rank <= 0 || in <= 0 || out <= 0 {
		return Pair{}, formatErr(file, srcA, "empty LoRA matrix: rank %d, in %d, out %d", rank, in, out)
	}
	if err := checkFinite(file, srcA, av, in); err != nil {
		return Pair{}, err
	}
	if err := checkFinite(file, srcB, bv, rank); err != nil {
		return Pair{}, err
	}
	if math.IsNaN(float64(alpha)) || math.IsInf(float64(alpha), 0) {
		return Pair{}, formatErr(file, srcA, "alpha %g is not finite", alpha)
	}
	p := Pair{Target: t.ggufName(), SourceA: srcA, SourceB: srcB, Rank: rank, In: in, Out: out, A: av, B: bv, Alpha: alpha}
	switch {
	case rslora:
		p.Scale = alpha / float32(math.Sqrt(float64(rank)))
	default:
		p.Scale = alpha / float32(rank)
	}
	return p, nil
}

// checkFinite returns an error naming the first NaN or Inf in v ([rows, cols] row-major).
func checkFinite(file, tensor string, v []float32, cols int) error {
	for i, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return formatErr(file, tensor, "value %g at [%d, %d] (NaN/Inf: a diverged training run?)", x, i/cols, i%cols)
		}
	}
	return nil
}

// sortPairs orders pairs by target and rejects two pairs for one target.
func sortPairs(file string, pairs []Pair) error {
	targets := make([]target, len(pairs))
	for i := range pairs {
		targets[i], _ = parseGGUFTarget(pairs[i].Target)
	}
	idx := make([]int, len(pairs))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(i, j int) bool { return targets[idx[i]].less(targets[idx[j]]) })
	sorted := make([]Pair, len(pairs))
	for i, j := range idx {
		sorted[i] = pairs[j]
		if i > 0 && sorted[i].Target == sorted[i-1].Target {
			return formatErr(file, sorted[i].SourceA, "a second LoRA pair for %s (also %s)", sorted[i].Target, sorted[i-1].SourceA)
		}
	}
	copy(pairs, sorted)
	return nil
}

// summarize fills the derived fields of Info from the pairs.
func (a *Adapter) summarize() {
	mods := make([]bool, len(modules))
	layers := map[int]bool{}
	a.Params = 0
	for _, p := range a.Pairs {
		t, _ := parseGGUFTarget(p.Target)
		mods[t.mod] = true
		if t.layer >= 0 {
			layers[t.layer] = true
		}
		a.Params += int64(len(p.A) + len(p.B))
		a.Rank = max(a.Rank, p.Rank)
	}
	a.Targets = a.Targets[:0]
	for i, ok := range mods {
		if ok {
			a.Targets = append(a.Targets, modules[i].short)
		}
	}
	a.Layers = a.Layers[:0]
	for l := range layers {
		a.Layers = append(a.Layers, l)
	}
	sort.Ints(a.Layers)
}

// ParseSpec splits a command-line adapter spec "PATH[:SCALE]" (llmls generate --lora) into
// the path and the user scale (default 1). A suffix after the last ':' that is not a number
// is part of the path (so "C:\x" and "a:b" stay paths). Errors: an empty path, or a scale
// that is NaN or infinite.
func ParseSpec(spec string) (path string, scale float32, err error) {
	path, scale = spec, 1
	if i := strings.LastIndexByte(spec, ':'); i >= 0 {
		if s, err := strconv.ParseFloat(spec[i+1:], 32); err == nil {
			path, scale = spec[:i], float32(s)
			if math.IsNaN(s) || math.IsInf(s, 0) {
				return "", 0, fmt.Errorf("lora: %q: scale %v is not finite", spec, s)
			}
		}
	}
	if path == "" {
		return "", 0, fmt.Errorf("lora: %q: empty adapter path", spec)
	}
	return path, scale, nil
}
