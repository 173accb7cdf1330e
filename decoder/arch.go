package decoder

import (
	"context"
	"slices"
	"strings"
)

// architecture is one row of the table of supported architectures: what differs between
// them, and the forward pass that runs them. Each lives in its own file (llama.go, qwen2.go).
type architecture struct {
	name string   // general.architecture
	rope RopeType // how RoPE pairs dimensions (llama.cpp llama_model_rope_type)
	// qkvBias says whether attn_{q,k,v}.bias must be present (required) or may be
	// (optional); attn_output.bias is always optional.
	qkvBias need
	// forward evaluates one micro-batch; see batch.
	forward func(ctx context.Context, s *Session, b *batch) error
}

// need says whether a tensor must be present.
type need int

const (
	optional need = iota
	required
)

// architectures is the table of supported architectures.
var architectures = []*architecture{
	archLlama,
	archQwen2,
}

// lookupArch returns the architecture named name, or nil.
func lookupArch(name string) *architecture {
	for _, a := range architectures {
		if a.name == name {
			return a
		}
	}
	return nil
}

// supportedArchs returns the supported architecture names, comma-separated.
func supportedArchs() string {
	var names []string
	for _, a := range architectures {
		names = append(names, a.name)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// batch is one micro-batch of a forward pass: tokens at positions [pos0, pos0+len(tokens)),
// whose K and V go to the session's KV cache, and the rows whose logits are wanted.
type batch struct {
	tokens  []int32   // [n] token ids, each in [0, NVocab)
	pos0    int       // position (= KV cache cell) of tokens[0]
	outputs []int     // ascending rows of the batch whose logits are wanted
	logits  []float32 // [len(outputs), NVocab] destination of those logits
}
