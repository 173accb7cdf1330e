package tokenizer_test

import (
	"slices"
	"testing"

	"github.com/llmls/llmls/tokenizer"
)

// TestSplit checks hand-derived pre-tokenizations (each follows the regex's leftmost-first
// alternation and backtracking by hand); FuzzSplit checks the same against regexp2.
func TestSplit(t *testing.T) {
	tests := []struct {
		name, pre, text string
		want            []string
	}{
		{"words", "qwen2", "Hello world", []string{"Hello", " world"}},
		{"space run before a word keeps one space", "qwen2", "  \n  x", []string{"  \n", " ", " x"}},
		{"contraction", "qwen2", "don't", []string{"don", "'t"}},
		{"upper-case contraction", "qwen2", "DON'T", []string{"DON", "'T"}},
		{"tab joins the next word", "qwen2", "x  \ty", []string{"x", "  ", "\ty"}},
		{"single digits", "qwen2", "12345", []string{"1", "2", "3", "4", "5"}},
		{"newline run", "qwen2", "a\n\n\nb", []string{"a", "\n\n\n", "b"}},
		{"punctuation joins the next word", "qwen2", "(hello)", []string{"(hello", ")"}},
		{"punctuation keeps newlines", "qwen2", "...\n\nx", []string{"...\n\n", "x"}},
		{"trailing spaces", "qwen2", "x   ", []string{"x", "   "}},
		{"digits in threes", "llama-bpe", "12345", []string{"123", "45"}},
		{"gpt-2 tab stands alone", "gpt-2", "x  \ty", []string{"x", "  ", "\t", "y"}},
		{"gpt-2 punctuation", "gpt-2", "Hello world!", []string{"Hello", " world", "!"}},
		{"gpt-2 contractions are lower case only", "gpt-2", "'ll've'LL", []string{"'ll", "'ve", "'", "LL"}},
		{"deepseek symbols are not punctuation", "deepseek-coder", "a + b", []string{"a", " +", " b"}},
		{"deepseek digits", "deepseek-coder", "x1y22", []string{"x", "1", "y", "2", "2"}},
		{"deepseek CJK", "deepseek-coder", "我想在apple", []string{"我想在", "apple"}},
		{"starcoder digits", "starcoder", "abc123 def", []string{"abc", "1", "2", "3", " def"}},
		{"default digits in threes", "default", "x=12345", []string{"x", "=", "123", "45"}},
		{"invalid byte is other", "qwen2", "a\xffb", []string{"a", "\xffb"}},
		{"empty", "qwen2", "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tokenizer.SplitWords(tc.pre, tc.text); !slices.Equal(got, tc.want) {
				t.Errorf("%s split %q = %q, want %q", tc.pre, tc.text, got, tc.want)
			}
		})
	}
}
