package completion

import (
	"fmt"
	"strings"
)

// Order is the order of the FIM prompt's parts.
type Order int

const (
	// PSM: prefix, suffix, middle — <PRE> P <SUF> S <MID>. What every FIM model is trained on.
	PSM Order = iota
	// SPM: suffix, prefix, middle — <SUF> S <PRE> P <MID>. Appending to the prefix only appends
	// to the prompt, so the KV cache is reused across newlines too (Bavarian et al. 2022, §4.2,
	// "SPM mode"). Only for models trained with it (the embedded model is).
	SPM
)

func (o Order) String() string {
	if o == SPM {
		return "spm"
	}
	return "psm"
}

// Template is one family's fill-in-the-middle format: the control tokens (as their vocabulary
// strings) and where each part goes. One row per family in [Templates].
type Template struct {
	Family string // "qwen2.5-coder", "starcoder", "deepseek-coder", "codellama", "codegemma", "codestral"
	Prefix string // token before the prefix text
	Suffix string // token before the suffix text
	Middle string // token after which the model writes the middle; "" when the format has none (Codestral)
	// RepoName and FileSep are the repository-level tokens (Qwen2.5-Coder, StarCoder2): other
	// files go before the FIM'd file as  RepoName name \n FileSep path \n content ... FileSep path \n.
	// Empty when the family has none; snippets are then written as comments.
	RepoName, FileSep string
	// Stop lists the strings that end the middle: each is an end-of-generation token of the
	// vocabulary and is also cut from text (some servers return it, with a leading space).
	Stop []string
	// Order is the family's native order. SuffixFirstOnly marks a family whose only format is
	// suffix-first (Codestral), where PSM cannot be chosen.
	Order           Order
	SuffixFirstOnly bool
	// SpacePrefix: the prefix text is tokenized with SentencePiece's implicit leading space and
	// the suffix without (CodeLlama; Meta's infilling_prompt_tokens and encode_infilling).
	SpacePrefix bool
	// Detect lists vocabulary strings whose presence identifies the family (all must be present).
	Detect []string
	// Source says where the strings come from.
	Source string
}

// Templates is the table of FIM formats, most specific detection first.
var Templates = []Template{
	{
		Family: "qwen2.5-coder", Prefix: "<|fim_prefix|>", Suffix: "<|fim_suffix|>", Middle: "<|fim_middle|>",
		RepoName: "<|repo_name|>", FileSep: "<|file_sep|>",
		Stop:   []string{"<|endoftext|>", "<|fim_pad|>", "<|file_sep|>", "<|repo_name|>", "<|im_end|>"},
		Detect: []string{"<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>", "<|endoftext|>"},
		Source: "Qwen2.5-Coder Technical Report (arXiv:2409.12186) §3.1 and its README, FIM and repository-level formats",
	},
	{
		Family: "codegemma", Prefix: "<|fim_prefix|>", Suffix: "<|fim_suffix|>", Middle: "<|fim_middle|>",
		FileSep: "<|file_separator|>",
		Stop:    []string{"<|file_separator|>", "<eos>", "<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>"},
		Detect:  []string{"<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>", "<|file_separator|>"},
		Source:  "CodeGemma model card (ai.google.dev/gemma/docs/codegemma/formatting), FIM tokens",
	},
	{
		Family: "starcoder", Prefix: "<fim_prefix>", Suffix: "<fim_suffix>", Middle: "<fim_middle>",
		RepoName: "<repo_name>", FileSep: "<file_sep>",
		Stop:   []string{"<|endoftext|>", "<file_sep>", "<fim_prefix>", "<fim_suffix>", "<fim_middle>"},
		Detect: []string{"<fim_prefix>", "<fim_suffix>", "<fim_middle>"},
		Source: "StarCoder (arXiv:2305.06161) §5.1 and StarCoder2 (arXiv:2402.19173) §4 repository-context format",
	},
	{
		Family: "deepseek-coder", Prefix: "<｜fim▁begin｜>", Suffix: "<｜fim▁hole｜>", Middle: "<｜fim▁end｜>",
		Stop:   []string{"<｜end▁of▁sentence｜>", "<|EOT|>"},
		Detect: []string{"<｜fim▁begin｜>", "<｜fim▁hole｜>", "<｜fim▁end｜>"},
		Source: "DeepSeek-Coder README (github.com/deepseek-ai/DeepSeek-Coder), code insertion example",
	},
	{
		// CodeLlama's GGUF vocabulary spells the tokens with SentencePiece's ▁ ("▁<PRE>", ids
		// 32007–32010); some conversions drop it. detectTemplate tries both spellings.
		Family: "codellama", Prefix: "▁<PRE>", Suffix: "▁<SUF>", Middle: "▁<MID>",
		Stop:        []string{"▁<EOT>", "<EOT>", "</s>"},
		SpacePrefix: true,
		Detect:      []string{"▁<PRE>", "▁<SUF>", "▁<MID>"},
		Source:      "Meta codellama/llama/generation.py infilling_prompt_tokens (Rozière et al. 2023 §2.3)",
	},
	{
		Family: "codestral", Prefix: "[PREFIX]", Suffix: "[SUFFIX]",
		Stop: []string{"</s>"}, Order: SPM, SuffixFirstOnly: true,
		Detect: []string{"[PREFIX]", "[SUFFIX]"},
		Source: "Mistral's mistral-common FIMRequest encoding: <s>[SUFFIX]suffix[PREFIX]prefix",
	},
}

// TemplateByFamily returns the row for a family name (case-insensitive).
func TemplateByFamily(name string) (Template, bool) {
	for _, t := range Templates {
		if strings.EqualFold(t.Family, name) {
			return t, true
		}
	}
	return Template{}, false
}

// Vocab is what prompt building needs of a tokenizer. *tokenizer.Tokenizer satisfies it.
type Vocab interface {
	// TokenID returns the id of the token whose vocabulary string is s.
	TokenID(s string) (int32, bool)
	// Encode tokenizes user text; it never produces control tokens.
	Encode(text string) []int32
}

// ErrNoFIM is returned (wrapped) for a model whose vocabulary has no FIM tokens.
var ErrNoFIM = fmt.Errorf("completion: the model's vocabulary has no fill-in-the-middle tokens; it cannot complete code between a prefix and a suffix (use a code model trained with FIM, e.g. Qwen2.5-Coder, or set fimFamily)")

// DetectTemplate chooses the FIM template from the vocabulary: the first row of Templates
// whose Detect strings are all tokens of v (CodeLlama also without its ▁). It returns an
// error wrapping ErrNoFIM when none matches.
func DetectTemplate(v Vocab) (Template, error) {
	for _, t := range Templates {
		if hasAll(v, t.Detect) {
			return t, nil
		}
		if t.Family == "codellama" {
			plain := t
			plain.Prefix, plain.Suffix, plain.Middle = "<PRE>", "<SUF>", "<MID>"
			if hasAll(v, []string{plain.Prefix, plain.Suffix, plain.Middle}) {
				return plain, nil
			}
		}
	}
	return Template{}, ErrNoFIM
}

// Check verifies that every control token of t exists in v, so that a configured override
// cannot silently produce a plain-text prompt.
func (t Template) Check(v Vocab) error {
	need := []string{t.Prefix, t.Suffix}
	if t.Middle != "" {
		need = append(need, t.Middle)
	}
	for _, s := range need {
		if _, ok := v.TokenID(s); !ok {
			return fmt.Errorf("completion: FIM template %s needs token %q, which the model's vocabulary lacks: %w", t.Family, s, ErrNoFIM)
		}
	}
	return nil
}

// StopIDs returns the ids of t's stop strings that are tokens of v.
func (t Template) StopIDs(v Vocab) []int32 {
	var ids []int32
	for _, s := range t.Stop {
		if id, ok := v.TokenID(s); ok {
			ids = append(ids, id)
		}
	}
	for _, s := range []string{t.Prefix, t.Suffix, t.Middle, t.FileSep, t.RepoName} {
		if id, ok := v.TokenID(s); ok && s != "" {
			ids = append(ids, id)
		}
	}
	return ids
}

// HasRepo reports whether the template has repository-level tokens usable with v.
func (t Template) HasRepo(v Vocab) bool {
	if t.FileSep == "" {
		return false
	}
	_, ok := v.TokenID(t.FileSep)
	return ok
}

func hasAll(v Vocab, toks []string) bool {
	for _, s := range toks {
		if _, ok := v.TokenID(s); !ok {
			return false
		}
	}
	return len(toks) > 0
}
