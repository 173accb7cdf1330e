package tokenizer_test

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// vocabFiles are the six vocab-only GGUF files of ../shared/testdata/vocab with their
// expected pre-tokenizer family.
var vocabFiles = []struct {
	name, file, model, pre string
}{
	{"qwen2.5-coder", "ggml-vocab-qwen2.5-coder.gguf", "gpt2", "qwen2"},
	{"deepseek-coder", "ggml-vocab-deepseek-coder.gguf", "gpt2", "deepseek-coder"},
	{"starcoder", "ggml-vocab-starcoder.gguf", "gpt2", "starcoder"},
	{"refact", "ggml-vocab-refact.gguf", "gpt2", "refact"},
	{"gpt-2", "ggml-vocab-gpt-2.gguf", "gpt2", "gpt-2"},
	{"llama-spm", "ggml-vocab-llama-spm.gguf", "llama", ""},
}

// readVectors reads an .inp/.out pair (format in ../shared/testdata/vocab/README.md): inputs
// separated by lines "__ggml_vocab_test__", one line of space-separated ids per input.
func readVectors(t *testing.T, base string) (inputs []string, want [][]int32) {
	t.Helper()
	inp, err := os.ReadFile(base + ".inp")
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.ReadFile(base + ".out")
	if err != nil {
		t.Fatal(err)
	}
	inputs = strings.Split(string(inp), "\n__ggml_vocab_test__\n")
	if inputs[len(inputs)-1] == "" {
		inputs = inputs[:len(inputs)-1]
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(inputs) {
		t.Fatalf("%s: %d inputs but %d output lines", base, len(inputs), len(lines))
	}
	for _, l := range lines {
		var ids []int32
		for _, f := range strings.Fields(l) {
			n, err := strconv.ParseInt(f, 10, 32)
			if err != nil {
				t.Fatalf("%s.out: %v", base, err)
			}
			ids = append(ids, int32(n))
		}
		want = append(want, ids)
	}
	return inputs, want
}

// TestVocabVectors checks every token id of llama.cpp's tokenizer test vectors
// (tests/test-tokenizer-0.cpp: add_special=false, parse_special=false) for the six
// vocabularies.
func TestVocabVectors(t *testing.T) {
	td := sharedTestdata(t)
	for _, v := range vocabFiles {
		t.Run(v.name, func(t *testing.T) {
			tok := loadGGUF(t, filepath.Join("vocab", v.file))
			if tok.Model() != v.model || tok.Pre() != v.pre {
				t.Errorf("Model, Pre = %q, %q; want %q, %q", tok.Model(), tok.Pre(), v.model, v.pre)
			}
			inputs, want := readVectors(t, filepath.Join(td, "vocab", v.file))
			pass := 0
			for i, in := range inputs {
				got := tok.Encode(in)
				if slices.Equal(got, want[i]) {
					pass++
					continue
				}
				t.Errorf("input %d %q:\n got %v\nwant %v", i, in, got, want[i])
			}
			t.Logf("%s: %d/%d strings match", v.file, pass, len(inputs))
		})
	}
}
