package lora

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"strings"

	"github.com/llmls/llmls/decoder/gguf"
	"github.com/llmls/llmls/kernels/cpu"
)

// llama.cpp GGUF LoRA adapters (src/llama-adapter.cpp llama_adapter_lora_init, written by
// convert_lora_to_gguf.py): general.type "adapter", adapter.type "lora", adapter.lora.alpha,
// and for each adapted weight W two tensors "W.lora_a" (dims [in, rank]) and "W.lora_b"
// (dims [rank, out]).
const (
	keyGeneralType  = "general.type"
	keyArchitecture = "general.architecture"
	keyAdapterType  = "adapter.type"
	keyLoRAAlpha    = "adapter.lora.alpha"
	keyALoRATokens  = "adapter.alora.invocation_tokens"
	keyBaseName     = "general.basename"
	keyName         = "general.name"
)

// readGGUF reads the GGUF adapter at path; the tensor data is copied out, the file closed.
func readGGUF(path string) (*Adapter, error) {
	f, err := gguf.Open(path)
	if err != nil {
		var pe *fs.PathError // a missing or unreadable file: pass it on as it is
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("lora: %w", err)
		}
		return nil, &Error{File: path, Offset: -1, Msg: "not a readable GGUF file", Kind: ErrFormat, Err: err}
	}
	defer f.Close()
	return adapterFromGGUF(f)
}

// adapterFromGGUF reads a parsed GGUF adapter file (fuzzed directly through gguf.Parse).
func adapterFromGGUF(f *gguf.File) (*Adapter, error) {
	file := f.Path
	keyErr := func(kind error, key, format string, a ...any) error {
		return &Error{File: file, Key: key, Offset: -1, Msg: fmt.Sprintf(format, a...), Kind: kind}
	}
	typ, err := f.String(keyGeneralType)
	if err != nil || typ != "adapter" {
		return nil, keyErr(ErrFormat, keyGeneralType, "%q, want \"adapter\" (is this a model rather than a LoRA adapter?)", typ)
	}
	if at, err := f.String(keyAdapterType); err != nil || at != "lora" {
		return nil, keyErr(ErrUnsupported, keyAdapterType, "%q, want \"lora\"", at)
	}
	arch, err := f.String(keyArchitecture)
	if err != nil || arch == "" {
		return nil, keyErr(ErrFormat, keyArchitecture, "missing")
	}
	if _, ok := f.Lookup(keyALoRATokens); ok {
		return nil, keyErr(ErrUnsupported, keyALoRATokens, "activated LoRA (aLoRA) adapters")
	}
	var alpha float32 // absent: 0, as llama.cpp (scale = user scale)
	if _, ok := f.Lookup(keyLoRAAlpha); ok {
		v, err := f.Float(keyLoRAAlpha)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, keyErr(ErrFormat, keyLoRAAlpha, "want a finite number")
		}
		alpha = float32(v)
	}
	a := &Adapter{Info: Info{Format: FormatGGUF, Arch: arch, Alpha: alpha}}
	if s, err := f.String(keyBaseName); err == nil {
		a.BaseModel = s
	} else if s, err := f.String(keyName); err == nil {
		a.BaseModel = s
	}

	type half struct{ a, b *gguf.TensorInfo }
	halves := map[string]*half{}
	var order []string
	for _, t := range f.Tensors {
		base, isA := strings.CutSuffix(t.Name, ".lora_a")
		if !isA {
			var isB bool
			if base, isB = strings.CutSuffix(t.Name, ".lora_b"); !isB {
				if strings.HasSuffix(t.Name, "_norm.weight") {
					continue // llama.cpp skips these (mergekit-extract-lora writes them)
				}
				return nil, formatErr(file, t.Name, "not a .lora_a / .lora_b tensor")
			}
		}
		h := halves[base]
		if h == nil {
			h = &half{}
			halves[base] = h
			order = append(order, base)
		}
		slot := &h.b
		if isA {
			slot = &h.a
		}
		if *slot != nil {
			return nil, formatErr(file, t.Name, "listed twice")
		}
		*slot = t
	}
	for _, base := range order {
		h := halves[base]
		if h.a == nil || h.b == nil {
			present := h.a
			if present == nil {
				present = h.b
			}
			return nil, formatErr(file, present.Name, "the other half (.lora_a / .lora_b) is missing")
		}
		tgt, ok := parseGGUFTarget(base)
		if !ok {
			if base == "token_embd.weight" {
				return nil, unsupportedErr(file, h.a.Name, "LoRA on token embeddings")
			}
			return nil, unsupportedErr(file, h.a.Name, "unknown target %s (llmls adapts attn_q, attn_k, attn_v, attn_output, ffn_gate, ffn_up, ffn_down of blk.N, and output)", base)
		}
		in, rank, ok1 := matrixDims(h.a)
		rankB, out, ok2 := matrixDims(h.b)
		if !ok1 || !ok2 {
			return nil, formatErr(file, h.a.Name, "lora_a %v and lora_b %v must be matrices", h.a.Dims, h.b.Dims)
		}
		if rank != rankB {
			// llama.cpp: "lora_a tensor is not transposed".
			return nil, formatErr(file, h.b.Name, "lora_b dims %v do not continue lora_a dims %v (want [%d, out]; is lora_a transposed?)", h.b.Dims, h.a.Dims, rank)
		}
		av, err := dequantize(file, h.a)
		if err != nil {
			return nil, err
		}
		bv, err := dequantize(file, h.b)
		if err != nil {
			return nil, err
		}
		p, err := newPair(file, tgt, h.a.Name, h.b.Name, rank, in, out, av, bv, alpha, false)
		if err != nil {
			return nil, err
		}
		if alpha == 0 {
			p.Scale = 1
		}
		a.Pairs = append(a.Pairs, p)
	}
	if len(a.Pairs) == 0 {
		return nil, formatErr(file, "", "no .lora_a / .lora_b tensors")
	}
	if err := sortPairs(file, a.Pairs); err != nil {
		return nil, err
	}
	a.Path = file
	return a, nil
}

// matrixDims returns the GGUF dims [ne0, ne1] of a 2-D tensor (trailing dims of 1 allowed).
func matrixDims(t *gguf.TensorInfo) (ne0, ne1 int, ok bool) {
	dims := t.Dims
	for len(dims) > 2 && dims[len(dims)-1] == 1 {
		dims = dims[:len(dims)-1]
	}
	if len(dims) == 1 {
		dims = []int64{dims[0], 1}
	}
	if len(dims) != 2 || dims[0] <= 0 || dims[1] <= 0 || dims[0] > 1<<30 || dims[1] > 1<<30 {
		return 0, 0, false
	}
	return int(dims[0]), int(dims[1]), true
}

// dequantize converts a tensor of any type kernels/cpu decodes (F32, F16, BF16, Q8_0, …) to
// float32.
func dequantize(file string, t *gguf.TensorInfo) ([]float32, error) {
	n := t.Elements()
	if n <= 0 || n > 1<<31 {
		return nil, formatErr(file, t.Name, "%d elements", n)
	}
	out := make([]float32, n)
	if err := cpu.Dequantize(t.Type, out, t.Data); err != nil {
		return nil, unsupportedErr(file, t.Name, "tensor type %v: %v", t.Type, err)
	}
	return out, nil
}
