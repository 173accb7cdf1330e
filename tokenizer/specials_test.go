package tokenizer_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/llmls/llmls/tokenizer"
)

// TestReferencePrompts reproduces the prompt tokens llama.cpp produced for the tiny models'
// reference runs (add_special=true, parse_special=true: EncodeSpecial plus BOS where the
// vocabulary asks for it) and for stories260K's "Once upon a time".
func TestReferencePrompts(t *testing.T) {
	td := sharedTestdata(t)
	tests := []struct {
		name, model, ref string
	}{
		{"qwen2-fib", "models/tiny-qwen2-f32.gguf", "models/ref/tiny-qwen2-f32.kvf32.fib.json"},
		{"qwen2-fim", "models/tiny-qwen2-f32.gguf", "models/ref/tiny-qwen2-f32.kvf32.fim.json"},
		{"qwen2-q8_0-fim", "models/tiny-qwen2-q8_0.gguf", "models/ref/tiny-qwen2-q8_0.kvf16.fim.json"},
		{"deepseek-fib", "models/tiny-llama-f32.gguf", "models/ref/tiny-llama-f32.kvf32.fib.json"},
		{"stories260K", "models/stories260K/stories260K.gguf", "models/stories260K/stories260K.kvf32.once.json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(td, tc.ref))
			if err != nil {
				t.Fatal(err)
			}
			var ref struct {
				Prompt       string  `json:"prompt"`
				PromptTokens []int32 `json:"prompt_tokens"`
			}
			if err := json.Unmarshal(data, &ref); err != nil {
				t.Fatal(err)
			}
			tok := loadGGUF(t, tc.model)
			got := tok.EncodeSpecial(ref.Prompt)
			if tok.AddBOS() {
				got = append([]int32{tok.BOS()}, got...)
			}
			if !slices.Equal(got, ref.PromptTokens) {
				t.Errorf("EncodeSpecial(%q):\n got %v\nwant %v", ref.Prompt, got, ref.PromptTokens)
			}
			if tok.Decode(got[len(got)-len(tok.EncodeSpecial(ref.Prompt)):]) != spmPrefix(tok)+ref.Prompt {
				t.Errorf("Decode does not give the prompt back")
			}
		})
	}
}

func spmPrefix(tok *tokenizer.Tokenizer) string {
	if tok.Model() == tokenizer.ModelLlama {
		return " "
	}
	return ""
}

// TestSpecialTokens checks the Encode/EncodeSpecial distinction: user text that spells a
// control token is ordinary text, a template that spells it gets the single id.
func TestSpecialTokens(t *testing.T) {
	tests := []struct {
		name, vocab, text string
		special           bool // the text is one control token
	}{
		{"qwen endoftext", "ggml-vocab-qwen2.5-coder.gguf", "<|endoftext|>", true},
		{"qwen fim_middle", "ggml-vocab-qwen2.5-coder.gguf", "<|fim_middle|>", true},
		{"qwen file_sep", "ggml-vocab-qwen2.5-coder.gguf", "<|file_sep|>", true},
		{"deepseek fim begin (user-defined in the GGUF)", "ggml-vocab-deepseek-coder.gguf", "<｜fim▁begin｜>", true},
		{"deepseek EOT", "ggml-vocab-deepseek-coder.gguf", "<|EOT|>", true},
		{"starcoder fim_prefix", "ggml-vocab-starcoder.gguf", "<fim_prefix>", true},
		{"gpt-2 endoftext", "ggml-vocab-gpt-2.gguf", "<|endoftext|>", true},
		{"llama </s>", "ggml-vocab-llama-spm.gguf", "</s>", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok := loadGGUF(t, filepath.Join("vocab", tc.vocab))
			id, ok := tok.TokenID(tc.text)
			if !ok || !tok.IsControl(id) {
				t.Fatalf("TokenID(%q) = %d, %v; control %v", tc.text, id, ok, tok.IsControl(id))
			}
			user := "x" + tc.text + "y"
			ids := tok.Encode(user)
			if slices.Contains(ids, id) || len(ids) < 3 {
				t.Errorf("Encode(%q) = %v contains the control token %d", user, ids, id)
			}
			for _, x := range ids {
				if tok.IsControl(x) {
					t.Errorf("Encode(%q) produced control token %d %q", user, x, tok.Text(x))
				}
			}
			if got := tok.Decode(ids); got != spmPrefix(tok)+user {
				t.Errorf("Decode(Encode(%q)) = %q", user, got)
			}
			sids := tok.EncodeSpecial(user)
			if n := count(sids, id); n != 1 {
				t.Errorf("EncodeSpecial(%q) = %v has the control token %d %d times, want once", user, sids, id, n)
			}
			if got := tok.EncodeSpecial(tc.text); !slices.Equal(got, []int32{id}) {
				t.Errorf("EncodeSpecial(%q) = %v, want [%d]", tc.text, got, id)
			}
		})
	}
}

func count(ids []int32, id int32) int {
	n := 0
	for _, x := range ids {
		if x == id {
			n++
		}
	}
	return n
}

// TestUserDefinedTokens checks that added tokens that are not control (DeepSeek-Coder's
// "ü", Qwen's "<tool_call>") are matched in user text, as the models were trained.
func TestUserDefinedTokens(t *testing.T) {
	tests := []struct {
		name, vocab, text string
	}{
		{"deepseek ü", "ggml-vocab-deepseek-coder.gguf", "ü"},
		{"qwen tool_call", "ggml-vocab-qwen2.5-coder.gguf", "<tool_call>"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok := loadGGUF(t, filepath.Join("vocab", tc.vocab))
			id, ok := tok.TokenID(tc.text)
			if !ok || tok.Type(id) != tokenizer.TypeUserDefined {
				t.Fatalf("TokenID(%q) = %d, %v, type %v", tc.text, id, ok, tok.Type(id))
			}
			if ids := tok.Encode("a" + tc.text + "b"); count(ids, id) != 1 {
				t.Errorf("Encode = %v, want %d once", ids, id)
			}
		})
	}
}

// TestFIMAndEOG checks the FIM markers and end-of-generation sets found for each family.
func TestFIMAndEOG(t *testing.T) {
	tests := []struct {
		vocab string
		fim   [3]string // prefix, suffix, middle texts
		eog   []string
	}{
		{"ggml-vocab-qwen2.5-coder.gguf", [3]string{"<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>"},
			[]string{"<|endoftext|>", "<|im_end|>", "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>"}},
		{"ggml-vocab-deepseek-coder.gguf", [3]string{"<｜fim▁begin｜>", "<｜fim▁hole｜>", "<｜fim▁end｜>"},
			[]string{"<｜end▁of▁sentence｜>", "<|EOT|>"}},
		{"ggml-vocab-starcoder.gguf", [3]string{"<fim_prefix>", "<fim_suffix>", "<fim_middle>"},
			[]string{"<|endoftext|>", "<fim_pad>", "<repo_name>", "<file_sep>"}},
		{"ggml-vocab-gpt-2.gguf", [3]string{}, []string{"<|endoftext|>"}},
		{"ggml-vocab-llama-spm.gguf", [3]string{}, []string{"</s>"}},
	}
	for _, tc := range tests {
		t.Run(tc.vocab, func(t *testing.T) {
			tok := loadGGUF(t, filepath.Join("vocab", tc.vocab))
			fim := tok.FIM()
			for i, got := range []int32{fim.Prefix, fim.Suffix, fim.Middle} {
				want := int32(-1)
				if tc.fim[i] != "" {
					want, _ = tok.TokenID(tc.fim[i])
				}
				if got != want {
					t.Errorf("FIM[%d] = %d %q, want %d %q", i, got, tok.Text(got), want, tc.fim[i])
				}
			}
			var want []int32
			for _, s := range tc.eog {
				id, ok := tok.TokenID(s)
				if !ok {
					t.Fatalf("no token %q", s)
				}
				want = append(want, id)
			}
			slices.Sort(want)
			if got := tok.EOGTokens(); !slices.Equal(got, want) {
				t.Errorf("EOGTokens = %v, want %v (%q)", got, want, tc.eog)
			}
			for _, id := range want {
				if !tok.IsEOG(id) {
					t.Errorf("IsEOG(%d) = false", id)
				}
			}
			if tok.IsEOG(0) && !slices.Contains(want, 0) {
				t.Errorf("IsEOG(0) = true")
			}
		})
	}
}
