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
}

// PromptTokensPerSecond returns Evaluated / PromptMS in tokens/s (0 without a measurement).
func (s Stats) PromptTokensPerSecond() float64 { return perSecond(s.Evaluated, s.PromptMS) }

// GenerateTokensPerSecond returns Generated / GenerateMS in tokens/s (0 without a measurement).
func (s Stats) GenerateTokensPerSecond() float64 { return perSecond(s.Generated, s.GenerateMS) }

func perSecond(n int, ms float64) float64 {
	if ms <= 0 {
		return 0
	}
	return float64(n) / ms * 1000
}

// Result is the outcome of Session.Generate.
type Result struct {
	Tokens []int32 // generated tokens, without the end-of-generation or stop token
	Reason StopReason
	Stats  Stats
}

// Generate prefills prompt (reusing the longest common prefix of the KV cache) and generates
// tokens until a stop condition of opts. Afterwards the session holds prompt and all generated
// tokens but the last (which was never evaluated), so a follow-up prompt that extends the
// output reuses everything.
//
// Errors: those of Prefill and Eval (ctx.Err() on cancellation, checked between tokens and
// inside long prompts), or the error of opts.OnToken. The Result holds what was generated
// before the error.
func (s *Session) Generate(ctx context.Context, prompt []int32, opts GenerateOptions) (res Result, err error) {
	res.Stats.PromptTokens = len(prompt)
	start := time.Now()
	reused, err := s.Prefill(ctx, prompt)
	res.Stats.Reused, res.Stats.Evaluated = reused, len(prompt)-reused
	res.Stats.PromptMS = msSince(start)
	if err != nil {
		return res, err
	}
	rng := opts.Rand
	if rng == nil {
		rng = rand.New(rand.NewPCG(0, 0))
	}
	genStart := time.Now()
	defer func() { res.Stats.GenerateMS = msSince(genStart) }()
	logits := s.Logits()
	var buf []sample.Token
	for {
		if opts.MaxTokens > 0 && len(res.Tokens) >= opts.MaxTokens {
			res.Reason = StopMaxTokens
			return res, nil
		}
		var id int32
		id, buf = sample.Sample(logits, opts.Sampling, rng, buf)
		if s.m.IsEOG(id) {
			res.Reason = StopEOG
			return res, nil
		}
		if slices.Contains(opts.StopTokens, id) {
			res.Reason = StopToken
			return res, nil
		}
		res.Tokens = append(res.Tokens, id)
		res.Stats.Generated = len(res.Tokens)
		if opts.OnToken != nil {
			if err := opts.OnToken(id); err != nil {
				return res, err
			}
		}
		if opts.Stop != nil && opts.Stop(res.Tokens) {
			res.Reason = StopPredicate
			return res, nil
		}
		if opts.MaxTokens > 0 && len(res.Tokens) >= opts.MaxTokens {
			res.Reason = StopMaxTokens // don't evaluate a token nobody will read
			return res, nil
		}
		if err := ctx.Err(); err != nil {
			return res, err
		}
		if s.Len() == s.Cap() {
			if !opts.ShiftContext {
				res.Reason = StopContextFull
				return res, nil
			}
			n, err := s.shiftContext(ctx, opts.Keep)
			res.Stats.Evaluated += n
			if err != nil {
				return res, err
			}
		}
		logits, err = s.Eval(ctx, []int32{id})
		if err != nil {
			return res, err
		}
	}
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
