// Command cuda benchmarks a kernels.Backend (the GPU with the build tag cuda, or the CPU) on a
// generated model with the shapes of Qwen2.5-Coder-1.5B (28 layers, hidden 1536, 12 heads, 2 KV
// heads, FFN 8960, vocabulary 151936, tied embeddings, QKV bias) in Q8_0, running
// kernels/kerneltest's forward pass: every operation of a decode step on the backend (the
// embedding row is dequantized on the host and uploaded; RoPE angles likewise).
//
// It prints, one "name: value" line each:
//   - gemv: all layers' projection matrices and the output head multiplied by one token
//     (cuda.Device.MatMul alone), as GB/s and as a fraction of the HBM roofline (-hbm, bytes/s);
//   - decode at a short and at a -ctx context: tokens/s, and the fraction of the roofline
//     (weights + the KV cache read per token ÷ -hbm);
//   - prompt: a -prompt-token prompt in micro-batches of -batch, tokens/s;
//   - completion latency with a -prompt context: warm (the context cached, -tail new tokens, then
//     -gen decode steps) and cold (the whole prompt, then -gen decode steps), ms.
//
// Usage (device machine, see scripts/device-check.sh):
//
//	bench-cuda [-device cuda|cpu] [-layers 28] [-vocab 151936] [-prompt 2048] [-batch 512]
//	           [-gen 16] [-tail 8] [-decode 32] [-hbm 4.8e12] [-type q8_0]
//
// With -device cpu and small -layers/-vocab it runs anywhere (a check of the program itself).
package main

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"time"

	"github.com/llmls/llmls/kernels"
	"github.com/llmls/llmls/kernels/cpu"
	"github.com/llmls/llmls/kernels/kerneltest"
)

func main() {
	var (
		device  = flag.String("device", "cuda", "backend: cuda or cpu")
		layers  = flag.Int("layers", 28, "transformer layers (28 for the real shapes)")
		vocab   = flag.Int("vocab", 151936, "vocabulary size (151936 for the real shapes)")
		typ     = flag.String("type", "q8_0", "weight type: q8_0, q4_k, q6_k, f16")
		prompt  = flag.Int("prompt", 2048, "prompt (context) length, tokens")
		batch   = flag.Int("batch", 512, "micro-batch of prompt evaluation, tokens")
		gen     = flag.Int("gen", 16, "tokens of a one-line completion")
		tail    = flag.Int("tail", 8, "new prompt tokens of a warm completion (a keystroke's worth)")
		decode  = flag.Int("decode", 32, "decode steps timed at each context length")
		hbm     = flag.Float64("hbm", 4.8e12, "memory bandwidth of the roofline, bytes/s (H200: 4.8e12)")
		threads = flag.Int("threads", 0, "CPU threads for -device cpu (0: all)")
	)
	flag.Parse()
	if err := run(*device, *layers, *vocab, *typ, *prompt, *batch, *gen, *tail, *decode, *hbm, *threads); err != nil {
		fmt.Fprintln(os.Stderr, "bench-cuda:", err)
		os.Exit(1)
	}
}

func run(device string, layers, vocab int, typ string, prompt, batch, gen, tail, decode int, hbm float64, threads int) error {
	t, ok := kernels.ParseDType(typ)
	if !ok {
		return fmt.Errorf("unknown weight type %q", typ)
	}
	var b kernels.Backend
	switch device {
	case "cpu":
		b = cpu.NewBackend(threads)
	case "cuda":
		d, err := newCUDA()
		if err != nil {
			return err
		}
		b = d
	default:
		return fmt.Errorf("-device %q: want cuda or cpu", device)
	}
	defer b.Close()

	cfg := kerneltest.Qwen25Coder15B(t, prompt+tail+gen+decode)
	cfg.Layers, cfg.Vocab = layers, vocab
	start := time.Now()
	m, err := kerneltest.Generate(cfg, 1)
	if err != nil {
		return err
	}
	fmt.Printf("backend: %s\n", b.Name())
	fmt.Printf("model: Qwen2.5-Coder-1.5B shapes, %d layers, vocab %d, %v weights, %.3f GB of matrices, KV cache F16 of %d cells (generated in %.1fs)\n",
		cfg.Layers, cfg.Vocab, t, float64(m.WeightBytes())/1e9, cfg.Ctx, time.Since(start).Seconds())
	start = time.Now()
	r, err := kerneltest.Load(b, m, batch)
	if err != nil {
		return err
	}
	defer r.Close()
	fmt.Printf("load: %.2fs\n", time.Since(start).Seconds())

	if err := benchGEMV(b, r, hbm); err != nil {
		return err
	}

	logits := make([]float32, cfg.Vocab)
	tok := func(i int) int32 { return int32((i*7919 + 13) % cfg.Vocab) }
	kvBytes := func(ctx int) float64 { return float64(2 * cfg.Layers * cfg.HeadsKV * cfg.HeadDim * ctx * 2) }

	// Decode at a short context: positions [0, decode).
	if err := r.Eval([]int32{tok(0)}, 0, logits); err != nil { // warm-up (JIT, caches)
		return err
	}
	per, err := timeDecode(r, 1, decode, tok, logits)
	if err != nil {
		return err
	}
	report("decode ctx≈16", per, float64(m.WeightBytes())+kvBytes(decode/2), hbm)

	// Prompt of `prompt` tokens from position 0.
	toks := make([]int32, prompt)
	for i := range toks {
		toks[i] = tok(i)
	}
	start = time.Now()
	if err := r.Eval(toks, 0, logits); err != nil {
		return err
	}
	pd := time.Since(start)
	fmt.Printf("prompt: %d tokens in %.1f ms = %.0f tokens/s (micro-batches of %d)\n", prompt, ms(pd), float64(prompt)/pd.Seconds(), batch)

	// Decode after the prompt.
	per, err = timeDecode(r, prompt, decode, tok, logits)
	if err != nil {
		return err
	}
	report(fmt.Sprintf("decode ctx≈%d", prompt), per, float64(m.WeightBytes())+kvBytes(prompt+decode/2), hbm)

	// One-line completion with the context cached: `tail` new tokens, then `gen` decode steps.
	var warm, cold []time.Duration
	for range 3 {
		start = time.Now()
		if err := r.Eval(toks[prompt-tail:], prompt, logits); err != nil { // the keystroke's tokens
			return err
		}
		if _, err := timeDecode(r, prompt+tail, gen, tok, logits); err != nil {
			return err
		}
		warm = append(warm, time.Since(start))
	}
	for range 2 {
		start = time.Now()
		if err := r.Eval(toks, 0, logits); err != nil {
			return err
		}
		if _, err := timeDecode(r, prompt, gen, tok, logits); err != nil {
			return err
		}
		cold = append(cold, time.Since(start))
	}
	fmt.Printf("completion warm (context %d cached, %d new tokens, %d generated): median %.1f ms\n", prompt, tail, gen, ms(median(warm)))
	fmt.Printf("completion cold (prompt %d, %d generated): median %.1f ms\n", prompt, gen, ms(median(cold)))
	return nil
}

// timeDecode evaluates n tokens one at a time from position pos (reading the logits of each,
// as sampling must) and returns the median time per token.
func timeDecode(r *kerneltest.Runner, pos, n int, tok func(int) int32, logits []float32) (time.Duration, error) {
	var ds []time.Duration
	for i := range n {
		start := time.Now()
		if err := r.Eval([]int32{tok(pos + i)}, pos+i, logits); err != nil {
			return 0, err
		}
		ds = append(ds, time.Since(start))
	}
	return median(ds), nil
}

func report(what string, per time.Duration, bytes, hbm float64) {
	roof := bytes / hbm
	fmt.Printf("%s: %.3f ms/token = %.0f tokens/s; roofline %.3f ms/token (%.1f MB read at %.2g B/s): %.2f of roofline\n",
		what, ms(per), 1/per.Seconds(), roof*1e3, bytes/1e6, hbm, roof/per.Seconds())
}

// benchGEMV times MatMul of one token through every loaded matrix of the model, each layer's
// own (decode's weight traffic without the other operations).
func benchGEMV(b kernels.Backend, r *kerneltest.Runner, hbm float64) error {
	c := r.M.Config
	x, err := b.Alloc(max(c.Embd, c.FF))
	if err != nil {
		return err
	}
	defer x.Free()
	y, err := b.Alloc(max(c.Vocab, c.FF))
	if err != nil {
		return err
	}
	defer y.Free()
	ws := r.Weights()
	pass := func() {
		for _, w := range ws {
			b.MatMul(y, w, x, 1)
		}
	}
	pass()
	if err := b.Sync(); err != nil {
		return err
	}
	const reps = 10
	start := time.Now()
	for range reps {
		pass()
	}
	if err := b.Sync(); err != nil {
		return err
	}
	per := time.Since(start) / reps
	bytes := float64(r.M.WeightBytes())
	fmt.Printf("gemv (MatMul only, 1 token, all %d layers + head): %.3f ms = %.0f GB/s = %.2f of roofline %.2g B/s\n",
		c.Layers, ms(per), bytes/per.Seconds()/1e9, bytes/per.Seconds()/hbm, hbm)
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}
