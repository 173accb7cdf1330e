package sample_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/llmls/llmls/decoder/sample"
)

func TestArgmax(t *testing.T) {
	nan := float32(math.NaN())
	tests := []struct {
		name   string
		logits []float32
		want   int32
	}{
		{"single", []float32{3}, 0},
		{"max last", []float32{1, 2, 3}, 2},
		{"tie takes lower id", []float32{1, 5, 2, 5}, 1},
		{"negative", []float32{-3, -1, -2}, 1},
		{"NaN skipped", []float32{nan, 1, nan, 2}, 3},
		{"all NaN", []float32{nan, nan}, 0},
		{"-Inf and a number", []float32{float32(math.Inf(-1)), -1e30}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := sample.Argmax(tc.logits); got != tc.want {
				t.Errorf("Argmax(%v) = %d, want %d", tc.logits, got, tc.want)
			}
		})
	}
}

// TestTopK checks the heap selection against a full sort, for k around the edges.
func TestTopK(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	logits := make([]float32, 1000)
	for i := range logits {
		logits[i] = float32(rng.IntN(50)) // many ties: the order must break them by id
	}
	full := sample.Candidates(nil, logits)
	slices.SortFunc(full, func(a, b sample.Token) int {
		if a.Logit != b.Logit {
			if a.Logit > b.Logit {
				return -1
			}
			return 1
		}
		return int(a.ID - b.ID)
	})
	for _, tc := range []struct {
		name string
		k    int
	}{{"k=1", 1}, {"k=2", 2}, {"k=40", 40}, {"k=999", 999}, {"k=n", 1000}, {"k=0 sorts all", 0}, {"k>n", 5000}} {
		t.Run(tc.name, func(t *testing.T) {
			got := sample.TopK(sample.Candidates(nil, logits), tc.k)
			want := full
			if tc.k > 0 && tc.k < len(full) {
				want = full[:tc.k]
			}
			if !slices.Equal(got, want) {
				t.Errorf("TopK(%d): first %v, want %v (len %d vs %d)", tc.k, got[:min(5, len(got))], want[:min(5, len(want))], len(got), len(want))
			}
		})
	}
}

func TestSoftmax(t *testing.T) {
	ts := []sample.Token{{ID: 0, Logit: 1}, {ID: 1, Logit: 2}, {ID: 2, Logit: 3}}
	sample.Softmax(ts)
	z := math.Exp(1) + math.Exp(2) + math.Exp(3)
	for i, tk := range ts {
		want := math.Exp(float64(i+1)) / z
		if math.Abs(float64(tk.Prob)-want) > 1e-7 {
			t.Errorf("Prob[%d] = %v, want %v", i, tk.Prob, want)
		}
	}
}

func probs(ps ...float32) []sample.Token {
	var ts []sample.Token
	for i, p := range ps {
		ts = append(ts, sample.Token{ID: int32(i), Logit: float32(math.Log(float64(p))), Prob: p})
	}
	return ts
}

func ids(ts []sample.Token) []int32 {
	var out []int32
	for _, t := range ts {
		out = append(out, t.ID)
	}
	return out
}

func TestTopPMinP(t *testing.T) {
	tests := []struct {
		name string
		f    func([]sample.Token) []sample.Token
		want []int32
	}{
		{"top-p 0.5 keeps the first", func(ts []sample.Token) []sample.Token { return sample.TopP(ts, 0.5) }, []int32{0}},
		{"top-p 0.7 needs two", func(ts []sample.Token) []sample.Token { return sample.TopP(ts, 0.7) }, []int32{0, 1}},
		{"top-p 0.85 needs three", func(ts []sample.Token) []sample.Token { return sample.TopP(ts, 0.85) }, []int32{0, 1, 2}},
		{"top-p 1 keeps all", func(ts []sample.Token) []sample.Token { return sample.TopP(ts, 1) }, []int32{0, 1, 2, 3}},
		{"top-p tiny keeps one", func(ts []sample.Token) []sample.Token { return sample.TopP(ts, 1e-6) }, []int32{0}},
		{"min-p 0.5: ≥ 0.25", func(ts []sample.Token) []sample.Token { return sample.MinP(ts, 0.5) }, []int32{0, 1}},
		{"min-p 0.2: ≥ 0.1", func(ts []sample.Token) []sample.Token { return sample.MinP(ts, 0.2) }, []int32{0, 1, 2}},
		{"min-p 0 keeps all", func(ts []sample.Token) []sample.Token { return sample.MinP(ts, 0) }, []int32{0, 1, 2, 3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ids(tc.f(probs(0.5, 0.3, 0.15, 0.05)))
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// TestPickFrequencies draws many times and checks the frequencies against the probabilities
// (5 standard deviations of a binomial), and that a seed reproduces the draws.
func TestPickFrequencies(t *testing.T) {
	ts := probs(0.5, 0.3, 0.15, 0.05)
	const n = 100000
	count := make([]int, len(ts))
	rng := rand.New(rand.NewPCG(42, 0))
	var first []int32
	for i := range n {
		id := sample.Pick(ts, rng)
		count[id]++
		if i < 20 {
			first = append(first, id)
		}
	}
	for i, tk := range ts {
		p := float64(tk.Prob)
		sd := math.Sqrt(n * p * (1 - p))
		if d := math.Abs(float64(count[i]) - n*p); d > 5*sd {
			t.Errorf("token %d drawn %d times, expected %.0f ± %.0f", i, count[i], n*p, sd)
		}
	}
	rng = rand.New(rand.NewPCG(42, 0))
	for i, want := range first {
		if got := sample.Pick(ts, rng); got != want {
			t.Fatalf("draw %d with the same seed: %d, first time %d", i, got, want)
		}
	}
}

func TestSample(t *testing.T) {
	logits := []float32{0.1, 2.5, 2.4, -1, 0}
	rng := rand.New(rand.NewPCG(7, 7))
	tests := []struct {
		name    string
		p       sample.Params
		allowed []int32
	}{
		{"greedy", sample.Params{}, []int32{1}},
		{"top-k 1", sample.Params{Temperature: 1, TopK: 1}, []int32{1}},
		{"top-k 2", sample.Params{Temperature: 1, TopK: 2}, []int32{1, 2}},
		{"min-p 0.5", sample.Params{Temperature: 2, MinP: 0.5}, []int32{1, 2}},
		{"cold temperature", sample.Params{Temperature: 1e-4}, []int32{1}},
		{"top-p 0.3", sample.Params{Temperature: 1, TopP: 0.3}, []int32{1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf []sample.Token
			seen := map[int32]bool{}
			for range 200 {
				var id int32
				id, buf = sample.Sample(logits, tc.p, rng, buf)
				if !slices.Contains(tc.allowed, id) {
					t.Fatalf("sampled %d, allowed %v", id, tc.allowed)
				}
				seen[id] = true
			}
			if len(seen) != len(tc.allowed) {
				t.Errorf("sampled %v in 200 draws, want each of %v", seen, tc.allowed)
			}
		})
	}
}
