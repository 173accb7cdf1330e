package decoder

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/llmls/llmls/decoder/sample"
)

// GenerateOptions configure Session.Generate. The zero value generates greedily until an
// end-of-generation token or the end of the context.
type GenerateOptions struct {
	// MaxTokens caps the generated tokens; <= 0 means no cap.
	MaxTokens int
	// Sampling selects greedy (the zero value) or random sampling.
	Sampling sample.Params
	// Rand is the random source of non-greedy sampling; nil means a PCG seeded with 0, so
	// runs are reproducible unless the caller passes its own.
	Rand *rand.Rand
	// StopTokens end generation like the model's end-of-generation tokens; neither is returned.
	StopTokens []int32
	// Stop, when set, is called after each generated token with all tokens generated so far;
	// true ends generation (the token is kept). For stop strings, stop at a syntactic end, …
	Stop func(generated []int32) bool
	// OnToken, when set, receives each generated token as it is chosen (streaming); an error
	// ends generation and is returned.
	OnToken func(id int32) error
	// ShiftContext chooses what happens when the KV cache is full: false ends generation
	// with StopContextFull; true drops the older half of the tokens after the first Keep and
	// re-evaluates the rest (positions are cache cells, so the kept tail is evaluated again
	// at its new positions: correct, and costs one prompt evaluation per shift).
	ShiftContext bool
	// Keep is the number of leading tokens (e.g. a system prompt) a context shift keeps.
	Keep int
	// Speculative, when set, turns speculative decoding on: its drafters propose tokens that
	// the target verifies several at a time in one forward pass. The output is the same as
	// without it: token for token when greedy, in distribution when sampling (same Rand, other
	// draws). nil: one forward pass per token.
	Speculative *Speculator
}

// StopReason says why generation ended.
type StopReason int

// Stop reasons.
const (
	StopEOG         StopReason = iota // an end-of-generation token of the model
	StopToken                         // one of GenerateOptions.StopTokens
	StopPredicate                     // GenerateOptions.Stop returned true
	StopMaxTokens                     // GenerateOptions.MaxTokens reached
	StopContextFull                   // the KV cache is full and ShiftContext is off
)

func (r StopReason) String() string {
	switch r {
	case StopEOG:
		return "end of generation"
	case StopToken:
		return "stop token"
	case StopPredicate:
		return "stop predicate"
	case StopMaxTokens:
		return "max tokens"
	case StopContextFull:
		return "context full"
	}
	return fmt.Sprintf("StopReason(%d)", int(r))
}

// Stats are the counts and timings of one Generate call.
type Stats struct {
	PromptTokens int     // tokens in the prompt
	Reused       int     // prompt tokens whose KV cache entries were reused (prefix reuse)
	Evaluated    int     // prompt tokens evaluated (PromptTokens − Reused, plus context shifts)
	Generated    int     // tokens generated (returned)
	PromptMS     float64 // wall time of prompt evaluation, ms
	GenerateMS   float64 // wall time from the first sampled token to the end, ms

	// Passes counts the target's forward passes that chose generated tokens: the prompt's
	// last micro-batch, then one per decoding step or speculative verification. Without
	// speculation Generated ≤ Passes; TokensPerPass is the speed-up in passes.
	Passes int
	// Drafted counts the draft tokens the target verified; Accepted those it accepted.
	Drafted, Accepted int
	// DraftedAt[i] counts the drafts with a token at position i (0-based), AcceptedAt[i] those
	// whose tokens [0, i] were all accepted: AcceptedAt[i]/DraftedAt[i] is the acceptance
	// rate at position i ([Stats.AcceptanceAt]).
	DraftedAt, AcceptedAt []int
	// DraftMS is the wall time spent drafting, ms (part of GenerateMS).
	DraftMS float64
	// Drafters has one entry per drafter that was asked for a draft, in order of first use.
	Drafters []DrafterStats
}

// DrafterStats are the counts of one drafter in one Generate call.
type DrafterStats struct {
	Name     string  // Drafter.Name
	Drafts   int     // non-empty drafts verified
	Drafted  int     // tokens drafted and verified
	Accepted int     // of which accepted
	MS       float64 // wall time in Drafter.Draft, empty drafts included, ms
}

// PromptTokensPerSecond returns Evaluated / PromptMS in tokens/s (0 without a measurement).
func (s Stats) PromptTokensPerSecond() float64 { return perSecond(s.Evaluated, s.PromptMS) }

// GenerateTokensPerSecond returns Generated / GenerateMS in tokens/s (0 without a measurement).
func (s Stats) GenerateTokensPerSecond() float64 { return perSecond(s.Generated, s.GenerateMS) }

// AcceptanceRate returns Accepted / Drafted (0 when nothing was drafted).
func (s Stats) AcceptanceRate() float64 { return ratio(s.Accepted, s.Drafted) }

// AcceptanceAt returns AcceptedAt[i] / DraftedAt[i]: the fraction of drafts reaching position
// i whose tokens [0, i] were all accepted (0 when none reached it).
func (s Stats) AcceptanceAt(i int) float64 {
	if i < 0 || i >= len(s.DraftedAt) {
		return 0
	}
	return ratio(s.AcceptedAt[i], s.DraftedAt[i])
}

// TokensPerPass returns Generated / Passes (0 without passes).
func (s Stats) TokensPerPass() float64 { return ratio(s.Generated, s.Passes) }

// drafter returns the entry of the drafter called name, adding it.
func (s *Stats) drafter(name string) *DrafterStats {
	for i := range s.Drafters {
		if s.Drafters[i].Name == name {
			return &s.Drafters[i]
		}
	}
	s.Drafters = append(s.Drafters, DrafterStats{Name: name})
	return &s.Drafters[len(s.Drafters)-1]
}

// verified records a pass that verified k drafted tokens of drafter d and accepted n.
func (s *Stats) verified(d Drafter, k, n int) {
	if d == nil {
		return
	}
	s.Drafted += k
	s.Accepted += n
	for len(s.DraftedAt) < k {
		s.DraftedAt = append(s.DraftedAt, 0)
		s.AcceptedAt = append(s.AcceptedAt, 0)
	}
	for i := range k {
		s.DraftedAt[i]++
		if i < n {
			s.AcceptedAt[i]++
		}
	}
	ds := s.drafter(d.Name())
	ds.Drafts++
	ds.Drafted += k
	ds.Accepted += n
}

func perSecond(n int, ms float64) float64 {
	if ms <= 0 {
		return 0
	}
	return float64(n) / ms * 1000
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// Result is the outcome of Session.Generate.
type Result struct {
	Tokens []int32 // generated tokens, without the end-of-generation or stop token
	Reason StopReason
	Stats  Stats
}

// Generate prefills prompt (reusing the longest common prefix of the KV cache) and generates
// tokens until a stop condition of opts. Afterwards the session holds prompt and the generated
// tokens that were fed back to the model: all of them but the last, or all of them when an
// end-of-generation or stop token ended generation (so a follow-up prompt that extends the
// output reuses everything). With opts.Speculative the output is the same (see Speculator),
// tokens reach OnToken in order, once each, and the session holds the same tokens.
//
// Errors: those of Prefill and Eval (ctx.Err() on cancellation, checked between forward
// passes and inside long prompts), of a drafter, or the error of opts.OnToken. The Result
// holds what was generated before the error.
func (s *Session) Generate(ctx context.Context, prompt []int32, opts GenerateOptions) (res Result, err error) {
	res.Stats.PromptTokens = len(prompt)
	start := time.Now()
	reused, err := s.Prefill(ctx, prompt)
	res.Stats.Reused, res.Stats.Evaluated = reused, len(prompt)-reused
	if err == nil && opts.Speculative != nil {
		err = opts.Speculative.prepare(ctx, prompt)
	}
	res.Stats.PromptMS = msSince(start)
	if err != nil {
		return res, err
	}
	g := generator{s: s, opts: &opts, res: &res, rng: opts.Rand, spec: opts.Speculative}
	if g.rng == nil {
		g.rng = rand.New(rand.NewPCG(0, 0))
	}
	genStart := time.Now()
	defer func() { res.Stats.GenerateMS = msSince(genStart) }()
	return res, g.run(ctx)
}

// generator is the state of one Generate call.
type generator struct {
	s    *Session
	opts *GenerateOptions
	res  *Result
	rng  *rand.Rand
	spec *Speculator    // nil: no speculation
	buf  []sample.Token // sampling scratch
	all  []float32      // [1+k, NVocab] logits of a verification pass, reused
	seq  []int32        // scratch: the session's tokens and the last chosen one, for drafters
}

// run is the decoding loop. Each pass feeds the target the last chosen token followed by a
// draft (none without speculation); the logits of the pass decide which draft tokens are
// accepted and give one token of the target's own; the tokens are emitted in order and the
// KV cache is rolled back past the rejected ones. The first "pass" is the prompt's.
func (g *generator) run(ctx context.Context) error {
	s, st := g.s, &g.res.Stats
	rows := [][]float32{s.Logits()}
	var draft Draft
	from := -1 // index of the drafter of draft, −1: none
	st.Passes = 1
	var passStart time.Time // zero: the prompt's pass, not measured
	for {
		// Verify: the accepted prefix of the draft, then the target's own token.
		k := len(draft.Tokens)
		ids, n := g.verify(rows, draft)
		if !passStart.IsZero() {
			g.passed(from, k, n, msSince(passStart))
		}
		if g.spec != nil {
			if from >= 0 {
				g.spec.drafters[from].Accept(n)
			}
			g.spec.shadowed(ids[0])
		}
		// Emit in order. A stop drops the rest of the pass; the session keeps what a plain
		// decoding would have fed: the tokens before the stopping one.
		for j, id := range ids {
			done, err := g.emit(id)
			if done || err != nil {
				return errors.Join(err, s.Truncate(s.Len()-k+j))
			}
		}
		// Roll back: keep the last chosen token and the accepted draft tokens.
		if err := s.Truncate(s.Len() - k + n); err != nil {
			return err
		}
		last := ids[len(ids)-1]

		if err := ctx.Err(); err != nil {
			return err
		}
		if s.Len() == s.Cap() {
			if !g.opts.ShiftContext {
				g.res.Reason = StopContextFull
				return nil
			}
			n, err := s.shiftContext(ctx, g.opts.Keep)
			st.Evaluated += n
			if err != nil {
				return err
			}
		}
		// Draft: at most the tokens that fit in the context and under MaxTokens, counting the
		// target's own token of the pass.
		draft, from = Draft{}, -1
		if g.spec != nil {
			budget := s.Cap() - s.Len() - 1
			if g.opts.MaxTokens > 0 {
				budget = min(budget, g.opts.MaxTokens-len(g.res.Tokens)-1)
			}
			g.seq = append(append(g.seq[:0], s.tokens...), last)
			var err error
			if draft, from, err = g.spec.draft(ctx, g.seq, budget, g.opts.Sampling, g.rng, st); err != nil {
				return err
			}
		}
		// One forward pass over the last token and the draft.
		passStart = time.Now()
		var err error
		if rows, err = g.pass(ctx, last, draft.Tokens); err != nil {
			return err
		}
		st.Passes++
	}
}

// passed feeds the measurements of a pass to the speculator's policy and to Stats.
func (g *generator) passed(from, k, n int, ms float64) {
	var d Drafter
	if from >= 0 {
		d = g.spec.drafters[from]
	}
	g.res.Stats.verified(d, k, n)
	if g.spec != nil {
		g.spec.pol.passed(from, k, n, ms)
	}
}

// pass evaluates last followed by draft and returns the logits after each of them,
// [1+len(draft)][NVocab]. Without a draft it is a plain decoding step. On an error the
// session is rolled back to hold no token of the pass (a partial pass would leave unverified
// draft tokens in the KV cache).
func (g *generator) pass(ctx context.Context, last int32, draft []int32) ([][]float32, error) {
	s := g.s
	if len(draft) == 0 {
		logits, err := s.Eval(ctx, []int32{last})
		return [][]float32{logits}, err
	}
	held := s.Len()
	tokens := append([]int32{last}, draft...)
	v := s.m.Config.NVocab
	if cap(g.all) < len(tokens)*v {
		g.all = make([]float32, len(tokens)*v)
	}
	all := g.all[:len(tokens)*v]
	if err := s.eval(ctx, tokens, all); err != nil {
		return nil, errors.Join(err, s.Truncate(min(held, s.Len())))
	}
	rows := make([][]float32, len(tokens))
	for i := range rows {
		rows[i] = all[i*v : (i+1)*v : (i+1)*v]
	}
	return rows, nil
}

// emit appends id to the output and reports whether generation ends with it; an
// end-of-generation or stop token ends it without being emitted.
func (g *generator) emit(id int32) (done bool, err error) {
	res, opts := g.res, g.opts
	if g.s.m.IsEOG(id) {
		res.Reason = StopEOG
		return true, nil
	}
	if slices.Contains(opts.StopTokens, id) {
		res.Reason = StopToken
		return true, nil
	}
	res.Tokens = append(res.Tokens, id)
	res.Stats.Generated = len(res.Tokens)
	if opts.OnToken != nil {
		if err := opts.OnToken(id); err != nil {
			return true, err
		}
	}
	if opts.Stop != nil && opts.Stop(res.Tokens) {
		res.Reason = StopPredicate
		return true, nil
	}
	if opts.MaxTokens > 0 && len(res.Tokens) >= opts.MaxTokens {
		res.Reason = StopMaxTokens // don't evaluate a token nobody will read
		return true, nil
	}
	return false, nil
}

// shiftContext frees half of the cells after the first keep tokens by dropping the oldest
// ones, and re-evaluates the tokens that move. It returns the number of tokens evaluated.
func (s *Session) shiftContext(ctx context.Context, keep int) (int, error) {
	held := s.Tokens()
	keep = min(max(keep, 0), len(held)-1)
	drop := (len(held) - keep) / 2
	if drop == 0 {
		return 0, errors.New("decoder: context shift: nothing to drop (context too small for keep)")
	}
	shifted := append(held[:keep:keep], held[keep+drop:]...)
	reused, err := s.Prefill(ctx, shifted)
	return len(shifted) - reused, err
}

func msSince(t time.Time) float64 { return float64(time.Since(t).Microseconds()) / 1000 }
