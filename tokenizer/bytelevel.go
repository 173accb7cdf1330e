package tokenizer

import "unicode/utf8"

// Byte-level BPE vocabularies (GPT-2 and its descendants: Qwen2, DeepSeek-Coder, StarCoder2,
// Llama 3) do not store raw bytes: every byte is first mapped to a printable rune by GPT-2's
// bytes_to_unicode (openai/gpt-2 src/encoder.py), so that the vocabulary is valid UTF-8 text.
// Bytes that are already printable Latin-1 ('!'..'~', '¡'..'¬', '®'..'ÿ') map to themselves;
// the other 68 (controls, space, DEL, NBSP, soft hyphen) map to U+0100 + n in byte order.
// A space becomes 'Ġ' (U+0120) and a newline 'Ċ' (U+010A), which is why those runes appear
// throughout the vocabularies and merges.

// byteToRune[b] is the rune bytes_to_unicode assigns to byte b.
var byteToRune [256]rune

// runeToByte[r] is the byte that rune r stands for, or -1; the mapping's runes are all below
// 256+68.
var runeToByte [256 + 68]int16

func init() {
	for i := range runeToByte {
		runeToByte[i] = -1
	}
	n := 0
	for b := 0; b < 256; b++ {
		r := rune(b)
		if !(b >= '!' && b <= '~' || b >= 0xA1 && b <= 0xAC || b >= 0xAE && b <= 0xFF) {
			r = rune(256 + n)
			n++
		}
		byteToRune[b] = r
		runeToByte[r] = int16(b)
	}
}

// byteLevelEncode returns text with every byte replaced by its bytes_to_unicode rune: the
// form in which a byte-level vocabulary stores tokens.
func byteLevelEncode(text string) string {
	buf := make([]byte, 0, 2*len(text))
	for i := 0; i < len(text); i++ {
		buf = utf8.AppendRune(buf, byteToRune[text[i]])
	}
	return string(buf)
}

// appendByteLevelDecode appends the bytes that a byte-level token text stands for. A rune
// outside the mapping (which a well-formed vocabulary never has) is appended as its own
// UTF-8 encoding rather than dropped, so nothing silently disappears.
func appendByteLevelDecode(dst []byte, text string) []byte {
	for _, r := range text {
		if r >= 0 && int(r) < len(runeToByte) && runeToByte[r] >= 0 {
			dst = append(dst, byte(runeToByte[r]))
			continue
		}
		dst = utf8.AppendRune(dst, r)
	}
	return dst
}
