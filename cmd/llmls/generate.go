package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"strings"

	"github.com/llmls/llmls/decoder"
	"github.com/llmls/llmls/decoder/gguf"
	"github.com/llmls/llmls/decoder/lora"
	"github.com/llmls/llmls/decoder/sample"
	"github.com/llmls/llmls/tokenizer"
)

func runGenerate(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("generate", flag.ContinueOnError)
	var mf modelFlags
	mf.register(fs)
	maxTokens := fs.Int("max-tokens", 64, "most tokens to generate")
	temp := fs.Float64("temperature", 0, "sampling temperature (0: greedy)")
	topK := fs.Int("top-k", 40, "top-k (with --temperature)")
	topP := fs.Float64("top-p", 0.95, "top-p (with --temperature)")
	minP := fs.Float64("min-p", 0.05, "min-p (with --temperature)")
	seed := fs.Uint64("seed", 0, "random seed (with --temperature)")
	ids := fs.Bool("ids", false, "print token ids instead of text")
	specials := fs.Bool("specials", true, "parse control-token strings such as <|fim_prefix|> in PROMPT")
	ctxLen := fs.Int("ctx", 0, "KV cache size in tokens (default: the model's, at most 4096)")
	var loraSpecs []string
	fs.Func("lora", "LoRA adapter `PATH[:SCALE]` (PEFT folder or GGUF adapter, applied unmerged; repeatable)", func(spec string) error {
		_, _, err := lora.ParseSpec(spec)
		loraSpecs = append(loraSpecs, spec)
		return err
	})
	var sf specFlags
	sf.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	prompt := strings.Join(fs.Args(), " ")
	if prompt == "-" {
		b, err := io.ReadAll(stdin)
		if err != nil {
			return err
		}
		prompt = string(b)
	}
	if prompt == "" {
		return usageErr("want a PROMPT (or - for stdin)")
	}
	switch {
	case !(*temp >= 0) || math.IsInf(*temp, 0):
		return usageErr("--temperature %v: want a number >= 0", *temp)
	case *maxTokens <= 0:
		return usageErr("--max-tokens %d: want at least 1", *maxTokens)
	case !(*topP > 0 && *topP <= 1):
		return usageErr("--top-p %v: want a number in (0, 1]", *topP)
	case !(*minP >= 0 && *minP <= 1):
		return usageErr("--min-p %v: want a number in [0, 1]", *minP)
	}
	m, _, err := loadModel(mf.model, mf.threads)
	if err != nil {
		return err
	}
	defer m.Close()
	toks, err := m.Tokenize(prompt, *specials)
	if err != nil {
		return err
	}
	sess, err := m.NewSession(decoder.SessionOptions{ContextLength: *ctxLen})
	if err != nil {
		return err
	}
	if err := applyLoRA(m, sess, loraSpecs); err != nil {
		return err
	}
	dec := m.Tokenizer.NewStreamDecoder()
	var printed []string
	opts := decoder.GenerateOptions{
		MaxTokens: *maxTokens,
		OnToken: func(id int32) error {
			if *ids {
				printed = append(printed, fmt.Sprint(id))
				return nil
			}
			_, err := io.WriteString(stdout, dec.Add(id))
			return err
		},
	}
	if *temp > 0 {
		opts.Sampling = sample.Params{Temperature: float32(*temp), TopK: *topK, TopP: float32(*topP), MinP: float32(*minP)}
		opts.Rand = rand.New(rand.NewPCG(*seed, 0))
	}
	spec, closeDraft, err := sf.speculator(m, *ctxLen, mf.threads)
	if err != nil {
		return err
	}
	defer closeDraft()
	opts.Speculative = spec
	res, err := sess.Generate(ctx, toks, opts)
	if *ids {
		fmt.Fprintln(stdout, strings.Join(printed, " "))
	} else {
		io.WriteString(stdout, dec.Flush())
		fmt.Fprintln(stdout)
	}
	st := res.Stats
	fmt.Fprintf(stderr, "prompt: %d tokens in %.1f ms (%.1f tokens/s); generated: %d tokens in %.1f ms (%.1f tokens/s); stop: %s\n",
		st.Evaluated, st.PromptMS, st.PromptTokensPerSecond(), st.Generated, st.GenerateMS, st.GenerateTokensPerSecond(), res.Reason)
	if spec != nil {
		printSpecStats(stderr, st)
	}
	return err
}

// applyLoRA loads the --lora adapters (PATH[:SCALE], already checked) onto m and activates
// them, unmerged, in sess.
func applyLoRA(m *decoder.Model, sess *decoder.Session, specs []string) error {
	var set []decoder.ActiveAdapter
	for _, spec := range specs {
		path, scale, _ := lora.ParseSpec(spec)
		ad, err := m.LoadAdapter(path)
		if err != nil {
			return err
		}
		set = append(set, decoder.ActiveAdapter{Adapter: ad, Scale: scale})
	}
	return sess.SetAdapters(set)
}

func runTokenize(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("tokenize", flag.ContinueOnError)
	var mf modelFlags
	mf.register(fs)
	specials := fs.Bool("specials", false, "parse control-token strings (<|fim_prefix|>) into their ids; off: text is text, as for a user's file")
	pieces := fs.Bool("pieces", false, "print one token per line with its piece and type")
	bos := fs.Bool("bos", false, "add BOS when the vocabulary asks for it (tokenizer.ggml.add_bos_token)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	text := strings.Join(fs.Args(), " ")
	if fs.NArg() == 0 || text == "-" {
		b, err := io.ReadAll(stdin)
		if err != nil {
			return err
		}
		text = string(b)
	}
	tok, closeFn, err := openTokenizer(mf.model)
	if err != nil {
		return err
	}
	defer closeFn()
	var ids []int32
	if *bos && tok.AddBOS() && tok.BOS() >= 0 {
		ids = append(ids, tok.BOS())
	}
	if *specials {
		ids = append(ids, tok.EncodeSpecial(text)...)
	} else {
		ids = append(ids, tok.Encode(text)...)
	}
	if *pieces {
		fmt.Fprint(stdout, tok.FormatPieces(ids))
		return nil
	}
	fmt.Fprintln(stdout, tokenizer.FormatIDs(ids))
	return nil
}

// openTokenizer reads only the tokenizer of a model (no weights are touched).
func openTokenizer(path string) (*tokenizer.Tokenizer, func(), error) {
	if path == "" {
		m, _, err := loadModel("", 1)
		if err != nil {
			return nil, nil, err
		}
		return m.Tokenizer, func() { m.Close() }, nil
	}
	f, err := gguf.Open(path)
	if err != nil {
		return nil, nil, err
	}
	tok, err := tokenizer.FromGGUF(f)
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return tok, func() { f.Close() }, nil
}

func runInspect(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("inspect", flag.ContinueOnError)
	base := fs.String("model", "", "base GGUF model: for a LoRA ADAPTER, also check that it fits this model")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErr("want one MODEL")
	}
	if _, err := os.Stat(fs.Arg(0)); err != nil {
		return err
	}
	if lora.IsAdapter(fs.Arg(0)) {
		return lora.Inspect(stdout, fs.Arg(0), *base)
	}
	f, err := gguf.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	defer f.Close()
	return decoder.Inspect(stdout, f)
}
