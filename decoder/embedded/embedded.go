// Package embedded holds the default models built into llmls, so that it completes code out of
// the box, offline, with nothing to download: a small Go code model (base) trained by this
// project (train/, see its README for data, shapes and evaluation) in Qwen2.5-Coder's
// conventions — qwen2 architecture, byte-level BPE with the qwen2 pre-tokenizer and Qwen's FIM
// tokens — quantized to Q8_0, and its draft model for speculative decoding. The files are the GGUF files the training pipeline exports
// (train/out/*-q8_0.gguf), copied here by `make embed`.
package embedded

import (
	_ "embed"
	"fmt"

	"github.com/llmls/llmls/decoder"
	"github.com/llmls/llmls/decoder/gguf"
)

//go:embed base.gguf
var baseGGUF string

//go:embed draft.gguf
var draftGGUF string

// BaseName is the name llmls shows for the embedded base model.
const BaseName = "embedded llmls-go-base (Q8_0)"

// DraftName is the name llmls shows for the embedded draft model.
const DraftName = "embedded llmls-go-draft (Q8_0)"

// Base loads the embedded base model. Each call returns a new Model over one private copy of
// the embedded bytes (a few MB; the copy gives the tensor data the alignment GGUF promises,
// which the read-only data of the binary does not guarantee).
func Base(opts ...decoder.Option) (*decoder.Model, error) {
	return load(baseGGUF, "embedded:base.gguf", opts)
}

// Draft loads the embedded draft model: a smaller model (2 layers, dim 128) with the base
// model's vocabulary, trained on the same data, for speculative decoding with Base as the
// target (decoder.NewModelDrafter). Each call returns a new Model, as Base does.
func Draft(opts ...decoder.Option) (*decoder.Model, error) {
	return load(draftGGUF, "embedded:draft.gguf", opts)
}

func load(data, name string, opts []decoder.Option) (*decoder.Model, error) {
	buf := alignedCopy(data)
	f, err := gguf.Parse(buf, name)
	if err != nil {
		return nil, fmt.Errorf("embedded model: %w", err)
	}
	return decoder.LoadFile(f, opts...)
}

// alignedCopy copies s into a buffer whose start is 64-byte aligned.
func alignedCopy(s string) []byte {
	const align = 64
	raw := make([]byte, len(s)+align)
	off := 0
	for uintptrOf(raw[off:])%align != 0 {
		off++
	}
	buf := raw[off : off+len(s) : off+len(s)]
	copy(buf, s)
	return buf
}
