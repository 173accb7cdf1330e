package decoder_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/llmls/llmls/decoder"
	"github.com/llmls/llmls/decoder/sample"
)

// smallVocabModel writes and loads a 1-layer llama of random weights (seed) with a vocabulary
// of vocab tokens and no tokenizer (so no end-of-generation token): every sequence of a few
// tokens has a probability large enough to be counted.
func smallVocabModel(t *testing.T, seed uint64, vocab int) *decoder.Model {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	const d, nq, nkv, ff = 16, 16, 8, 32
	m := &modelSpec{}
	m.set("general.architecture", "llama")
	m.set("llama.context_length", uint32(64))
	m.set("llama.embedding_length", uint32(d))
	m.set("llama.block_count", uint32(1))
	m.set("llama.feed_forward_length", uint32(ff))
	m.set("llama.attention.head_count", uint32(2))
	m.set("llama.attention.head_count_kv", uint32(1))
	m.set("llama.attention.layer_norm_rms_epsilon", float32(1e-6))
	m.tensors = append(m.tensors,
		f32Tensor(rng, "token_embd.weight", 0.5, false, d, int64(vocab)),
		f32Tensor(rng, "blk.0.attn_norm.weight", 0.1, true, d),
		f32Tensor(rng, "blk.0.attn_q.weight", 0.25, false, d, nq),
		f32Tensor(rng, "blk.0.attn_k.weight", 0.25, false, d, nkv),
		f32Tensor(rng, "blk.0.attn_v.weight", 0.25, false, d, nkv),
		f32Tensor(rng, "blk.0.attn_output.weight", 0.25, false, nq, d),
		f32Tensor(rng, "blk.0.ffn_norm.weight", 0.1, true, d),
		f32Tensor(rng, "blk.0.ffn_gate.weight", 0.25, false, d, ff),
		f32Tensor(rng, "blk.0.ffn_up.weight", 0.25, false, d, ff),
		f32Tensor(rng, "blk.0.ffn_down.weight", 0.18, false, ff, d),
		f32Tensor(rng, "output_norm.weight", 0.1, true, d),
		f32Tensor(rng, "output.weight", 0.35, false, d, int64(vocab)))
	path := m.write(t, t.TempDir(), fmt.Sprintf("small-%d.gguf", seed))
	model, err := decoder.Load(path, decoder.WithThreads(1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { model.Close() })
	return model
}

// sequenceProbs returns the exact probability of every continuation of prompt of n tokens
// under m sampled with sp: the product of the target's sample.Distribution at each step,
// computed from the logits of plain evaluations (no sampling involved).
func sequenceProbs(t *testing.T, m *decoder.Model, prompt []int32, n int, sp sample.Params) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	s := newSession(t, m, decoder.SessionOptions{})
	var walk func(seq []int32, p float64)
	walk = func(seq []int32, p float64) {
		if len(seq) == len(prompt)+n {
			out[fmt.Sprint(seq[len(prompt):])] = p
			return
		}
		if _, err := s.Prefill(context.Background(), seq); err != nil {
			t.Fatal(err)
		}
		dist, _ := sample.Distribution(s.Logits(), sp, nil)
		probs := slices.Clone(dist)
		for _, c := range probs {
			walk(append(slices.Clone(seq), c.ID), p*float64(c.Prob))
		}
	}
	walk(prompt, 1)
	return out
}

// chiSquare compares counts of n draws with the probabilities want, pooling the cells whose
// expected count is below 5, and returns the statistic and the 1−1e-4 critical value.
func chiSquare(counts map[string]int, want map[string]float64, n int) (chi, crit float64, df int) {
	var poolE, poolC float64
	for k, p := range want {
		e, c := p*float64(n), float64(counts[k])
		if e < 5 {
			poolE, poolC = poolE+e, poolC+c
			continue
		}
		chi += (c - e) * (c - e) / e
		df++
	}
	for k, c := range counts {
		if _, ok := want[k]; !ok { // a sequence of probability 0
			poolC += float64(c)
		}
	}
	if poolE > 0 {
		chi += (poolC - poolE) * (poolC - poolE) / poolE
		df++
	} else if poolC > 0 {
		chi = math.Inf(1)
	}
	df--
	const z = 3.719 // Wilson–Hilferty approximation of the χ² quantile
	d := float64(df)
	c := 1 - 2/(9*d) + z*math.Sqrt(2/(9*d))
	return chi, d * c * c * c, df
}

// improbableLiar samples its drafts from the draft model's distribution but reports each as
// nearly impossible under q (q(d) = 1e-6), so that the rejection rule accepts them all: the
// output then follows the draft model where it drafted. It shows that
// TestSpeculativeSamplingLossless can fail.
type improbableLiar struct{ *decoder.ModelDrafter }

func (l improbableLiar) Draft(ctx context.Context, seq []int32, max int, sp sample.Params, rng *rand.Rand) (decoder.Draft, error) {
	d, err := l.ModelDrafter.Draft(ctx, seq, max, sp, rng)
	for i, id := range d.Tokens {
		d.Probs[i] = []sample.Token{{ID: id, Prob: 1e-6}}
	}
	return d, err
}

// TestSpeculativeSamplingLossless draws the first 4 tokens of a small-vocabulary model many
// times with and without speculation (fixed seeds, so the test is deterministic) and checks
// with a χ² test that both follow the exact distribution computed from the target's logits:
// a draft model that disagrees with the target (another random model), the draft model
// stopping at low probabilities, prompt lookup (point masses), a fixed-token drafter, and the
// target as its own draft. A drafter that misreports q must be caught.
func TestSpeculativeSamplingLossless(t *testing.T) {
	// 4^4 sequences; the first token comes from the prompt's pass, so drafts cover tokens 2–4.
	const vocab, nTok, runs = 4, 4, 12000
	target := smallVocabModel(t, 1, vocab)
	draft := smallVocabModel(t, 2, vocab)
	prompt := []int32{1, 3, 1, 3, 1} // repeats: lookup proposes "3 1 3 …"
	params := []sample.Params{
		{Temperature: 1},
		{Temperature: 0.8, TopK: 3, TopP: 0.9, MinP: 0.05},
	}
	modelDrafter := func(m *decoder.Model, minProb float32) *decoder.ModelDrafter {
		d, err := decoder.NewModelDrafter(target, m, decoder.ModelDrafterOptions{MinProb: minProb})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	configs := []struct {
		name     string
		drafters func() []decoder.Drafter
		biased   bool
	}{
		{"plain", func() []decoder.Drafter { return nil }, false},
		{"draft model", func() []decoder.Drafter { return []decoder.Drafter{modelDrafter(draft, -1)} }, false},
		{"draft model min-prob", func() []decoder.Drafter { return []decoder.Drafter{modelDrafter(draft, 0.6)} }, false},
		{"target as draft", func() []decoder.Drafter { return []decoder.Drafter{modelDrafter(target, -1)} }, false},
		{"lookup", func() []decoder.Drafter { return []decoder.Drafter{&decoder.LookupDrafter{MinNgram: 1}} }, false},
		{"fixed tokens", func() []decoder.Drafter {
			return []decoder.Drafter{&oracleDrafter{prompt: len(prompt), ref: []int32{2, 2, 2, 2}, good: -1, vocab: vocab}}
		}, false},
		{"lookup then draft model", func() []decoder.Drafter {
			return []decoder.Drafter{&decoder.LookupDrafter{MinNgram: 3}, modelDrafter(draft, -1)}
		}, false},
		{"misreported q", func() []decoder.Drafter { return []decoder.Drafter{improbableLiar{modelDrafter(draft, -1)}} }, true},
	}
	for pi, sp := range params {
		want := sequenceProbs(t, target, prompt, nTok, sp)
		for _, cfg := range configs {
			t.Run(fmt.Sprintf("params%d/%s", pi, cfg.name), func(t *testing.T) {
				s := newSession(t, target, decoder.SessionOptions{})
				var spec *decoder.Speculator
				if ds := cfg.drafters(); ds != nil {
					spec = decoder.NewSpeculator(decoder.SpecOptions{MaxDraft: nTok, FixedLength: true}, ds...)
				}
				counts := map[string]int{}
				var drafted, accepted int
				byDrafter := map[string]int{}
				for r := range runs {
					res, err := s.Generate(context.Background(), prompt, decoder.GenerateOptions{
						MaxTokens: nTok, Sampling: sp, Rand: rand.New(rand.NewPCG(uint64(100+pi), uint64(r))), Speculative: spec})
					if err != nil || len(res.Tokens) != nTok {
						t.Fatalf("run %d: %v, %v", r, res.Tokens, err)
					}
					counts[fmt.Sprint(res.Tokens)]++
					drafted += res.Stats.Drafted
					accepted += res.Stats.Accepted
					for _, d := range res.Stats.Drafters {
						byDrafter[d.Name] += d.Drafted
					}
				}
				chi, crit, df := chiSquare(counts, want, runs)
				t.Logf("χ² = %.1f (critical %.1f, df %d); %d drafted %v, %d accepted", chi, crit, df, drafted, byDrafter, accepted)
				if spec != nil && drafted == 0 {
					t.Fatal("nothing drafted: the test tests nothing")
				}
				if cfg.biased && chi <= crit {
					t.Errorf("a misreported q went unnoticed: χ² = %.1f ≤ %.1f", chi, crit)
				}
				if !cfg.biased && chi > crit {
					t.Errorf("output distribution differs from the target's: χ² = %.1f > %.1f (df %d)", chi, crit, df)
				}
			})
		}
	}
}
