package decoder

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"

	"github.com/llmls/llmls/decoder/sample"
	"github.com/llmls/llmls/kernels"
)

// Defaults of ModelDrafterOptions.
const (
	// DefaultDraftMinProb ends a draft at a token the draft model gives less than this
	// probability: such a token is likely rejected, and the tokens after it more so.
	// (llama.cpp's speculative p_min is 0.75 over a top-10 distribution; 0.5 over the whole
	// vocabulary drafts a little further.)
	DefaultDraftMinProb = 0.5
)

// ErrVocabMismatch is wrapped by NewModelDrafter's error when the draft model's vocabulary
// is not the target's.
var ErrVocabMismatch = errors.New("vocabularies differ")

// maxVocabDiff is the most tokens by which the two vocabularies may differ in size (the
// tail of a padded embedding matrix: Qwen2.5 0.5B has 151936 rows, 7B 152064), as in
// llama.cpp's common/speculative.cpp (SPEC_VOCAB_MAX_SIZE_DIFFERENCE).
const maxVocabDiff = 128

// ModelDrafterOptions configure NewModelDrafter. The zero value is usable.
type ModelDrafterOptions struct {
	// ContextLength is the draft session's KV cache size in tokens (0: as SessionOptions).
	// A sequence longer than that is drafted from its recent tokens only.
	ContextLength int
	// KVType is the draft session's KV cache type (see SessionOptions).
	KVType kernels.DType
	// MinProb ends a draft at a position where the draft's most likely token has a
	// probability below it: the softmax of the draft's logits for a greedy request, the
	// largest q when sampling. The decision depends on q only, never on the token drawn,
	// so a drafted token is still distributed as q (as the rejection rule requires). 0 means
	// DefaultDraftMinProb; a negative value never ends a draft early.
	MinProb float32
}

// ModelDrafter is a [Drafter] that runs a smaller model with the target's vocabulary (e.g.
// Qwen2.5-Coder-0.5B for the 1.5B or 7B, the embedded draft for the embedded base). It keeps
// its own session, synchronized with the sequence at each Draft by prefix reuse, and rolled
// back to the accepted tokens by Accept. Greedy requests draft the argmax (a point mass);
// sampling requests draw from the draft's distribution with the request's parameters.
type ModelDrafter struct {
	sess    *Session
	name    string
	nVocab  int // the target's: a drafted id must be a valid target token
	minProb float32

	held  int              // session tokens before the last draft's own tokens
	drawn int              // tokens of the last draft
	dists [][]sample.Token // per draft position: sampling scratch, then the reported q
}

// NewModelDrafter checks that draft can draft for target and creates its session. The
// vocabularies must match as llama.cpp's common_speculative_are_compatible requires: same
// tokenizer model, same BOS/EOS and add-BOS flag, sizes within 128 tokens and the same token
// text for every id both have; a model without a tokenizer is compared by vocabulary size
// alone. Errors: ErrVocabMismatch (wrapped, saying which token or field differs), or those of
// NewSession.
func NewModelDrafter(target, draft *Model, opts ModelDrafterOptions) (*ModelDrafter, error) {
	if err := CheckDraftVocab(target, draft); err != nil {
		return nil, err
	}
	sess, err := draft.NewSession(SessionOptions{ContextLength: opts.ContextLength, KVType: opts.KVType})
	if err != nil {
		return nil, err
	}
	minProb := opts.MinProb
	if minProb == 0 {
		minProb = DefaultDraftMinProb
	}
	name := "draft"
	if draft.File != nil && draft.File.Path != "" {
		name = "draft:" + filepath.Base(draft.File.Path)
	}
	return &ModelDrafter{sess: sess, name: name, nVocab: target.Config.NVocab, minProb: minProb}, nil
}

// CheckDraftVocab returns nil when draft's token ids mean what target's do (see
// NewModelDrafter), else an error wrapping ErrVocabMismatch.
func CheckDraftVocab(target, draft *Model) error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("decoder: draft model %s for %s: %w: %s", modelName(draft), modelName(target), ErrVocabMismatch, fmt.Sprintf(format, args...))
	}
	tt, dt := target.Tokenizer, draft.Tokenizer
	if tt == nil || dt == nil {
		if tt != dt {
			return fail("one model has a tokenizer, the other none")
		}
		if target.Config.NVocab != draft.Config.NVocab {
			return fail("%d tokens, target %d", draft.Config.NVocab, target.Config.NVocab)
		}
		return nil
	}
	switch {
	case tt.Model() != dt.Model():
		return fail("tokenizer model %q, target %q", dt.Model(), tt.Model())
	case tt.AddBOS() != dt.AddBOS():
		return fail("add_bos_token %v, target %v", dt.AddBOS(), tt.AddBOS())
	case tt.AddBOS() && tt.BOS() != dt.BOS():
		return fail("BOS %d, target %d", dt.BOS(), tt.BOS())
	case tt.EOS() != dt.EOS():
		return fail("EOS %d, target %d", dt.EOS(), tt.EOS())
	}
	nt, nd := tt.VocabSize(), dt.VocabSize()
	if nt-nd > maxVocabDiff || nd-nt > maxVocabDiff {
		return fail("%d tokens, target %d (at most %d apart)", nd, nt, maxVocabDiff)
	}
	for id := range int32(min(nt, nd)) {
		if a, b := tt.Text(id), dt.Text(id); a != b {
			return fail("token %d is %q, target's is %q", id, b, a)
		}
	}
	return nil
}

func modelName(m *Model) string {
	if m.File != nil && m.File.Path != "" {
		return m.File.Path
	}
	return "(in memory)"
}

// Name implements Drafter: "draft:" and the draft model's file name.
func (d *ModelDrafter) Name() string { return d.name }

// Session returns the draft model's session.
func (d *ModelDrafter) Session() *Session { return d.sess }

// Draft implements Drafter: it prefills seq (reusing the session's common prefix; see
// window for a sequence that does not fit), then chooses up to max tokens one forward pass
// each, stopping where the draft's top probability is below MinProb. Ids past the target's
// vocabulary (a padded draft embedding) are never proposed.
func (d *ModelDrafter) Draft(ctx context.Context, seq []int32, max int, sp sample.Params, rng *rand.Rand) (Draft, error) {
	d.drawn = 0
	max = min(max, d.reserve())
	seq = d.window(seq)
	if len(seq) == 0 || max < 1 {
		return Draft{}, nil
	}
	if _, err := d.sess.Prefill(ctx, seq); err != nil {
		return Draft{}, err
	}
	d.held = d.sess.Len()
	for len(d.dists) < max {
		d.dists = append(d.dists, nil)
	}
	var out Draft
	logits := d.sess.Logits()
	for i := range max {
		// Only ids the target has: a larger draft vocabulary's tail is never proposed.
		logits = logits[:min(len(logits), d.nVocab)]
		var id int32
		var top float32 // the largest probability of the draft's distribution
		if sp.Temperature <= 0 {
			id = sample.Argmax(logits)
			if d.minProb > 0 {
				top = softmaxAt(logits, id)
			}
		} else {
			var q []sample.Token
			q, d.dists[i] = sample.Distribution(logits, sp, d.dists[i])
			top = q[0].Prob // candidates come in descending order
			if top >= d.minProb {
				id = sample.Pick(q, rng)
				out.Probs = append(out.Probs, q)
			}
		}
		if top < d.minProb {
			break
		}
		out.Tokens = append(out.Tokens, id)
		if i == max-1 {
			break
		}
		var err error
		if logits, err = d.sess.Eval(ctx, []int32{id}); err != nil {
			return Draft{}, err
		}
	}
	d.drawn = len(out.Tokens)
	return out, nil
}

// Prepare implements Preparer: it evaluates prompt in the draft session (what the first Draft
// would do), so that Generate counts it as prompt evaluation.
func (d *ModelDrafter) Prepare(ctx context.Context, prompt []int32) error {
	d.drawn = 0
	if seq := d.window(prompt); len(seq) > 0 {
		_, err := d.sess.Prefill(ctx, seq)
		return err
	}
	return nil
}

// reserve is the room kept free in the draft session for the drafted tokens: a quarter of its
// context (drafts are longer only with a context of under 64 tokens).
func (d *ModelDrafter) reserve() int { return max(1, d.sess.Cap()/4) }

// window returns the recent part of seq that the draft session evaluates: all of it when it
// fits with reserve() tokens to spare, else its tail, cut at a multiple of reserve() tokens so
// that the cut moves rarely and prefix reuse keeps working between passes. The draft then
// sees less context than the target, which costs acceptance, never correctness.
func (d *ModelDrafter) window(seq []int32) []int32 {
	step := d.reserve()
	over := len(seq) + step - d.sess.Cap()
	if over <= 0 {
		return seq
	}
	cut := (over + step - 1) / step * step
	if cut >= len(seq) {
		return nil
	}
	return seq[cut:]
}

// Accept implements Drafter: the session keeps the sequence and the n accepted tokens (those
// of them it evaluated: the last drafted token never is).
func (d *ModelDrafter) Accept(n int) {
	keep := d.held + min(n, d.drawn-1)
	if keep < d.sess.Len() {
		_ = d.sess.Truncate(keep) // within [0, Len()]: cannot fail
	}
}

// softmaxAt returns the softmax probability of logits[id] over all of logits.
func softmaxAt(logits []float32, id int32) float32 {
	mx := logits[id]
	for _, v := range logits {
		mx = max(mx, v)
	}
	var sum float64
	for _, v := range logits {
		sum += math.Exp(float64(v - mx))
	}
	return float32(math.Exp(float64(logits[id]-mx)) / sum)
}
