package completion

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/llmls/llmls/decoder"
	"github.com/llmls/llmls/decoder/sample"
	"github.com/llmls/llmls/tokenizer"
)

// LocalBackend generates with llmls's own decoder: one model, one session whose KV cache is
// reused between requests (prefix reuse: a prompt that shares its start with the previous
// one evaluates only the rest).
type LocalBackend struct {
	model    *decoder.Model
	sess     *decoder.Session
	tok      *tokenizer.Tokenizer
	name     string
	order    Order
	hasOrder bool
}

// LocalOptions configure NewLocalBackend.
type LocalOptions struct {
	// ContextLength caps the KV cache (tokens); 0: the model's trained context, at most
	// decoder.DefaultContextLength.
	ContextLength int
}

// NewLocalBackend wraps a loaded model. The backend owns the model and closes it.
// It returns an error when the model has no usable tokenizer.
func NewLocalBackend(m *decoder.Model, name string, opts LocalOptions) (*LocalBackend, error) {
	if m.Tokenizer == nil {
		return nil, fmt.Errorf("completion: model %s has no usable tokenizer: %v", name, m.TokenizerErr)
	}
	sess, err := m.NewSession(decoder.SessionOptions{ContextLength: opts.ContextLength})
	if err != nil {
		return nil, err
	}
	b := &LocalBackend{model: m, sess: sess, tok: m.Tokenizer, name: name}
	if m.File != nil {
		if s, err := m.File.String("llmls.fim.order"); err == nil {
			switch strings.ToLower(s) {
			case "spm":
				b.order, b.hasOrder = SPM, true
			case "psm":
				b.order, b.hasOrder = PSM, true
			}
		}
	}
	return b, nil
}

// NativeOrder reports the FIM order the model's file asks for (key llmls.fim.order).
func (b *LocalBackend) NativeOrder() (Order, bool) { return b.order, b.hasOrder }

// Model returns the decoder model.
func (b *LocalBackend) Model() *decoder.Model { return b.model }

// Generate implements Backend.
func (b *LocalBackend) Generate(ctx context.Context, req GenRequest, emit func(string) bool) (GenStats, error) {
	dec := b.tok.NewStreamDecoder()
	stopped := false
	opts := decoder.GenerateOptions{
		MaxTokens:  req.MaxTokens,
		StopTokens: req.StopIDs,
		Stop:       func([]int32) bool { return stopped },
		OnToken: func(id int32) error {
			if piece := dec.Add(id); piece != "" && !emit(piece) {
				stopped = true
			}
			return nil
		},
	}
	if req.Temperature > 0 {
		opts.Sampling = sample.Params{Temperature: req.Temperature, TopP: req.TopP, TopK: 40, MinP: 0.05}
		opts.Rand = rand.New(rand.NewPCG(req.Seed, 0x6c6c6d6c73))
	}
	// Leave room for the completion: a prompt that fills the context is cut at its start.
	prompt := req.Prompt.Tokens
	if room := b.sess.Cap() - req.MaxTokens - 1; len(prompt) > room && room > 0 {
		prompt = prompt[len(prompt)-room:]
	}
	res, err := b.sess.Generate(ctx, prompt, opts)
	if tail := dec.Flush(); tail != "" && err == nil && !stopped {
		emit(tail)
	}
	st := res.Stats
	return GenStats{
		PromptTokens: st.PromptTokens, ReusedTokens: st.Reused, EvaluatedTokens: st.Evaluated,
		GeneratedTokens: st.Generated, PromptMs: st.PromptMS, TotalMs: st.PromptMS + st.GenerateMS,
	}, err
}

// Vocab implements Backend.
func (b *LocalBackend) Vocab() Vocab { return b.tok }

// ContextLength implements Backend.
func (b *LocalBackend) ContextLength() int { return b.sess.Cap() }

// Name implements Backend.
func (b *LocalBackend) Name() string { return b.name }

// Close implements Backend.
func (b *LocalBackend) Close() error { return b.model.Close() }
