package tokenizer

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/text/unicode/norm"
)

// This file loads Hugging Face tokenizer.json files (the "tokenizers" library's
// serialization: https://huggingface.co/docs/tokenizers/api/tokenizer, Rust
// tokenizers/src/tokenizer/serialization.rs) for byte-level BPE models.

// hfTokenizer is the part of tokenizer.json that FromHuggingFace reads.
type hfTokenizer struct {
	AddedTokens   []hfAddedToken `json:"added_tokens"`
	Normalizer    *hfComponent   `json:"normalizer"`
	PreTokenizer  *hfComponent   `json:"pre_tokenizer"`
	PostProcessor *hfComponent   `json:"post_processor"`
	Decoder       *hfComponent   `json:"decoder"`
	Model         struct {
		Type                    string            `json:"type"`
		Vocab                   map[string]int64  `json:"vocab"`
		Merges                  []json.RawMessage `json:"merges"`
		IgnoreMerges            bool              `json:"ignore_merges"`
		ByteFallback            bool              `json:"byte_fallback"`
		ContinuingSubwordPrefix *string           `json:"continuing_subword_prefix"`
		EndOfWordSuffix         *string           `json:"end_of_word_suffix"`
		Dropout                 *float64          `json:"dropout"`
	} `json:"model"`
}

type hfAddedToken struct {
	ID      int64  `json:"id"`
	Content string `json:"content"`
	Special bool   `json:"special"`
	LStrip  bool   `json:"lstrip"`
	RStrip  bool   `json:"rstrip"`
}

// hfComponent is a normalizer, pre-tokenizer or decoder: a "type" and its fields.
type hfComponent struct {
	Type string `json:"type"`
	// Sequence
	Normalizers   []*hfComponent `json:"normalizers"`
	PreTokenizers []*hfComponent `json:"pretokenizers"`
	Decoders      []*hfComponent `json:"decoders"`
	// ByteLevel
	AddPrefixSpace bool  `json:"add_prefix_space"`
	UseRegex       *bool `json:"use_regex"`
	// Split
	Pattern  *struct{ Regex, String *string } `json:"pattern"`
	Behavior string                           `json:"behavior"`
	Invert   bool                             `json:"invert"`
	// Digits
	IndividualDigits bool `json:"individual_digits"`
	// post_processor Sequence and TemplateProcessing
	Processors []*hfComponent `json:"processors"`
	Single     []struct {
		SpecialToken *struct{ ID string } `json:"SpecialToken"`
	} `json:"single"`
}

// hfConfig is the part of tokenizer_config.json that FromHuggingFace reads.
type hfConfig struct {
	AddBOS              *bool                   `json:"add_bos_token"`
	AddEOS              *bool                   `json:"add_eos_token"`
	BOS                 json.RawMessage         `json:"bos_token"`
	EOS                 json.RawMessage         `json:"eos_token"`
	UNK                 json.RawMessage         `json:"unk_token"`
	AddedTokensDecoder  map[string]hfAddedToken `json:"added_tokens_decoder"`
	AdditionalSpecial   []json.RawMessage       `json:"additional_special_tokens"`
	TokenizerClass      string                  `json:"tokenizer_class"`
	CleanUpTokenization *bool                   `json:"clean_up_tokenization_spaces"`
}

// knownRegexes maps tokenizer.json Split patterns to hand-written matchers. The patterns are
// the originals (Oniguruma syntax) as the model repositories publish them.
var knownRegexes = map[string]matcher{
	reGPT2: matchGPT2,
	`(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`: matchQwen2,
	reQwen2: matchQwen2,
	`(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`: matchLlama3x,
	reLlama3:       matchLlama3x,
	`[\r\n]`:       matchCRLF,
	`\s?\p{L}+`:    matchSpaceLetters,
	`\s?\p{P}+`:    matchSpacePunct,
	`[一-龥ࠀ-一가-퟿]+`: matchDeepSeekCJK,
	`\p{N}`:        matchDigit,
	`\p{N}+`:       matchDigits,
}

// JSONError reports a tokenizer.json or tokenizer_config.json that FromHuggingFace cannot
// use: which file, which field, what is wrong.
type JSONError struct {
	File  string // "tokenizer.json" or "tokenizer_config.json"
	Field string // JSON path, e.g. "model.merges[12]"
	Msg   string
	Err   error
}

func (e *JSONError) Error() string {
	s := "tokenizer: " + e.File
	if e.Field != "" {
		s += ": " + e.Field
	}
	s += ": " + e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *JSONError) Unwrap() error { return e.Err }

// FromHuggingFace builds a tokenizer from the contents of a Hugging Face tokenizer.json and,
// optionally (nil to omit), its tokenizer_config.json, which supplies BOS/EOS and
// add_bos_token (without add_bos_token, AddBOS is true when the post-processor's template
// starts with BOS, as Llama 3's does). Supported: model type BPE with a ByteLevel pre-tokenizer or decoder
// (GPT-2, Qwen2, DeepSeek-Coder, StarCoder2, Llama 3...), pre-tokenizers ByteLevel, Split
// (behaviour Isolated), Digits and Sequence, and normalizers NFC, NFD, NFKC, NFKD. Known
// Split patterns run on the hand-written matchers; others on github.com/dlclark/regexp2.
// Added tokens marked special become control tokens, the others user-defined. Anything else
// (SentencePiece-style tokenizer.json, WordPiece, Unigram, other normalizers) is a
// *JSONError; use the model's GGUF file instead.
func FromHuggingFace(tokenizerJSON, configJSON []byte) (*Tokenizer, error) {
	const file = "tokenizer.json"
	var hf hfTokenizer
	if err := json.Unmarshal(tokenizerJSON, &hf); err != nil {
		return nil, &JSONError{File: file, Msg: "invalid JSON", Err: err}
	}
	var cfg hfConfig
	if configJSON != nil {
		if err := json.Unmarshal(configJSON, &cfg); err != nil {
			return nil, &JSONError{File: "tokenizer_config.json", Msg: "invalid JSON", Err: err}
		}
	}
	m := &hf.Model
	switch {
	case m.Type != "BPE" && !(m.Type == "" && m.Merges != nil):
		return nil, &JSONError{File: file, Field: "model.type", Msg: fmt.Sprintf("%q is not supported (want BPE)", m.Type)}
	case m.ContinuingSubwordPrefix != nil && *m.ContinuingSubwordPrefix != "",
		m.EndOfWordSuffix != nil && *m.EndOfWordSuffix != "":
		return nil, &JSONError{File: file, Field: "model", Msg: "continuing_subword_prefix and end_of_word_suffix are not supported"}
	case len(m.Vocab) == 0:
		return nil, &JSONError{File: file, Field: "model.vocab", Msg: "empty or missing"}
	case m.Merges == nil:
		return nil, &JSONError{File: file, Field: "model.merges", Msg: "missing"}
	}
	sp := &spec{source: file, model: ModelGPT2, ids: noSpecialIDs(), preFromSource: true}
	if m.IgnoreMerges {
		v := true
		sp.ignoreMerges = &v
	}

	byteLevel := hf.Decoder != nil && hf.Decoder.Type == "ByteLevel"
	var err error
	if sp.split, byteLevel, err = hfPreTokenizer(hf.PreTokenizer, "pre_tokenizer", byteLevel); err != nil {
		return nil, err
	}
	if !byteLevel {
		return nil, &JSONError{File: file, Field: "pre_tokenizer", Msg: "not a byte-level BPE (no ByteLevel pre-tokenizer or decoder); SentencePiece-style tokenizer.json is not supported, use the GGUF file"}
	}
	sp.pre = familyOf(sp.split)
	if sp.normFunc, err = hfNormalizer(hf.Normalizer, "normalizer"); err != nil {
		return nil, err
	}

	// Token ids: the model vocabulary plus added tokens, holes filled with unused entries.
	maxID := int64(-1)
	for s, id := range m.Vocab {
		if id < 0 || id > math.MaxInt32/2 {
			return nil, &JSONError{File: file, Field: "model.vocab[" + strconv.Quote(s) + "]", Msg: fmt.Sprintf("id %d out of range", id)}
		}
		maxID = max(maxID, id)
	}
	added := append([]hfAddedToken(nil), hf.AddedTokens...)
	for k, a := range cfg.AddedTokensDecoder {
		id, err := strconv.ParseInt(k, 10, 32)
		if err != nil {
			return nil, &JSONError{File: "tokenizer_config.json", Field: "added_tokens_decoder", Msg: fmt.Sprintf("key %q is not a token id", k)}
		}
		a.ID = id
		added = append(added, a)
	}
	for i, a := range added {
		if a.ID < 0 || a.ID > math.MaxInt32/2 || a.Content == "" {
			return nil, &JSONError{File: file, Field: fmt.Sprintf("added_tokens[%d]", i), Msg: fmt.Sprintf("bad added token id %d content %q", a.ID, a.Content)}
		}
		maxID = max(maxID, a.ID)
	}
	n := int(maxID + 1)
	sp.tokens = make([]string, n)
	sp.types = make([]TokenType, n)
	for s, id := range m.Vocab {
		if sp.tokens[id] != "" {
			return nil, &JSONError{File: file, Field: "model.vocab", Msg: fmt.Sprintf("id %d used by %q and %q", id, sp.tokens[id], s)}
		}
		sp.tokens[id], sp.types[id] = s, TypeNormal
	}
	sort.SliceStable(added, func(i, j int) bool { return added[i].ID < added[j].ID })
	var stripWarn []string
	for _, a := range added {
		if cur := sp.tokens[a.ID]; cur != "" && cur != a.Content {
			return nil, &JSONError{File: file, Field: "added_tokens", Msg: fmt.Sprintf("id %d is %q in the vocabulary and %q as an added token", a.ID, cur, a.Content)}
		}
		sp.tokens[a.ID] = a.Content
		sp.types[a.ID] = TypeUserDefined
		if a.Special {
			sp.types[a.ID] = TypeControl
		}
		if a.LStrip || a.RStrip {
			stripWarn = append(stripWarn, a.Content)
		}
	}
	for i := range sp.tokens {
		if sp.tokens[i] == "" {
			sp.tokens[i], sp.types[i] = fmt.Sprintf("<|llmls_unused_%d|>", i), TypeUnused
		}
	}

	sp.merges = make([][2]string, 0, len(m.Merges))
	for i, raw := range m.Merges {
		var pair [2]string
		var s string
		if err := json.Unmarshal(raw, &s); err == nil {
			k := -1
			if len(s) > 1 {
				if j := strings.IndexByte(s[1:], ' '); j >= 0 {
					k = j + 1
				}
			}
			if k < 0 {
				return nil, &JSONError{File: file, Field: fmt.Sprintf("model.merges[%d]", i), Msg: fmt.Sprintf("%q is not two tokens separated by a space", s)}
			}
			pair = [2]string{s[:k], s[k+1:]}
		} else if err := json.Unmarshal(raw, &pair); err != nil {
			return nil, &JSONError{File: file, Field: fmt.Sprintf("model.merges[%d]", i), Msg: "want \"a b\" or [\"a\", \"b\"]", Err: err}
		}
		sp.merges = append(sp.merges, pair)
	}

	vocab := map[string]int32{}
	for i, s := range sp.tokens {
		vocab[s] = int32(i)
	}
	for _, f := range []struct {
		name string
		raw  json.RawMessage
		dst  *int32
	}{{"bos_token", cfg.BOS, &sp.ids.bos}, {"eos_token", cfg.EOS, &sp.ids.eos}, {"unk_token", cfg.UNK, &sp.ids.unk}} {
		text, err := hfTokenText(f.raw)
		if err != nil {
			return nil, &JSONError{File: "tokenizer_config.json", Field: f.name, Msg: "want a string, {\"content\": ...} or null", Err: err}
		}
		if text == "" {
			continue
		}
		id, ok := vocab[text]
		if !ok {
			return nil, &JSONError{File: "tokenizer_config.json", Field: f.name, Msg: fmt.Sprintf("%q is not a token", text)}
		}
		*f.dst = id
	}
	sp.addBOS, sp.addEOS = cfg.AddBOS, cfg.AddEOS
	if sp.addBOS == nil {
		// Without add_bos_token, BOS is added when the post-processor's template for a
		// single sequence starts with it (Llama 3: TemplateProcessing "<|begin_of_text|> $A").
		v := sp.ids.bos >= 0 && templateStartsWith(hf.PostProcessor, sp.tokens[sp.ids.bos])
		sp.addBOS = &v
	}
	t, err := build(sp)
	if err != nil {
		return nil, err
	}
	if len(stripWarn) > 0 {
		t.warnf("added tokens with lstrip/rstrip are matched without stripping white space: %q", stripWarn)
	}
	if m.Dropout != nil && *m.Dropout != 0 {
		t.warnf("BPE dropout %v is ignored (encoding is deterministic)", *m.Dropout)
	}
	return t, nil
}

// templateStartsWith reports whether a post_processor's TemplateProcessing (possibly inside a
// Sequence) puts the special token text first in its single-sequence template.
func templateStartsWith(c *hfComponent, text string) bool {
	switch {
	case c == nil:
		return false
	case c.Type == "Sequence":
		for _, p := range c.Processors {
			if templateStartsWith(p, text) {
				return true
			}
		}
	case c.Type == "TemplateProcessing":
		return len(c.Single) > 0 && c.Single[0].SpecialToken != nil && c.Single[0].SpecialToken.ID == text
	}
	return false
}

// hfTokenText reads a tokenizer_config.json token field: "text", {"content": "text", ...}
// or null ("" returned).
func hfTokenText(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var obj struct{ Content string }
	if err := json.Unmarshal(raw, &obj); err != nil {
		return "", err
	}
	return obj.Content, nil
}

// hfPreTokenizer converts a pre_tokenizer to a splitter and reports whether it contains a
// ByteLevel step (or byteLevel was already known from the decoder).
func hfPreTokenizer(c *hfComponent, path string, byteLevel bool) (splitter, bool, error) {
	if c == nil {
		return nil, byteLevel, nil
	}
	const file = "tokenizer.json"
	switch c.Type {
	case "Sequence":
		var out splitter
		for i, p := range c.PreTokenizers {
			s, bl, err := hfPreTokenizer(p, fmt.Sprintf("%s.pretokenizers[%d]", path, i), byteLevel)
			if err != nil {
				return nil, false, err
			}
			out, byteLevel = append(out, s...), bl
		}
		return out, byteLevel, nil
	case "ByteLevel":
		if c.AddPrefixSpace {
			return nil, false, &JSONError{File: file, Field: path + ".add_prefix_space", Msg: "true is not supported"}
		}
		if c.UseRegex == nil || *c.UseRegex {
			return splitter{matcher(matchGPT2)}, true, nil
		}
		return nil, true, nil
	case "Digits":
		if c.IndividualDigits {
			return splitter{matcher(matchDigit)}, byteLevel, nil
		}
		return splitter{matcher(matchDigits)}, byteLevel, nil
	case "Split":
		if c.Behavior != "Isolated" || c.Invert {
			return nil, false, &JSONError{File: file, Field: path, Msg: fmt.Sprintf("Split behavior %q invert %v is not supported (want Isolated, false)", c.Behavior, c.Invert)}
		}
		switch {
		case c.Pattern != nil && c.Pattern.Regex != nil:
			if m, ok := knownRegexes[*c.Pattern.Regex]; ok {
				return splitter{m}, byteLevel, nil
			}
			st, err := newRegexStage(*c.Pattern.Regex)
			if err != nil {
				return nil, false, &JSONError{File: file, Field: path + ".pattern.Regex", Msg: "cannot compile", Err: err}
			}
			return splitter{st}, byteLevel, nil
		case c.Pattern != nil && c.Pattern.String != nil && *c.Pattern.String != "":
			st, err := newRegexStage(regexpQuote(*c.Pattern.String))
			if err != nil {
				return nil, false, &JSONError{File: file, Field: path + ".pattern.String", Msg: "cannot compile", Err: err}
			}
			return splitter{st}, byteLevel, nil
		}
		return nil, false, &JSONError{File: file, Field: path + ".pattern", Msg: "missing"}
	}
	return nil, false, &JSONError{File: file, Field: path + ".type", Msg: fmt.Sprintf("pre-tokenizer %q is not supported", c.Type)}
}

// regexpQuote escapes s for regexp2 (.NET syntax).
func regexpQuote(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`\*+?|{}[]()^$.#- `, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// hfNormalizer converts a normalizer to a function, nil for none.
func hfNormalizer(c *hfComponent, path string) (normalize, error) {
	if c == nil {
		return nil, nil
	}
	switch c.Type {
	case "NFC":
		return norm.NFC.String, nil
	case "NFD":
		return norm.NFD.String, nil
	case "NFKC":
		return norm.NFKC.String, nil
	case "NFKD":
		return norm.NFKD.String, nil
	case "Sequence":
		var fs []normalize
		for i, n := range c.Normalizers {
			f, err := hfNormalizer(n, fmt.Sprintf("%s.normalizers[%d]", path, i))
			if err != nil {
				return nil, err
			}
			if f != nil {
				fs = append(fs, f)
			}
		}
		if len(fs) == 0 {
			return nil, nil
		}
		return func(s string) string {
			for _, f := range fs {
				s = f(s)
			}
			return s
		}, nil
	}
	return nil, &JSONError{File: "tokenizer.json", Field: path + ".type", Msg: fmt.Sprintf("normalizer %q is not supported", c.Type)}
}

// familyOf names the pre-tokenizer family whose stages sp is, or "tokenizer.json".
func familyOf(sp splitter) string {
	for _, p := range preTokenizers {
		if sameStages(p.stages, sp) {
			return p.names[0]
		}
	}
	return "tokenizer.json"
}

func sameStages(a, b splitter) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		ma, oka := a[i].(matcher)
		mb, okb := b[i].(matcher)
		if !oka || !okb || reflect.ValueOf(ma).Pointer() != reflect.ValueOf(mb).Pointer() {
			return false
		}
	}
	return true
}
