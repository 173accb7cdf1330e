package completion

import (
	"context"
	"errors"
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
//
// LoRA adapters (LoadLoRA) are loaded once and applied unmerged: each request activates the
// adapters whose settings match its document (GenRequest.LanguageID, URI). A change of the
// active set empties the session's KV cache (decoder.Session.SetAdapters: its entries were
// computed with other weights), so prefix reuse never crosses adapter sets; the same set
// again keeps it. One session serves all sets: prompts of different documents share little
// prefix anyway, and a session per set would hold a KV cache each.
//
// Speculative decoding (LocalOptions.Lookup, Draft) is lossless: greedy requests produce the
// tokens they would without it, sampled ones the same distribution.
type LocalBackend struct {
	model    *decoder.Model
	sess     *decoder.Session
	tok      *tokenizer.Tokenizer
	name     string
	order    Order
	hasOrder bool

	adapters []localAdapter      // loaded LoRA adapters, in Settings.LoRA order
	spec     *decoder.Speculator // nil: no speculative decoding
	draft    *decoder.Model      // the draft model of spec, or nil; owned
}

// localAdapter is one loaded entry of Settings.LoRA.
type localAdapter struct {
	setting LoRASetting
	adapter *decoder.Adapter
}

// LocalOptions configure NewLocalBackend.
type LocalOptions struct {
	// ContextLength caps the KV cache (tokens); 0: the model's trained context, at most
	// decoder.DefaultContextLength.
	ContextLength int
	// Lookup turns on prompt-lookup speculative decoding (decoder.LookupDrafter).
	Lookup bool
	// Draft is a draft model with the model's vocabulary for speculative decoding
	// (decoder.NewModelDrafter), or nil. The backend owns it and closes it, also when
	// NewLocalBackend fails. With Lookup, lookup is tried first (it is free) and the draft
	// model when lookup has no proposal.
	Draft *decoder.Model
	// MaxDraft caps the tokens drafted per pass; 0: decoder.DefaultMaxDraft.
	MaxDraft int
	// DraftMinProb ends a draft model's draft at a token whose probability is below it
	// (decoder.ModelDrafterOptions.MinProb): 0 means decoder.DefaultDraftMinProb, negative
	// never ends a draft early.
	DraftMinProb float32
}

// NewLocalBackend wraps a loaded model. The backend owns the model and closes it.
// Errors: the model has no usable tokenizer, the KV cache cannot be allocated, the draft
// model's vocabulary differs from the model's (decoder.ErrVocabMismatch, wrapped). On error
// the draft model is closed; the model is the caller's to close.
func NewLocalBackend(m *decoder.Model, name string, opts LocalOptions) (*LocalBackend, error) {
	fail := func(err error) (*LocalBackend, error) {
		if opts.Draft != nil {
			opts.Draft.Close()
		}
		return nil, err
	}
	if m.Tokenizer == nil {
		return fail(fmt.Errorf("completion: model %s has no usable tokenizer: %v", name, m.TokenizerErr))
	}
	sess, err := m.NewSession(decoder.SessionOptions{ContextLength: opts.ContextLength})
	if err != nil {
		return fail(err)
	}
	b := &LocalBackend{model: m, sess: sess, tok: m.Tokenizer, name: name}
	var drafters []decoder.Drafter
	if opts.Lookup {
		drafters = append(drafters, &decoder.LookupDrafter{})
	}
	if opts.Draft != nil {
		d, err := decoder.NewModelDrafter(m, opts.Draft, decoder.ModelDrafterOptions{ContextLength: sess.Cap(), MinProb: opts.DraftMinProb})
		if err != nil {
			return fail(fmt.Errorf("completion: draft model: %w", err))
		}
		drafters = append(drafters, d)
		b.draft = opts.Draft
	}
	if len(drafters) > 0 {
		b.spec = decoder.NewSpeculator(decoder.SpecOptions{MaxDraft: opts.MaxDraft}, drafters...)
	}
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

// LoadLoRA loads the adapters of list onto the model (unmerged; see LocalBackend) in
// addition to those already loaded. Each adapter that fails (bad setting, missing file,
// another base model's adapter, NaN values, ...) is left out and reported as a *LoRAError
// naming its index and path; the errors are joined. The backend stays usable: without the
// failed adapters. Not safe to call while Generate runs.
func (b *LocalBackend) LoadLoRA(list []LoRASetting) error {
	var errs []error
	for i, l := range list {
		err := l.check()
		var ad *decoder.Adapter
		if err == nil {
			ad, err = b.model.LoadAdapter(l.Path)
		}
		if err != nil {
			errs = append(errs, &LoRAError{Index: i, Path: l.Path, Err: err})
			continue
		}
		b.adapters = append(b.adapters, localAdapter{setting: l, adapter: ad})
	}
	return errors.Join(errs...)
}

// Adapters returns the paths of the loaded LoRA adapters that apply to a document with this
// LSP language id and URI, in settings order.
func (b *LocalBackend) Adapters(languageID, uri string) []string {
	var out []string
	for _, la := range b.adapters {
		if la.setting.appliesTo(languageID, uri) {
			out = append(out, la.setting.Path)
		}
	}
	return out
}

// activeFor returns the adapter set of a document (see Adapters).
func (b *LocalBackend) activeFor(languageID, uri string) []decoder.ActiveAdapter {
	var set []decoder.ActiveAdapter
	for _, la := range b.adapters {
		if la.setting.appliesTo(languageID, uri) {
			set = append(set, decoder.ActiveAdapter{Adapter: la.adapter, Scale: la.setting.scale()})
		}
	}
	return set
}

// Speculative reports whether speculative decoding is on, and with which drafters (in order
// of preference: "lookup", "draft:FILE").
func (b *LocalBackend) Speculative() []string {
	if b.spec == nil {
		return nil
	}
	var names []string
	for _, d := range b.spec.Drafters() {
		names = append(names, d.Name())
	}
	return names
}

// NativeOrder reports the FIM order the model's file asks for (key llmls.fim.order).
func (b *LocalBackend) NativeOrder() (Order, bool) { return b.order, b.hasOrder }

// Model returns the decoder model.
func (b *LocalBackend) Model() *decoder.Model { return b.model }

// Generate implements Backend.
func (b *LocalBackend) Generate(ctx context.Context, req GenRequest, emit func(string) bool) (GenStats, error) {
	// A new adapter set empties the KV cache; the same set keeps it (prefix reuse).
	if err := b.sess.SetAdapters(b.activeFor(req.LanguageID, req.URI)); err != nil {
		return GenStats{}, fmt.Errorf("completion: %w", err)
	}
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
		Speculative: b.spec,
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
		Drafted: st.Drafted, Accepted: st.Accepted,
	}, err
}

// Vocab implements Backend.
func (b *LocalBackend) Vocab() Vocab { return b.tok }

// ContextLength implements Backend.
func (b *LocalBackend) ContextLength() int { return b.sess.Cap() }

// Name implements Backend.
func (b *LocalBackend) Name() string { return b.name }

// Close implements Backend: it closes the model and the draft model.
func (b *LocalBackend) Close() error {
	var err error
	if b.draft != nil {
		err = b.draft.Close()
	}
	return errors.Join(b.model.Close(), err)
}
