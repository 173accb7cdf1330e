package tokenizer

import (
	"fmt"
	"sort"
	"unicode/utf8"
)

// TokenType is the kind of a token, with the values GGUF's tokenizer.ggml.token_type array
// stores (llama.cpp include/llama.h enum llama_token_type, which is SentencePiece's
// ModelProto.SentencePiece.Type).
type TokenType int32

// Token types.
const (
	TypeUndefined   TokenType = 0
	TypeNormal      TokenType = 1 // an ordinary piece of text
	TypeUnknown     TokenType = 2 // <unk>
	TypeControl     TokenType = 3 // BOS, EOS, FIM markers...: only EncodeSpecial produces them
	TypeUserDefined TokenType = 4 // added token matched verbatim, by Encode too
	TypeUnused      TokenType = 5 // padding entries ([PAD151665])
	TypeByte        TokenType = 6 // SentencePiece byte fallback <0xNN>
)

var tokenTypeNames = [...]string{"undefined", "normal", "unknown", "control", "user-defined", "unused", "byte"}

// String returns the type's name as llama.cpp's logs spell it ("control", "user-defined"...).
func (t TokenType) String() string {
	if t >= 0 && int(t) < len(tokenTypeNames) {
		return tokenTypeNames[t]
	}
	return fmt.Sprintf("TokenType(%d)", int32(t))
}

// Model names, as tokenizer.ggml.model spells them.
const (
	ModelGPT2  = "gpt2"  // byte-level BPE with merges (GPT-2, Qwen2, DeepSeek-Coder, StarCoder2, Llama 3)
	ModelLlama = "llama" // SentencePiece BPE with scores and byte fallback (Llama 2, CodeLlama)
)

// FIMTokens are a vocabulary's fill-in-the-middle and repository-level markers, -1 where the
// vocabulary has none. They come from the tokenizer.ggml.fim_*_token_id keys when present,
// else from the token texts llama.cpp recognises (llama_vocab::impl::load, "auto-detect
// special tokens by text"): <|fim_prefix|> (Qwen), <｜fim▁begin｜> (DeepSeek), <fim_prefix>
// (StarCoder2), ▁<PRE> (CodeLlama), and the matching suffix, middle, pad, repo and file
// separator tokens.
type FIMTokens struct {
	Prefix, Suffix, Middle int32
	Pad                    int32 // <|fim_pad|>
	Repo                   int32 // repository name marker (<|repo_name|>, <repo_name>)
	FileSep                int32 // file separator (<|file_sep|>, <file_sep>)
}

// Tokenizer encodes text to token ids and decodes them back for one vocabulary. It is
// immutable after construction and safe for concurrent use.
type Tokenizer struct {
	model    string
	pre      string    // family name for Pre, "" for SentencePiece
	split    splitter  // word splitter (byte-level BPE)
	normFunc normalize // Unicode normalization before encoding (tokenizer.json NFC), or nil

	tokens    []string // token text as stored in the vocabulary
	types     []TokenType
	vocab     map[string]int32
	pieces    []byte   // the bytes of every token, concatenated
	pieceOffs []uint32 // token i's bytes are pieces[pieceOffs[i]:pieceOffs[i+1]]

	merges       mergeTable
	byteIDs      [256]int32 // byte-level: token of each byte; SentencePiece: <0xNN>; -1 if none
	ignoreMerges bool

	addSpacePrefix bool  // SentencePiece: prepend a space to text at the start and after a special token
	unk            int32 // SentencePiece: token for bytes with neither a piece nor <0xNN>
	// spmBarrier[c]: SentencePiece: ASCII character c occurs in no token longer than one
	// character, so merges never cross it.
	spmBarrier [utf8.RuneSelf]bool

	bos, eos       int32
	addBOS, addEOS bool
	fim            FIMTokens
	eog            map[int32]bool

	userDefined *specialMatcher // what Encode matches verbatim
	specials    *specialMatcher // what EncodeSpecial matches: control, user-defined, unknown

	warnings []string
}

// normalize is a Unicode normalization applied to text fragments before pre-tokenization.
type normalize func(string) string

// VocabSize returns the number of token ids: valid ids are [0, VocabSize()). A model's
// embedding table may have more rows (padding); such ids have no text.
func (t *Tokenizer) VocabSize() int { return len(t.tokens) }

// Model returns ModelGPT2 or ModelLlama.
func (t *Tokenizer) Model() string { return t.model }

// Pre returns the pre-tokenizer family ("qwen2", "deepseek-coder", "starcoder", "refact",
// "gpt-2", "llama-bpe", "default", or "tokenizer.json" for a custom Split sequence), or ""
// for SentencePiece, which has none.
func (t *Tokenizer) Pre() string { return t.pre }

// BOS returns the beginning-of-sequence token, or -1.
func (t *Tokenizer) BOS() int32 { return t.bos }

// EOS returns the end-of-sequence token, or -1.
func (t *Tokenizer) EOS() int32 { return t.eos }

// AddBOS reports whether the model expects BOS in front of a prompt
// (tokenizer.ggml.add_bos_token, tokenizer_config.json add_bos_token). Encode and
// EncodeSpecial never add it; the prompt builder does.
func (t *Tokenizer) AddBOS() bool { return t.addBOS }

// AddEOS reports whether the vocabulary asks for EOS after a prompt (rare).
func (t *Tokenizer) AddEOS() bool { return t.addEOS }

// FIM returns the fill-in-the-middle markers.
func (t *Tokenizer) FIM() FIMTokens { return t.fim }

// Type returns the type of token id, or TypeUndefined for an id outside the vocabulary.
func (t *Tokenizer) Type(id int32) TokenType {
	if id < 0 || int(id) >= len(t.types) {
		return TypeUndefined
	}
	return t.types[id]
}

// IsControl reports whether id is a control token (BOS, EOS, FIM markers, <|im_end|>...).
// Encode never produces control tokens.
func (t *Tokenizer) IsControl(id int32) bool { return t.Type(id) == TypeControl }

// IsEOG reports whether generating id ends generation: EOS, end-of-turn tokens, and the FIM
// pad, repo and file-separator tokens (a FIM model that emits <|file_sep|> has finished the
// middle and started another file). The set follows llama.cpp's special_eog_ids, plus
// DeepSeek-Coder-Instruct's <|EOT|>.
func (t *Tokenizer) IsEOG(id int32) bool { return t.eog[id] }

// EOGTokens returns the end-of-generation set in increasing order.
func (t *Tokenizer) EOGTokens() []int32 {
	out := make([]int32, 0, len(t.eog))
	for id := range t.eog {
		out = append(out, id)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// TokenID returns the id of the token whose text is exactly s, as the vocabulary stores it:
// byte-level vocabularies store "Ġ" for a leading space, SentencePiece "▁". Control and
// added tokens are stored verbatim ("<|fim_prefix|>").
func (t *Tokenizer) TokenID(s string) (int32, bool) {
	id, ok := t.vocab[s]
	return id, ok
}

// Text returns token id's text as the vocabulary stores it ("Ġfoo", "▁foo", "<0x0A>"), or ""
// for an id outside the vocabulary. Piece gives the bytes it stands for.
func (t *Tokenizer) Text(id int32) string {
	if id < 0 || int(id) >= len(t.tokens) {
		return ""
	}
	return t.tokens[id]
}

// Warnings returns what loading found questionable but survivable (an unknown
// pre-tokenizer name replaced by the default, merges that name missing tokens, a BOS id out
// of range...), one message per line, for the caller to log.
func (t *Tokenizer) Warnings() []string { return append([]string(nil), t.warnings...) }

func (t *Tokenizer) warnf(format string, args ...any) {
	t.warnings = append(t.warnings, fmt.Sprintf(format, args...))
}
