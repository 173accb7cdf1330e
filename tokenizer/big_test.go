package tokenizer_test

import (
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLongLines encodes 10 MB lines that are one giant word, one giant white-space run,
// random letters and random bytes: each must finish in seconds (the merge loop is
// O(n log n), never quadratic) and round-trip.
func TestLongLines(t *testing.T) {
	if testing.Short() {
		t.Skip("10 MB inputs")
	}
	const size = 10 << 20
	rng := rand.New(rand.NewPCG(1, 2))
	randomLetters := make([]byte, size)
	for i := range randomLetters {
		randomLetters[i] = "abcdefghijklmnopqrstuvwxyz"[rng.IntN(26)]
	}
	randomBytes := make([]byte, size)
	for i := range randomBytes {
		randomBytes[i] = byte(rng.Uint32())
	}
	inputs := []struct {
		name, text string
	}{
		{"one word", strings.Repeat("a", size)},
		{"spaces", strings.Repeat(" ", size)},
		{"random letters", string(randomLetters)},
		{"random bytes", string(randomBytes)},
		{"go line", strings.Repeat("x := f(a, b) + 1; ", size/18)},
	}
	for _, v := range []string{"ggml-vocab-qwen2.5-coder.gguf", "ggml-vocab-llama-spm.gguf"} {
		tok := loadGGUF(t, filepath.Join("vocab", v))
		for _, in := range inputs {
			if tok.Model() == "llama" && in.name != "one word" && in.name != "random bytes" {
				continue // SentencePiece has no words: the other shapes cost the same
			}
			t.Run(v+"/"+in.name, func(t *testing.T) {
				start := time.Now()
				ids := tok.Encode(in.text)
				el := time.Since(start)
				t.Logf("%d bytes -> %d tokens in %v", len(in.text), len(ids), el)
				if el > time.Minute { // seconds of CPU; the limit allows for a loaded machine
					t.Errorf("took %v", el)
				}
				want := in.text
				if tok.Model() == "llama" {
					want = " " + want
				}
				if tok.Decode(ids) != want {
					t.Errorf("does not round-trip")
				}
			})
		}
	}
}
