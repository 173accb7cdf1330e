// Command speculative measures speculative decoding (decoder.Speculator): decode tokens/s with
// and without it, greedy, on the same session, alternating the two (A B A B …) and reporting
// medians, the speed-up ratio, the acceptance rate (overall and per draft position) and the
// tokens per target forward pass. Greedy speculative output is the plain output token for
// token when the kernels give a batched product the bits of a one-token one (F32 weights
// today; quantized ones not yet: a random model's near-ties can then fork the chain); the
// command checks every rep, counts the reps that differ ("forks" column) and with -strict
// exits non-zero on any.
//
// Tasks: (a) "repetitive code": completing Go code that repeats itself (the next case of a
// switch, the next row of a test table, the next field of a struct literal; prompts cut from
// this repository's code); (b) "ordinary": a prompt without such repetition. Drafters: prompt
// lookup, a draft model, both, and an oracle that drafts the plain output (every draft
// accepted: the upper bound the verification cost allows on this machine).
//
// Models, each when present:
//   - the embedded base with the embedded draft (LLMLS_EMBEDDED_BASE / LLMLS_EMBEDDED_DRAFT,
//     else train/out/{base,draft}-q8_0.gguf, else decoder/embedded/{base,draft}*.gguf; without
//     a draft, the base cut to half its layers drafts);
//   - a Qwen2.5-Coder-0.5B-shaped model with random weights (.cache/bench, made by
//     `go run ./bench/decode -gen-only -types q8_0 -no-peer`), with prompt lookup: its forward
//     pass reads 0.5 GB of weights per token, so verifying a few tokens costs about one step;
//   - stories260K (../shared/testdata), drafted by itself cut to 2 layers.
//
// Usage (from the repository root):
//
//	go run ./bench/speculative [-models embedded,qwen05b,stories] [-threads 2] [-reps 3]
//	                           [-gen 64] [-max-draft 16] [-fixed] [-strict]
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/llmls/llmls/decoder"
	"github.com/llmls/llmls/decoder/gguf"
	"github.com/llmls/llmls/decoder/sample"
	"github.com/llmls/llmls/kernels"
)

// Prompts of task (a), cut from this repository's Go code where the next lines repeat the
// previous ones.
var repetitive = []string{
	// decoder/generate.go: StopReason.String.
	`func (r StopReason) String() string {
	switch r {
	case StopEOG:
		return "end of generation"
	case StopToken:
		return "stop token"
	case StopPredicate:
		return "stop predicate"
	case`,
	// decoder/sample/sample_test.go: TestArgmax's table.
	`	tests := []struct {
		name   string
		logits []float32
		want   int32
	}{
		{"single", []float32{3}, 0},
		{"max last", []float32{1, 2, 3}, 2},
		{"tie takes lower id", []float32{1, 5, 2, 5}, 1},
		{"negative", []float32{-3, -1, -2}, 1},
		{"`,
	// decoder/session.go: NewSession's buffers literal.
	`	s.buf = buffers{
		x: make([]float32, bs*c.NEmbd), xn: make([]float32, bs*c.NEmbd),
		q: make([]float32, bs*c.NEmbdQ()), k: make([]float32, bs*c.NEmbdKV()), v: make([]float32, bs*c.NEmbdKV()),
		att: make([]float32, bs*c.NEmbdQ()), tmp: make([]float32, bs*c.NEmbd),
		gate: make([]float32,`,
}

// Prompts of task (b): code and prose that do not repeat themselves.
var ordinary = []string{
	`// commonPrefix returns the length of the longest common prefix of a and b.
func commonPrefix(a, b []int32) int {
	n := min(len(a), len(b))`,
	"The committee met on Tuesday to discuss the budget for next year. After a long debate,",
}

var storyPrompts = map[string][]string{
	"repetitive": {"Tom had a red ball. Tom had a blue ball. Tom had a green ball. Tom had a"},
	"ordinary":   {"Once upon a time", "One day, a little bird"},
}

func main() {
	var (
		models   = flag.String("models", "embedded,qwen05b,stories", "models to measure, when present (comma-separated)")
		threads  = flag.Int("threads", 2, "threads of the forward passes")
		reps     = flag.Int("reps", 3, "measured reps of each configuration (plain and speculative alternate)")
		gen      = flag.Int("gen", 64, "tokens generated per rep")
		maxDraft = flag.Int("max-draft", decoder.DefaultMaxDraft, "most tokens drafted per pass")
		fixed    = flag.Bool("fixed", false, "fixed draft length (SpecOptions.FixedLength) instead of the adaptive policy")
		cache    = flag.String("cache", ".cache/bench", "folder of bench/decode's generated models")
		strict   = flag.Bool("strict", false, "exit non-zero when a speculative output differs from the plain one")
	)
	flag.Parse()
	b := bench{threads: *threads, reps: *reps, gen: *gen, opts: decoder.SpecOptions{MaxDraft: *maxDraft, FixedLength: *fixed}}
	for _, name := range strings.Split(*models, ",") {
		var err error
		switch strings.TrimSpace(name) {
		case "embedded":
			err = b.embedded()
		case "qwen05b":
			err = b.qwen05b(filepath.Join(*cache, "qwen2.5-coder-0.5b-shape-q8_0.gguf"))
		case "stories":
			err = b.stories()
		default:
			err = fmt.Errorf("unknown model set %q", name)
		}
		if err != nil {
			fatalf("bench: %s: %v", name, err)
		}
	}
	b.print()
	if b.mismatch && *strict {
		fatalf("bench: speculative output differed from plain greedy output")
	}
}

// bench collects the rows of the table.
type bench struct {
	threads, reps, gen int
	opts               decoder.SpecOptions
	rows               []row
	mismatch           bool
}

// row is one (model, task, drafters) measurement: medians over reps and prompts' sums.
type row struct {
	model, task, drafters       string
	plainTPS, specTPS           float64 // medians of tokens/s over reps, averaged over prompts
	drafted, accepted           int
	draftedAt, acceptedAt       []int
	generated, passes           int
	draftMS, genMS              float64
	promptTokens, promptsInTask int
	forks                       int // reps whose speculative output differed from the plain one
}

// setup is one configuration to measure: the drafters made fresh for each prompt.
type setup struct {
	name     string
	drafters func(prompt []int32, plain []int32) ([]decoder.Drafter, error)
}

func (b *bench) embedded() error {
	find := func(env, trained, embedded string) string {
		if p := os.Getenv(env); p != "" {
			return p
		}
		if p := filepath.Join("train/out", trained); exists(p) {
			return p
		}
		if ps, _ := filepath.Glob(filepath.Join("decoder/embedded", embedded)); len(ps) > 0 {
			return ps[0]
		}
		return ""
	}
	base := find("LLMLS_EMBEDDED_BASE", "base-q8_0.gguf", "base*.gguf")
	draft := find("LLMLS_EMBEDDED_DRAFT", "draft-q8_0.gguf", "draft*.gguf")
	if base == "" {
		fmt.Fprintln(os.Stderr, "embedded base model not found: skipped")
		return nil
	}
	tm, err := decoder.Load(base, decoder.WithThreads(b.threads))
	if err != nil {
		return err
	}
	defer tm.Close()
	var dm *decoder.Model
	name := "embedded base + draft"
	if draft != "" {
		dm, err = decoder.Load(draft, decoder.WithThreads(b.threads))
	} else {
		// No trained draft yet: the base cut to half its layers stands in.
		f, ferr := gguf.Open(base)
		if ferr != nil {
			return ferr
		}
		defer f.Close()
		n := max(1, tm.Config.NLayer/2)
		dm, err = truncated(f, n, b.threads)
		name = fmt.Sprintf("embedded base (draft: %d of its %d layers)", n, tm.Config.NLayer)
	}
	if err != nil {
		return err
	}
	defer dm.Close()
	return b.model(name, tm, map[string][]string{"repetitive": repetitive, "ordinary": ordinary}, b.setups(tm, dm))
}

func (b *bench) qwen05b(path string) error {
	if !exists(path) {
		fmt.Fprintf(os.Stderr, "%s not found (go run ./bench/decode -gen-only -types q8_0 -no-peer): skipped\n", path)
		return nil
	}
	m, err := decoder.Load(path, decoder.WithThreads(b.threads))
	if err != nil {
		return err
	}
	defer m.Close()
	return b.model("qwen2.5-0.5b-shape q8_0 (random)", m, map[string][]string{"repetitive": repetitive, "ordinary": ordinary}, b.setups(m, nil))
}

func (b *bench) stories() error {
	path := "../shared/testdata/models/stories260K/stories260K.gguf"
	if !exists(path) {
		fmt.Fprintf(os.Stderr, "%s not found: skipped\n", path)
		return nil
	}
	m, err := decoder.Load(path, decoder.WithThreads(b.threads))
	if err != nil {
		return err
	}
	defer m.Close()
	f, err := gguf.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	dm, err := truncated(f, 2, b.threads)
	if err != nil {
		return err
	}
	defer dm.Close()
	return b.model("stories260K (draft: 2 of its 5 layers)", m, storyPrompts, b.setups(m, dm))
}

// setups returns the configurations for a target and an optional draft model.
func (b *bench) setups(target, draft *decoder.Model) []setup {
	lookup := setup{"lookup", func([]int32, []int32) ([]decoder.Drafter, error) {
		return []decoder.Drafter{&decoder.LookupDrafter{}}, nil
	}}
	out := []setup{lookup}
	if draft != nil {
		model := func() (decoder.Drafter, error) {
			return decoder.NewModelDrafter(target, draft, decoder.ModelDrafterOptions{KVType: kernels.F16})
		}
		out = append(out,
			setup{"draft model", func([]int32, []int32) ([]decoder.Drafter, error) {
				d, err := model()
				return []decoder.Drafter{d}, err
			}},
			setup{"lookup+draft", func([]int32, []int32) ([]decoder.Drafter, error) {
				d, err := model()
				return []decoder.Drafter{&decoder.LookupDrafter{}, d}, err
			}})
	}
	return append(out, setup{"oracle (bound)", func(prompt, plain []int32) ([]decoder.Drafter, error) {
		return []decoder.Drafter{&oracle{prompt: len(prompt), ref: plain}}, nil
	}})
}

// model measures every setup on every task of a target model.
func (b *bench) model(name string, m *decoder.Model, tasks map[string][]string, setups []setup) error {
	ctx := context.Background()
	taskNames := slices.Sorted(maps.Keys(tasks))
	slices.Reverse(taskNames) // "repetitive" first
	for _, task := range taskNames {
		for _, su := range setups {
			r := row{model: name, task: task, drafters: su.name, promptsInTask: len(tasks[task])}
			for _, text := range tasks[task] {
				prompt, err := m.Tokenize(text, false)
				if err != nil {
					return err
				}
				r.promptTokens += len(prompt)
				sess, err := m.NewSession(decoder.SessionOptions{ContextLength: len(prompt) + b.gen + 8, KVType: kernels.F16})
				if err != nil {
					return err
				}
				opts := decoder.GenerateOptions{MaxTokens: b.gen}
				// Warm-up: prefill (reused by every rep) and the reference output.
				ref, err := sess.Generate(ctx, prompt, opts)
				if err != nil {
					return err
				}
				ds, err := su.drafters(prompt, ref.Tokens)
				if err != nil {
					return err
				}
				spec := decoder.NewSpeculator(b.opts, ds...)
				var plainTPS, specTPS []float64
				for rep := range b.reps {
					res, err := sess.Generate(ctx, prompt, opts)
					if err != nil {
						return err
					}
					plainTPS = append(plainTPS, res.Stats.GenerateTokensPerSecond())
					so := opts
					so.Speculative = spec
					sres, err := sess.Generate(ctx, prompt, so)
					if err != nil {
						return err
					}
					if !slices.Equal(sres.Tokens, res.Tokens) {
						fmt.Fprintf(os.Stderr, "MISMATCH %s %s %s rep %d:\n  spec  %v\n  plain %v\n", name, task, su.name, rep, sres.Tokens, res.Tokens)
						b.mismatch = true
						r.forks++
					}
					specTPS = append(specTPS, sres.Stats.GenerateTokensPerSecond())
					st := sres.Stats
					r.drafted += st.Drafted
					r.accepted += st.Accepted
					r.generated += st.Generated
					r.passes += st.Passes
					r.draftMS += st.DraftMS
					r.genMS += st.GenerateMS
					for len(r.draftedAt) < len(st.DraftedAt) {
						r.draftedAt, r.acceptedAt = append(r.draftedAt, 0), append(r.acceptedAt, 0)
					}
					for i := range st.DraftedAt {
						r.draftedAt[i] += st.DraftedAt[i]
						r.acceptedAt[i] += st.AcceptedAt[i]
					}
					fmt.Fprintf(os.Stderr, "%s | %s | %s | rep %d: plain %.1f tok/s, speculative %.1f tok/s, %d/%d accepted, %.2f tok/pass\n",
						name, task, su.name, rep, res.Stats.GenerateTokensPerSecond(), st.GenerateTokensPerSecond(), st.Accepted, st.Drafted, st.TokensPerPass())
				}
				r.plainTPS += median(plainTPS) / float64(len(tasks[task]))
				r.specTPS += median(specTPS) / float64(len(tasks[task]))
			}
			b.rows = append(b.rows, r)
		}
	}
	return nil
}

func (b *bench) print() {
	mode := "adaptive"
	if b.opts.FixedLength {
		mode = "fixed length"
	}
	fmt.Printf("\nSpeculative decoding, greedy, %d tokens per rep, %d threads, max draft %d (%s); medians of %d alternating reps, mean over prompts\n",
		b.gen, b.threads, b.opts.MaxDraft, mode, b.reps)
	fmt.Printf("%-40s %-10s %-14s %9s %9s %7s %7s %8s %5s  %s\n", "model", "task", "drafters", "plain t/s", "spec t/s", "speedup", "accept", "tok/pass", "forks", "acceptance by position 1..8")
	for _, r := range b.rows {
		var pos []string
		for i := range min(8, len(r.draftedAt)) {
			pos = append(pos, fmt.Sprintf("%.2f", ratio(r.acceptedAt[i], r.draftedAt[i])))
		}
		fmt.Printf("%-40s %-10s %-14s %9.1f %9.1f %6.2fx %7.2f %8.2f %5d  %s\n", r.model, r.task, r.drafters,
			r.plainTPS, r.specTPS, r.specTPS/r.plainTPS, ratio(r.accepted, r.drafted), ratio(r.generated, r.passes), r.forks, strings.Join(pos, " "))
	}
}

// oracle drafts the known plain output: every draft is accepted, so its row is the speed-up
// that verification allows when drafts are right.
type oracle struct {
	prompt int
	ref    []int32
}

func (o *oracle) Name() string { return "oracle" }
func (o *oracle) Accept(int)   {}
func (o *oracle) Draft(_ context.Context, seq []int32, max int, _ sample.Params, _ *rand.Rand) (decoder.Draft, error) {
	pos := len(seq) - o.prompt
	if pos >= len(o.ref) {
		return decoder.Draft{}, nil
	}
	return decoder.Draft{Tokens: o.ref[pos:min(len(o.ref), pos+max)]}, nil
}

// truncated loads f keeping its first layers blocks (a shallower draft over the same
// vocabulary), rewritten in memory.
func truncated(f *gguf.File, layers, threads int) (*decoder.Model, error) {
	arch, err := f.String("general.architecture")
	if err != nil {
		return nil, err
	}
	w := gguf.NewWriter()
	for _, kv := range f.KV {
		v := kv.Value.V
		if kv.Key == arch+".block_count" {
			v = uint32(layers)
		}
		if kv.Key == "general.alignment" {
			continue
		}
		if err := w.Add(kv.Key, v); err != nil {
			return nil, err
		}
	}
	for _, ti := range f.Tensors {
		var il int
		if _, err := fmt.Sscanf(ti.Name, "blk.%d.", &il); err == nil && il >= layers {
			continue
		}
		if err := w.AddTensor(ti.Name, ti.Type, ti.Dims, ti.Data); err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		return nil, err
	}
	g, err := gguf.Parse(buf.Bytes(), fmt.Sprintf("%s-%dlayers", filepath.Base(f.Path), layers))
	if err != nil {
		return nil, err
	}
	return decoder.LoadFile(g, decoder.WithThreads(threads))
}

func median(x []float64) float64 {
	x = slices.Clone(x)
	sort.Float64s(x)
	n := len(x)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return x[n/2]
	}
	return (x[n/2-1] + x[n/2]) / 2
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func exists(path string) bool { _, err := os.Stat(path); return err == nil }

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}
