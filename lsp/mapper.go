package lsp

// Positions.
//
// The representations of a place in a document, and who uses each:
//
//   - Byte offset into the UTF-8 text (int, 0 <= offset <= len(text)): the document store,
//     the Engine, completion, context and tree-sitter. Everything below this package.
//   - LSP Position {line, character} (go.lsp.dev/protocol.Position): the wire. line is a
//     0-based line number; character counts code units from the start of the line in the
//     negotiated PositionEncoding: UTF-16 code units (the LSP default; an astral-plane
//     character such as U+1F600 counts 2) or UTF-8 bytes (when the client offers "utf-8"
//     in general.positionEncodings, LSP 3.17).
//   - Line start table (byte offset of each line's first byte): inside Mapper only.
//
// Line ends are "\r\n", "\n" and a lone "\r", as LSP 3.17 § Text Documents counts them; a
// position cannot address the inside of a line end (between "\r" and "\n"), and its
// character is never past the line's content. The conversion happens once, at the edge: a
// handler converts a Position to a byte offset with [Mapper.PositionOffset] on arrival and a
// byte offset back to a Position with [Mapper.OffsetPosition] on the way out.
//
// Text that is not valid UTF-8 (it cannot arrive through JSON, but a Mapper does not rely on
// that) counts each invalid byte as one character of one code unit in either encoding, so the
// conversions stay total and round-trip.

import (
	"fmt"
	"sort"
	"unicode/utf8"

	"go.lsp.dev/protocol"
)

// PositionEncoding is the unit of Position.character, LSP 3.17 PositionEncodingKind.
// https://microsoft.github.io/language-server-protocol/specifications/lsp/3.17/specification/#positionEncodingKind
type PositionEncoding string

// The encodings a Mapper understands. The server negotiates UTF8 when the client offers it
// and UTF16 (mandatory for every client) otherwise.
const (
	UTF16 PositionEncoding = "utf-16" // character counts UTF-16 code units (LSP default)
	UTF8  PositionEncoding = "utf-8"  // character counts bytes of UTF-8
)

// PositionError reports a position or offset that does not address a place in the document.
// Its message states the valid range.
type PositionError struct {
	Line      int    // 0-based line of the offending position, or -1 for an offset
	Character int    // code units, or -1 for an offset
	Offset    int    // byte offset, or -1 for a position
	Reason    string // what is wrong and what would have been valid
}

// Error says where the position or offset is and what the valid range is.
func (e *PositionError) Error() string {
	if e.Offset >= 0 {
		return fmt.Sprintf("lsp: byte offset %d: %s", e.Offset, e.Reason)
	}
	return fmt.Sprintf("lsp: position %d:%d: %s", e.Line, e.Character, e.Reason)
}

// Mapper converts between LSP positions and byte offsets for one immutable document text.
// A Mapper is safe for concurrent use; it never changes after [NewMapper].
type Mapper struct {
	text      string
	encoding  PositionEncoding
	lineStart []int // byte offset of the first byte of each line; len >= 1, lineStart[0] == 0
}

// NewMapper indexes text (UTF-8) for positions in the given encoding; O(len(text)).
// It panics if encoding is neither UTF16 nor UTF8 (programmer misuse: the server only
// negotiates those two).
func NewMapper(text string, encoding PositionEncoding) *Mapper {
	if encoding != UTF16 && encoding != UTF8 {
		panic(fmt.Sprintf("lsp: NewMapper: unsupported position encoding %q", encoding))
	}
	m := &Mapper{text: text, encoding: encoding, lineStart: []int{0}}
	for i := 0; i < len(text); i++ {
		switch text[i] {
		case '\n':
			m.lineStart = append(m.lineStart, i+1)
		case '\r':
			if i+1 < len(text) && text[i+1] == '\n' {
				i++
			}
			m.lineStart = append(m.lineStart, i+1)
		}
	}
	return m
}

// Text returns the document text the Mapper indexes.
func (m *Mapper) Text() string { return m.text }

// Encoding returns the unit of Position.character this Mapper uses.
func (m *Mapper) Encoding() PositionEncoding { return m.encoding }

// LineCount returns the number of lines; a text ending in a line end has an empty last line,
// so "a\n" has 2 lines and "" has 1.
func (m *Mapper) LineCount() int { return len(m.lineStart) }

// lineBounds returns the byte offsets of the first byte of line and of the end of its content
// (the start of its line end, or len(text) for the last line).
func (m *Mapper) lineBounds(line int) (start, end int) {
	start = m.lineStart[line]
	if line+1 == len(m.lineStart) {
		return start, len(m.text)
	}
	end = m.lineStart[line+1] - 1
	if m.text[end] == '\n' && end > start && m.text[end-1] == '\r' {
		end--
	}
	return start, end
}

// units returns the number of code units the character starting at text[i] occupies and
// its length in bytes.
func (m *Mapper) units(i int) (units, size int) {
	r, size := utf8.DecodeRuneInString(m.text[i:])
	if m.encoding == UTF8 {
		return size, size
	}
	if r >= 0x10000 {
		return 2, size // a surrogate pair in UTF-16
	}
	return 1, size // includes an invalid byte (RuneError, size 1)
}

// PositionOffset converts p to a byte offset into the text.
//
// A character past the end of its line's content clamps to the end of the content (LSP 3.17
// § Position: "If the character value is greater than the line length it defaults back to
// the line length"). It returns a *PositionError when p.Line is past the last line (the spec
// leaves this open; a line that does not exist means client and server disagree about the
// text, and an error surfaces that early) or when p.Character falls inside a character (the
// second unit of a UTF-16 surrogate pair, or inside a multi-byte UTF-8 sequence).
func (m *Mapper) PositionOffset(p protocol.Position) (int, error) {
	line, char := int(p.Line), int(p.Character)
	if line >= len(m.lineStart) {
		return 0, &PositionError{Line: line, Character: char, Offset: -1,
			Reason: fmt.Sprintf("line out of range: the document has lines 0 to %d", len(m.lineStart)-1)}
	}
	start, end := m.lineBounds(line)
	i, col := start, 0
	for i < end && col < char {
		u, size := m.units(i)
		if col+u > char {
			return 0, &PositionError{Line: line, Character: char, Offset: -1,
				Reason: fmt.Sprintf("character splits a character of %d %s code units that starts at character %d", u, m.encoding, col)}
		}
		col += u
		i += size
	}
	return i, nil
}

// OffsetPosition converts a byte offset into the text to a Position.
// It returns a *PositionError when offset is outside [0, len(text)], inside a multi-byte
// character, or between the "\r" and "\n" of a CRLF line end.
func (m *Mapper) OffsetPosition(offset int) (protocol.Position, error) {
	if offset < 0 || offset > len(m.text) {
		return protocol.Position{}, &PositionError{Line: -1, Character: -1, Offset: offset,
			Reason: fmt.Sprintf("out of range: valid offsets are 0 to %d", len(m.text))}
	}
	// The line is the last one that starts at or before offset.
	line := sort.Search(len(m.lineStart), func(i int) bool { return m.lineStart[i] > offset }) - 1
	start, end := m.lineBounds(line)
	if offset > end {
		return protocol.Position{}, &PositionError{Line: -1, Character: -1, Offset: offset,
			Reason: fmt.Sprintf("inside the CRLF line end of line %d (the line end starts at offset %d)", line, end)}
	}
	col := 0
	for i := start; i < offset; {
		u, size := m.units(i)
		if i+size > offset {
			return protocol.Position{}, &PositionError{Line: -1, Character: -1, Offset: offset,
				Reason: fmt.Sprintf("inside the %d-byte character that starts at offset %d", size, i)}
		}
		col += u
		i += size
	}
	return protocol.Position{Line: uint32(line), Character: uint32(col)}, nil
}

// RangeOffsets converts r to the half-open byte range [start, end).
// Errors are those of [Mapper.PositionOffset], or a *PositionError when r.Start comes after r.End.
func (m *Mapper) RangeOffsets(r protocol.Range) (start, end int, err error) {
	if start, err = m.PositionOffset(r.Start); err != nil {
		return 0, 0, fmt.Errorf("range start: %w", err)
	}
	if end, err = m.PositionOffset(r.End); err != nil {
		return 0, 0, fmt.Errorf("range end: %w", err)
	}
	if start > end {
		return 0, 0, &PositionError{Line: int(r.Start.Line), Character: int(r.Start.Character), Offset: -1,
			Reason: fmt.Sprintf("range start is after its end %d:%d", r.End.Line, r.End.Character)}
	}
	return start, end, nil
}

// OffsetsRange converts the half-open byte range [start, end) to a Range.
// Errors are those of [Mapper.OffsetPosition], or a *PositionError when start > end.
func (m *Mapper) OffsetsRange(start, end int) (protocol.Range, error) {
	if start > end {
		return protocol.Range{}, &PositionError{Line: -1, Character: -1, Offset: start,
			Reason: fmt.Sprintf("range start is after its end %d", end)}
	}
	s, err := m.OffsetPosition(start)
	if err != nil {
		return protocol.Range{}, fmt.Errorf("range start: %w", err)
	}
	e, err := m.OffsetPosition(end)
	if err != nil {
		return protocol.Range{}, fmt.Errorf("range end: %w", err)
	}
	return protocol.Range{Start: s, End: e}, nil
}
