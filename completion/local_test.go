package completion_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmls/llmls/completion"
	"github.com/llmls/llmls/decoder"
	"github.com/llmls/llmls/internal/sharedtest"
)

// testdataDir returns ../shared/testdata, or skips the test when it is absent.
func testdataDir(t testing.TB) string {
	t.Helper()
	return sharedtest.Dir(t)
}

// tinyQwen returns the paths of the tiny random qwen2 model (f32), its Q8_0 copy and its
// GGUF LoRA adapter (../shared/testdata/models/README.md, lora/README.md).
func tinyQwen(t *testing.T) (model, q8, adapter string) {
	td := testdataDir(t)
	model = filepath.Join(td, "models", "tiny-qwen2-f32.gguf")
	q8 = filepath.Join(td, "models", "tiny-qwen2-q8_0.gguf")
	adapter = filepath.Join(td, "lora", "tiny-qwen2-lora.gguf")
	for _, p := range []string{model, q8, adapter} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("reference data: %v", err)
		}
	}
	return model, q8, adapter
}

func loadModel(t *testing.T, path string) *decoder.Model {
	t.Helper()
	m, err := decoder.Load(path, decoder.WithThreads(1))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// newLocal returns a LocalBackend over the model at path, closed at the end of the test.
func newLocal(t *testing.T, path string, opts completion.LocalOptions) *completion.LocalBackend {
	t.Helper()
	m := loadModel(t, path)
	b, err := completion.NewLocalBackend(m, filepath.Base(path), opts)
	if err != nil {
		m.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// generateText runs one generation on b and returns the text it streamed and its stats.
func generateText(t *testing.T, b completion.Backend, req completion.GenRequest) (string, completion.GenStats) {
	t.Helper()
	var out strings.Builder
	st, err := b.Generate(context.Background(), req, func(piece string) bool {
		out.WriteString(piece)
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.String(), st
}

// decoderGreedy is the reference: the decoder alone (a fresh model and session, the given
// adapters active) generating greedily from prompt.
func decoderGreedy(t *testing.T, modelPath string, adapters map[string]float32, prompt []int32, maxTokens int) string {
	t.Helper()
	m := loadModel(t, modelPath)
	defer m.Close()
	sess, err := m.NewSession(decoder.SessionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var set []decoder.ActiveAdapter
	for path, scale := range adapters {
		ad, err := m.LoadAdapter(path)
		if err != nil {
			t.Fatal(err)
		}
		set = append(set, decoder.ActiveAdapter{Adapter: ad, Scale: scale})
	}
	if err := sess.SetAdapters(set); err != nil {
		t.Fatal(err)
	}
	res, err := sess.Generate(context.Background(), prompt, decoder.GenerateOptions{MaxTokens: maxTokens})
	if err != nil {
		t.Fatal(err)
	}
	return m.Tokenizer.Decode(res.Tokens)
}

// loraScale makes the test adapter's effect large enough to change greedy tokens of the tiny
// random model (its B is drawn with std 0.0075, so at scale 1 the argmax rarely moves).
const loraScale = 16

func TestLocalLoRAByLanguage(t *testing.T) {
	model, _, adapter := tinyQwen(t)
	scale := float32(loraScale)
	b := newLocal(t, model, completion.LocalOptions{})
	if err := b.LoadLoRA([]completion.LoRASetting{
		{Path: adapter, Scale: &scale, Languages: []string{"python"}},
	}); err != nil {
		t.Fatal(err)
	}
	ref := loadModel(t, model)
	prompt, err := ref.Tokenize("<|fim_prefix|>def add(a, b):\n    return <|fim_suffix|>\n\nprint(add(1, 2))\n<|fim_middle|>", true)
	ref.Close()
	if err != nil {
		t.Fatal(err)
	}
	const maxTokens = 24
	base := decoderGreedy(t, model, nil, prompt, maxTokens)
	adapted := decoderGreedy(t, model, map[string]float32{adapter: scale}, prompt, maxTokens)
	if base == adapted {
		t.Fatalf("the adapter at scale %v does not change the greedy output %q: the test could not tell them apart", scale, base)
	}
	tests := []struct {
		name       string
		languageID string
		uri        string
		want       string
		adapters   int
	}{
		{"go: base", "go", "file:///w/a.go", base, 0},
		{"python: adapter", "python", "file:///w/a.py", adapted, 1},
		{"go again: base (KV cache of the adapter not reused)", "go", "file:///w/a.go", base, 0},
		{"Python upper case: adapter", "Python", "file:///w/b.py", adapted, 1},
		{"python again: adapter", "python", "file:///w/a.py", adapted, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := b.Adapters(tt.languageID, tt.uri); len(got) != tt.adapters {
				t.Errorf("Adapters(%q, %q) = %q, want %d", tt.languageID, tt.uri, got, tt.adapters)
			}
			got, _ := generateText(t, b, completion.GenRequest{
				Prompt: completion.Prompt{Tokens: prompt}, MaxTokens: maxTokens,
				LanguageID: tt.languageID, URI: tt.uri,
			})
			if got != tt.want {
				t.Errorf("generated %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLoRAFolders(t *testing.T) {
	model, _, adapter := tinyQwen(t)
	b := newLocal(t, model, completion.LocalOptions{})
	err := b.LoadLoRA([]completion.LoRASetting{
		{Path: adapter, Folders: []string{"/w/proj"}},
		{Path: adapter, Folders: []string{"file:///w/other/"}, Languages: []string{"go"}},
		{Path: adapter},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, languageID, uri string
		want                  []int // indices of the settings that apply
	}{
		{"inside the folder", "go", "file:///w/proj/a.go", []int{0, 2}},
		{"deeper inside", "python", "file:///w/proj/sub/a.py", []int{0, 2}},
		{"a sibling with the folder's name as prefix", "go", "file:///w/project/a.go", []int{2}},
		{"URI folder and language", "go", "file:///w/other/x.go", []int{1, 2}},
		{"URI folder, other language", "c", "file:///w/other/x.c", []int{2}},
		{"percent-encoded path", "go", "file:///w/proj/a%20b.go", []int{0, 2}},
		{"not a file URI", "go", "untitled:Untitled-1", []int{2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := b.Adapters(tt.languageID, tt.uri)
			if len(got) != len(tt.want) {
				t.Fatalf("Adapters(%q, %q) = %q, want settings %v", tt.languageID, tt.uri, got, tt.want)
			}
		})
	}
}

func TestLocalSpeculativeSameGreedy(t *testing.T) {
	model, q8, _ := tinyQwen(t)
	ref := loadModel(t, model)
	defer ref.Close()
	// Repetitive code (lookup has matches) and ordinary text.
	prompts := map[string]string{
		"repetitive": "<|fim_prefix|>switch k {\ncase A:\n\treturn \"A\"\ncase B:\n\treturn \"B\"\ncase C:\n\treturn \"C\"\ncase <|fim_suffix|>\n}\n<|fim_middle|>",
		"ordinary":   "<|fim_prefix|>def add(a, b):\n    return <|fim_suffix|>\n\nprint(add(1, 2))\n<|fim_middle|>",
	}
	const maxTokens = 48
	plain := newLocal(t, model, completion.LocalOptions{})
	tests := []struct {
		name   string
		lookup bool
		draft  string
	}{
		{"lookup", true, ""},
		{"draft model (Q8_0 copy)", false, q8},
		{"lookup then draft model", true, q8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The random model's distributions are flat: draft whatever the probability.
			opts := completion.LocalOptions{Lookup: tt.lookup, DraftMinProb: -1}
			if tt.draft != "" {
				opts.Draft = loadModel(t, tt.draft)
			}
			b := newLocal(t, model, opts)
			if len(b.Speculative()) == 0 {
				t.Fatal("speculative decoding is off")
			}
			drafted := 0
			for name, text := range prompts {
				toks, err := ref.Tokenize(text, true)
				if err != nil {
					t.Fatal(err)
				}
				req := completion.GenRequest{Prompt: completion.Prompt{Tokens: toks}, MaxTokens: maxTokens}
				want, _ := generateText(t, plain, req)
				got, st := generateText(t, b, req)
				if got != want {
					t.Errorf("%s: speculative %q, plain %q", name, got, want)
				}
				if st.Accepted > st.Drafted {
					t.Errorf("%s: accepted %d > drafted %d", name, st.Accepted, st.Drafted)
				}
				drafted += st.Drafted
			}
			if drafted == 0 {
				t.Error("nothing was drafted")
			}
		})
	}
}

func TestLocalDraftVocabMismatch(t *testing.T) {
	model, _, _ := tinyQwen(t)
	llama := filepath.Join(testdataDir(t), "models", "tiny-llama-f32.gguf")
	m := loadModel(t, model)
	defer m.Close()
	_, err := completion.NewLocalBackend(m, "tiny-qwen2", completion.LocalOptions{Draft: loadModel(t, llama)})
	if !errors.Is(err, decoder.ErrVocabMismatch) {
		t.Fatalf("err = %v, want ErrVocabMismatch", err)
	}
}

// localLoader is the local part of cmd/llmls's loadBackend: the model at path, the LoRA
// adapters of the settings, a partial load's error with the backend.
func localLoader(path string) completion.BackendLoader {
	return func(ctx context.Context, s completion.Settings, log *slog.Logger) (completion.Backend, error) {
		m, err := decoder.Load(path, decoder.WithThreads(1))
		if err != nil {
			return nil, err
		}
		b, err := completion.NewLocalBackend(m, filepath.Base(path), completion.LocalOptions{Lookup: *s.Lookup})
		if err != nil {
			m.Close()
			return nil, err
		}
		return b, b.LoadLoRA(s.LoRA)
	}
}

func TestConfigureBadLoRA(t *testing.T) {
	model, _, adapter := tinyQwen(t)
	missing := filepath.Join(t.TempDir(), "no-such-adapter.gguf")
	llamaAdapter := filepath.Join(testdataDir(t), "lora", "tiny-llama-lora.gguf")
	tests := []struct {
		name     string
		lora     []completion.LoRASetting
		wantPath string // named in the error; "" for no error
	}{
		{"good adapter", []completion.LoRASetting{{Path: adapter}}, ""},
		{"missing file", []completion.LoRASetting{{Path: adapter}, {Path: missing}}, missing},
		{"relative folder", []completion.LoRASetting{{Path: adapter, Folders: []string{"src"}}}, adapter},
		{"empty path", []completion.LoRASetting{{Path: ""}}, `lora[0] ""`},
		{"another architecture's adapter", []completion.LoRASetting{{Path: llamaAdapter}}, llamaAdapter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loads := 0
			load := localLoader(model)
			e := completion.NewEngine(completion.EngineOptions{Logger: slog.New(slog.DiscardHandler),
				Load: func(ctx context.Context, s completion.Settings, log *slog.Logger) (completion.Backend, error) {
					loads++
					return load(ctx, s, log)
				}})
			defer e.Close()
			raw, _ := json.Marshal(map[string]any{"lora": tt.lora, "debounceMs": 0, "maxTokens": 4})
			err := e.Configure(context.Background(), raw)
			if tt.wantPath == "" {
				if err != nil {
					t.Fatal(err)
				}
			} else {
				var le *completion.LoRAError
				t.Logf("Configure: %v", err)
				if !errors.As(err, &le) || !strings.Contains(err.Error(), tt.wantPath) || !errors.Is(err, completion.ErrPartlyApplied) {
					t.Fatalf("Configure: %v, want a *LoRAError naming %s, marked ErrPartlyApplied", err, tt.wantPath)
				}
			}
			// The engine serves (with the base model where the adapter failed).
			req := request("package calc\n\nfunc add(a, b int) int {\n\treturn ‸\n}\n", "‸", completion.Invoked)
			if _, err := e.InlineCompletion(context.Background(), req); err != nil {
				t.Fatalf("InlineCompletion after Configure: %v", err)
			}
			if got := e.StatsSnapshot().(map[string]int64)["modelCalls"]; got == 0 {
				t.Error("no model call")
			}
			// The same settings again: after a partial load the model is loaded again (the
			// user may have fixed the file) and the error reported again; else nothing is.
			err2 := e.Configure(context.Background(), raw)
			wantLoads := 1
			if tt.wantPath != "" {
				wantLoads = 2
			}
			if loads != wantLoads || (err2 == nil) != (tt.wantPath == "") {
				t.Errorf("Configure again: %d loads, error %v; want %d loads", loads, err2, wantLoads)
			}
		})
	}
}
