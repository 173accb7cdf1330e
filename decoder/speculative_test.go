package decoder_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/llmls/llmls/decoder"
	"github.com/llmls/llmls/decoder/gguf"
	"github.com/llmls/llmls/decoder/sample"
	"github.com/llmls/llmls/kernels"
)

// truncatedModel loads the GGUF file at path keeping only its first layers blocks: a draft
// model with the target's vocabulary (what is left is a shallower network over the same
// embeddings, which agrees with the full one often enough on a trained model).
func truncatedModel(t testing.TB, path string, layers int) *decoder.Model {
	t.Helper()
	return rewrittenModel(t, path, layers, nil)
}

// rewrittenModel loads the GGUF file at path with its first layers blocks (0: all) and the
// metadata values of meta replaced, rewritten in memory with gguf.Writer.
func rewrittenModel(t testing.TB, path string, layers int, meta map[string]any) *decoder.Model {
	t.Helper()
	f, err := gguf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	arch, err := f.String("general.architecture")
	if err != nil {
		t.Fatal(err)
	}
	if layers == 0 {
		n, err := f.Int(arch + ".block_count")
		if err != nil {
			t.Fatal(err)
		}
		layers = int(n)
	}
	w := gguf.NewWriter()
	for _, kv := range f.KV {
		v := kv.Value.V
		if kv.Key == arch+".block_count" {
			v = uint32(layers)
		}
		if r, ok := meta[kv.Key]; ok {
			v = r
		}
		if kv.Key == "general.alignment" {
			continue
		}
		if err := w.Add(kv.Key, v); err != nil {
			t.Fatal(err)
		}
	}
	for _, ti := range f.Tensors {
		var il int
		if _, err := fmt.Sscanf(ti.Name, "blk.%d.", &il); err == nil && il >= layers {
			continue
		}
		if err := w.AddTensor(ti.Name, ti.Type, ti.Dims, ti.Data); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("%s-%dlayers", strings.TrimSuffix(filepath.Base(path), ".gguf"), layers)
	g, err := gguf.Parse(buf.Bytes(), name)
	if err != nil {
		t.Fatal(err)
	}
	m, err := decoder.LoadFile(g, decoder.WithThreads(2))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	if m.Config.NLayer != layers {
		t.Fatalf("%s: %d layers, want %d", name, m.Config.NLayer, layers)
	}
	return m
}

// oracleDrafter proposes from a known output of the target: the reference continuation
// (good tokens) for its first good tokens, then wrong ones (reference + 1), so that tests
// control acceptance exactly: good < 0 is always right, good = 0 always wrong.
type oracleDrafter struct {
	prompt int     // prompt length: seq[prompt:] is the output so far
	ref    []int32 // the target's output
	good   int
	vocab  int
}

func (o *oracleDrafter) Name() string { return fmt.Sprintf("oracle(%d)", o.good) }
func (o *oracleDrafter) Accept(int)   {}
func (o *oracleDrafter) Draft(_ context.Context, seq []int32, max int, _ sample.Params, _ *rand.Rand) (decoder.Draft, error) {
	pos := len(seq) - o.prompt
	var d decoder.Draft
	for i := range max {
		id := int32(i) % int32(o.vocab)
		if pos+i < len(o.ref) {
			id = o.ref[pos+i]
		}
		if o.good >= 0 && i >= o.good {
			id = (id + 1) % int32(o.vocab)
		}
		d.Tokens = append(d.Tokens, id)
	}
	return d, nil
}

// randomDrafter proposes random tokens (almost always rejected, by a random model too).
type randomDrafter struct {
	rng   *rand.Rand
	vocab int
}

func (r *randomDrafter) Name() string { return "random" }
func (r *randomDrafter) Accept(int)   {}
func (r *randomDrafter) Draft(_ context.Context, _ []int32, max int, _ sample.Params, _ *rand.Rand) (decoder.Draft, error) {
	var d decoder.Draft
	for range max {
		d.Tokens = append(d.Tokens, int32(r.rng.IntN(r.vocab)))
	}
	return d, nil
}

// generation is what a Generate call produced and left behind.
type generation struct {
	tokens, streamed, held []int32
	reason                 decoder.StopReason
	stats                  decoder.Stats
	err                    error
}

// generate runs Generate in a fresh session of m (so that both runs compared evaluate the
// prompt the same way).
func generate(t *testing.T, m *decoder.Model, so decoder.SessionOptions, prompt []int32, opts decoder.GenerateOptions) generation {
	t.Helper()
	s := newSession(t, m, so)
	var g generation
	onToken := opts.OnToken
	opts.OnToken = func(id int32) error {
		g.streamed = append(g.streamed, id)
		if onToken != nil {
			return onToken(id)
		}
		return nil
	}
	res, err := s.Generate(context.Background(), prompt, opts)
	g.tokens, g.reason, g.stats, g.err, g.held = res.Tokens, res.Reason, res.Stats, err, s.Tokens()
	return g
}

// sameGeneration fails t unless the speculative run spec did exactly what the plain run did.
func sameGeneration(t *testing.T, spec, plain generation) {
	t.Helper()
	if !slices.Equal(spec.tokens, plain.tokens) {
		at := 0
		for at < min(len(spec.tokens), len(plain.tokens)) && spec.tokens[at] == plain.tokens[at] {
			at++
		}
		t.Fatalf("speculative output differs from plain at token %d:\nspec  %v\nplain %v", at, spec.tokens, plain.tokens)
	}
	if !slices.Equal(spec.streamed, spec.tokens) {
		t.Errorf("OnToken got %v, Result has %v", spec.streamed, spec.tokens)
	}
	if spec.reason != plain.reason || !errors.Is(spec.err, plain.err) && fmt.Sprint(spec.err) != fmt.Sprint(plain.err) {
		t.Errorf("stop %v (err %v), plain %v (err %v)", spec.reason, spec.err, plain.reason, plain.err)
	}
	if !slices.Equal(spec.held, plain.held) {
		t.Errorf("session holds %d tokens, plain %d (%v vs %v)", len(spec.held), len(plain.held), tail(spec.held), tail(plain.held))
	}
	if spec.stats.Generated != len(spec.tokens) || spec.stats.Accepted > spec.stats.Drafted ||
		spec.stats.Passes < 1 || spec.stats.Passes > plain.stats.Passes {
		t.Errorf("stats %+v, plain passes %d", spec.stats, plain.stats.Passes)
	}
}

func tail(x []int32) []int32 { return x[max(0, len(x)-4):] }

// modelCase is a target model with the drafters to try against it.
type modelCase struct {
	name     string
	target   *decoder.Model
	prompts  [][]int32
	drafters []drafterCase
	// quant: the target's weights are quantized, whose batched products are not (yet)
	// bit-identical to one-token ones (see tolSameQuant): a greedy chain may then fork where
	// two logits are within that noise of a tie.
	quant     bool
	maxTokens int
}

// forkAtTie reports whether spec and plain first differ at a position where the target's
// top two logits (plain evaluation, one token at a time after the prompt) are closer than
// tolSameQuant: a fork explained by kernel rounding, not by speculation.
func forkAtTie(t *testing.T, m *decoder.Model, so decoder.SessionOptions, prompt []int32, spec, plain []int32) bool {
	t.Helper()
	at := 0
	for at < min(len(spec), len(plain)) && spec[at] == plain[at] {
		at++
	}
	if at == len(spec) && at == len(plain) {
		return false
	}
	s := newSession(t, m, so)
	if _, err := s.Prefill(context.Background(), prompt); err != nil {
		t.Fatal(err)
	}
	logits := s.Logits()
	for _, id := range plain[:at] {
		var err error
		if logits, err = s.Eval(context.Background(), []int32{id}); err != nil {
			t.Fatal(err)
		}
	}
	top := slices.Clone(logits)
	slices.Sort(top)
	margin := float64(top[len(top)-1] - top[len(top)-2])
	if margin < tolSameQuant {
		t.Logf("fork at token %d where the top-2 margin is %.3g < %.3g (quantized batched products round differently): not compared further", at, margin, tolSameQuant)
		return true
	}
	return false
}

// drafterCase makes the drafters of one speculative configuration.
type drafterCase struct {
	name string
	make func(t *testing.T, prompt, ref []int32) []decoder.Drafter
}

func modelDrafter(draft *decoder.Model, target *decoder.Model) drafterCase {
	name := "model:" + draft.File.Path
	return drafterCase{filepath.Base(name), func(t *testing.T, _, _ []int32) []decoder.Drafter {
		d, err := decoder.NewModelDrafter(target, draft, decoder.ModelDrafterOptions{MinProb: -1})
		if err != nil {
			t.Fatal(err)
		}
		return []decoder.Drafter{d}
	}}
}

func lookupDrafter(minN int) drafterCase {
	return drafterCase{fmt.Sprintf("lookup%d", minN), func(*testing.T, []int32, []int32) []decoder.Drafter {
		return []decoder.Drafter{&decoder.LookupDrafter{MinNgram: minN}}
	}}
}

func oracle(good int, vocab int) drafterCase {
	return drafterCase{fmt.Sprintf("oracle%d", good), func(_ *testing.T, prompt, ref []int32) []decoder.Drafter {
		return []decoder.Drafter{&oracleDrafter{prompt: len(prompt), ref: ref, good: good, vocab: vocab}}
	}}
}

func both(a, b drafterCase) drafterCase {
	return drafterCase{a.name + "+" + b.name, func(t *testing.T, prompt, ref []int32) []decoder.Drafter {
		return append(a.make(t, prompt, ref), b.make(t, prompt, ref)...)
	}}
}

// tokenize encodes texts for m.
func tokenize(t *testing.T, m *decoder.Model, texts ...string) [][]int32 {
	t.Helper()
	var out [][]int32
	for _, s := range texts {
		ids, err := m.Tokenize(s, false)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ids)
	}
	return out
}

var codePrompts = []string{
	"func (r StopReason) String() string {\n\tswitch r {\n\tcase StopEOG:\n\t\treturn \"end of generation\"\n\tcase StopToken:\n\t\treturn \"stop token\"\n\tcase",
	"def fibonacci(n):\n    if n < 2:\n        return n\n    return",
	"tests := []struct{ name string; in, want int }{\n\t{\"zero\", 0, 0},\n\t{\"one\", 1, 1},\n\t{\"two\", 2,",
	"the the the the the the",
	"x",
}

var storyPrompts = []string{
	"Once upon a time",
	"Lily and Ben went to the park. Lily saw a big red ball. Ben saw a big",
	"The cat sat on the mat. The dog sat on the",
	"One day, a little bird",
}

// embeddedModels returns the paths of the embedded base and draft models, each "" when
// absent: LLMLS_EMBEDDED_BASE / LLMLS_EMBEDDED_DRAFT, else train/out/{base,draft}-q8_0.gguf,
// else decoder/embedded/{base,draft}*.gguf under the module root.
func embeddedModels(t *testing.T) (base, draft string) {
	root := moduleRoot(t)
	find := func(env, trained, embedded string) string {
		if p := os.Getenv(env); p != "" {
			return p
		}
		if p := filepath.Join(root, "train/out", trained); exists(p) {
			return p
		}
		ps, _ := filepath.Glob(filepath.Join(root, "decoder/embedded", embedded))
		if len(ps) > 0 {
			return ps[0]
		}
		return ""
	}
	return find("LLMLS_EMBEDDED_BASE", "base-q8_0.gguf", "base*.gguf"), find("LLMLS_EMBEDDED_DRAFT", "draft-q8_0.gguf", "draft*.gguf")
}

func exists(path string) bool { _, err := os.Stat(path); return err == nil }

// moduleRoot returns the directory of go.mod above the working directory.
func moduleRoot(t testing.TB) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for !exists(filepath.Join(dir, "go.mod")) {
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("go.mod not found")
		}
		dir = parent
	}
	return dir
}

// TestSpeculativeGreedyExact checks that greedy speculative decoding produces the target's
// own greedy output token for token (and stops, streams and leaves the session as it does),
// for drafts that are always accepted (the target itself, an oracle), always rejected (a
// wrong oracle, random tokens), and everything between (another quantization, the model cut
// to fewer layers, prompt lookup, lookup with a draft model), with a fixed draft length and
// with the adaptive policy.
func TestSpeculativeGreedyExact(t *testing.T) {
	td := testdataDir(t)
	models := filepath.Join(td, "models")
	var cases []modelCase
	load := func(rel string) *decoder.Model { return loadModel(t, filepath.Join("models", rel)) }

	for _, fam := range []string{"tiny-qwen2", "tiny-llama"} {
		f32, q8 := load(fam+"-f32.gguf"), load(fam+"-q8_0.gguf")
		v := f32.Config.NVocab
		common := []drafterCase{lookupDrafter(1), lookupDrafter(2), oracle(0, v), oracle(2, v), oracle(-1, v)}
		cases = append(cases,
			modelCase{fam + "-f32", f32, tokenize(t, f32, codePrompts[:3]...), append(slices.Clone(common),
				modelDrafter(f32, f32), modelDrafter(q8, f32),
				modelDrafter(truncatedModel(t, filepath.Join(models, fam+"-f32.gguf"), 1), f32),
				both(lookupDrafter(2), modelDrafter(q8, f32)),
				drafterCase{"random", func(*testing.T, []int32, []int32) []decoder.Drafter {
					return []decoder.Drafter{&randomDrafter{rand.New(rand.NewPCG(1, 1)), v}}
				}}), false, 16},
			modelCase{fam + "-q8_0", q8, tokenize(t, q8, codePrompts[:3]...), append(slices.Clone(common),
				modelDrafter(f32, q8), modelDrafter(q8, q8)), true, 16})
	}
	stories := load("stories260K/stories260K.gguf")
	sp := filepath.Join(models, "stories260K/stories260K.gguf")
	s1, s2 := truncatedModel(t, sp, 1), truncatedModel(t, sp, 2)
	cases = append(cases, modelCase{"stories260K", stories, tokenize(t, stories, storyPrompts...), []drafterCase{
		modelDrafter(s1, stories), modelDrafter(s2, stories), modelDrafter(stories, stories),
		lookupDrafter(1), lookupDrafter(3), both(lookupDrafter(2), modelDrafter(s2, stories)),
		oracle(0, 512), oracle(3, 512), oracle(-1, 512),
		{"draft with a 24-token context", func(t *testing.T, _, _ []int32) []decoder.Drafter {
			d, err := decoder.NewModelDrafter(stories, stories, decoder.ModelDrafterOptions{ContextLength: 24, MinProb: -1})
			if err != nil {
				t.Fatal(err)
			}
			return []decoder.Drafter{d}
		}},
	}, false, 40})
	if base, draft := embeddedModels(t); base != "" {
		bm, err := decoder.Load(base, decoder.WithThreads(2))
		if err != nil {
			t.Fatal(err)
		}
		defer bm.Close()
		half := truncatedModel(t, base, max(1, bm.Config.NLayer/2))
		ds := []drafterCase{lookupDrafter(2), modelDrafter(half, bm), both(lookupDrafter(2), modelDrafter(half, bm))}
		if draft != "" {
			dm, err := decoder.Load(draft, decoder.WithThreads(2))
			if err != nil {
				t.Fatal(err)
			}
			defer dm.Close()
			ds = append(ds, modelDrafter(dm, bm), both(lookupDrafter(2), modelDrafter(dm, bm)))
		} else {
			t.Log("embedded draft model not found (LLMLS_EMBEDDED_DRAFT, train/out/draft-q8_0.gguf, decoder/embedded/draft*.gguf): not tested")
		}
		cases = append(cases, modelCase{"embedded", bm, tokenize(t, bm, codePrompts[:3]...), ds, true, 32})
	} else {
		t.Log("embedded base model not found (LLMLS_EMBEDDED_BASE, train/out/base-q8_0.gguf, decoder/embedded/base*.gguf): not tested")
	}

	for _, mc := range cases {
		t.Run(mc.name, func(t *testing.T) {
			so := decoder.SessionOptions{ContextLength: 256}
			var drafted, accepted int
			for pi, prompt := range mc.prompts {
				plain := generate(t, mc.target, so, prompt, decoder.GenerateOptions{MaxTokens: mc.maxTokens})
				if plain.err != nil {
					t.Fatal(plain.err)
				}
				for _, dc := range mc.drafters {
					for _, fixed := range []bool{true, false} {
						name := fmt.Sprintf("prompt%d/%s/fixed=%v", pi, dc.name, fixed)
						t.Run(name, func(t *testing.T) {
							spec := decoder.NewSpeculator(decoder.SpecOptions{MaxDraft: 6, FixedLength: fixed}, dc.make(t, prompt, plain.tokens)...)
							got := generate(t, mc.target, so, prompt, decoder.GenerateOptions{MaxTokens: mc.maxTokens, Speculative: spec})
							if mc.quant && forkAtTie(t, mc.target, so, prompt, got.tokens, plain.tokens) {
								return
							}
							sameGeneration(t, got, plain)
							drafted += got.stats.Drafted
							accepted += got.stats.Accepted
							if fixed && strings.HasPrefix(dc.name, "oracle") {
								checkOracleStats(t, dc.name, got.stats)
							}
						})
					}
				}
			}
			t.Logf("%d drafted, %d accepted", drafted, accepted)
		})
	}
}

// checkOracleStats checks the statistics of a fixed-length oracle run, whose acceptance is
// known: oracle-1 drafts are all accepted, oracle0 never, oracleN the first N tokens.
func checkOracleStats(t *testing.T, name string, st decoder.Stats) {
	t.Helper()
	var good int
	fmt.Sscanf(name, "oracle%d", &good)
	if st.Drafted == 0 {
		t.Fatalf("%s: nothing drafted", name)
	}
	for i := range st.DraftedAt {
		want := 0
		if good < 0 || i < good {
			want = st.DraftedAt[i]
		}
		if st.AcceptedAt[i] != want {
			t.Errorf("%s: position %d: %d of %d accepted, want %d", name, i, st.AcceptedAt[i], st.DraftedAt[i], want)
		}
	}
	if good < 0 && st.Accepted != st.Drafted || good == 0 && st.Accepted != 0 {
		t.Errorf("%s: %d of %d accepted", name, st.Accepted, st.Drafted)
	}
	if good < 0 && st.TokensPerPass() < 3 {
		t.Errorf("%s: %.2f tokens per pass with every draft accepted", name, st.TokensPerPass())
	}
	if len(st.Drafters) != 1 || st.Drafters[0].Drafted != st.Drafted || st.Drafters[0].Accepted != st.Accepted {
		t.Errorf("%s: per-drafter stats %+v", name, st.Drafters)
	}
}

// TestSpeculativeStops checks that every stop condition cuts a speculative run where it
// cuts a plain one, even in the middle of an accepted draft: stop tokens, the stop predicate,
// MaxTokens, an OnToken error, end of generation, a full context (with and without shifting),
// and cancellation between passes.
func TestSpeculativeStops(t *testing.T) {
	m := loadModel(t, "models/stories260K/stories260K.gguf")
	prompt := tokenize(t, m, "Once upon a time")[0]
	so := decoder.SessionOptions{}
	long := generate(t, m, so, prompt, decoder.GenerateOptions{MaxTokens: 400})
	if long.err != nil || len(long.tokens) < 40 {
		t.Fatalf("reference run: %d tokens, %v", len(long.tokens), long.err)
	}
	ref := long.tokens
	t.Logf("reference: %d tokens, stop %v", len(ref), long.reason)
	drafters := func() []decoder.Drafter {
		return []decoder.Drafter{&oracleDrafter{prompt: len(prompt), ref: ref, good: -1, vocab: 512}}
	}
	cancelCtx := func() (context.Context, func(int32) error) {
		ctx, cancel := context.WithCancel(context.Background())
		n := 0
		return ctx, func(int32) error {
			if n++; n == 10 {
				cancel()
			}
			return nil
		}
	}
	// stories260K whose end-of-sequence token is one that comes in the middle of the story.
	eos := ref[25]
	eogModel := rewrittenModel(t, filepath.Join(testdataDir(t), "models/stories260K/stories260K.gguf"), 0,
		map[string]any{"tokenizer.ggml.eos_token_id": uint32(eos)})
	tests := []struct {
		name  string
		so    decoder.SessionOptions
		opts  decoder.GenerateOptions
		model *decoder.Model
	}{
		{"stop token", so, decoder.GenerateOptions{StopTokens: []int32{ref[17]}}, nil},
		{"predicate", so, decoder.GenerateOptions{Stop: func(g []int32) bool { return len(g) == 13 }}, nil},
		{"max tokens", so, decoder.GenerateOptions{MaxTokens: 11}, nil},
		{"callback error", so, decoder.GenerateOptions{OnToken: func(id int32) error {
			if id == ref[9] {
				return errStop
			}
			return nil
		}}, nil},
		{"end of generation", so, decoder.GenerateOptions{MaxTokens: 400}, eogModel},
		{"context full", decoder.SessionOptions{ContextLength: len(prompt) + 30}, decoder.GenerateOptions{}, nil},
		{"context shift", decoder.SessionOptions{ContextLength: len(prompt) + 30}, decoder.GenerateOptions{MaxTokens: 80, ShiftContext: true, Keep: 1}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := m
			if tc.model != nil {
				m = tc.model
			}
			plain := generate(t, m, tc.so, prompt, tc.opts)
			opts := tc.opts
			for _, fixed := range []bool{true, false} {
				opts.Speculative = decoder.NewSpeculator(decoder.SpecOptions{MaxDraft: 8, FixedLength: fixed}, drafters()...)
				if tc.name == "context shift" { // the oracle knows no shifts: lookup instead
					opts.Speculative = decoder.NewSpeculator(decoder.SpecOptions{MaxDraft: 8, FixedLength: fixed}, &decoder.LookupDrafter{MinNgram: 1})
				}
				sameGeneration(t, generate(t, m, tc.so, prompt, opts), plain)
			}
		})
	}
	if !eogModel.IsEOG(eos) {
		t.Errorf("the rewritten model does not stop at %d", eos)
	}

	// Cancellation is checked between passes: the output is a prefix of the plain one, at
	// least the 10 tokens before the cancel, at most one pass more.
	for _, fixed := range []bool{true, false} {
		ctx, onToken := cancelCtx()
		s := newSession(t, m, so)
		res, err := s.Generate(ctx, prompt, decoder.GenerateOptions{OnToken: onToken,
			Speculative: decoder.NewSpeculator(decoder.SpecOptions{MaxDraft: 8, FixedLength: fixed}, drafters()...)})
		if !errors.Is(err, context.Canceled) || len(res.Tokens) < 10 || len(res.Tokens) > 10+8 || !slices.Equal(res.Tokens, ref[:len(res.Tokens)]) {
			t.Errorf("cancel (fixed %v): err %v, %d tokens %v", fixed, err, len(res.Tokens), res.Tokens)
		}
	}
}

// TestModelDrafterVocab checks the vocabulary check of NewModelDrafter.
func TestModelDrafterVocab(t *testing.T) {
	qwen := loadModel(t, "models/tiny-qwen2-f32.gguf")
	llama := loadModel(t, "models/tiny-llama-f32.gguf")
	stories := loadModel(t, "models/stories260K/stories260K.gguf")
	qwenQ8 := loadModel(t, "models/tiny-qwen2-q8_0.gguf")
	tests := []struct {
		name          string
		target, draft *decoder.Model
		wantErr       string
	}{
		{"same model", qwen, qwen, ""},
		{"other quantization", qwen, qwenQ8, ""},
		{"qwen2 for llama", llama, qwen, "add_bos_token"},
		{"stories for llama", llama, stories, "tokenizer model"},
		{"llama for stories", stories, llama, "tokenizer model"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decoder.NewModelDrafter(tc.target, tc.draft, decoder.ModelDrafterOptions{})
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, decoder.ErrVocabMismatch) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want ErrVocabMismatch mentioning %q", err, tc.wantErr)
			}
			t.Log(err)
		})
	}
}

// TestSpeculativeKVTypes runs greedy speculation with an F16 KV cache on the target and the
// draft (both round K and V when they store them, the same whatever the batch).
func TestSpeculativeKVTypes(t *testing.T) {
	m := loadModel(t, "models/stories260K/stories260K.gguf")
	draft := truncatedModel(t, filepath.Join(testdataDir(t), "models/stories260K/stories260K.gguf"), 2)
	so := decoder.SessionOptions{KVType: kernels.F16}
	for _, prompt := range tokenize(t, m, storyPrompts...) {
		plain := generate(t, m, so, prompt, decoder.GenerateOptions{MaxTokens: 40})
		d, err := decoder.NewModelDrafter(m, draft, decoder.ModelDrafterOptions{KVType: kernels.F16})
		if err != nil {
			t.Fatal(err)
		}
		spec := decoder.NewSpeculator(decoder.SpecOptions{}, &decoder.LookupDrafter{}, d)
		got := generate(t, m, so, prompt, decoder.GenerateOptions{MaxTokens: 40, Speculative: spec})
		sameGeneration(t, got, plain)
		t.Logf("%d tokens, %d passes, %d/%d accepted", got.stats.Generated, got.stats.Passes, got.stats.Accepted, got.stats.Drafted)
	}
}
