package sample_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/llmls/llmls/decoder/sample"
)

// TestDistribution checks Distribution against the chain written out by hand and against
// Sample's draws with the same seed.
func TestDistribution(t *testing.T) {
	logits := []float32{2, 1, 0.5, 3, -1, 0.1, 2.9, -4}
	tests := []struct {
		name string
		p    sample.Params
		ids  []int32 // candidates, in descending logit order
	}{
		{"greedy", sample.Params{}, []int32{3}},
		{"temperature only", sample.Params{Temperature: 0.7}, []int32{3, 6, 0, 1, 2, 5, 4, 7}},
		{"top-k", sample.Params{Temperature: 1, TopK: 3}, []int32{3, 6, 0}},
		// softmax of the sorted logits: 0.390 0.353 0.144 0.053 0.032 0.021 0.007 0.0004:
		// top-p 0.8 keeps three (0.743 < 0.8 ≤ 0.886).
		{"top-p", sample.Params{Temperature: 1, TopP: 0.8}, []int32{3, 6, 0}},
		// min-p 0.1 keeps p ≥ 0.039 (of the untempered distribution): four.
		{"min-p", sample.Params{Temperature: 1.3, MinP: 0.1}, []int32{3, 6, 0, 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dist, _ := sample.Distribution(logits, tc.p, nil)
			if len(dist) != len(tc.ids) {
				t.Fatalf("%d candidates %v, want %v", len(dist), dist, tc.ids)
			}
			var sum float64
			for i, c := range dist {
				if c.ID != tc.ids[i] {
					t.Errorf("candidate %d is %d, want %d", i, c.ID, tc.ids[i])
				}
				sum += float64(c.Prob)
				if got := sample.Prob(dist, c.ID); got != c.Prob {
					t.Errorf("Prob(%d) = %v, want %v", c.ID, got, c.Prob)
				}
			}
			if math.Abs(sum-1) > 1e-6 {
				t.Errorf("probabilities sum to %v", sum)
			}
			if tc.p.Temperature > 0 {
				// Probabilities after temperature: softmax(logit/T) over the candidates.
				var z float64
				for _, id := range tc.ids {
					z += math.Exp(float64(logits[id]) / float64(tc.p.Temperature))
				}
				for _, c := range dist {
					want := math.Exp(float64(logits[c.ID])/float64(tc.p.Temperature)) / z
					if math.Abs(float64(c.Prob)-want) > 1e-6 {
						t.Errorf("p(%d) = %v, want %v", c.ID, c.Prob, want)
					}
				}
			}
			if sample.Prob(dist, 99) != 0 {
				t.Error("Prob of a non-candidate is not 0")
			}
			// Sample draws from Distribution: same seed, same token.
			for seed := range uint64(50) {
				r1, r2 := rand.New(rand.NewPCG(seed, 1)), rand.New(rand.NewPCG(seed, 1))
				got, _ := sample.Sample(logits, tc.p, r1, nil)
				d, _ := sample.Distribution(logits, tc.p, nil)
				want := d[0].ID
				if tc.p.Temperature > 0 {
					want = sample.Pick(d, r2)
				}
				if got != want {
					t.Fatalf("seed %d: Sample %d, Pick(Distribution) %d", seed, got, want)
				}
			}
		})
	}
}
