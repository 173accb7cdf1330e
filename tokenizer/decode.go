package tokenizer

import (
	"unicode/utf8"
)

// Piece returns the bytes token id stands for: for byte-level BPE the GPT-2 byte mapping
// undone ("Ġfoo" → " foo"), for SentencePiece ▁ → space and <0xNN> → the byte; for control,
// user-defined, unknown and unused tokens their text ("<|fim_prefix|>"). A piece may be part
// of a UTF-8 sequence (use StreamDecoder to print generated text). It returns nil for an id
// outside the vocabulary. The result is a fresh copy.
func (t *Tokenizer) Piece(id int32) []byte {
	if id < 0 || int(id) >= len(t.tokens) {
		return nil
	}
	return t.AppendPiece(nil, id)
}

// AppendPiece appends Piece(id) to dst and returns the extended slice; nothing is appended
// for an id outside the vocabulary.
func (t *Tokenizer) AppendPiece(dst []byte, id int32) []byte {
	if id < 0 || int(id) >= len(t.tokens) {
		return dst
	}
	return append(dst, t.pieces[t.pieceOffs[id]:t.pieceOffs[id+1]]...)
}

// Decode returns the concatenated pieces of ids, special tokens included as their text, so
// that Decode inverts Encode and EncodeSpecial (see Encode for SentencePiece's leading
// space). The result holds the exact bytes and so may be invalid UTF-8 when ids end or begin
// inside a character; ids outside the vocabulary contribute nothing.
func (t *Tokenizer) Decode(ids []int32) string {
	var buf []byte
	for _, id := range ids {
		buf = t.AppendPiece(buf, id)
	}
	return string(buf)
}

// StreamDecoder turns generated token ids into text for an editor, token by token. A token
// that ends inside a UTF-8 sequence yields nothing until the tokens completing it arrive;
// only valid UTF-8 is ever returned. Control and unused tokens (EOS, FIM markers) add no
// text: the caller stops on them (Tokenizer.IsEOG). A StreamDecoder is not safe for
// concurrent use.
type StreamDecoder struct {
	t       *Tokenizer
	pending []byte // bytes of an incomplete UTF-8 sequence
	invalid bool   // the last text returned ended with a U+FFFD for an invalid run
}

// NewStreamDecoder returns a StreamDecoder for t's tokens.
func (t *Tokenizer) NewStreamDecoder() *StreamDecoder {
	return &StreamDecoder{t: t}
}

// Add feeds one token and returns the text that became complete. Bytes that cannot start or
// continue a valid sequence are replaced by U+FFFD, one per maximal invalid run, as soon as
// they are certainly invalid (utf8.FullRune says a prefix can never complete); a prefix that
// still can complete is held back.
func (d *StreamDecoder) Add(id int32) string {
	switch d.t.Type(id) {
	case TypeControl, TypeUnused, TypeUndefined:
		return ""
	}
	d.pending = d.t.AppendPiece(d.pending, id)
	return d.drain(false)
}

// Flush returns what is held back at the end of generation: an incomplete sequence becomes
// U+FFFD. The decoder is then empty and can be reused.
func (d *StreamDecoder) Flush() string {
	return d.drain(true)
}

// Reset drops anything held back.
func (d *StreamDecoder) Reset() { d.pending, d.invalid = d.pending[:0], false }

// drain returns the valid prefix of pending, replacing invalid bytes, and keeps an
// incomplete tail unless final.
func (d *StreamDecoder) drain(final bool) string {
	p := d.pending
	var out []byte
	i := 0
	invalid := d.invalid
	for i < len(p) {
		if p[i] < utf8.RuneSelf {
			out = append(out, p[i])
			i++
			invalid = false
			continue
		}
		if !utf8.FullRune(p[i:]) && !final {
			break // may still complete
		}
		r, w := utf8.DecodeRune(p[i:])
		if r == utf8.RuneError && w <= 1 {
			if !invalid {
				out = append(out, "\uFFFD"...)
				invalid = true
			}
			i++
			continue
		}
		out = append(out, p[i:i+w]...)
		i += w
		invalid = false
	}
	n := copy(d.pending, p[i:])
	d.pending = d.pending[:n]
	d.invalid = invalid
	if final {
		d.invalid = false
	}
	return string(out)
}
