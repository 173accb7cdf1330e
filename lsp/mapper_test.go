package lsp_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"go.lsp.dev/protocol"

	"github.com/llmls/llmls/lsp"
)

// mixed has every kind of line end and character width. Byte offsets, hand-counted:
//
//	0 'a' | 1-4 U+1F600 (4 bytes, a UTF-16 surrogate pair) | 5 'b' | 6-7 CRLF
//	8-10 U+20AC '€' (3 bytes, 1 UTF-16 unit) | 11 'x' | 12 lone CR
//	13 'y' | 14 LF | 15 end (line 3 is empty)
const mixed = "a\U0001F600b\r\n€x\ry\n"

// cjk: 0-2 '中', 3-5 '文' (3 bytes, 1 UTF-16 unit each) | 6 LF | 7-10 U+20000 (astral CJK
// Extension B, 4 bytes, 2 UTF-16 units) | 11 'z'.
const cjk = "中文\n\U00020000z"

func pos(line, char uint32) protocol.Position { return protocol.Position{Line: line, Character: char} }

func TestMapperPositionOffset(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		enc     lsp.PositionEncoding
		pos     protocol.Position
		want    int
		wantErr string // substring of the error; empty for success
	}{
		{"utf16 start", mixed, lsp.UTF16, pos(0, 0), 0, ""},
		{"utf16 before emoji", mixed, lsp.UTF16, pos(0, 1), 1, ""},
		{"utf16 inside surrogate pair", mixed, lsp.UTF16, pos(0, 2), 0, "splits a character of 2 utf-16 code units"},
		{"utf16 after emoji", mixed, lsp.UTF16, pos(0, 3), 5, ""},
		{"utf16 end of line before CRLF", mixed, lsp.UTF16, pos(0, 4), 6, ""},
		{"utf16 past end of line clamps", mixed, lsp.UTF16, pos(0, 99), 6, ""},
		{"utf16 after CRLF", mixed, lsp.UTF16, pos(1, 0), 8, ""},
		{"utf16 after euro", mixed, lsp.UTF16, pos(1, 1), 11, ""},
		{"utf16 end of line before lone CR", mixed, lsp.UTF16, pos(1, 2), 12, ""},
		{"utf16 past lone CR line clamps", mixed, lsp.UTF16, pos(1, 5), 12, ""},
		{"utf16 after lone CR", mixed, lsp.UTF16, pos(2, 0), 13, ""},
		{"utf16 end of LF line", mixed, lsp.UTF16, pos(2, 1), 14, ""},
		{"utf16 empty last line", mixed, lsp.UTF16, pos(3, 0), 15, ""},
		{"utf16 empty last line clamps", mixed, lsp.UTF16, pos(3, 7), 15, ""},
		{"utf16 line past the end", mixed, lsp.UTF16, pos(4, 0), 0, "line out of range: the document has lines 0 to 3"},
		{"utf8 after a", mixed, lsp.UTF8, pos(0, 1), 1, ""},
		{"utf8 inside emoji", mixed, lsp.UTF8, pos(0, 3), 0, "splits a character of 4 utf-8 code units"},
		{"utf8 after emoji", mixed, lsp.UTF8, pos(0, 5), 5, ""},
		{"utf8 end of line", mixed, lsp.UTF8, pos(0, 6), 6, ""},
		{"utf8 past end clamps", mixed, lsp.UTF8, pos(0, 7), 6, ""},
		{"utf8 inside euro", mixed, lsp.UTF8, pos(1, 1), 0, "splits a character of 3 utf-8 code units"},
		{"utf8 after euro", mixed, lsp.UTF8, pos(1, 3), 11, ""},
		{"utf16 cjk", cjk, lsp.UTF16, pos(0, 1), 3, ""},
		{"utf16 cjk end", cjk, lsp.UTF16, pos(0, 2), 6, ""},
		{"utf16 astral cjk", cjk, lsp.UTF16, pos(1, 2), 11, ""},
		{"utf16 inside astral cjk", cjk, lsp.UTF16, pos(1, 1), 0, "splits"},
		{"utf8 cjk", cjk, lsp.UTF8, pos(0, 6), 6, ""},
		{"utf8 astral cjk", cjk, lsp.UTF8, pos(1, 4), 11, ""},
		{"empty text", "", lsp.UTF16, pos(0, 3), 0, ""},
		{"empty text line 1", "", lsp.UTF8, pos(1, 0), 0, "the document has lines 0 to 0"},
		{"invalid utf-8 counts bytes", "a\xffb", lsp.UTF16, pos(0, 2), 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := lsp.NewMapper(tt.text, tt.enc).PositionOffset(tt.pos)
			if tt.wantErr != "" {
				var perr *lsp.PositionError
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.As(err, &perr) {
					t.Fatalf("PositionOffset(%v) = %d, %v; want a *PositionError containing %q", tt.pos, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("PositionOffset(%v) = %d, %v; want %d", tt.pos, got, err, tt.want)
			}
		})
	}
}

func TestMapperOffsetPosition(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		enc     lsp.PositionEncoding
		offset  int
		want    protocol.Position
		wantErr string
	}{
		{"utf16 after emoji", mixed, lsp.UTF16, 5, pos(0, 3), ""},
		{"utf8 after emoji", mixed, lsp.UTF8, 5, pos(0, 5), ""},
		{"inside emoji", mixed, lsp.UTF16, 2, pos(0, 0), "inside the 4-byte character that starts at offset 1"},
		{"at CR of CRLF", mixed, lsp.UTF16, 6, pos(0, 4), ""},
		{"between CR and LF", mixed, lsp.UTF16, 7, pos(0, 0), "inside the CRLF line end of line 0"},
		{"after CRLF", mixed, lsp.UTF16, 8, pos(1, 0), ""},
		{"utf16 at lone CR", mixed, lsp.UTF16, 12, pos(1, 2), ""},
		{"utf8 at lone CR", mixed, lsp.UTF8, 12, pos(1, 4), ""},
		{"after lone CR", mixed, lsp.UTF16, 13, pos(2, 0), ""},
		{"end of text", mixed, lsp.UTF16, 15, pos(3, 0), ""},
		{"past the end", mixed, lsp.UTF16, 16, pos(0, 0), "valid offsets are 0 to 15"},
		{"negative", mixed, lsp.UTF8, -1, pos(0, 0), "valid offsets are 0 to 15"},
		{"utf16 astral cjk", cjk, lsp.UTF16, 11, pos(1, 2), ""},
		{"utf8 astral cjk", cjk, lsp.UTF8, 11, pos(1, 4), ""},
		{"inside cjk", cjk, lsp.UTF16, 4, pos(0, 0), "inside the 3-byte character that starts at offset 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := lsp.NewMapper(tt.text, tt.enc).OffsetPosition(tt.offset)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("OffsetPosition(%d) = %v, %v; want error containing %q", tt.offset, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("OffsetPosition(%d) = %v, %v; want %v", tt.offset, got, err, tt.want)
			}
		})
	}
}

func TestMapperRanges(t *testing.T) {
	m := lsp.NewMapper(mixed, lsp.UTF16)
	start, end, err := m.RangeOffsets(protocol.Range{Start: pos(0, 3), End: pos(1, 1)})
	if err != nil || start != 5 || end != 11 {
		t.Errorf("RangeOffsets = %d, %d, %v; want 5, 11", start, end, err)
	}
	if _, _, err := m.RangeOffsets(protocol.Range{Start: pos(1, 1), End: pos(0, 3)}); err == nil || !strings.Contains(err.Error(), "after its end") {
		t.Errorf("reversed range: err = %v", err)
	}
	if _, _, err := m.RangeOffsets(protocol.Range{Start: pos(0, 0), End: pos(9, 0)}); err == nil || !strings.Contains(err.Error(), "range end") {
		t.Errorf("range past the end: err = %v", err)
	}
	r, err := m.OffsetsRange(5, 11)
	if err != nil || r != (protocol.Range{Start: pos(0, 3), End: pos(1, 1)}) {
		t.Errorf("OffsetsRange(5, 11) = %v, %v", r, err)
	}
	if _, err := m.OffsetsRange(11, 5); err == nil {
		t.Error("OffsetsRange(11, 5): no error")
	}
	if n := m.LineCount(); n != 4 {
		t.Errorf("LineCount = %d, want 4", n)
	}
}

// oraclePosition computes the position of offset independently of Mapper: lines by counting
// line ends in the prefix, UTF-16 columns with unicode/utf16 over []rune (which turns each
// invalid byte into one U+FFFD, the Mapper's convention). ok is false for an offset that is
// not a character boundary or splits a CRLF.
func oraclePosition(text string, offset int, enc lsp.PositionEncoding) (p protocol.Position, ok bool) {
	boundary := false
	for i := 0; i <= len(text); {
		if i == offset {
			boundary = true
			break
		}
		if i == len(text) {
			break
		}
		_, size := utf8.DecodeRuneInString(text[i:])
		i += size
	}
	if !boundary || (offset > 0 && offset < len(text) && text[offset-1] == '\r' && text[offset] == '\n') {
		return p, false
	}
	prefix := text[:offset]
	line := strings.Count(prefix, "\n") + strings.Count(prefix, "\r") - strings.Count(prefix, "\r\n")
	lineStart := strings.LastIndexAny(prefix, "\r\n") + 1
	col := offset - lineStart
	if enc == lsp.UTF16 {
		col = len(utf16.Encode([]rune(text[lineStart:offset])))
	}
	return pos(uint32(line), uint32(col)), true
}

func checkMapperRoundTrip(t *testing.T, text string, offset int) {
	for _, enc := range []lsp.PositionEncoding{lsp.UTF16, lsp.UTF8} {
		m := lsp.NewMapper(text, enc)
		want, ok := oraclePosition(text, offset, enc)
		got, err := m.OffsetPosition(offset)
		if !ok {
			if err == nil {
				t.Fatalf("%s: OffsetPosition(%d) of %q = %v; want an error (not a boundary)", enc, offset, text, got)
			}
			continue
		}
		if err != nil || got != want {
			t.Fatalf("%s: OffsetPosition(%d) of %q = %v, %v; want %v", enc, offset, text, got, err, want)
		}
		back, err := m.PositionOffset(got)
		if err != nil || back != offset {
			t.Fatalf("%s: PositionOffset(%v) of %q = %d, %v; want %d", enc, got, text, back, err, offset)
		}
	}
}

func TestMapperRoundTrip(t *testing.T) {
	for _, text := range []string{mixed, cjk, "", "\r\n\r\n", "\r\r\n\n", "x\xf0\x9f\x98", "\xed\xa0\x80\n"} {
		for off := -1; off <= len(text)+1; off++ {
			checkMapperRoundTrip(t, text, off)
		}
	}
}

func FuzzMapper(f *testing.F) {
	f.Add(mixed, 5, uint32(0), uint32(3))
	f.Add(cjk, 11, uint32(1), uint32(1))
	f.Add("\r\n\r", 1, uint32(5), uint32(5))
	f.Add("a\xffb\xe2\x82", 3, uint32(0), uint32(9))
	f.Fuzz(func(t *testing.T, text string, offset int, line, char uint32) {
		if len(text) > 0 {
			offset = ((offset % (len(text) + 1)) + len(text) + 1) % (len(text) + 1)
		}
		checkMapperRoundTrip(t, text, offset)
		// Any position maps to an offset in range, or to a PositionError.
		for _, enc := range []lsp.PositionEncoding{lsp.UTF16, lsp.UTF8} {
			off, err := lsp.NewMapper(text, enc).PositionOffset(pos(line, char))
			var perr *lsp.PositionError
			if err != nil && !errors.As(err, &perr) {
				t.Fatalf("PositionOffset error %v is not a *PositionError", err)
			}
			if err == nil && (off < 0 || off > len(text)) {
				t.Fatalf("PositionOffset(%d:%d) = %d, outside [0, %d]", line, char, off, len(text))
			}
		}
	})
}
