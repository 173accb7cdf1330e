package completion_test

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmls/llmls/completion"
)

var update = flag.Bool("update", false, "rewrite golden files")

// fakeVocab knows a fixed set of control strings and encodes text one token per byte
// (ids 1000+byte), so a prompt's tokens can be checked against its text exactly.
type fakeVocab map[string]int32

func newFakeVocab(controls ...string) fakeVocab {
	v := fakeVocab{}
	for i, c := range controls {
		v[c] = int32(i + 1)
	}
	return v
}

func (v fakeVocab) TokenID(s string) (int32, bool) { id, ok := v[s]; return id, ok }
func (v fakeVocab) Encode(text string) []int32 {
	ids := make([]int32, len(text))
	for i := 0; i < len(text); i++ {
		ids[i] = 1000 + int32(text[i])
	}
	return ids
}

// vocabFor returns a fake vocabulary holding the control tokens of a family, as its real
// vocabulary does.
func vocabFor(family string) fakeVocab {
	switch family {
	case "qwen2.5-coder":
		return newFakeVocab("<|endoftext|>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>")
	case "codegemma":
		return newFakeVocab("<bos>", "<eos>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|file_separator|>")
	case "starcoder":
		return newFakeVocab("<|endoftext|>", "<fim_prefix>", "<fim_middle>", "<fim_suffix>", "<fim_pad>", "<repo_name>", "<file_sep>")
	case "deepseek-coder":
		return newFakeVocab("<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", "<｜fim▁hole｜>", "<｜fim▁begin｜>", "<｜fim▁end｜>", "<|EOT|>")
	case "codellama":
		return newFakeVocab("<s>", "</s>", "▁<PRE>", "▁<SUF>", "▁<MID>", "▁<EOT>")
	case "codestral":
		return newFakeVocab("<s>", "</s>", "[SUFFIX]", "[PREFIX]")
	}
	return newFakeVocab()
}

func TestDetectTemplate(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"qwen2.5-coder", "qwen2.5-coder"}, {"codegemma", "codegemma"}, {"starcoder", "starcoder"},
		{"deepseek-coder", "deepseek-coder"}, {"codellama", "codellama"}, {"codestral", "codestral"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := completion.DetectTemplate(vocabFor(tc.name))
			if err != nil || got.Family != tc.want {
				t.Fatalf("DetectTemplate = %q, %v; want %q", got.Family, err, tc.want)
			}
		})
	}
	t.Run("codellama without ▁", func(t *testing.T) {
		got, err := completion.DetectTemplate(newFakeVocab("<PRE>", "<SUF>", "<MID>", "<EOT>"))
		if err != nil || got.Family != "codellama" || got.Prefix != "<PRE>" {
			t.Fatalf("got %+v, %v", got, err)
		}
	})
	t.Run("no FIM tokens", func(t *testing.T) {
		_, err := completion.DetectTemplate(newFakeVocab("<s>", "</s>"))
		if !errors.Is(err, completion.ErrNoFIM) {
			t.Fatalf("error %v, want ErrNoFIM", err)
		}
	})
}

// The same input for every family: a Go file with one snippet from another file.
var goldenParts = completion.Parts{
	RepoName: "shop",
	Snippets: []completion.Snippet{{Path: "money.go", Text: "type Cents int64\n"}},
	Path:     "cart.go",
	Language: "go",
	Prefix:   "package shop\n\nfunc Total(items []Item) Cents {\n",
	Typed:    "\tvar sum ",
	Suffix:   "\n\treturn sum\n}\n",
}

func TestBuildGolden(t *testing.T) {
	for _, tpl := range completion.Templates {
		for _, order := range []completion.Order{completion.PSM, completion.SPM} {
			if tpl.SuffixFirstOnly && order == completion.PSM {
				continue
			}
			name := tpl.Family + "." + order.String()
			t.Run(name, func(t *testing.T) {
				v := vocabFor(tpl.Family)
				bos := int32(-1)
				if id, ok := v.TokenID("<s>"); ok {
					bos = id
				}
				p, err := completion.Build(v, completion.Layout{Template: tpl, Order: order, BOS: bos}, goldenParts)
				if err != nil {
					t.Fatal(err)
				}
				checkTokensMatchText(t, v, p, bos)
				golden := filepath.Join("testdata", "prompts", name+".txt")
				if *update {
					os.WriteFile(golden, []byte(p.Text), 0o644)
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run go test -update to create)", err)
				}
				if p.Text != string(want) {
					t.Errorf("prompt text differs from %s\n--- got ---\n%s\n--- want ---\n%s", golden, p.Text, want)
				}
			})
		}
	}
}

// checkTokensMatchText decodes the fake tokens back into text and compares with Prompt.Text,
// so the token sequence (not just the rendering) is what the golden file shows.
func checkTokensMatchText(t *testing.T, v fakeVocab, p completion.Prompt, bos int32) {
	t.Helper()
	byID := map[int32]string{}
	for s, id := range v {
		byID[id] = s
	}
	var b strings.Builder
	nBOS := 0
	for i, id := range p.Tokens {
		switch {
		case id == bos && bos >= 0:
			nBOS++
			if i != 0 {
				t.Errorf("BOS at position %d", i)
			}
		case id >= 1000:
			b.WriteByte(byte(id - 1000))
		default:
			b.WriteString(byID[id])
		}
	}
	if bos >= 0 && nBOS != 1 {
		t.Errorf("%d BOS tokens, want exactly 1", nBOS)
	}
	got := b.String()
	if got != p.Text {
		t.Errorf("tokens spell\n%q\nbut Text is\n%q", got, p.Text)
	}
}

func TestBuildMissingControlToken(t *testing.T) {
	tpl, _ := completion.TemplateByFamily("qwen2.5-coder")
	_, err := completion.Build(newFakeVocab("<|fim_prefix|>", "<|fim_suffix|>"), completion.Layout{Template: tpl, BOS: -1}, goldenParts)
	if !errors.Is(err, completion.ErrNoFIM) {
		t.Fatalf("error %v, want ErrNoFIM", err)
	}
}

// TestBuildStableAcrossKeystrokes checks the property the layout exists for: typing on one
// line changes only the tokens from MiddleStart on.
func TestBuildStableAcrossKeystrokes(t *testing.T) {
	for _, family := range []string{"qwen2.5-coder", "deepseek-coder"} {
		for _, order := range []completion.Order{completion.PSM, completion.SPM} {
			tpl, _ := completion.TemplateByFamily(family)
			v := vocabFor(family)
			l := completion.Layout{Template: tpl, Order: order, BOS: -1}
			a := goldenParts
			b := goldenParts
			b.Typed += "Cen"
			pa, _ := completion.Build(v, l, a)
			pb, _ := completion.Build(v, l, b)
			common := 0
			for common < len(pa.Tokens) && common < len(pb.Tokens) && pa.Tokens[common] == pb.Tokens[common] {
				common++
			}
			if common < pa.MiddleStart || pa.MiddleStart != pb.MiddleStart {
				t.Errorf("%s %s: prompts share %d tokens, want at least MiddleStart=%d", family, order, common, pa.MiddleStart)
			}
			if changed := len(pb.Tokens) - common; changed > 3+1 {
				t.Errorf("%s %s: %d tokens change for 3 typed bytes", family, order, changed)
			}
		}
	}
}
