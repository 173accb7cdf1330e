package decoder_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"testing"

	"github.com/llmls/llmls/decoder"
	"github.com/llmls/llmls/decoder/sample"
	"github.com/llmls/llmls/kernels"
)

// tolSame is the tolerance between two evaluations of the same tokens that split the work
// differently (prefix reuse, micro-batch size, rollback). Each row of every product is
// computed by the same code in the same order whatever the batch, so the results are
// bit-identical; any difference is a bug (e.g. a cell read past the causal mask).
const tolSame = 0

// tolSameQuant replaces tolSame for quantized weights: kernels/cpu's batched Q4_0/Q8_0
// product (4 or more rows) adds the blocks in another order than its one-row product
// (≈1e-5 apart), and that can round a Q8_0-quantized activation the other way downstream: one
// step d = amax/127 ≈ 0.02 times a weight, ≈1e-2 on a logit (measured 1.1e-2 in
// TestReference). When the kernels become batch-invariant this drops to tolSame.
const tolSameQuant = 2e-2

// loadModel loads a model of the reference data (skipping without it).
func loadModel(t *testing.T, rel string) *decoder.Model {
	t.Helper()
	m, err := decoder.Load(filepath.Join(testdataDir(t), rel), decoder.WithThreads(2))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func newSession(t *testing.T, m *decoder.Model, o decoder.SessionOptions) *decoder.Session {
	t.Helper()
	s, err := m.NewSession(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// sameLogits fails t when a and b differ by more than tol, showing the first differences.
func sameLogits(t *testing.T, what string, got, want []float32, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d logits, want %d", what, len(got), len(want))
	}
	var maxd float64
	var bad []string
	for i := range got {
		d := math.Abs(float64(got[i]) - float64(want[i]))
		if math.IsNaN(d) {
			d = math.Inf(1)
		}
		maxd = max(maxd, d)
		if d > tol && len(bad) < 5 {
			bad = append(bad, fmt.Sprintf("id %d: %.7g vs %.7g", i, got[i], want[i]))
		}
	}
	if maxd > tol {
		t.Errorf("%s: max |Δ| %.3g > %.3g; first: %v", what, maxd, tol, bad)
	}
}

// fimSequence is the qwen2 fim prompt followed by llama.cpp's greedy continuation.
func fimSequence(t *testing.T) []int32 {
	ref := readRef(t, filepath.Join(testdataDir(t), "models", "ref", "tiny-qwen2-f32.kvf32.fim.json"))
	return append(slices.Clone(ref.PromptTokens), ref.GreedyTokens...)
}

// scratchLogits evaluates tokens in a fresh session and returns the last logits.
func scratchLogits(t *testing.T, m *decoder.Model, o decoder.SessionOptions, tokens []int32) []float32 {
	t.Helper()
	s := newSession(t, m, o)
	logits, err := s.Eval(context.Background(), tokens)
	if err != nil {
		t.Fatal(err)
	}
	return slices.Clone(logits)
}

// TestPrefixReuse checks that Prefill after another prompt reuses the common prefix and gives
// the logits of evaluating the new prompt from scratch, for several split points, with both
// KV cache types.
func TestPrefixReuse(t *testing.T) {
	for _, tm := range []struct {
		model string
		tol   float64
	}{{"models/tiny-qwen2-f32.gguf", tolSame}, {"models/tiny-qwen2-q8_0.gguf", tolSameQuant}} {
		t.Run(filepath.Base(tm.model), func(t *testing.T) { testPrefixReuse(t, tm.model, tm.tol) })
	}
}

func testPrefixReuse(t *testing.T, model string, tol float64) {
	m := loadModel(t, model)
	seq := fimSequence(t) // 37 tokens
	ctx := context.Background()
	for _, kv := range []kernels.DType{kernels.F32, kernels.F16} {
		opts := decoder.SessionOptions{KVType: kv}
		want := scratchLogits(t, m, opts, seq)
		tests := []struct {
			name       string
			first      []int32 // what the session holds before
			wantReused int
		}{
			{"empty session", nil, 0},
			{"first token", seq[:1], 1},
			{"half", seq[:17], 17},
			{"all but one", seq[:len(seq)-1], len(seq) - 1},
			{"same prompt again", seq, len(seq)},
			{"longer prompt before", append(slices.Clone(seq), 5, 6, 7), len(seq) - 1},
			{"diverges at 10", append(slices.Clone(seq[:10]), 99, 98, 97, 96), 10},
			{"diverges at 0", []int32{99, 98}, 0},
		}
		for _, tc := range tests {
			t.Run(fmt.Sprintf("%v/%s", kv, tc.name), func(t *testing.T) {
				s := newSession(t, m, opts)
				if len(tc.first) > 0 {
					if _, err := s.Prefill(ctx, tc.first); err != nil {
						t.Fatal(err)
					}
				}
				reused, err := s.Prefill(ctx, seq)
				if err != nil {
					t.Fatal(err)
				}
				if reused != tc.wantReused {
					t.Errorf("reused %d tokens, want %d", reused, tc.wantReused)
				}
				if !slices.Equal(s.Tokens(), seq) {
					t.Errorf("session holds %v, want %v", s.Tokens(), seq)
				}
				sameLogits(t, "logits after prefix reuse", s.Logits(), want, tol)
			})
		}
	}
}

// TestMicroBatches checks that the micro-batch size does not change any logit.
func TestMicroBatches(t *testing.T) {
	for _, tm := range []struct {
		model, ref string
		tol        float64
	}{
		{"models/tiny-llama-f32.gguf", "tiny-llama-f32.kvf32.fib.json", tolSame},
		{"models/tiny-qwen2-q8_0.gguf", "tiny-qwen2-q8_0.kvf32.fib.json", tolSameQuant},
	} {
		t.Run(filepath.Base(tm.model), func(t *testing.T) {
			m := loadModel(t, tm.model)
			seq := readRef(t, filepath.Join(testdataDir(t), "models", "ref", tm.ref)).PromptTokens
			ctx := context.Background()
			var want [][]float32
			var maxd float64
			for _, bs := range []int{1, 512, 3, 7, 16} {
				s := newSession(t, m, decoder.SessionOptions{BatchSize: bs})
				all, err := s.EvalAll(ctx, seq)
				if err != nil {
					t.Fatal(err)
				}
				if want == nil {
					want = all
					continue
				}
				for i := range all {
					sameLogits(t, fmt.Sprintf("batch %d, position %d", bs, i), all[i], want[i], tm.tol)
					for j := range all[i] {
						maxd = max(maxd, math.Abs(float64(all[i][j]-want[i][j])))
					}
				}
			}
			t.Logf("max |Δlogit| between micro-batch sizes: %.3g", maxd)
		})
	}
}

// TestTruncate rolls back a speculative-looking continuation and evaluates another one.
func TestTruncate(t *testing.T) {
	m := loadModel(t, "models/tiny-llama-q8_0.gguf")
	ctx := context.Background()
	prefix := []int32{32013, 1000, 2000, 3000, 4000}
	draft, other := []int32{11, 12, 13, 14}, []int32{21, 22}
	s := newSession(t, m, decoder.SessionOptions{KVType: kernels.F16})
	if _, err := s.Eval(ctx, append(slices.Clone(prefix), draft...)); err != nil {
		t.Fatal(err)
	}
	if err := s.Truncate(len(prefix)); err != nil {
		t.Fatal(err)
	}
	if s.Logits() != nil {
		t.Error("Logits() after a truncation should be nil")
	}
	got, err := s.EvalAll(ctx, other)
	if err != nil {
		t.Fatal(err)
	}
	want := scratchLogits(t, m, decoder.SessionOptions{KVType: kernels.F16}, append(slices.Clone(prefix), other...))
	sameLogits(t, "after rollback", got[len(got)-1], want, tolSameQuant)
	for _, n := range []int{-1, s.Len() + 1} {
		if err := s.Truncate(n); err == nil {
			t.Errorf("Truncate(%d) with %d tokens: no error", n, s.Len())
		}
	}
	if err := s.Truncate(s.Len()); err != nil || s.Logits() == nil {
		t.Errorf("Truncate(Len()) = %v, logits kept %v; want a no-op", err, s.Logits() != nil)
	}
}

// TestKVCacheTypes checks that an F16 KV cache moves logits a little, never a lot, and that
// it is what changes: the same session type reproduces itself.
func TestKVCacheTypes(t *testing.T) {
	m := loadModel(t, "models/tiny-qwen2-f32.gguf")
	seq := fimSequence(t)
	f32 := scratchLogits(t, m, decoder.SessionOptions{KVType: kernels.F32}, seq)
	f16 := scratchLogits(t, m, decoder.SessionOptions{KVType: kernels.F16}, seq)
	var maxd float64
	for i := range f32 {
		maxd = max(maxd, math.Abs(float64(f32[i]-f16[i])))
	}
	// F16 keeps 11 significant bits: relative steps of 2^-11 ≈ 5e-4 in K and V move logits
	// by ~1e-3 (models/README.md: up to ~6e-3); an unrounded cache would give 0, a broken
	// one differences of order one.
	if maxd == 0 || maxd > 2e-2 {
		t.Errorf("max |logit(F16 KV) − logit(F32 KV)| = %.3g, want in (0, 2e-2]", maxd)
	}
	t.Logf("F16 vs F32 KV cache: max |Δlogit| %.3g", maxd)
	if _, err := m.NewSession(decoder.SessionOptions{KVType: kernels.Q8_0}); err == nil {
		t.Error("a Q8_0 KV cache was accepted")
	}
}

// TestCancel cancels a prompt evaluation from inside the forward pass and checks that it
// stops before the next layer, keeping the micro-batches that completed.
func TestCancel(t *testing.T) {
	m := loadModel(t, "models/stories260K/stories260K.gguf") // 5 layers
	prompt := make([]int32, 40)
	for i := range prompt {
		prompt[i] = int32(10 + i)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var maxLayerAfter = -1
	cancelled := false
	s := newSession(t, m, decoder.SessionOptions{BatchSize: 16, Debug: func(x decoder.DebugTensor) {
		if cancelled {
			maxLayerAfter = max(maxLayerAfter, x.Layer)
		}
		// Cancel in layer 1 of the second micro-batch (positions 16..31).
		if x.Pos0 == 16 && x.Name == "attn_norm" && x.Layer == 1 {
			cancel()
			cancelled = true
		}
	}})
	_, err := s.Eval(ctx, prompt)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Eval error %v, want context.Canceled", err)
	}
	if maxLayerAfter > 1 {
		t.Errorf("layer %d ran after the cancellation in layer 1", maxLayerAfter)
	}
	if s.Len() != 16 || s.Logits() != nil {
		t.Errorf("after cancel: %d tokens held (want the first micro-batch, 16), logits %v", s.Len(), s.Logits() != nil)
	}
	// The completed micro-batch is reused by the next prefill.
	reused, err := s.Prefill(context.Background(), prompt)
	if err != nil || reused != 16 {
		t.Errorf("Prefill after cancel: reused %d, err %v; want 16, nil", reused, err)
	}
	sameLogits(t, "after cancel and prefill", s.Logits(), scratchLogits(t, m, decoder.SessionOptions{}, prompt), tolSame)
}

// TestSessionErrors checks errors for bad token ids and a full context.
func TestSessionErrors(t *testing.T) {
	m := loadModel(t, "models/stories260K/stories260K.gguf") // vocabulary of 512
	ctx := context.Background()
	s := newSession(t, m, decoder.SessionOptions{ContextLength: 8})
	if _, err := s.Eval(ctx, []int32{1, 512}); !errors.Is(err, decoder.ErrBadToken) {
		t.Errorf("token 512: error %v, want ErrBadToken", err)
	}
	if _, err := s.Eval(ctx, []int32{-1}); !errors.Is(err, decoder.ErrBadToken) {
		t.Errorf("token -1: error %v, want ErrBadToken", err)
	}
	if s.Len() != 0 {
		t.Errorf("a rejected call stored %d tokens", s.Len())
	}
	if _, err := s.Eval(ctx, make([]int32, 9)); !errors.Is(err, decoder.ErrContextFull) {
		t.Errorf("9 tokens in 8 cells: error %v, want ErrContextFull", err)
	}
	if _, err := s.Prefill(ctx, make([]int32, 9)); !errors.Is(err, decoder.ErrContextFull) {
		t.Errorf("prefill 9 tokens in 8 cells: error %v, want ErrContextFull", err)
	}
	if _, err := s.Prefill(ctx, nil); err == nil {
		t.Error("empty prefill: no error")
	}
}

// TestGenerate reproduces stories260K's 48-token greedy chain with Generate and checks the
// streaming callback, the statistics, prefix reuse of a follow-up request and the stops.
func TestGenerate(t *testing.T) {
	td := testdataDir(t)
	ref := readRef(t, filepath.Join(td, "models", "stories260K", "stories260K.kvf32.once.json"))
	m := loadModel(t, "models/stories260K/stories260K.gguf")
	ctx := context.Background()
	s := newSession(t, m, decoder.SessionOptions{})

	var streamed []int32
	res, err := s.Generate(ctx, ref.PromptTokens, decoder.GenerateOptions{
		MaxTokens: len(ref.GreedyTokens),
		OnToken:   func(id int32) error { streamed = append(streamed, id); return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Tokens, ref.GreedyTokens) || !slices.Equal(streamed, res.Tokens) {
		t.Fatalf("generated %v\nstreamed %v\nllama.cpp %v", res.Tokens, streamed, ref.GreedyTokens)
	}
	st := res.Stats
	if res.Reason != decoder.StopMaxTokens || st.PromptTokens != 5 || st.Reused != 0 || st.Evaluated != 5 || st.Generated != 48 {
		t.Errorf("reason %v, stats %+v", res.Reason, st)
	}
	if s.Len() != 5+47 {
		t.Errorf("session holds %d tokens, want prompt + all generated but the last (52)", s.Len())
	}
	t.Logf("stories260K: prompt %.0f tok/s, generation %.0f tok/s", st.PromptTokensPerSecond(), st.GenerateTokensPerSecond())

	// A follow-up prompt extending the output reuses all but the never-evaluated last token.
	next := append(slices.Clone(ref.PromptTokens), ref.GreedyTokens...)
	res, err = s.Generate(ctx, next, decoder.GenerateOptions{MaxTokens: 1})
	if err != nil || res.Stats.Reused != 52 || res.Stats.Evaluated != 1 {
		t.Errorf("follow-up: stats %+v, err %v; want 52 reused, 1 evaluated", res.Stats, err)
	}

	stops := []struct {
		name   string
		opts   decoder.GenerateOptions
		want   []int32
		reason decoder.StopReason
	}{
		{"stop token", decoder.GenerateOptions{StopTokens: []int32{ref.GreedyTokens[3]}}, ref.GreedyTokens[:3], decoder.StopToken},
		{"predicate", decoder.GenerateOptions{Stop: func(g []int32) bool { return len(g) == 2 }}, ref.GreedyTokens[:2], decoder.StopPredicate},
		{"max tokens", decoder.GenerateOptions{MaxTokens: 4}, ref.GreedyTokens[:4], decoder.StopMaxTokens},
		{"callback error", decoder.GenerateOptions{OnToken: func(int32) error { return errStop }}, ref.GreedyTokens[:1], -1},
	}
	for _, tc := range stops {
		t.Run(tc.name, func(t *testing.T) {
			res, err := s.Generate(ctx, ref.PromptTokens, tc.opts)
			if tc.reason < 0 {
				if !errors.Is(err, errStop) {
					t.Errorf("error %v, want the callback's", err)
				}
			} else if err != nil || res.Reason != tc.reason {
				t.Errorf("reason %v, err %v; want %v", res.Reason, err, tc.reason)
			}
			if !slices.Equal(res.Tokens, tc.want) {
				t.Errorf("tokens %v, want %v", res.Tokens, tc.want)
			}
		})
	}
	if !m.IsEOG(2) || m.IsEOG(1) {
		t.Errorf("IsEOG(2 = </s>) %v, IsEOG(1 = <s>) %v", m.IsEOG(2), m.IsEOG(1))
	}
}

var errStop = errors.New("stop here")

// TestGenerateContext checks the two policies when the context fills.
func TestGenerateContext(t *testing.T) {
	m := loadModel(t, "models/stories260K/stories260K.gguf")
	ctx := context.Background()
	prompt := []int32{1, 403, 407, 261, 378}

	s := newSession(t, m, decoder.SessionOptions{ContextLength: 12})
	res, err := s.Generate(ctx, prompt, decoder.GenerateOptions{})
	if err != nil || res.Reason != decoder.StopContextFull || len(res.Tokens) != 12-5+1 {
		t.Errorf("no shift: reason %v, %d tokens, err %v; want context full after 8", res.Reason, len(res.Tokens), err)
	}

	s = newSession(t, m, decoder.SessionOptions{ContextLength: 12})
	res, err = s.Generate(ctx, prompt, decoder.GenerateOptions{MaxTokens: 30, ShiftContext: true, Keep: 1,
		Sampling: sample.Params{Temperature: 0.8, TopK: 40}})
	if err != nil || res.Reason != decoder.StopMaxTokens || len(res.Tokens) != 30 {
		t.Errorf("shift: reason %v, %d tokens, err %v; want 30 tokens", res.Reason, len(res.Tokens), err)
	}
	if held := s.Tokens(); len(held) > 12 || held[0] != 1 {
		t.Errorf("after shifts the session holds %v: want ≤ 12 tokens starting with the kept BOS", held)
	}
	if res.Stats.Evaluated <= 5 {
		t.Errorf("shifts re-evaluate tokens: Evaluated = %d", res.Stats.Evaluated)
	}
}

// TestConcurrentSessions runs sessions of one model from several goroutines: each must get the
// chain it gets alone (forward passes take turns on the model's pool).
func TestConcurrentSessions(t *testing.T) {
	td := testdataDir(t)
	ref := readRef(t, filepath.Join(td, "models", "stories260K", "stories260K.kvf32.once.json"))
	m := loadModel(t, "models/stories260K/stories260K.gguf")
	errs := make(chan error, 4)
	for g := range 4 {
		go func() {
			s, err := m.NewSession(decoder.SessionOptions{KVType: []kernels.DType{kernels.F32, kernels.F16}[g%2]})
			if err != nil {
				errs <- err
				return
			}
			res, err := s.Generate(context.Background(), ref.PromptTokens, decoder.GenerateOptions{MaxTokens: 20})
			if err == nil && !slices.Equal(res.Tokens, ref.GreedyTokens[:20]) {
				err = fmt.Errorf("session %d generated %v, want %v", g, res.Tokens, ref.GreedyTokens[:20])
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
