package decoder_test

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/llmls/llmls/decoder"
	"github.com/llmls/llmls/decoder/gguf"
)

func TestInspect(t *testing.T) {
	td := testdataDir(t)
	tests := []struct {
		name  string
		model string
		want  []string // lines that must appear
	}{
		{"qwen2 Q8_0", "models/tiny-qwen2-q8_0.gguf", []string{
			"architecture  qwen2",
			"attention     4 heads of 16, 2 KV heads (GQA 2:1)",
			"RoPE          NEOX, 16 of 16 dims, base 1e+06, scaling none",
			"head          tied to token_embd.weight; QKV bias",
			"tensor types  Q8_0 ×15",
			"tokenizer     gpt2, pre-tokenizer qwen2, 151936 tokens",
			`FIM tokens    prefix "<|fim_prefix|>" (151659), suffix "<|fim_suffix|>" (151661), middle "<|fim_middle|>" (151660)`,
		}},
		{"llama F32", "models/tiny-llama-f32.gguf", []string{
			"architecture  llama",
			"RoPE          NORM, 16 of 16 dims, base 100000",
			"head          output.weight; no QKV bias",
			"tensor types  F32 ×21",
			"pre-tokenizer deepseek-coder",
			`prefix "<｜fim▁begin｜>" (32016)`,
		}},
		{"stories260K", "models/stories260K/stories260K.gguf", []string{
			"layers        5",
			"attention     8 heads of 8, 4 KV heads",
			"tokenizer     llama, 512 tokens",
			"FIM tokens    none",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := gguf.Open(filepath.Join(td, tc.model))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var b strings.Builder
			if err := decoder.Inspect(&b, f); err != nil {
				t.Fatalf("Inspect: %v\n%s", err, b.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, b.String())
				}
			}
		})
	}
}

// TestInspectUnsupported checks that Inspect prints what it can of a model it cannot run and
// returns the reason.
func TestInspectUnsupported(t *testing.T) {
	spec := tinySpec("llama")
	spec.set("general.architecture", "mamba")
	f, err := gguf.Open(spec.write(t, t.TempDir(), "mamba.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b strings.Builder
	err = decoder.Inspect(&b, f)
	var me *decoder.ModelError
	if !errors.As(err, &me) || !strings.Contains(b.String(), "mamba (not supported") || !strings.Contains(b.String(), "tensor types  F32 ×21") {
		t.Errorf("error %v, output:\n%s", err, b.String())
	}
}

// TestTokenize checks that Model.Tokenize reproduces llama.cpp's prompt tokens (add_special,
// parse_special) for the reference prompts.
func TestTokenize(t *testing.T) {
	td := testdataDir(t)
	tests := []struct{ model, ref string }{
		{"models/tiny-qwen2-q8_0.gguf", "models/ref/tiny-qwen2-q8_0.kvf32.fib.json"},
		{"models/tiny-qwen2-q8_0.gguf", "models/ref/tiny-qwen2-q8_0.kvf32.fim.json"},
		{"models/tiny-llama-q8_0.gguf", "models/ref/tiny-llama-q8_0.kvf32.fib.json"},
		{"models/stories260K/stories260K.gguf", "models/stories260K/stories260K.kvf32.once.json"},
	}
	for _, tc := range tests {
		t.Run(filepath.Base(tc.ref), func(t *testing.T) {
			m := loadModel(t, tc.model)
			var ref struct{ Prompt string }
			readJSON(t, filepath.Join(td, tc.ref), &ref)
			got, err := m.Tokenize(ref.Prompt, true)
			if err != nil {
				t.Fatal(err)
			}
			if want := readRef(t, filepath.Join(td, tc.ref)).PromptTokens; !slices.Equal(got, want) {
				t.Errorf("Tokenize(%q) = %v, llama.cpp %v", ref.Prompt, got, want)
			}
		})
	}
}
