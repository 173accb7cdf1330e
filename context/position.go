package codectx

import (
	"strings"

	sitter "github.com/smacker/go-tree-sitter"
)

// pointAt returns the tree-sitter point of byte offset off in text: the row is the number of
// '\n' before off and the column is the byte distance from the start of that row.
// 0 <= off <= len(text).
func pointAt(text string, off int) sitter.Point {
	before := text[:off]
	row := strings.Count(before, "\n")
	col := off - (strings.LastIndexByte(before, '\n') + 1)
	return sitter.Point{Row: uint32(row), Column: uint32(col)}
}

// advancePoint returns the point reached from p by inserting s.
func advancePoint(p sitter.Point, s string) sitter.Point {
	n := strings.Count(s, "\n")
	if n == 0 {
		return sitter.Point{Row: p.Row, Column: p.Column + uint32(len(s))}
	}
	return sitter.Point{Row: p.Row + uint32(n), Column: uint32(len(s) - (strings.LastIndexByte(s, '\n') + 1))}
}

// lineStart returns the offset of the first byte of the line holding off.
func lineStart(text string, off int) int {
	return strings.LastIndexByte(text[:off], '\n') + 1
}

// lineEnd returns the offset of the '\n' ending the line holding off, or len(text).
func lineEnd(text string, off int) int {
	if i := strings.IndexByte(text[off:], '\n'); i >= 0 {
		return off + i
	}
	return len(text)
}

// linesBack returns the start of the line n lines above the line holding off (clamped to 0).
func linesBack(text string, off, n int) int {
	s := lineStart(text, off)
	for ; n > 0 && s > 0; n-- {
		s = lineStart(text, s-1)
	}
	return s
}

// linesForward returns the end (exclusive, after its '\n' when there is one) of the line n
// lines below the line holding off (clamped to len(text)).
func linesForward(text string, off, n int) int {
	e := lineEnd(text, off)
	for ; n > 0 && e < len(text); n-- {
		e = lineEnd(text, e+1)
	}
	if e < len(text) {
		e++
	}
	return e
}

// indentWidth returns the width of the leading spaces and tabs of line (a tab counts as one:
// only comparisons within one file matter).
func indentWidth(line string) int {
	return len(line) - len(strings.TrimLeft(line, " \t"))
}

// isBlank reports whether s holds only spaces, tabs, '\r' and '\n'.
func isBlank(s string) bool {
	return strings.TrimLeft(s, " \t\r\n") == ""
}

// isIdentByte reports whether b can be part of an identifier in the languages we know
// (ASCII letters, digits, '_', '$', and any byte of a multi-byte UTF-8 sequence).
func isIdentByte(b byte) bool {
	return b == '_' || b == '$' || b >= 0x80 ||
		('a' <= b && b <= 'z') || ('A' <= b && b <= 'Z') || ('0' <= b && b <= '9')
}
