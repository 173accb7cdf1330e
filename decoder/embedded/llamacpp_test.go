package embedded

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/llmls/llmls/decoder"
)

// greedySteps is the length of each greedy chain compared with llama.cpp.
const greedySteps = 24

// minMargin is the top-1/top-2 logit margin below which a greedy step is a near tie: Q8_0
// kernels that round activations differently (llama.cpp quantizes them to Q8_0 blocks, in its
// own summation order) may pick the other token there, so the comparison of a chain stops at
// the first such step (../shared/testdata/models/ref/README.md uses the same rule).
const minMargin = 0.05

// TestGreedyMatchesLlamaCpp runs the embedded base and draft models with llama.cpp
// (node-llama-cpp, tools/peers/greedy.mjs) and with this decoder on the same FIM prompts cut
// from this repository's Go files, and asserts that both pick the same greedy tokens.
func TestGreedyMatchesLlamaCpp(t *testing.T) {
	if testing.Short() {
		t.Skip("llama.cpp comparison: skipped in -short mode")
	}
	peers, err := filepath.Abs("../../tools/peers")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(peers, "node_modules", "node-llama-cpp")); err != nil {
		t.Skipf("llama.cpp comparison: node-llama-cpp not installed (make peers): %v", err)
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("llama.cpp comparison: no node on PATH")
	}
	prompts := fimPrompts(t, 12)
	for _, tc := range []struct {
		name string
		data string
		load func(...decoder.Option) (*decoder.Model, error)
	}{
		{"base", baseGGUF, Base},
		{"draft", draftGGUF, Draft},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), tc.name+".gguf")
			if err := os.WriteFile(path, []byte(tc.data), 0o644); err != nil {
				t.Fatal(err)
			}
			ref := llamaGreedy(t, peers, path, prompts)
			m, err := tc.load()
			if err != nil {
				t.Fatal(err)
			}
			compared, ties := 0, 0
			for i, p := range prompts {
				ids := m.Tokenizer.EncodeSpecial(p)
				if !slices.Equal(ids, ref[i].PromptTokens) {
					t.Fatalf("prompt %d: our tokens differ from llama.cpp's:\n ours %v\n its  %v", i, ids, ref[i].PromptTokens)
				}
				chain, margins := greedy(t, m, ids, greedySteps)
				for k, tok := range chain {
					if margins[k] < minMargin {
						ties++
						break
					}
					if m.IsEOG(tok) {
						// greedy.mjs ends its chain before an end-of-generation token.
						if k != len(ref[i].GreedyTokens) {
							t.Errorf("prompt %d: our chain ends at step %d, llama.cpp's goes on:\n ours %v\n its  %v", i, k, chain[:k+1], ref[i].GreedyTokens)
						}
						compared++
						break
					}
					if k >= len(ref[i].GreedyTokens) {
						t.Errorf("prompt %d: llama.cpp's chain ends after %d tokens, ours goes on: %v", i, k, chain)
						break
					}
					if tok != ref[i].GreedyTokens[k] {
						t.Errorf("prompt %d step %d (margin %.3f): token %d, llama.cpp %d\n ours %v\n its  %v",
							i, k, margins[k], tok, ref[i].GreedyTokens[k], chain, ref[i].GreedyTokens)
						break
					}
					compared++
				}
			}
			t.Logf("%s: %d prompts, %d greedy tokens identical to llama.cpp's; %d chains stopped at a near tie (margin < %g)",
				tc.name, len(prompts), compared, ties, minMargin)
			if compared < len(prompts)*2 {
				t.Errorf("only %d tokens compared: too many near ties for the test to mean anything", compared)
			}
		})
	}
}

// llamaResult is one chain of greedy.mjs --batch.
type llamaResult struct {
	PromptTokens []int32 `json:"prompt_tokens"`
	GreedyTokens []int32 `json:"greedy_tokens"`
}

func llamaGreedy(t *testing.T, peers, model string, prompts []string) []llamaResult {
	t.Helper()
	in := make([]map[string]string, len(prompts))
	for i, p := range prompts {
		in[i] = map[string]string{"text": p}
	}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	inPath := filepath.Join(t.TempDir(), "in.json")
	if err := os.WriteFile(inPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("node", filepath.Join(peers, "greedy.mjs"), "--model", model, "--batch", inPath,
		"--n", "24", "--kv", "f32", "--threads", "2", "--ctx", "2048")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("greedy.mjs: %v\n%s", err, stderr.String())
	}
	var res struct {
		Results []llamaResult `json:"results"`
	}
	if err := json.Unmarshal(out, &res); err != nil || len(res.Results) != len(prompts) {
		t.Fatalf("greedy.mjs output: %v (%d results for %d prompts)", err, len(res.Results), len(prompts))
	}
	return res.Results
}

// greedy returns the argmax chain of n steps after prompt (without stopping at end-of-generation
// tokens, as greedy.mjs without --stop-eog) and the top-1/top-2 margin of each step.
func greedy(t *testing.T, m *decoder.Model, prompt []int32, n int) ([]int32, []float32) {
	t.Helper()
	s, err := m.NewSession(decoder.SessionOptions{ContextLength: 2048})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	logits, err := s.Eval(ctx, prompt)
	if err != nil {
		t.Fatal(err)
	}
	var chain []int32
	var margins []float32
	for range n {
		best, second := 0, -1
		for j, v := range logits {
			switch {
			case v > logits[best]:
				best, second = j, best
			case j != best && (second < 0 || v > logits[second]):
				second = j
			}
		}
		chain = append(chain, int32(best))
		margins = append(margins, logits[best]-logits[second])
		if logits, err = s.Eval(ctx, []int32{int32(best)}); err != nil {
			t.Fatal(err)
		}
	}
	return chain, margins
}

// fimPrompts cuts n suffix-first FIM prompts (the embedded model's order) at line starts of
// this repository's Go files: up to 1,200 bytes of prefix and 400 of suffix.
func fimPrompts(t *testing.T, n int) []string {
	t.Helper()
	files, err := filepath.Glob("../../tokenizer/*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no Go files to cut prompts from: %v", err)
	}
	slices.Sort(files)
	var prompts []string
	for i := 0; len(prompts) < n && i < 4*n; i++ {
		b, err := os.ReadFile(files[i%len(files)])
		if err != nil {
			t.Fatal(err)
		}
		text := string(b)
		lines := strings.SplitAfter(text, "\n")
		if len(lines) < 20 {
			continue
		}
		at := 0
		for _, l := range lines[:(len(lines)*(i+3)/(n+6))%len(lines)] {
			at += len(l)
		}
		start := max(0, at-1200)
		if j := strings.IndexByte(text[start:at], '\n'); start > 0 && j >= 0 {
			start += j + 1
		}
		end := min(len(text), at+400)
		if j := strings.LastIndexByte(text[at:end], '\n'); end < len(text) && j >= 0 {
			end = at + j + 1
		}
		prompts = append(prompts, "<|fim_suffix|>"+text[at:end]+"<|fim_prefix|>"+text[start:at]+"<|fim_middle|>")
	}
	return prompts
}
