package tokenizer

// The pre-tokenizer families, one row each. A byte-level BPE vocabulary is trained on words
// that a family-specific regex (or sequence of regexes) cut the text into, and BPE never
// merges across them, so using another family's split changes the tokens.
//
// Sources: the regexes are quoted from llama.cpp src/llama-vocab.cpp (llm_tokenizer_bpe,
// one case per LLAMA_VOCAB_PRE_TYPE_*) at commit c392e5094deaf2d1a7c18683214f007fad3fe42b,
// which copied them from each model's tokenizer.json; the names are the
// tokenizer.ggml.pre values that llama_vocab::impl::load maps to those cases. Where llama.cpp
// adapted a regex ((?i:'s|...) spelled '[sS]|...), the row quotes the adaptation.
type preTokenizer struct {
	// names are the tokenizer.ggml.pre values of the family; names[0] is what Pre reports.
	names []string
	// regexes are the family's patterns in application order, as upstream writes them.
	regexes []string
	// stages are the hand-written matchers for regexes, one per pattern.
	stages splitter
	// ignoreMerges: a word that is itself a vocabulary token is emitted as that token
	// without running merges (Llama 3's tokenizer.json "ignore_merges": true).
	ignoreMerges bool
	// addBOS is the family's default for adding BOS when the GGUF has no
	// tokenizer.ggml.add_bos_token.
	addBOS bool
}

const (
	reGPT2  = `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)`
	reQwen2 = `(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	// reLlama3 is reQwen2 with \p{N}{1,3}.
	reLlama3 = `(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
)

var preTokenizers = []*preTokenizer{
	{
		// LLAMA_VOCAB_PRE_TYPE_QWEN2; Qwen2/2.5/2.5-Coder tokenizer.json Split pattern.
		names:   []string{"qwen2", "deepseek-r1-qwen"},
		regexes: []string{reQwen2},
		stages:  splitter{matcher(matchQwen2)},
	},
	{
		// LLAMA_VOCAB_PRE_TYPE_LLAMA3; Meta-Llama-3 tokenizer.json (ignore_merges: true).
		names:        []string{"llama-bpe", "llama3", "llama-v3", "falcon3"},
		regexes:      []string{reLlama3},
		stages:       splitter{matcher(matchLlama3x)},
		ignoreMerges: true,
		addBOS:       true,
	},
	{
		// LLAMA_VOCAB_PRE_TYPE_DEEPSEEK_CODER; deepseek-coder tokenizer.json Sequence of Splits.
		names:   []string{"deepseek-coder"},
		regexes: []string{`[\r\n]`, `\s?\p{L}+`, `\s?\p{P}+`, `[一-龥ࠀ-一가-퟿]+`, `\p{N}`},
		stages: splitter{matcher(matchCRLF), matcher(matchSpaceLetters), matcher(matchSpacePunct),
			matcher(matchDeepSeekCJK), matcher(matchDigit)},
	},
	{
		// LLAMA_VOCAB_PRE_TYPE_STARCODER and _REFACT (and the other rows of that case):
		// Hugging Face Digits(individual_digits) then ByteLevel(use_regex).
		names:   []string{"starcoder", "refact", "smollm", "codeshell"},
		regexes: []string{`\p{N}`, reGPT2},
		stages:  splitter{matcher(matchDigit), matcher(matchGPT2)},
	},
	{
		// LLAMA_VOCAB_PRE_TYPE_GPT2; openai-community/gpt2 ByteLevel(use_regex).
		names:   []string{"gpt-2", "phi-2", "mpt", "olmo"},
		regexes: []string{reGPT2},
		stages:  splitter{matcher(matchGPT2)},
	},
	{
		// LLAMA_VOCAB_PRE_TYPE_DEFAULT: what llama.cpp uses when tokenizer.ggml.pre is
		// missing ("GENERATION QUALITY WILL BE DEGRADED"), and our fallback for unknown names.
		names:   []string{"default"},
		regexes: []string{`[\p{P}\$\+<=>\^~\|]+`, reGPT2, `\p{N}+`, `[0-9][0-9][0-9]`},
		stages: splitter{matcher(matchDefaultPunct), matcher(matchGPT2), matcher(matchDigits),
			matcher(matchThreeASCIIDigits)},
	},
}

// preTokenizerByName returns the family whose names include name, or nil.
func preTokenizerByName(name string) *preTokenizer {
	for _, p := range preTokenizers {
		for _, n := range p.names {
			if n == name {
				return p
			}
		}
	}
	return nil
}

// knownPreNames lists every supported tokenizer.ggml.pre value, for error messages.
func knownPreNames() []string {
	var out []string
	for _, p := range preTokenizers {
		out = append(out, p.names...)
	}
	return out
}
