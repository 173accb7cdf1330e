package tokenizer_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/llmls/llmls/tokenizer"
)

// benchText returns about 1 MB of Go source from GOROOT/src, concatenated at run time.
func benchText(b *testing.B) string {
	b.Helper()
	root := filepath.Join(goroot(b), "src")
	var paths []string
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".go") && !strings.Contains(p, "testdata") {
			paths = append(paths, p)
		}
		return nil
	})
	sort.Strings(paths)
	var sb strings.Builder
	for _, p := range paths {
		if sb.Len() >= 1<<20 {
			break
		}
		data, _ := os.ReadFile(p)
		sb.Write(data)
	}
	if sb.Len() == 0 {
		b.Skip("no Go source under GOROOT")
	}
	return sb.String()
}

// BenchmarkEncode encodes 1 MB of Go source with each reference vocabulary and reports
// tokens per second.
func BenchmarkEncode(b *testing.B) {
	text := benchText(b)
	for _, v := range vocabFiles {
		b.Run(v.name, func(b *testing.B) {
			tok := loadGGUF(b, filepath.Join("vocab", v.file))
			b.SetBytes(int64(len(text)))
			n := 0
			for b.Loop() {
				n = len(tok.Encode(text))
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}

// BenchmarkPreTokenize compares the hand-written pre-tokenizers with the upstream regexes
// run by github.com/dlclark/regexp2 on 1 MB of Go source (splitting only, no BPE).
func BenchmarkPreTokenize(b *testing.B) {
	text := benchText(b)
	for _, name := range []string{"qwen2", "llama-bpe", "deepseek-coder", "starcoder", "gpt-2"} {
		for _, impl := range []struct {
			name    string
			regexp2 bool
		}{{"handwritten", false}, {"regexp2", true}} {
			b.Run(name+"/"+impl.name, func(b *testing.B) {
				split := tokenizer.SplitFunc(name, impl.regexp2)
				b.SetBytes(int64(len(text)))
				words := 0
				for b.Loop() {
					words = 0
					split(text, func(string) { words++ })
				}
				b.ReportMetric(float64(words), "words")
			})
		}
	}
}

// BenchmarkEncodeQwenJSON encodes 1 MB of Go source with Qwen's tokenizer.json, once with
// the pre-tokenizer on the hand-written matcher and once with the same pattern made
// unrecognisable (wrapped in a group) so that it runs on regexp2: the end-to-end cost of the
// choice. Both must give the same ids.
func BenchmarkEncodeQwenJSON(b *testing.B) {
	text := benchText(b)
	tj, cj := qwenTokenizerJSON(b)
	hand, err := tokenizer.FromHuggingFace(tj, cj)
	if err != nil {
		b.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(tj, &doc); err != nil {
		b.Fatal(err)
	}
	split := doc["pre_tokenizer"].(map[string]any)["pretokenizers"].([]any)[0].(map[string]any)
	pat := split["pattern"].(map[string]any)
	pat["Regex"] = "(?:" + pat["Regex"].(string) + ")"
	tj2, _ := json.Marshal(doc)
	re, err := tokenizer.FromHuggingFace(tj2, cj)
	if err != nil {
		b.Fatal(err)
	}
	if re.Pre() != "tokenizer.json" {
		b.Fatalf("the wrapped pattern was recognised (Pre %q)", re.Pre())
	}
	if !slices.Equal(hand.Encode(text), re.Encode(text)) {
		b.Fatal("regexp2 and hand-written pre-tokenizers give different ids")
	}
	for _, c := range []struct {
		name string
		tok  *tokenizer.Tokenizer
	}{{"handwritten", hand}, {"regexp2", re}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			n := 0
			for b.Loop() {
				n = len(c.tok.Encode(text))
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}
