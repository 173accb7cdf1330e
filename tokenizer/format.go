package tokenizer

import (
	"strconv"
	"strings"
)

// FormatIDs returns ids as decimal numbers separated by single spaces, with no trailing
// newline: the output of `llmls tokenize`.
func FormatIDs(ids []int32) string {
	var b strings.Builder
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.FormatInt(int64(id), 10))
	}
	return b.String()
}

// FormatPieces returns one line per token: the id, a tab, the piece as a Go-quoted string
// (so spaces, newlines and partial UTF-8 bytes are visible: " fib", "\n", "\xe2\x80"), and,
// for tokens that are not normal text, a tab and the type ("control", "user-defined",
// "byte"...). It is the output of `llmls tokenize --pieces`. Ids outside the vocabulary
// print as `id\t""\tundefined`.
func (t *Tokenizer) FormatPieces(ids []int32) string {
	var b strings.Builder
	for _, id := range ids {
		b.WriteString(strconv.FormatInt(int64(id), 10))
		b.WriteByte('\t')
		b.WriteString(strconv.Quote(string(t.Piece(id))))
		if tt := t.Type(id); tt != TypeNormal {
			b.WriteByte('\t')
			b.WriteString(tt.String())
		}
		b.WriteByte('\n')
	}
	return b.String()
}
