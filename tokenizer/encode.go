package tokenizer

import (
	"strings"
	"unicode/utf8"
)

// Encode tokenizes text that comes from a user's file or any other untrusted source. It
// never produces a control token: "<|endoftext|>" or "<|fim_middle|>" in text are encoded
// as the ordinary characters they are made of. User-defined added tokens (DeepSeek-Coder's
// "õ", Qwen's "<tool_call>") are matched verbatim, as Hugging Face and llama.cpp
// (parse_special=false) do, because the model was trained that way.
//
// Encode does not add BOS or EOS (see AddBOS). For byte-level BPE, Decode(Encode(s)) == s
// for every valid UTF-8 s; bytes that are not valid UTF-8 are encoded through their byte
// tokens, so they survive too, except in vocabularies without a token for bytes that never
// occur in UTF-8 (StarCoder2 and Refact lack 0xC0, 0xC1, 0xF5-0xFF: dropped, as llama.cpp
// does; DeepSeek-Coder has them only as added tokens that decode as "À", "õ"...). For
// SentencePiece vocabularies Encode prepends one space to text
// (tokenizer.ggml.add_space_prefix, llama.cpp's and SentencePiece's default), so
// Decode(Encode(s)) == " "+s, and a literal "▁" in s decodes as a space. Text loaded from a
// tokenizer.json with an NFC normalizer is normalized first, as Hugging Face does, so
// Decode gives the normalized text.
//
// The empty string encodes to no tokens. Cost is linear in len(text) plus, per word,
// O(k log k) in the word's length k.
func (t *Tokenizer) Encode(text string) []int32 {
	return t.encode(text, t.userDefined)
}

// EncodeSpecial tokenizes text written by the program, such as a prompt template: the texts
// of control, user-defined and unknown tokens ("<|fim_prefix|>", "<｜fim▁begin｜>", "<s>")
// become their single ids, at each position the longest that matches (llama.cpp's
// parse_special=true). Never pass a user's text through EncodeSpecial; build the prompt
// from EncodeSpecial(template parts) and Encode(user text) instead, or splice FIM token ids
// (see FIM) between Encode results. Otherwise as Encode.
func (t *Tokenizer) EncodeSpecial(text string) []int32 {
	return t.encode(text, t.specials)
}

// maxCachedWord is the longest word (bytes) whose tokens an encode call caches: longer words
// are rare repeats and would let one call's cache grow with its input.
const maxCachedWord = 64

// maxCacheEntries bounds one encode call's word cache (a 10 MB line of distinct words must
// not hold them all).
const maxCacheEntries = 1 << 16

// encoder is the state of one encode call. Each call has its own, so a Tokenizer can be used
// from many goroutines without locks.
type encoder struct {
	t       *Tokenizer
	out     []int32
	scratch bpeScratch
	// cache maps a word to its tokens (out[off : off+n]), for words repeated within the
	// call; created for inputs long enough to repeat words.
	cache map[string]span
	// prevSpecial: the previous fragment was a special token (or there was none), which
	// makes SentencePiece prepend a space to the next text fragment.
	prevSpecial bool
	starts      []int32 // SentencePiece: byte offsets of the symbols of a segment
}

type span struct{ off, n int32 }

func (t *Tokenizer) encode(text string, specials *specialMatcher) []int32 {
	e := &encoder{t: t, out: make([]int32, 0, len(text)/3+1), prevSpecial: true}
	if len(text) >= 1024 {
		e.cache = make(map[string]span, 256)
	}
	start, i := 0, 0
	for i < len(text) {
		if !specials.first[text[i]] {
			i++
			continue
		}
		id, n := specials.at(t, text, i)
		if n == 0 {
			i++
			continue
		}
		e.fragment(text[start:i])
		e.out = append(e.out, id)
		e.prevSpecial = true
		i += n
		start = i
	}
	e.fragment(text[start:])
	return e.out
}

// fragment encodes a run of text that contains no special token.
func (e *encoder) fragment(text string) {
	if text == "" {
		return
	}
	t := e.t
	if t.normFunc != nil {
		text = t.normFunc(text)
	}
	if t.model == ModelLlama {
		e.sentencePiece(text)
		e.prevSpecial = false
		return
	}
	t.split.split(text, e.word)
}

// word encodes one pre-tokenized word of byte-level BPE.
func (e *encoder) word(w string) {
	t := e.t
	if len(w) == 1 {
		if id := t.byteIDs[w[0]]; id >= 0 {
			e.out = append(e.out, id)
		}
		return
	}
	if t.ignoreMerges {
		if id, ok := t.textID(byteLevelEncode(w)); ok {
			e.out = append(e.out, id)
			return
		}
	}
	cacheable := e.cache != nil && len(w) <= maxCachedWord
	if cacheable {
		if s, ok := e.cache[w]; ok {
			e.out = append(e.out, e.out[s.off:s.off+s.n]...)
			return
		}
	}
	off := len(e.out)
	ids := e.scratch.reset(len(w))
	for i := 0; i < len(w); i++ {
		ids[i] = t.byteIDs[w[i]]
	}
	t.merges.merge(&e.scratch)
	for i := int32(0); i >= 0; i = e.scratch.next[i] {
		// A byte without a token (possible only in a malformed vocabulary) is dropped, as
		// in llama.cpp.
		if id := e.scratch.ids[i]; id >= 0 {
			e.out = append(e.out, id)
		}
	}
	if cacheable && len(e.cache) < maxCacheEntries {
		e.cache[w] = span{int32(off), int32(len(e.out) - off)}
	}
}

// spmSpace is SentencePiece's meta symbol for a space, U+2581 "▁".
const spmSpace = "\u2581"

// sentencePiece encodes a fragment with SentencePiece BPE (llama.cpp
// llm_tokenizer_spm_session): spaces become ▁, the text is cut into UTF-8 characters, pairs
// merge by score, and characters that are not pieces fall back to <0xNN> byte tokens.
//
// llama.cpp merges over the whole fragment at once. A character that occurs in no token
// longer than itself (a newline, in Llama's vocabulary) can never be merged, so the text on
// either side of it merges independently; cutting the fragment there gives the same tokens
// with smaller heaps, and lets repeated lines come from the word cache.
func (e *encoder) sentencePiece(text string) {
	t := e.t
	if t.addSpacePrefix && e.prevSpecial {
		text = " " + text
	}
	text = strings.ReplaceAll(text, " ", spmSpace)
	start := 0
	for i := 0; i < len(text); i++ {
		if c := text[i]; c < utf8.RuneSelf && t.spmBarrier[c] {
			e.spmSegment(text[start:i])
			e.spmSegment(text[i : i+1])
			start = i + 1
		}
	}
	e.spmSegment(text[start:])
}

// spmSegment encodes a piece of a SentencePiece fragment (spaces already ▁).
func (e *encoder) spmSegment(text string) {
	if text == "" {
		return
	}
	cacheable := e.cache != nil && len(text) <= maxCachedWord
	if cacheable {
		if s, ok := e.cache[text]; ok {
			e.out = append(e.out, e.out[s.off:s.off+s.n]...)
			return
		}
	}
	off := len(e.out)
	t := e.t
	// Symbols are UTF-8 characters; a byte that is not part of a valid sequence is a symbol
	// of its own. (llama.cpp takes a symbol's length from its lead byte alone, so an
	// invalid lead byte swallows the next bytes, possibly a ▁ that then decodes as "▁"
	// instead of a space; for valid UTF-8 the two agree.)
	starts := e.starts[:0]
	for i := 0; i < len(text); {
		starts = append(starts, int32(i))
		if text[i] < utf8.RuneSelf {
			i++
		} else {
			_, w := utf8.DecodeRuneInString(text[i:])
			i += w
		}
	}
	starts = append(starts, int32(len(text)))
	e.starts = starts
	n := len(starts) - 1
	ids := e.scratch.reset(n)
	for k := range n {
		ids[k], _ = t.textID(text[starts[k]:starts[k+1]])
	}
	t.merges.merge(&e.scratch)
	for k := int32(0); k >= 0; k = e.scratch.next[k] {
		if id := e.scratch.ids[k]; id >= 0 {
			e.out = append(e.out, id)
			continue
		}
		for _, b := range []byte(text[starts[k]:starts[k+1]]) {
			switch {
			case t.byteIDs[b] >= 0:
				e.out = append(e.out, t.byteIDs[b])
			case t.unk >= 0 && t.types[t.unk] != TypeControl:
				e.out = append(e.out, t.unk)
			}
		}
	}
	if cacheable && len(e.cache) < maxCacheEntries {
		e.cache[text] = span{int32(off), int32(len(e.out) - off)}
	}
}
