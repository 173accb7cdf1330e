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
//   - the length cap of each drafter grows by 2 after a fully accepted draft and shrinks by 1
//     otherwise (Hugging Face's "heuristic" assistant-token schedule), within [1, MaxDraft];
//   - within the cap, the length k maximizes the expected tokens per millisecond,
//     E(k) / (T(1) + k·(c + c_d)), with E(k) = (1 − α^(k+1)) / (1 − α) the expected tokens of a
//     pass whose draft tokens are each accepted with probability α (Leviathan et al., eq. 1),
//     α the drafter's recent acceptance rate, T(1) the measured time of a one-token pass, c
//     the measured extra time per extra token in a pass and c_d the drafter's measured time
//     per drafted token; k = 0 (don't use the drafter) when no length beats a plain step;
//   - acceptance counts decay by 10% per pass, so a drafter left out drifts back to the prior
//     (α = 1/2) and is tried again.
//
// A draft model adds its own stop: it ends a draft at a token whose probability is below its
// MinProb (ModelDrafterOptions).
type Speculator struct {
	drafters []Drafter
	pol      policy
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
		sp.pol.ds = append(sp.pol.ds, drafterState{capK: min(4, maxDraft)})
	}
	return sp
}

// Drafters returns the drafters in order of preference.
func (sp *Speculator) Drafters() []Drafter { return sp.drafters }

// draft asks the drafters in order for a proposal of the length the policy allows, at most
// budget tokens. It returns the draft and the index of its drafter, or an empty draft and −1.
func (sp *Speculator) draft(ctx context.Context, seq []int32, budget int, smp sample.Params, rng *rand.Rand, st *Stats) (Draft, int, error) {
	for i, d := range sp.drafters {
		k := sp.pol.length(i, budget)
		if k == 0 {
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
		if len(dr.Tokens) > 0 {
			sp.pol.drafted(i, len(dr.Tokens), ms)
			return dr, i, nil
		}
	}
	return Draft{}, -1, nil
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
	refreshPlain = 64   // passes between remeasurements of a plain pass
	acceptDecay  = 0.9  // per-pass decay of the acceptance counts
	ewmaWeight   = 0.25 // weight of a new measurement in an ewma
)

// drafterState is what the policy knows of one drafter.
type drafterState struct {
	capK      int     // length cap: +2 after a fully accepted draft, −1 otherwise
	acc, seen float64 // decayed counts of accepted and of verified draft tokens
	msPerTok  ewma    // drafting time per drafted token
}

// ewma is an exponentially weighted moving average; the first value sets it.
type ewma struct {
	v  float64
	ok bool
}

func (e *ewma) add(x float64) {
	if !e.ok {
		e.v, e.ok = x, true
		return
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
	alpha := (st.acc + 1) / (st.seen + 2)
	t1, c, cd := p.pass1.v, p.perToken.v, st.msPerTok.v // unmeasured costs are 0: try, then measure
	best, bestK := 1/t1, 0
	for k := 1; k <= min(budget, st.capK); k++ {
		e := float64(k + 1)
		if alpha < 1 {
			e = (1 - math.Pow(alpha, float64(k+1))) / (1 - alpha)
		}
		if rate := e / (t1 + float64(k)*(c+cd)); rate > best {
			best, bestK = rate, k
		}
	}
	return bestK
}

// drafted records the cost of a draft of k tokens by drafter i.
func (p *policy) drafted(i, k int, ms float64) { p.ds[i].msPerTok.add(ms / float64(k)) }

// passed records a pass over 1+k tokens that took ms (forward pass and verification), in
// which n of the k tokens drafted by drafter i (−1: none) were accepted.
func (p *policy) passed(i, k, n int, ms float64) {
	for j := range p.ds {
		p.ds[j].acc *= acceptDecay
		p.ds[j].seen *= acceptDecay
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
	st.acc += float64(n)
	st.seen += float64(min(n+1, k))
	if n == k {
		st.capK = min(p.maxDraft, st.capK+2)
	} else {
		st.capK = max(1, st.capK-1)
	}
}
