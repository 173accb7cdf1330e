package tokenizer

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"unicode/utf8"
)

// Building a Tokenizer: both loaders fill a spec from their format; build validates it and
// derives the lookup tables (vocabulary map, merge table, byte tokens, special tokens,
// decoded pieces).

// spec is what a loader read from its format, before validation.
type spec struct {
	source string // "gguf" or "tokenizer.json", for messages
	model  string
	pre    string // tokenizer.ggml.pre; "" when absent
	split  splitter
	// preFromSource: the loader built split itself (tokenizer.json); pre is only a label.
	preFromSource bool
	normFunc      normalize

	tokens []string
	types  []TokenType // nil: all normal
	scores []float32   // nil: all zero (SentencePiece only)
	merges [][2]string // byte-level BPE only

	ignoreMerges   *bool
	addBOS, addEOS *bool
	addSpacePrefix *bool
	ids            specialIDs
}

// specialIDs holds the token ids named by the loader's metadata, -1 when absent.
type specialIDs struct {
	bos, eos, unk, eot, eom                        int32
	fimPre, fimSuf, fimMid, fimPad, fimRep, fimSep int32
}

func noSpecialIDs() specialIDs {
	return specialIDs{-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1}
}

// build validates a spec and derives the lookup tables.
func build(sp *spec) (*Tokenizer, error) {
	n := len(sp.tokens)
	switch {
	case n == 0:
		return nil, fmt.Errorf("tokenizer: %s: empty vocabulary", sp.source)
	case n > math.MaxInt32/2:
		return nil, fmt.Errorf("tokenizer: %s: %d tokens is more than supported", sp.source, n)
	case sp.types != nil && len(sp.types) != n:
		return nil, fmt.Errorf("tokenizer: %s: %d token types for %d tokens", sp.source, len(sp.types), n)
	case sp.scores != nil && len(sp.scores) != n:
		return nil, fmt.Errorf("tokenizer: %s: %d scores for %d tokens", sp.source, len(sp.scores), n)
	}
	t := &Tokenizer{model: sp.model, normFunc: sp.normFunc, bos: -1, eos: -1, unk: -1}
	t.tokens = make([]string, n)
	t.types = make([]TokenType, n)
	t.vocab = make(map[string]int32, n)
	for i, s := range sp.tokens {
		if s == "" {
			// llama.cpp does the same, so that every id has a distinct, non-empty text.
			s = fmt.Sprintf("[EMPTY_%d]", i)
			t.warnf("token %d is empty; renamed %q", i, s)
		}
		if j, dup := t.vocab[s]; dup {
			return nil, fmt.Errorf("tokenizer: %s: duplicate token %q at ids %d and %d", sp.source, s, j, i)
		}
		t.vocab[s] = int32(i)
		t.tokens[i] = s
		t.types[i] = TypeNormal
		if sp.types != nil {
			t.types[i] = sp.types[i]
			if sp.types[i] < TypeUndefined || sp.types[i] > TypeByte {
				t.types[i] = TypeUndefined
			}
		}
	}

	switch sp.model {
	case ModelGPT2:
		if err := t.initByteLevel(sp); err != nil {
			return nil, err
		}
	case ModelLlama:
		t.initSentencePiece(sp)
	default:
		return nil, fmt.Errorf("tokenizer: %s: unsupported tokenizer model %q (want %q or %q)", sp.source, sp.model, ModelGPT2, ModelLlama)
	}
	if sp.addBOS != nil {
		t.addBOS = *sp.addBOS
	}
	if sp.addEOS != nil {
		t.addEOS = *sp.addEOS
	}
	t.initSpecials(sp.ids)
	t.excludeControl()
	if t.addBOS && t.bos < 0 {
		t.warnf("add_bos_token is set but the vocabulary has no BOS token; not adding one")
		t.addBOS = false
	}
	if t.addEOS && t.eos < 0 {
		t.warnf("add_eos_token is set but the vocabulary has no EOS token; not adding one")
		t.addEOS = false
	}
	t.initPieces()
	t.userDefined = newSpecialMatcher(t, func(tt TokenType) bool { return tt == TypeUserDefined })
	t.specials = newSpecialMatcher(t, func(tt TokenType) bool {
		return tt == TypeControl || tt == TypeUserDefined || tt == TypeUnknown
	})
	return t, nil
}

// initByteLevel sets up byte-level BPE: the pre-tokenizer, the byte tokens and the merges.
func (t *Tokenizer) initByteLevel(sp *spec) error {
	switch {
	case sp.preFromSource:
		t.pre, t.split = sp.pre, sp.split
	case sp.pre == "":
		p := preTokenizerByName("default")
		t.pre, t.split = p.names[0], p.stages
		t.warnf("no tokenizer.ggml.pre; using llama.cpp's default pre-tokenizer (tokens may differ from the model's training)")
	default:
		p := preTokenizerByName(sp.pre)
		if p == nil {
			p = preTokenizerByName("default")
			t.warnf("unknown pre-tokenizer %q (known: %s); using llama.cpp's default pre-tokenizer (tokens may differ from the model's training)",
				sp.pre, strings.Join(knownPreNames(), ", "))
		}
		t.pre, t.split, t.ignoreMerges, t.addBOS = p.names[0], p.stages, p.ignoreMerges, p.addBOS
		if p.names[0] != "default" {
			t.pre = sp.pre // "refact" rather than the row's first name
		}
	}
	if sp.ignoreMerges != nil {
		t.ignoreMerges = *sp.ignoreMerges
	}
	for b := range t.byteIDs {
		t.byteIDs[b] = -1
		if id, ok := t.vocab[string(byteToRune[b])]; ok {
			t.byteIDs[b] = id
		}
	}
	if sp.merges == nil {
		return fmt.Errorf("tokenizer: %s: byte-level BPE vocabulary without merges", sp.source)
	}
	t.merges = make(mergeTable, len(sp.merges))
	skipped := 0
	firstSkipped := ""
	for i, m := range sp.merges {
		l, okl := t.vocab[m[0]]
		r, okr := t.vocab[m[1]]
		res, okres := t.vocab[m[0]+m[1]]
		if !okl || !okr || !okres {
			if skipped == 0 {
				firstSkipped = fmt.Sprintf("merge %d %q+%q", i, m[0], m[1])
			}
			skipped++
			continue
		}
		t.merges.add(l, r, uint32(i), res)
	}
	if skipped > 0 {
		t.warnf("%d merges name tokens that are not in the vocabulary and were skipped (first: %s)", skipped, firstSkipped)
	}
	return nil
}

// initSentencePiece sets up SentencePiece BPE: byte-fallback tokens and merges derived from
// the scores.
func (t *Tokenizer) initSentencePiece(sp *spec) {
	t.addSpacePrefix, t.addBOS = true, true // llama.cpp's defaults for LLAMA_VOCAB_TYPE_SPM
	if sp.addSpacePrefix != nil {
		t.addSpacePrefix = *sp.addSpacePrefix
	}
	for b := range t.byteIDs {
		t.byteIDs[b] = -1
		if id, ok := t.vocab[fmt.Sprintf("<0x%02X>", b)]; ok {
			t.byteIDs[b] = id
		}
	}
	scores := sp.scores
	if scores == nil {
		scores = make([]float32, len(t.tokens))
		t.warnf("SentencePiece vocabulary without scores; merging by token id order")
		for i := range scores {
			scores[i] = -float32(i) // SentencePiece orders pieces by score, best first
		}
	}
	t.merges = mergesFromScores(t.tokens, scores, t.vocab)
	for c := range t.spmBarrier {
		t.spmBarrier[c] = true
	}
	for _, s := range t.tokens {
		if utf8.RuneCountInString(s) > 1 {
			for i := 0; i < len(s); i++ {
				if s[i] < utf8.RuneSelf {
					t.spmBarrier[s[i]] = false
				}
			}
		}
	}
}

// mergesFromScores lists, for every token c whose text splits at a character boundary into
// two tokens a and b, the merge a+b → c, ranked by c's score (highest first; equal scores
// share a rank). That is exactly the set of bigrams llama.cpp's SentencePiece session can
// merge, with its priority.
func mergesFromScores(tokens []string, scores []float32, vocab map[string]int32) mergeTable {
	order := make([]float32, 0, len(scores))
	for _, s := range scores {
		if s == s { // NaN scores never merge first; they sort last below
			order = append(order, s)
		}
	}
	sort.Slice(order, func(i, j int) bool { return order[i] > order[j] })
	rankOf := make(map[float32]uint32, len(order))
	for _, s := range order {
		if _, ok := rankOf[s]; !ok {
			rankOf[s] = uint32(len(rankOf))
		}
	}
	nanRank := uint32(len(rankOf))
	m := make(mergeTable)
	for c, text := range tokens {
		rank, ok := rankOf[scores[c]]
		if !ok {
			rank = nanRank
		}
		for k := 1; k < len(text); k++ {
			if text[k]&0xC0 == 0x80 { // not a character boundary
				continue
			}
			a, oka := vocab[text[:k]]
			b, okb := vocab[text[k:]]
			if oka && okb {
				m.add(a, b, rank, int32(c))
			}
		}
	}
	return m
}

// excludeControl makes control tokens unreachable from ordinary text: a byte whose token is
// a control token has no byte token, and merges that involve a control token are dropped.
// Real vocabularies never have such merges (control tokens are added tokens), but a
// malformed one must not let Encode produce "<|endoftext|>" from a user's text.
func (t *Tokenizer) excludeControl() {
	for b, id := range t.byteIDs {
		if id >= 0 && t.types[id] == TypeControl {
			t.byteIDs[b] = -1
		}
	}
	for k, v := range t.merges {
		l, r, res := int32(uint32(k>>32)), int32(uint32(k)), int32(uint32(v))
		if t.types[l] == TypeControl || t.types[r] == TypeControl || t.types[res] == TypeControl {
			delete(t.merges, k)
		}
	}
}

// textID returns the id of a non-control token with text s: what ordinary text may become.
func (t *Tokenizer) textID(s string) (int32, bool) {
	id, ok := t.vocab[s]
	if !ok || t.types[id] == TypeControl {
		return -1, false
	}
	return id, true
}

// initPieces decodes every token to the bytes it stands for.
func (t *Tokenizer) initPieces() {
	t.pieceOffs = make([]uint32, len(t.tokens)+1)
	buf := make([]byte, 0, 8*len(t.tokens))
	for i, s := range t.tokens {
		switch {
		case t.types[i] == TypeNormal && t.model == ModelGPT2:
			buf = appendByteLevelDecode(buf, s)
		case t.types[i] == TypeNormal && t.model == ModelLlama:
			buf = append(buf, strings.ReplaceAll(s, spmSpace, " ")...)
		case t.types[i] == TypeByte && t.model == ModelLlama:
			if b, ok := parseByteToken(s); ok {
				buf = append(buf, b)
			} else {
				buf = append(buf, s...)
			}
		default: // control, user-defined, unknown, unused: the text itself
			buf = append(buf, s...)
		}
		t.pieceOffs[i+1] = uint32(len(buf))
	}
	t.pieces = buf
}

// parseByteToken parses SentencePiece's byte-fallback token text "<0xNN>".
func parseByteToken(s string) (byte, bool) {
	if len(s) != 6 || s[:3] != "<0x" || s[5] != '>' {
		return 0, false
	}
	var b byte
	for _, c := range []byte(s[3:5]) {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		default:
			return 0, false
		}
		b = b<<4 | c
	}
	return b, true
}
