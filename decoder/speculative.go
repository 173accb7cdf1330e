package decoder

import (
	"context"
	"math"
	"math/rand/v2"
	"time"

	"github.com/llmls/llmls/decoder/sample"
)

// Speculative decoding (Leviathan et al. 2023, arXiv:2211.17192; Chen et al. 2023,
// arXiv:2302.01318): a cheap drafter guesses the next k tokens, the target model evaluates
// the last chosen token and the k guesses in one batched forward pass (which costs about as
// much as one token when the pass is bound by reading the weights), and the guesses it agrees
// with are kept. The loop is Session.Generate's (generate.go): draft → verify in one batch →
// accept a prefix → roll back the KV cache. This file holds the drafter interface, the
// verification rule and the policy that adapts the draft length; draft.go and lookup.go hold
// the two drafters (a draft model, prompt lookup). Layout after llama.cpp's
// examples/speculative-simple and common/speculative.h.
//
// Output is lossless. Greedy: a drafted token is accepted iff it is the target's argmax at
// its position, so the output is token for token the target's greedy output. Sampling: p and
// q are the distributions sample.Distribution gives for the target's and the draft's logits
// with the request's sample.Params (top-k, top-p and min-p on the untempered logits, then
// temperature: the distribution sample.Sample draws from), and a drafted token d is accepted
// with probability min(1, p(d)/q(d)); on rejection the token is drawn from
// norm(max(0, p − q)). Each emitted token is then distributed exactly as p (Leviathan et al.,
// Appendix A.1). A deterministic proposal (prompt lookup, a greedy draft) is the point mass
// q = δ_d: accepted with probability p(d), otherwise drawn from p without d.

// DefaultMaxDraft caps the tokens drafted per pass when SpecOptions.MaxDraft is 0 (llama.cpp's
// speculative default n_max is 16).
const DefaultMaxDraft = 16

// Drafter proposes the tokens the target model will probably generate next. Implementations:
// [ModelDrafter] (a smaller model with the target's vocabulary) and [LookupDrafter] (n-gram
// prompt lookup). A Drafter serves one target session at a time: it is not safe for
// concurrent use.
type Drafter interface {
	// Name identifies the drafter in Stats ("lookup", "draft:FILE").
	Name() string
	// Draft proposes up to max (>= 1) tokens to follow seq: the tokens of the target session
	// followed by the last chosen token, which the target has not evaluated yet (seq is the
	// caller's: read it, don't keep it). sp and rng are the request's sampling parameters and
	// random source: a drafter that samples must draw from sample.Distribution(logits, sp)
	// with rng and report that distribution in Draft.Probs. An empty Draft means no proposal
	// (the next drafter, or a plain decoding step, is used). Errors end generation: return
	// only ctx.Err() or failures of the drafter's own model, never "no guess".
	Draft(ctx context.Context, seq []int32, max int, sp sample.Params, rng *rand.Rand) (Draft, error)
	// Accept tells the drafter that the target accepted the first n tokens of the draft the
	// last Draft call returned (0 <= n <= len(Tokens)), so that a drafter with state can roll
	// it back (a draft model truncates its KV cache). It is called once after each non-empty
	// draft, before the next Draft call.
	Accept(n int)
}

// Preparer is implemented by drafters that evaluate the prompt themselves (a draft model):
// Generate calls Prepare with the prompt after the target's prefill, so that the cost counts
// as prompt evaluation (Stats.PromptMS), not as drafting. Errors end generation.
type Preparer interface {
	Prepare(ctx context.Context, prompt []int32) error
}

// Draft is a drafter's proposal.
type Draft struct {
	// Tokens are the proposed tokens, in order.
	Tokens []int32
	// Probs[i], read only when sampling (sample.Params.Temperature > 0), is the distribution
	// q the drafter drew Tokens[i] from, as sample.Distribution returns it (candidates whose
	// Prob sums to 1). A nil Probs or a nil entry is the point mass on Tokens[i] (a
	// deterministic proposal). The slices must stay valid until the next Draft call.
	Probs [][]sample.Token
}

// SpecOptions configure NewSpeculator.
type SpecOptions struct {
	// MaxDraft caps the tokens drafted per pass; 0 means DefaultMaxDraft. A draft is also
	// cut to the room left by MaxTokens and by the context.
	MaxDraft int
	// FixedLength turns the adaptive policy off: every pass offers MaxDraft tokens to the
	// first drafter with a proposal (for tests and measurements).
	FixedLength bool
}

// Speculator is the speculative decoding setup of one target session: its drafters in order
// of preference and what it learned of them. Pass it in GenerateOptions.Speculative; it keeps
// acceptance rates and costs from one Generate call to the next (code completion requests on
// one document are alike). Like a Session, it is not safe for concurrent use.
//
// Each pass, in order, a drafter is offered a length by the policy and asked for a draft; the
// first non-empty draft is verified, and a pass with none is a plain decoding step. The policy
// (adaptive unless SpecOptions.FixedLength):
//   - the length cap of each drafter starts at 2, grows by 2 after a fully accepted draft and
//     shrinks by 1 otherwise (Hugging Face's "heuristic" assistant-token schedule), within
//     [1, MaxDraft];
//   - within the cap, the length k maximizes the expected time a pass saves against plain
//     decoding, (E(k) − 1)·T(1) − k·(c + c_d): T(1) is the measured time of a one-token pass,
//     c the measured extra time per extra token in a pass, c_d the drafter's measured time per
//     drafted token, and E(k) = 1 + a₁·(1 − a^k)/(1 − a) the expected tokens of a pass whose
//     first draft token is accepted with probability a₁ and each later one, given the one
//     before, with probability a (two recent rates, as acceptance comes in runs: a lookup's
//     match is right for a while or wrong at once; with a₁ = a this is Leviathan et al.'s
//     eq. 1);
//   - a call that drafts nothing (a lookup without a match, a draft model below MinProb)
//     costs its measured time c_e and leaves a plain pass: with e the recent fraction of such
//     calls, the drafter is used only when (1 − e)·saved(k) − e·c_e > 0;
//   - the counts behind a₁, a and e lose 10% of their weight at each new observation (recent
//     behaviour counts), and all counts 2% per pass, so that a drafter left out drifts back to
//     the prior (a₁ = a = 1/2, no empty calls) and is tried again if that pays; a drafter whose
//     calls cost under 2% of a pass (prompt lookup) is instead asked for a one-token guess
//     every pass it is left out, checked against the target's token (shadowGuess), so its a₁
//     stays measured.
//
// A draft model adds its own stop: it ends a draft at a token whose probability is below its
// MinProb (ModelDrafterOptions).
type Speculator struct {
	drafters []Drafter
	pol      policy
	shadows  []shadowGuess // this pass's guesses of cheap drafters the policy left out
}

// shadowGuess is the next token a left-out drafter would have proposed. A drafter whose
// calls cost next to nothing (prompt lookup) is asked for one token even when the policy
// leaves it out, and the guess is compared with the target's token after the pass: its
// acceptance rate keeps being measured for free, so that it is used again as soon as it would
// pay (otherwise a drafter left out for a while would only be tried again at the prior's
// rate, which a costly verification may never find worth it).
type shadowGuess struct {
	i   int
	tok int32
}

// NewSpeculator returns a Speculator over drafters, in order of preference (e.g. prompt
// lookup first: it is free and, when it has a match, usually right on repetitive code; then
// a draft model). No drafters: plain decoding.
func NewSpeculator(opts SpecOptions, drafters ...Drafter) *Speculator {
	maxDraft := opts.MaxDraft
	if maxDraft <= 0 {
		maxDraft = DefaultMaxDraft
	}
	sp := &Speculator{drafters: drafters, pol: policy{fixed: opts.FixedLength, maxDraft: maxDraft}}
	for range drafters {
		sp.pol.ds = append(sp.pol.ds, drafterState{capK: min(initialCap, maxDraft)})
	}
	return sp
}

// Drafters returns the drafters in order of preference.
func (sp *Speculator) Drafters() []Drafter { return sp.drafters }

// prepare lets the drafters that evaluate the prompt do it.
func (sp *Speculator) prepare(ctx context.Context, prompt []int32) error {
	for _, d := range sp.drafters {
		if p, ok := d.(Preparer); ok {
			if err := p.Prepare(ctx, prompt); err != nil {
				return err
			}
		}
	}
	return nil
}

// draft asks the drafters in order for a proposal of the length the policy allows, at most
// budget tokens. It returns the draft and the index of its drafter, or an empty draft and −1.
func (sp *Speculator) draft(ctx context.Context, seq []int32, budget int, smp sample.Params, rng *rand.Rand, st *Stats) (Draft, int, error) {
	sp.shadows = sp.shadows[:0]
	for i, d := range sp.drafters {
		k := sp.pol.length(i, budget)
		if k == 0 {
			if budget > 0 && sp.pol.cheap(i) {
				if err := sp.shadow(ctx, i, seq, smp, rng, st); err != nil {
					return Draft{}, -1, err
				}
			}
			continue
		}
		t0 := time.Now()
		dr, err := d.Draft(ctx, seq, k, smp, rng)
		ms := msSince(t0)
		st.DraftMS += ms
		st.drafter(d.Name()).MS += ms
		if err != nil {
			return Draft{}, -1, err
		}
		if len(dr.Tokens) > k { // a drafter bug must not overrun the budget
			dr.Tokens = dr.Tokens[:k]
		}
		if len(dr.Tokens) == 0 {
			sp.pol.declined(i, ms)
			continue
		}
		sp.pol.drafted(i, len(dr.Tokens), ms)
		return dr, i, nil
	}
	return Draft{}, -1, nil
}

// shadow asks drafter i for a one-token guess (see shadowGuess).
func (sp *Speculator) shadow(ctx context.Context, i int, seq []int32, smp sample.Params, rng *rand.Rand, st *Stats) error {
	d := sp.drafters[i]
	t0 := time.Now()
	dr, err := d.Draft(ctx, seq, 1, smp, rng)
	ms := msSince(t0)
	st.DraftMS += ms
	st.drafter(d.Name()).MS += ms
	if err != nil {
		return err
	}
	if len(dr.Tokens) == 0 {
		sp.pol.declined(i, ms)
		return nil
	}
	sp.pol.ds[i].call(false) // no time: shadow calls are cheap by definition
	sp.shadows = append(sp.shadows, shadowGuess{i, dr.Tokens[0]})
	return nil
}

// shadowed compares the pass's shadow guesses with the target's token tok.
func (sp *Speculator) shadowed(tok int32) {
	for _, g := range sp.shadows {
		sp.pol.ds[g.i].first(g.tok == tok)
		n := 0
		if g.tok == tok {
			n = 1
		}
		sp.drafters[g.i].Accept(n)
	}
	sp.shadows = sp.shadows[:0]
}

// verify returns the tokens of a pass: the longest prefix of the draft that the target
// accepts, then one token of the target's own (the correction of the first rejected token,
// or the token after a fully accepted draft); n is the number of draft tokens accepted.
// rows[i] [NVocab] are the target's logits after the pass's first i+1 tokens (the last chosen
// token and draft.Tokens[:i]), len(rows) = len(draft.Tokens)+1. Greedy sampling accepts a
// token iff it is the argmax; random sampling applies the rejection rule of the file comment.
func (g *generator) verify(rows [][]float32, d Draft) (ids []int32, n int) {
	smp := g.opts.Sampling
	if smp.Temperature <= 0 {
		for i, t := range d.Tokens {
			a := sample.Argmax(rows[i])
			if a != t {
				return append(ids, a), i
			}
			ids = append(ids, t)
		}
		return append(ids, sample.Argmax(rows[len(d.Tokens)])), len(d.Tokens)
	}
	for i, t := range d.Tokens {
		var p []sample.Token
		p, g.buf = sample.Distribution(rows[i], smp, g.buf)
		var q []sample.Token
		if i < len(d.Probs) {
			q = d.Probs[i]
		}
		if id, ok := accept(p, q, t, g.rng); !ok {
			return append(ids, id), i
		}
		ids = append(ids, t)
	}
	var id int32
	id, g.buf = sample.Sample(rows[len(d.Tokens)], smp, g.rng, g.buf)
	return append(ids, id), len(d.Tokens)
}

// accept applies the rejection rule to the drafted token t, drawn from q (nil: the point mass
// on t), given the target's distribution p: with probability min(1, p(t)/q(t)) it accepts
// (ok); otherwise it returns a token drawn from norm(max(0, p − q)). A q that does not contain
// t (a drafter's bug) is taken as the point mass.
func accept(p, q []sample.Token, t int32, rng *rand.Rand) (id int32, ok bool) {
	pt, qt := float64(sample.Prob(p, t)), 1.0
	if q != nil {
		if v := float64(sample.Prob(q, t)); v > 0 {
			qt = v
		} else {
			q = nil
		}
	}
	if rng.Float64()*qt < pt {
		return t, true
	}
	var qOf func(int32) float32
	if q == nil {
		qOf = func(id int32) float32 {
			if id == t {
				return 1
			}
			return 0
		}
	} else {
		m := make(map[int32]float32, len(q))
		for _, c := range q {
			m[c.ID] = c.Prob
		}
		qOf = func(id int32) float32 { return m[id] }
	}
	// The residual is drawn in place of p's probabilities; p is the verifier's scratch.
	var sum float64
	for i := range p {
		p[i].Prob = max(0, p[i].Prob-qOf(p[i].ID))
		sum += float64(p[i].Prob)
	}
	if sum <= 0 { // p ≤ q everywhere only by rounding: p itself is the residual's limit
		return t, true
	}
	return sample.Pick(p, rng), false
}

// policy chooses each pass's draft lengths from what it measures (see Speculator).
type policy struct {
	fixed    bool
	maxDraft int
	ds       []drafterState
	pass1    ewma // ms of a target pass over 1 token (with its verification)
	perToken ewma // extra ms per additional token of a pass
	// sincePlain counts passes since the last plain one: pass1 is remeasured every
	// refreshPlain passes (a plain pass loses one chance to speculate, no more).
	sincePlain int
}

const (
	// initialCap is a drafter's first length cap: short, because the first speculative
	// pass also measures what an extra token of a pass costs, and on a compute-bound CPU that
	// is nearly a full pass.
	initialCap   = 2
	refreshPlain = 64   // passes between remeasurements of a plain pass
	countDecay   = 0.9  // decay of a drafter's counts at each new observation of them
	passDecay    = 0.98 // decay of every count at each pass: back to the prior if unobserved
	ewmaWeight   = 0.25 // weight of a new measurement in an ewma
)

// drafterState is what the policy knows of one drafter.
type drafterState struct {
	capK int // length cap: +2 after a fully accepted draft, −1 otherwise
	// Decayed counts of verified draft tokens and of the accepted ones among them: at the
	// first position (1), and at later positions reached after an accepted token (R).
	acc1, seen1, accR, seenR float64
	calls, empties           float64 // decayed counts of Draft calls and of empty drafts among them
	msPerTok                 ewma    // drafting time per drafted token
	msEmpty                  ewma    // time of a call that drafted nothing
}

// call records a Draft call, empty or not.
func (st *drafterState) call(empty bool) {
	st.calls, st.empties = st.calls*countDecay+1, st.empties*countDecay
	if empty {
		st.empties++
	}
}

// first records the outcome of a verified (or shadow) first draft token.
func (st *drafterState) first(accepted bool) {
	st.acc1, st.seen1 = st.acc1*countDecay, st.seen1*countDecay+1
	if accepted {
		st.acc1++
	}
}

// expected returns E(k) − 1, the expected accepted draft tokens of a draft of k tokens.
func (st *drafterState) expected(k int) float64 {
	a1 := (st.acc1 + 1) / (st.seen1 + 2)
	a := (st.accR + 1) / (st.seenR + 2)
	if a >= 1 {
		return a1 * float64(k)
	}
	return a1 * (1 - math.Pow(a, float64(k))) / (1 - a)
}

// ewma is an exponentially weighted moving average; the first value sets it. A value more
// than 3 times away from the average counts as 3 times (a pass that the scheduler preempted,
// a garbage collection) so that one outlier moves it by at most a factor of 1.5.
type ewma struct {
	v  float64
	ok bool
}

func (e *ewma) add(x float64) {
	if !e.ok {
		e.v, e.ok = x, true
		return
	}
	if e.v > 0 {
		x = min(max(x, e.v/3), 3*e.v)
	}
	e.v += ewmaWeight * (x - e.v)
}

// length returns the draft length to offer drafter i, at most budget; 0: skip it.
func (p *policy) length(i, budget int) int {
	if budget <= 0 {
		return 0
	}
	if p.fixed {
		return min(budget, p.maxDraft)
	}
	if !p.pass1.ok || p.sincePlain >= refreshPlain {
		return 0 // measure a plain pass first
	}
	st := &p.ds[i]
	// Unmeasured costs are 0: try, then measure.
	t1, c, cd, ce := p.pass1.v, p.perToken.v, st.msPerTok.v, st.msEmpty.v
	best, bestK := 0.0, 0
	for k := 1; k <= min(budget, st.capK); k++ {
		if saved := st.expected(k)*t1 - float64(k)*(c+cd); saved > best {
			best, bestK = saved, k
		}
	}
	e := st.empties / (st.calls + 1) // chance that the call drafts nothing
	if (1-e)*best-e*ce <= 0 {
		return 0
	}
	return bestK
}

// cheap reports whether a call of drafter i costs under 2% of a plain pass (measured).
func (p *policy) cheap(i int) bool {
	st := &p.ds[i]
	if !p.pass1.ok || !st.msPerTok.ok && !st.msEmpty.ok {
		return false
	}
	return max(st.msPerTok.v, st.msEmpty.v) < 0.02*p.pass1.v
}

// drafted records the cost of a draft of k tokens by drafter i.
func (p *policy) drafted(i, k int, ms float64) {
	p.ds[i].call(false)
	p.ds[i].msPerTok.add(ms / float64(k))
}

// declined records a call of drafter i that took ms and drafted nothing.
func (p *policy) declined(i int, ms float64) {
	p.ds[i].call(true)
	p.ds[i].msEmpty.add(ms)
}

// passed records a pass over 1+k tokens that took ms (forward pass and verification), in
// which n of the k tokens drafted by drafter i (−1: none) were accepted.
func (p *policy) passed(i, k, n int, ms float64) {
	for j := range p.ds {
		st := &p.ds[j]
		st.acc1, st.seen1 = st.acc1*passDecay, st.seen1*passDecay
		st.accR, st.seenR = st.accR*passDecay, st.seenR*passDecay
		st.calls, st.empties = st.calls*passDecay, st.empties*passDecay
	}
	if k == 0 {
		p.pass1.add(ms)
		p.sincePlain = 0
		return
	}
	p.sincePlain++
	if p.pass1.ok {
		p.perToken.add(max(0, ms-p.pass1.v) / float64(k))
	}
	st := &p.ds[i]
	st.first(n > 0)
	if m := min(n, k-1); m > 0 { // positions 2…min(n+1, k) were verified
		st.accR, st.seenR = st.accR*countDecay+float64(n-1), st.seenR*countDecay+float64(m)
	}
	if n == k {
		st.capK = min(p.maxDraft, st.capK+2)
	} else {
		st.capK = max(1, st.capK-1)
	}
}
