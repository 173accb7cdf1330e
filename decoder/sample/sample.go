// Package sample chooses the next token from a model's logits: greedy ([Argmax]) or random
// from a distribution shaped by small free functions over a candidate slice ([Token]):
// [TopK], [TopP], [MinP], [Temperature], [Softmax], then [Pick] with a seeded *rand.Rand the
// caller passes in (never a global one, so a seed reproduces a generation). [Sample] chains
// them in llama.cpp's default order (common/sampling.cpp: top-k, top-p, min-p, temperature,
// dist) according to [Params].
package sample

import (
	"cmp"
	"container/heap"
	"math"
	"math/rand/v2"
	"slices"
)

// Token is a sampling candidate: a token id with its logit and, after Softmax, its
// probability.
type Token struct {
	ID    int32
	Logit float32
	Prob  float32 // set by Softmax; 0 before
}

// Argmax returns the id of the largest logit, the lowest id among equal ones (llama.cpp's
// greedy sampler). NaN logits are never chosen; an empty or all-NaN slice gives 0.
func Argmax(logits []float32) int32 {
	best, bestV := 0, float32(math.Inf(-1))
	for i, v := range logits {
		if v > bestV { // false for NaN
			best, bestV = i, v
		}
	}
	return int32(best)
}

// Candidates returns dst[:0] extended with one Token per logit, id = index.
func Candidates(dst []Token, logits []float32) []Token {
	dst = dst[:0]
	for i, v := range logits {
		dst = append(dst, Token{ID: int32(i), Logit: v})
	}
	return dst
}

// byLogit orders candidates by descending logit, then ascending id.
func byLogit(a, b Token) int {
	if c := cmp.Compare(b.Logit, a.Logit); c != 0 {
		return c
	}
	return cmp.Compare(a.ID, b.ID)
}

// TopK keeps the k candidates with the largest logits, sorted by descending logit (ties: lower
// id first), and returns them (a prefix of ts, reordered). k <= 0 or k >= len(ts) keeps all,
// sorted. Cost O(n log k): a vocabulary of 150k is not sorted to keep 40.
func TopK(ts []Token, k int) []Token {
	if k <= 0 || k >= len(ts) {
		slices.SortFunc(ts, byLogit)
		return ts
	}
	// Min-heap (by byLogit order) of the best k seen so far, kept in ts[:k].
	h := minHeap(ts[:k])
	heap.Init(&h)
	for _, t := range ts[k:] {
		if byLogit(t, h[0]) < 0 {
			h[0] = t
			heap.Fix(&h, 0)
		}
	}
	out := ts[:k]
	slices.SortFunc(out, byLogit)
	return out
}

type minHeap []Token

func (h minHeap) Len() int           { return len(h) }
func (h minHeap) Less(i, j int) bool { return byLogit(h[i], h[j]) > 0 } // worst on top
func (h minHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *minHeap) Push(any)          { panic("sample: minHeap has a fixed size") }
func (h *minHeap) Pop() any          { panic("sample: minHeap has a fixed size") }

// Softmax sets Prob = e^(Logit−max) / Σ e^(Logit−max) over ts (the sum in float64).
func Softmax(ts []Token) {
	if len(ts) == 0 {
		return
	}
	mx := float32(math.Inf(-1))
	for _, t := range ts {
		mx = max(mx, t.Logit)
	}
	var sum float64
	for i := range ts {
		e := math.Exp(float64(ts[i].Logit - mx))
		ts[i].Prob = float32(e)
		sum += e
	}
	for i := range ts {
		ts[i].Prob = float32(float64(ts[i].Prob) / sum)
	}
}

// TopP keeps the smallest prefix of ts whose probabilities sum to at least p (nucleus
// sampling, Holtzman et al. 2019, arXiv:1904.09751), and at least one token. ts must be sorted
// by descending logit (TopK with k <= 0 sorts) and have Prob set (Softmax). p >= 1 keeps all.
func TopP(ts []Token, p float32) []Token {
	if p >= 1 {
		return ts
	}
	var cum float64
	for i, t := range ts {
		cum += float64(t.Prob)
		if cum >= float64(p) {
			return ts[:i+1]
		}
	}
	return ts
}

// MinP keeps the tokens whose probability is at least p times the largest one (min-p
// sampling, Nguyen et al. 2024, arXiv:2407.01082), in their order. ts must have Prob set.
// p <= 0 keeps all.
func MinP(ts []Token, p float32) []Token {
	if p <= 0 || len(ts) == 0 {
		return ts
	}
	var top float32
	for _, t := range ts {
		top = max(top, t.Prob)
	}
	out := ts[:0]
	for _, t := range ts {
		if t.Prob >= p*top {
			out = append(out, t)
		}
	}
	return out
}

// Temperature divides every logit by temp (> 0): below 1 sharpens the distribution, above 1
// flattens it. Probabilities must be recomputed with Softmax afterwards.
func Temperature(ts []Token, temp float32) {
	for i := range ts {
		ts[i].Logit /= temp
	}
}

// Pick draws one candidate with probability proportional to Prob (which need not sum to 1)
// using rng, and returns its id. It panics on an empty slice.
func Pick(ts []Token, rng *rand.Rand) int32 {
	var sum float64
	for _, t := range ts {
		sum += float64(t.Prob)
	}
	r := rng.Float64() * sum
	for _, t := range ts {
		r -= float64(t.Prob)
		if r < 0 {
			return t.ID
		}
	}
	return ts[len(ts)-1].ID // r ≈ sum after rounding
}

// Params selects a sampling chain. The zero value is greedy.
type Params struct {
	// Temperature <= 0 means greedy (Argmax); the other fields are then ignored.
	Temperature float32
	TopK        int     // keep the k most likely tokens; <= 0: no limit
	TopP        float32 // nucleus mass; <= 0 or >= 1: off
	MinP        float32 // relative probability floor; <= 0: off
}

// Sample picks the next token from logits [NVocab] with p: greedy when p.Temperature <= 0,
// otherwise top-k, top-p and min-p on the untempered distribution, then temperature, then a
// draw from rng (llama.cpp's default sampler chain). buf is scratch space reused between
// calls (may be nil); the updated one is returned. rng may be nil for greedy Params.
func Sample(logits []float32, p Params, rng *rand.Rand, buf []Token) (int32, []Token) {
	if p.Temperature <= 0 {
		return Argmax(logits), buf
	}
	ts, buf := Distribution(logits, p, buf)
	return Pick(ts, rng), buf
}
