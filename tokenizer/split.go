package tokenizer

import (
	"unicode"
	"unicode/utf8"
)

// This file holds the hand-written pre-tokenizer matchers. Each one implements one regular
// expression of a family's pre-tokenizer (quoted beside it) with the same leftmost-first,
// greedy, backtracking semantics the regex engines give it (Oniguruma in Hugging Face
// tokenizers, std::wregex or llama.cpp's custom splitters in llama.cpp). Go's regexp has no
// look-ahead, and a hand-written matcher is several times faster than a backtracking engine
// (see BenchmarkPreTokenize); split_regexp2_test.go fuzzes each matcher against the original
// regex run by github.com/dlclark/regexp2.
//
// Characters are classified as the regexes' \p{L}, \p{N}, \s and "other". A byte that is not
// valid UTF-8 is a one-byte "other" character, as U+FFFD (category So) would be; it is kept
// as the raw byte, so pre-tokenization never loses input.

// A matcher returns the length in bytes of the match starting at byte i of s, or 0 when the
// regex does not match there. s is the whole piece being split: look-ahead and $ see its end.
type matcher func(s string, i int) int

// class is a character's class as the pre-tokenizer regexes see it.
type class uint8

const (
	clsOther  class = iota // [^\s\p{L}\p{N}], including invalid bytes
	clsLetter              // \p{L}
	clsNumber              // \p{N}
	clsSpace               // \s (Unicode White_Space)
)

var asciiClass [utf8.RuneSelf]class

func init() {
	for c := 0; c < utf8.RuneSelf; c++ {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
			asciiClass[c] = clsLetter
		case '0' <= c && c <= '9':
			asciiClass[c] = clsNumber
		case c == ' ', '\t' <= c && c <= '\r': // \t \n \v \f \r
			asciiClass[c] = clsSpace
		}
	}
}

// classAt returns the class of the character at byte i of s and its width in bytes.
// i must be < len(s).
func classAt(s string, i int) (class, int) {
	if c := s[i]; c < utf8.RuneSelf {
		return asciiClass[c], 1
	}
	r, w := utf8.DecodeRuneInString(s[i:])
	return runeClass(r, w), w
}

func runeClass(r rune, w int) class {
	switch {
	case r == utf8.RuneError && w == 1:
		return clsOther
	case unicode.IsLetter(r):
		return clsLetter
	case unicode.IsNumber(r):
		return clsNumber
	case unicode.IsSpace(r):
		return clsSpace
	}
	return clsOther
}

// runOf returns the end of the run of characters of class c that starts at byte i of s.
func runOf(s string, i int, c class) int {
	for i < len(s) {
		if b := s[i]; b < utf8.RuneSelf {
			if asciiClass[b] != c {
				return i
			}
			i++
			continue
		}
		k, w := classAt(s, i)
		if k != c {
			return i
		}
		i += w
	}
	return i
}

// spaceRun returns the end of the run of \s characters starting at i, the start of the run's
// last character, and the end of its last \r or \n (or -1 if it has none).
func spaceRun(s string, i int) (end, lastStart, nlEnd int) {
	nlEnd = -1
	lastStart = i
	for i < len(s) {
		k, w := classAt(s, i)
		if k != clsSpace {
			break
		}
		if s[i] == '\r' || s[i] == '\n' {
			nlEnd = i + 1
		}
		lastStart = i
		i += w
	}
	return i, lastStart, nlEnd
}

// spaceNotFollowedByNonSpace implements \s+(?!\S) at i: the whole run of white space when it
// ends the piece, else the run less its last character (which must then be followed by a
// non-space), or no match for a single white-space character before a non-space.
func spaceNotFollowedByNonSpace(s string, i int) int {
	end, last, _ := spaceRun(s, i)
	if end == len(s) {
		return end - i
	}
	return last - i
}

// matchGPT2 implements GPT-2's pattern (openai/gpt-2 src/encoder.py; llama.cpp
// LLAMA_VOCAB_PRE_TYPE_GPT2):
//
//	's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)
func matchGPT2(s string, i int) int {
	c := s[i]
	if c == '\'' && i+1 < len(s) {
		switch s[i+1] {
		case 's', 't', 'm', 'd':
			return 2
		case 'r', 'v':
			if i+2 < len(s) && s[i+2] == 'e' {
				return 3
			}
		case 'l':
			if i+2 < len(s) && s[i+2] == 'l' {
				return 3
			}
		}
	}
	j := i
	if c == ' ' && i+1 < len(s) {
		j = i + 1 // the optional leading space of the next three alternatives
	}
	k, _ := classAt(s, j)
	if k != clsSpace {
		return runOf(s, j, k) - i
	}
	// Here the character at i is white space (a space followed by a space lands here too).
	return spaceNotFollowedByNonSpace(s, i)
}

// matchLlama3 implements the Llama 3 pattern with \p{N}{1,maxDigits} (maxDigits 3), and
// Qwen2's, which is the same with \p{N} (maxDigits 1). From their tokenizer.json:
//
//	(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//
// The contractions are matched as llama.cpp's adaptation spells them ('[sS]|'[tT]|...,
// LLAMA_VOCAB_PRE_TYPE_LLAMA3 and _QWEN2), which differs from (?i:...) only for the
// Unicode case folds of s and k (ſ, K).
func matchLlama3(s string, i int, maxDigits int) int {
	c := s[i]
	if c == '\'' && i+1 < len(s) {
		switch s[i+1] | 0x20 { // ASCII lower case
		case 's', 't', 'm', 'd':
			return 2
		case 'r', 'v':
			if i+2 < len(s) && s[i+2]|0x20 == 'e' {
				return 3
			}
		case 'l':
			if i+2 < len(s) && s[i+2]|0x20 == 'l' {
				return 3
			}
		}
	}
	k, w := classAt(s, i)
	switch k {
	case clsLetter: // \p{L}+
		return runOf(s, i, clsLetter) - i
	case clsNumber: // \p{N}{1,maxDigits}
		j := i
		for n := 0; n < maxDigits && j < len(s); n++ {
			kk, ww := classAt(s, j)
			if kk != clsNumber {
				break
			}
			j += ww
		}
		return j - i
	}
	// [^\r\n\p{L}\p{N}]\p{L}+: one non-letter, non-digit (other than CR, LF) before letters.
	if c != '\r' && c != '\n' && i+w < len(s) {
		if kk, _ := classAt(s, i+w); kk == clsLetter {
			return runOf(s, i+w, clsLetter) - i
		}
	}
	//  ?[^\s\p{L}\p{N}]+[\r\n]*
	j := -1
	if k == clsOther {
		j = i
	} else if c == ' ' && i+1 < len(s) {
		if kk, _ := classAt(s, i+1); kk == clsOther {
			j = i + 1
		}
	}
	if j >= 0 {
		e := runOf(s, j, clsOther)
		for e < len(s) && (s[e] == '\r' || s[e] == '\n') {
			e++
		}
		return e - i
	}
	// k == clsSpace from here on.
	end, last, nlEnd := spaceRun(s, i)
	switch {
	case nlEnd > 0: // \s*[\r\n]+ ends at the run's last CR or LF
		return nlEnd - i
	case end == len(s): // \s+(?!\S) at the end of the piece
		return end - i
	case last > i: // \s+(?!\S): all but the last white-space character
		return last - i
	}
	return w // \s+ for a single white-space character before a non-space
}

func matchQwen2(s string, i int) int   { return matchLlama3(s, i, 1) }
func matchLlama3x(s string, i int) int { return matchLlama3(s, i, 3) }

// matchCRLF implements [\r\n] (DeepSeek's first split).
func matchCRLF(s string, i int) int {
	if s[i] == '\r' || s[i] == '\n' {
		return 1
	}
	return 0
}

// matchSpaceLetters implements \s?\p{L}+ (DeepSeek-Coder).
func matchSpaceLetters(s string, i int) int {
	k, w := classAt(s, i)
	if k == clsSpace && i+w < len(s) {
		if kk, _ := classAt(s, i+w); kk == clsLetter {
			return runOf(s, i+w, clsLetter) - i
		}
		return 0
	}
	if k == clsLetter {
		return runOf(s, i, clsLetter) - i
	}
	return 0
}

// isPunct reports whether the character at i is \p{P}, and its width.
func isPunctAt(s string, i int) (bool, int) {
	r, w := rune(s[i]), 1
	if r >= utf8.RuneSelf {
		r, w = utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && w == 1 {
			return false, 1
		}
	}
	return unicode.IsPunct(r), w
}

// matchSpacePunct implements \s?\p{P}+ (DeepSeek-Coder).
func matchSpacePunct(s string, i int) int {
	j := i
	if k, w := classAt(s, i); k == clsSpace {
		j = i + w
	}
	e := j
	for e < len(s) {
		p, w := isPunctAt(s, e)
		if !p {
			break
		}
		e += w
	}
	if e == j {
		return 0
	}
	return e - i
}

// matchDeepSeekCJK implements [一-龥ࠀ-一가-퟿]+, that is [\x{0800}-\x{9FA5}\x{AC00}-\x{D7FF}]+
// (DeepSeek's CJK split; the class spans far more than CJK, as written upstream).
func matchDeepSeekCJK(s string, i int) int {
	e := i
	for e < len(s) && s[e] >= utf8.RuneSelf {
		r, w := utf8.DecodeRuneInString(s[e:])
		if !(r >= 0x0800 && r <= 0x9FA5 || r >= 0xAC00 && r <= 0xD7FF) {
			break
		}
		e += w
	}
	return e - i
}

// matchDigit implements \p{N}: one number character (Hugging Face Digits with
// individual_digits).
func matchDigit(s string, i int) int {
	if k, w := classAt(s, i); k == clsNumber {
		return w
	}
	return 0
}

// matchDigits implements \p{N}+ (Hugging Face Digits without individual_digits).
func matchDigits(s string, i int) int {
	return runOf(s, i, clsNumber) - i
}

// matchDefaultPunct implements [\p{P}\$\+<=>\^~\|]+ (llama.cpp's default pre-tokenizer).
func matchDefaultPunct(s string, i int) int {
	e := i
	for e < len(s) {
		switch s[e] {
		case '$', '+', '<', '=', '>', '^', '~', '|':
			e++
			continue
		}
		p, w := isPunctAt(s, e)
		if !p {
			break
		}
		e += w
	}
	return e - i
}

// matchThreeASCIIDigits implements [0-9][0-9][0-9] (llama.cpp's default pre-tokenizer).
func matchThreeASCIIDigits(s string, i int) int {
	if i+3 <= len(s) && isASCIIDigit(s[i]) && isASCIIDigit(s[i+1]) && isASCIIDigit(s[i+2]) {
		return 3
	}
	return 0
}

func isASCIIDigit(c byte) bool { return '0' <= c && c <= '9' }

// A stage is one Split step of a pre-tokenizer: it reports the matches of its regex in s,
// in order and without overlap, as byte ranges [start, end). An empty match is a split point.
type stage interface {
	matches(s string, yield func(start, end int))
}

// matches runs m at every position of s, as a regex engine's find-all does: after a match it
// continues at the match's end, after a failure at the next character.
func (m matcher) matches(s string, yield func(start, end int)) {
	i := 0
	for i < len(s) {
		n := m(s, i)
		if n > 0 {
			yield(i, i+n)
			i += n
			continue
		}
		if s[i] < utf8.RuneSelf {
			i++
		} else {
			_, w := utf8.DecodeRuneInString(s[i:])
			i += w
		}
	}
}

// splitter applies a sequence of stages as Hugging Face's Split pre-tokenizer with the
// Isolated behaviour does: each stage splits every piece the previous one produced into its
// matches and the unmatched runs between them, both kept as pieces.
type splitter []stage

// split calls emit with each word of text, in order; the words concatenate to text.
func (sp splitter) split(text string, emit func(word string)) {
	switch {
	case text == "":
		return
	case len(sp) == 0:
		emit(text)
		return
	}
	if m, ok := sp[0].(matcher); ok && len(sp) == 1 {
		// The common single-regex families (GPT-2, Llama 3, Qwen2): no closures per word.
		gap, i := 0, 0
		for i < len(text) {
			n := m(text, i)
			if n == 0 {
				if text[i] < utf8.RuneSelf {
					i++
				} else {
					_, w := utf8.DecodeRuneInString(text[i:])
					i += w
				}
				continue
			}
			if gap < i {
				emit(text[gap:i])
			}
			emit(text[i : i+n])
			i += n
			gap = i
		}
		if gap < len(text) {
			emit(text[gap:])
		}
		return
	}
	// Several stages: cut the text stage by stage, keeping the cut points (strictly
	// increasing byte offsets) rather than recursing, so no closure or slice is allocated per
	// piece.
	cuts := []int{0, len(text)}
	next := make([]int, 0, len(text)/4+2)
	for _, st := range sp {
		next = append(next[:0], 0)
		cut := func(at int) {
			if at > next[len(next)-1] {
				next = append(next, at)
			}
		}
		for k := 0; k+1 < len(cuts); k++ {
			a, b := cuts[k], cuts[k+1]
			piece := text[a:b]
			if m, ok := st.(matcher); ok {
				for i := 0; i < len(piece); {
					n := m(piece, i)
					if n == 0 {
						if piece[i] < utf8.RuneSelf {
							i++
						} else {
							_, w := utf8.DecodeRuneInString(piece[i:])
							i += w
						}
						continue
					}
					cut(a + i)
					cut(a + i + n)
					i += n
				}
			} else {
				st.matches(piece, func(x, y int) {
					cut(a + x)
					cut(a + y)
				})
			}
			cut(b)
		}
		cuts, next = next, cuts
	}
	for k := 0; k+1 < len(cuts); k++ {
		emit(text[cuts[k]:cuts[k+1]])
	}
}
