package decoder_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/llmls/llmls/decoder"
	"github.com/llmls/llmls/kernels"
)

// BenchmarkLoRA times decoding on a Qwen2.5-Coder-0.5B-shaped Q8_0 model (see syntheticQwen;
// LLMLS_BENCH_LAYERS overrides its 24 layers) with a rank-16 adapter on q, k, v, o, gate, up
// and down of every layer, applied two ways: unmerged (the base weights plus the LoRA branch
// in every projection: switchable per request) and merged at load (requantized to Q8_0: the
// base model's speed). Decode steps of the two alternate token by token, so that both see the
// same load on a shared machine. It reports both decode rates and their ratio
// (unmerged/merged; the target is ≥ 0.9), the adapter's size, the time LoadAdapter takes
// and the extra load time of merging (approximate: two loads of the synthetic model).
func BenchmarkLoRA(b *testing.B) {
	layers, _ := strconv.Atoi(os.Getenv("LLMLS_BENCH_LAYERS"))
	const rank, nPrompt, nDecode = 16, 32, 32
	t0 := time.Now()
	base := syntheticQwen(b, kernels.Q8_0, layers)
	defer base.Close()
	baseLoad := time.Since(t0)
	path := writeTestAdapter(b, filepath.Join(b.TempDir(), "r16.gguf"), &base.Config, rank, 1, 0.01, false)
	t0 = time.Now()
	ad, err := base.LoadAdapter(path)
	if err != nil {
		b.Fatal(err)
	}
	adapterLoad := time.Since(t0)
	t0 = time.Now()
	merged := syntheticQwen(b, kernels.Q8_0, layers, decoder.WithMergedLoRA(path, 1))
	defer merged.Close()
	mergeTime := time.Since(t0) - baseLoad // building the synthetic file is common to both

	ctx := context.Background()
	prompt := make([]int32, nPrompt)
	for i := range prompt {
		prompt[i] = int32(3 + i*7)
	}
	session := func(m *decoder.Model, set []decoder.ActiveAdapter) *decoder.Session {
		s, err := m.NewSession(decoder.SessionOptions{KVType: kernels.F16, ContextLength: nPrompt + nDecode})
		if err != nil {
			b.Fatal(err)
		}
		if err := s.SetAdapters(set); err != nil {
			b.Fatal(err)
		}
		if _, err := s.Prefill(ctx, prompt); err != nil {
			b.Fatal(err)
		}
		return s
	}
	sU := session(base, []decoder.ActiveAdapter{{Adapter: ad, Scale: 1}})
	sM := session(merged, nil)
	step := func(s *decoder.Session, tok int32) time.Duration {
		t0 := time.Now()
		if _, err := s.Eval(ctx, []int32{tok}); err != nil {
			b.Fatal(err)
		}
		return time.Since(t0)
	}
	var tU, tM time.Duration
	for b.Loop() {
		for i := range nDecode {
			tok := int32(100 + i)
			if i%2 == 0 { // alternate which goes first
				tU += step(sU, tok)
				tM += step(sM, tok)
			} else {
				tM += step(sM, tok)
				tU += step(sU, tok)
			}
		}
		if err := sU.Truncate(nPrompt); err != nil {
			b.Fatal(err)
		}
		if err := sM.Truncate(nPrompt); err != nil {
			b.Fatal(err)
		}
	}
	n := float64(nDecode * b.N)
	rateU, rateM := n/tU.Seconds(), n/tM.Seconds()
	b.ReportMetric(rateU, "unmerged-tok/s")
	b.ReportMetric(rateM, "merged-tok/s")
	b.ReportMetric(rateU/rateM, "unmerged/merged")
	b.ReportMetric(float64(ad.Bytes())/(1<<20), "adapter-MiB")
	b.ReportMetric(float64(adapterLoad.Milliseconds()), "LoadAdapter-ms")
	b.ReportMetric(float64(mergeTime.Milliseconds()), "merge-ms")
}
