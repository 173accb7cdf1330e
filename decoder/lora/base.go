package lora

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/llmls/llmls/decoder/gguf"
)

// module is one projection LoRA can target: its Hugging Face module name and its GGUF tensor
// (llama.cpp convert_hf_to_gguf.py tensor map; src/llama-arch.cpp LLM_TENSOR_NAMES).
type module struct {
	short string // PEFT target_modules spelling: "q_proj"
	hf    string // HF module name inside model.layers.N (or the whole name for lm_head)
	gguf  string // GGUF tensor name; "%d" takes the block index
}

// modules are the projections llmls adapts, in the order a layer applies them; the index is
// the sort key of Adapter.Pairs within a layer.
var modules = []module{
	{"q_proj", "self_attn.q_proj", "blk.%d.attn_q.weight"},
	{"k_proj", "self_attn.k_proj", "blk.%d.attn_k.weight"},
	{"v_proj", "self_attn.v_proj", "blk.%d.attn_v.weight"},
	{"o_proj", "self_attn.o_proj", "blk.%d.attn_output.weight"},
	{"gate_proj", "mlp.gate_proj", "blk.%d.ffn_gate.weight"},
	{"up_proj", "mlp.up_proj", "blk.%d.ffn_up.weight"},
	{"down_proj", "mlp.down_proj", "blk.%d.ffn_down.weight"},
	{"lm_head", "lm_head", "output.weight"},
}

// outputModule is the index of lm_head in modules: not inside a block.
const outputModule = 7

// maxLayer bounds block indices in tensor names (a Llama has at most a few hundred blocks).
const maxLayer = 1 << 16

// target identifies an adaptable GGUF tensor: the module index and the block (-1 for output).
type target struct {
	mod, layer int
}

func (t target) ggufName() string {
	if t.mod == outputModule {
		return modules[outputModule].gguf
	}
	return fmt.Sprintf(modules[t.mod].gguf, t.layer)
}

// less orders targets by layer, then by module in forward-pass order; output last.
func (t target) less(u target) bool {
	tl, ul := t.layer, u.layer
	if t.mod == outputModule {
		tl = maxLayer
	}
	if u.mod == outputModule {
		ul = maxLayer
	}
	if tl != ul {
		return tl < ul
	}
	return t.mod < u.mod
}

// parseGGUFTarget recognizes the name of a GGUF tensor LoRA can target.
func parseGGUFTarget(name string) (target, bool) {
	if name == modules[outputModule].gguf {
		return target{outputModule, -1}, true
	}
	rest, ok := strings.CutPrefix(name, "blk.")
	if !ok {
		return target{}, false
	}
	num, tail, ok := strings.Cut(rest, ".")
	layer, err := strconv.Atoi(num)
	if !ok || err != nil || layer < 0 || layer >= maxLayer || strconv.Itoa(layer) != num {
		return target{}, false
	}
	for i, m := range modules[:outputModule] {
		if "blk.%d."+tail == m.gguf {
			return target{i, layer}, true
		}
	}
	return target{}, false
}

// parseHFModule maps a Hugging Face module name ("model.layers.3.self_attn.q_proj",
// "lm_head") to its target.
func parseHFModule(name string) (target, bool) {
	if name == modules[outputModule].hf {
		return target{outputModule, -1}, true
	}
	rest, ok := strings.CutPrefix(name, "model.layers.")
	if !ok {
		return target{}, false
	}
	num, tail, ok := strings.Cut(rest, ".")
	layer, err := strconv.Atoi(num)
	if !ok || err != nil || layer < 0 || layer >= maxLayer || strconv.Itoa(layer) != num {
		return target{}, false
	}
	for i, m := range modules[:outputModule] {
		if tail == m.hf {
			return target{i, layer}, true
		}
	}
	return target{}, false
}

// Base describes the base model an adapter is applied to: what Fit needs to map and check it.
type Base struct {
	File    string // path or name of the base GGUF model, for messages
	Arch    string // general.architecture, e.g. "llama", "qwen2"
	NHead   int    // {arch}.attention.head_count: row groups of the llama q_proj permutation
	NHeadKV int    // {arch}.attention.head_count_kv: row groups of the llama k_proj permutation
	// Shapes maps each base tensor LoRA can target to its GGUF dims [ne0, ne1] = [in, out].
	Shapes map[string][2]int
}

// BaseFromGGUF describes the model in f. Errors (*Error of kind ErrFormat naming the key):
// general.architecture missing, head counts missing or not positive.
func BaseFromGGUF(f *gguf.File) (*Base, error) {
	arch, err := f.String("general.architecture")
	if err != nil {
		return nil, &Error{File: f.Path, Key: "general.architecture", Offset: -1, Msg: "base model", Kind: ErrFormat, Err: err}
	}
	b := &Base{File: f.Path, Arch: arch, Shapes: map[string][2]int{}}
	headKey := arch + ".attention.head_count"
	nh, err := f.Int(headKey)
	if err != nil || nh <= 0 || nh > maxLayer {
		return nil, &Error{File: f.Path, Key: headKey, Offset: -1, Msg: fmt.Sprintf("base model: want a positive head count (got %d)", nh), Kind: ErrFormat, Err: err}
	}
	b.NHead, b.NHeadKV = int(nh), int(nh)
	kvKey := arch + ".attention.head_count_kv"
	if nkv, err := f.Int(kvKey); err == nil {
		if nkv <= 0 || nkv > nh {
			return nil, &Error{File: f.Path, Key: kvKey, Offset: -1, Msg: fmt.Sprintf("base model: %d KV heads for %d heads", nkv, nh), Kind: ErrFormat}
		}
		b.NHeadKV = int(nkv)
	}
	for _, t := range f.Tensors {
		if _, ok := parseGGUFTarget(t.Name); !ok {
			continue
		}
		dims := t.Dims
		for len(dims) > 2 && dims[len(dims)-1] == 1 {
			dims = dims[:len(dims)-1]
		}
		if len(dims) == 2 && dims[0] > 0 && dims[1] > 0 && dims[0] <= 1<<30 && dims[1] <= 1<<30 {
			b.Shapes[t.Name] = [2]int{int(dims[0]), int(dims[1])}
		}
	}
	return b, nil
}

// permutedArchs are the architectures whose GGUF q/k rows convert_hf_to_gguf.py permutes
// (LlamaModel.modify_tensors: HF rotate_half order → llama.cpp's adjacent-pair RoPE), so
// that a PEFT lora_B for q_proj/k_proj must be permuted the same way. qwen2 keeps HF order
// (NEOX RoPE in llama.cpp). Architectures absent here have no known HF → GGUF mapping.
var permutedArchs = map[string]bool{"llama": true, "qwen2": false}

// permuteRows reorders the rows of b [out, r] as convert_hf_to_gguf.py's
// permute(W, nHead, …): per group of out/nHead rows (one head), GGUF row 2j+t is HF row
// t·half+j for j < half = out/nHead/2, t ∈ {0, 1}. Errors: out not a multiple of 2·nHead.
func permuteRows(b []float32, out, r, nHead int) error {
	if nHead <= 0 || out%(2*nHead) != 0 {
		return fmt.Errorf("%d rows cannot be split into %d heads of adjacent RoPE pairs", out, nHead)
	}
	hd := out / nHead
	half := hd / 2
	src := append([]float32(nil), b[:out*r]...)
	for h := range nHead {
		for j := range half {
			for t := range 2 {
				dst, from := h*hd+2*j+t, h*hd+t*half+j
				copy(b[dst*r:(dst+1)*r], src[from*r:(from+1)*r])
			}
		}
	}
	return nil
}
