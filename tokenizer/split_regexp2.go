package tokenizer

import (
	"time"
	"unicode/utf8"

	"github.com/dlclark/regexp2"
)

// regexMatchTimeout bounds one regexp2 match, so that a pathological pattern from a
// tokenizer.json (catastrophic backtracking) cannot hang an encode: the rest of the piece is
// then left unsplit, which loses no bytes.
const regexMatchTimeout = 2 * time.Second

// regexStage runs a pre-tokenizer regex with github.com/dlclark/regexp2, a backtracking
// engine with look-around (.NET syntax, which covers the \p{..}, (?i:..) and (?!..) that
// tokenizer.json patterns use). It is the fallback for Split patterns that have no
// hand-written matcher, and the oracle the hand-written matchers are tested against.
type regexStage struct {
	re *regexp2.Regexp
}

func newRegexStage(pattern string) (*regexStage, error) {
	re, err := regexp2.Compile(pattern, regexp2.None)
	if err != nil {
		return nil, err
	}
	re.MatchTimeout = regexMatchTimeout
	return &regexStage{re: re}, nil
}

// matches reports the regex's matches in s. regexp2 works on runes: s is decoded once, an
// invalid byte becoming one U+FFFD rune, and rune indexes are mapped back to byte offsets.
func (r *regexStage) matches(s string, yield func(start, end int)) {
	runes := make([]rune, 0, len(s))
	offs := make([]int, 0, len(s)+1)
	for i := 0; i < len(s); {
		c, w := utf8.DecodeRuneInString(s[i:])
		runes = append(runes, c)
		offs = append(offs, i)
		i += w
	}
	offs = append(offs, len(s))
	m, err := r.re.FindRunesMatch(runes)
	for m != nil && err == nil {
		yield(offs[m.Index], offs[m.Index+m.Length])
		m, err = r.re.FindNextMatch(m)
	}
}
