package decoder_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/llmls/llmls/decoder"
	"github.com/llmls/llmls/kernels"
)

// BenchmarkSpeculative times greedy generation with and without speculation in each
// iteration (same session, the prompt's KV cache reused) and reports both rates, their ratio,
// the acceptance rate and the tokens per target pass. Models: stories260K (drafted by itself
// cut to 2 layers), the embedded base when present (with its draft, or itself cut to half
// its layers), and the Qwen2.5-Coder-0.5B-shaped random model of BenchmarkQwen05B (with
// LLMLS_BENCH_LAYERS layers, default 24) with prompt lookup and an oracle drafter (the plain
// output: the bound that verification costs allow). bench/speculative prints the same as a
// table over more prompts.
func BenchmarkSpeculative(b *testing.B) {
	td := testdataDir(b)
	type target struct {
		name   string
		m      *decoder.Model
		draft  *decoder.Model
		prompt []int32
	}
	var targets []target
	stories := loadBenchModel(b, filepath.Join(td, "models/stories260K/stories260K.gguf"))
	sp, err := stories.Tokenize("Tom had a red ball. Tom had a blue ball. Tom had a green ball. Tom had a", false)
	if err != nil {
		b.Fatal(err)
	}
	targets = append(targets, target{"stories260K", stories, truncatedModel(b, filepath.Join(td, "models/stories260K/stories260K.gguf"), 2), sp})
	if base := os.Getenv("LLMLS_EMBEDDED_BASE"); base != "" || exists(filepath.Join(moduleRoot(b), "decoder/embedded/base.gguf")) {
		if base == "" {
			base = filepath.Join(moduleRoot(b), "decoder/embedded/base.gguf")
		}
		m := loadBenchModel(b, base)
		var draft *decoder.Model
		if p := os.Getenv("LLMLS_EMBEDDED_DRAFT"); p != "" {
			draft = loadBenchModel(b, p)
		} else {
			draft = truncatedModel(b, base, max(1, m.Config.NLayer/2))
		}
		p, err := m.Tokenize(codePrompts[0], false)
		if err != nil {
			b.Fatal(err)
		}
		targets = append(targets, target{"embedded", m, draft, p})
	}
	layers, _ := strconv.Atoi(os.Getenv("LLMLS_BENCH_LAYERS"))
	qwen := syntheticQwen(b, kernels.Q8_0, layers)
	b.Cleanup(func() { qwen.Close() })
	qp := make([]int32, 64)
	for i := range qp {
		qp[i] = int32(1000 + i%16*37) // a motif repeated 4 times
	}
	targets = append(targets, target{"qwen05b-q8_0", qwen, nil, qp})

	const gen = 32
	for _, tg := range targets {
		configs := []struct {
			name     string
			drafters func(ref []int32) []decoder.Drafter
		}{
			{"lookup", func([]int32) []decoder.Drafter { return []decoder.Drafter{&decoder.LookupDrafter{}} }},
			{"oracle", func(ref []int32) []decoder.Drafter {
				return []decoder.Drafter{&oracleDrafter{prompt: len(tg.prompt), ref: ref, good: -1, vocab: tg.m.Config.NVocab}}
			}},
		}
		if tg.draft != nil {
			configs = append(configs, struct {
				name     string
				drafters func(ref []int32) []decoder.Drafter
			}{"draft", func([]int32) []decoder.Drafter {
				d, err := decoder.NewModelDrafter(tg.m, tg.draft, decoder.ModelDrafterOptions{KVType: kernels.F16})
				if err != nil {
					b.Fatal(err)
				}
				return []decoder.Drafter{d}
			}})
		}
		for _, cfg := range configs {
			b.Run(tg.name+"/"+cfg.name, func(b *testing.B) {
				ctx := context.Background()
				s, err := tg.m.NewSession(decoder.SessionOptions{ContextLength: len(tg.prompt) + gen + 8, KVType: kernels.F16})
				if err != nil {
					b.Fatal(err)
				}
				opts := decoder.GenerateOptions{MaxTokens: gen}
				ref, err := s.Generate(ctx, tg.prompt, opts)
				if err != nil {
					b.Fatal(err)
				}
				spec := decoder.NewSpeculator(decoder.SpecOptions{}, cfg.drafters(ref.Tokens)...)
				var plainMS, specMS float64
				var st decoder.Stats
				for b.Loop() {
					res, err := s.Generate(ctx, tg.prompt, opts)
					if err != nil {
						b.Fatal(err)
					}
					plainMS += res.Stats.GenerateMS
					opts.Speculative = spec
					sres, err := s.Generate(ctx, tg.prompt, opts)
					opts.Speculative = nil
					if err != nil {
						b.Fatal(err)
					}
					specMS += sres.Stats.GenerateMS
					st.Generated += sres.Stats.Generated
					st.Passes += sres.Stats.Passes
					st.Drafted += sres.Stats.Drafted
					st.Accepted += sres.Stats.Accepted
				}
				n := float64(gen * b.N)
				b.ReportMetric(n/plainMS*1000, "plain-tok/s")
				b.ReportMetric(n/specMS*1000, "spec-tok/s")
				b.ReportMetric(plainMS/specMS, "speedup")
				b.ReportMetric(st.AcceptanceRate(), "accept")
				b.ReportMetric(st.TokensPerPass(), "tok/pass")
			})
		}
	}
}

func loadBenchModel(b *testing.B, path string) *decoder.Model {
	b.Helper()
	m, err := decoder.Load(path, decoder.WithThreads(benchThreads()))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { m.Close() })
	return m
}
