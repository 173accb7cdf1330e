package decoder

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/llmls/llmls/decoder/sample"
)

// chiSquareCritical approximates the 1−1e-4 quantile of the χ² distribution with df degrees
// of freedom (Wilson–Hilferty: χ²/df is nearly normal after a cube root; z = 3.719).
func chiSquareCritical(df int) float64 {
	const z = 3.719
	d := float64(df)
	c := 1 - 2/(9*d) + z*math.Sqrt(2/(9*d))
	return d * c * c * c
}

// TestAcceptRule draws a token from q, applies the rejection rule against p and checks that
// the result is distributed as p (χ² test, fixed seeds): the lemma behind lossless
// speculative sampling (Leviathan et al. 2023, appendix A.1), for a proper q, a point mass,
// and a q that lacks the token (taken as a point mass).
func TestAcceptRule(t *testing.T) {
	p := []float32{0.4, 0.25, 0.2, 0.1, 0.05}
	tests := []struct {
		name string
		q    []float32 // nil: the point mass on token pm
		pm   int32
	}{
		{"q differs from p", []float32{0.1, 0.5, 0.05, 0.3, 0.05}, 0},
		{"q has a token p lacks", []float32{0.2, 0.2, 0.2, 0.2, 0.2}, 0},
		{"q equals p", p, 0},
		{"point mass on the likeliest", nil, 0},
		{"point mass on a rare token", nil, 4},
	}
	const n = 200000
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, 7))
			target := p
			if tc.name == "q has a token p lacks" {
				target = []float32{0.5, 0.3, 0.2, 0, 0} // p(3) = p(4) = 0: not candidates
			}
			counts := make([]float64, len(p))
			var accepted int
			for range n {
				var q []sample.Token
				tok := tc.pm
				if tc.q != nil {
					q = dist(tc.q)
					tok = sample.Pick(q, rng)
				}
				id, ok := accept(dist(target), q, tok, rng)
				if ok {
					accepted++
					if id != tok {
						t.Fatalf("accepted %d, drafted %d", id, tok)
					}
				}
				counts[id]++
			}
			var chi float64
			df := -1
			for i, c := range counts {
				e := float64(target[i]) * n
				if e == 0 {
					if c != 0 {
						t.Errorf("token %d has p = 0 but came %v times", i, c)
					}
					continue
				}
				chi += (c - e) * (c - e) / e
				df++
			}
			if crit := chiSquareCritical(df); chi > crit {
				t.Errorf("χ² = %.1f > %.1f (df %d): output not distributed as p; counts %v", chi, crit, df, counts)
			}
			// The acceptance rate is Σ min(p, q) (point mass: p(token)).
			want := 0.0
			for i := range target {
				qi := float32(0)
				if tc.q != nil {
					qi = tc.q[i]
				} else if int32(i) == tc.pm {
					qi = 1
				}
				want += float64(min(target[i], qi))
			}
			if got := float64(accepted) / n; math.Abs(got-want) > 0.01 {
				t.Errorf("acceptance rate %.4f, want Σ min(p, q) = %.4f", got, want)
			}
		})
	}
}

// dist makes a candidate list of the nonzero probabilities of ps.
func dist(ps []float32) []sample.Token {
	var out []sample.Token
	for i, p := range ps {
		if p > 0 {
			out = append(out, sample.Token{ID: int32(i), Prob: p})
		}
	}
	return out
}

// TestPolicy checks the adaptive length choice against hand-computed cases of the cost model:
// saved(k) = (E(k) − 1)·T(1) − k·(c + c_d), E(k) − 1 = a₁·(1 − a^k)/(1 − a).
func TestPolicy(t *testing.T) {
	type counts struct{ acc1, seen1, accR, seenR float64 }
	accurate := counts{9, 9, 9, 9} // a₁ = a = 10/11
	tests := []struct {
		name            string
		pass1, perToken float64 // ms
		draftMS         float64 // ms per drafted token
		counts          counts
		capK, budget    int
		calls, empties  float64 // decayed counts of Draft calls, and of empty drafts
		emptyMS         float64 // ms of an empty call
		want            int
	}{
		// Free extra tokens: the longest allowed draft.
		{"free and accurate", 10, 0, 0, accurate, 8, 16, 0, 0, 0, 8},
		// Every extra token costs a full pass: E(k) − 1 < k never pays for k·T(1).
		{"compute-bound", 10, 10, 0, accurate, 8, 16, 0, 0, 0, 0},
		// a₁ = 1/12: saved(1) = 10/12 − 5 < 0.
		{"inaccurate", 10, 5, 0, counts{0, 10, 0, 0}, 8, 16, 0, 0, 0, 0},
		{"budget", 10, 0, 0, accurate, 8, 3, 0, 0, 0, 3},
		// Prior a₁ = a = 1/2, c = 1: saved(k) = 10·(1 − 2^−k) − k = 4, 5.5, 5.75, 5.375…
		{"prior", 10, 1, 0, counts{}, 8, 16, 0, 0, 0, 3},
		// A drafter costing 4 ms per token: saved(1) = 5 − 5 = 0, saved(2) = 7.5 − 10.
		{"costly drafter", 10, 1, 4, counts{}, 8, 16, 0, 0, 0, 0},
		// a₁ = 1/2, a = 19/20, c = 4: saved(k) = 1, 1.75, 2.26, 2.55, 2.62, 2.49…: a run of
		// likely tokens after a first coin flip is worth 5 tokens.
		{"bursty", 10, 4, 0, counts{4, 8, 18, 18}, 16, 16, 0, 0, 0, 5},
		// 9 empty calls in 10 (e = 9/11), free: (1 − e)·saved(8) > 0.
		{"often empty but free", 10, 0, 0, accurate, 8, 16, 10, 9, 0, 8},
		// At 20 ms per empty call: saved(8) = 53.4, (2/11)·53.4 − (9/11)·20 < 0.
		{"often empty and slow", 10, 0, 0, accurate, 8, 16, 10, 9, 20, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.counts
			p := policy{maxDraft: 16, ds: []drafterState{{capK: tc.capK, acc1: c.acc1, seen1: c.seen1, accR: c.accR, seenR: c.seenR,
				calls: tc.calls, empties: tc.empties}}}
			p.pass1.add(tc.pass1)
			p.perToken.add(tc.perToken)
			if tc.draftMS > 0 {
				p.ds[0].msPerTok.add(tc.draftMS)
			}
			if tc.empties > 0 {
				p.ds[0].msEmpty.add(tc.emptyMS)
			}
			if got := p.length(0, tc.budget); got != tc.want {
				t.Errorf("length = %d, want %d", got, tc.want)
			}
		})
	}

	// Counting: a draft of 4 with 2 accepted verifies position 1 (accepted), positions 2
	// (accepted) and 3 (rejected); position 4 is never verified.
	var q policy
	q.maxDraft = 16
	q.ds = []drafterState{{capK: 4}}
	q.passed(0, 4, 2, 10)
	if st := q.ds[0]; st.acc1 != 1 || st.seen1 != 1 || st.accR != 1 || st.seenR != 2 {
		t.Errorf("after 2 of 4 accepted: first %v/%v, later %v/%v; want 1/1, 1/2", st.acc1, st.seen1, st.accR, st.seenR)
	}
	q.passed(0, 3, 0, 10)
	// Each pass decays every count by passDecay, an observation its own counts by countDecay.
	d, o := passDecay, countDecay
	if st := q.ds[0]; math.Abs(st.seen1-(d*o+1)) > 1e-9 || math.Abs(st.acc1-d*o) > 1e-9 || math.Abs(st.seenR-2*d) > 1e-9 || math.Abs(st.accR-d) > 1e-9 {
		t.Errorf("after a rejection: first %v/%v, later %v/%v; want %v/%v, %v/%v", st.acc1, st.seen1, st.accR, st.seenR, d*o, d*o+1, d, 2*d)
	}

	// Before a plain pass was measured, and every refreshPlain passes, the policy asks for one.
	p := policy{maxDraft: 16, ds: []drafterState{{capK: 4}}}
	if k := p.length(0, 16); k != 0 {
		t.Errorf("unmeasured: length %d, want 0 (measure a plain pass)", k)
	}
	p.passed(-1, 0, 0, 10)
	for range refreshPlain {
		if k := p.length(0, 16); k == 0 {
			t.Fatal("measured: no speculation")
		}
		p.passed(0, 4, 4, 10)
	}
	if k := p.length(0, 16); k != 0 {
		t.Errorf("after %d speculative passes: length %d, want a plain pass", refreshPlain, k)
	}
	if p.ds[0].capK != 16 {
		t.Errorf("cap after fully accepted drafts: %d, want 16", p.ds[0].capK)
	}
	p.passed(0, 4, 1, 10)
	if p.ds[0].capK != 15 {
		t.Errorf("cap after a rejection: %d, want 15", p.ds[0].capK)
	}
}
