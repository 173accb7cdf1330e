package tokenizer_test

import (
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/llmls/llmls/tokenizer"
)

// byteTokens returns the byte-level tokens of raw bytes, one per byte.
func byteTokens(t *testing.T, tok *tokenizer.Tokenizer, raw string) []int32 {
	t.Helper()
	var ids []int32
	for i := 0; i < len(raw); i++ {
		id, ok := tok.TokenID(string(tokenizer.ByteToRune(raw[i])))
		if !ok {
			t.Fatalf("no token for byte %#02x", raw[i])
		}
		ids = append(ids, id)
	}
	return ids
}

// TestStreamDecoder feeds byte tokens one at a time and checks what comes out after each.
func TestStreamDecoder(t *testing.T) {
	tok := tinyTokenizer(t)
	eos := tok.EOS()
	tests := []struct {
		name  string
		raw   string   // fed as one byte token each
		outs  []string // Add's result after each byte
		flush string
	}{
		{"ascii", "ab", []string{"a", "b"}, ""},
		{"two-byte é", "\xc3\xa9", []string{"", "é"}, ""},
		{"four-byte emoji", "🦙", []string{"", "", "", "🦙"}, ""},
		{"stray continuation byte", "\x80a", []string{"\uFFFD", "a"}, ""},
		{"invalid byte 0xff", "\xffb", []string{"\uFFFD", "b"}, ""},
		{"lead byte then ASCII", "\xe2x", []string{"", "\uFFFDx"}, ""},
		{"impossible second byte", "\xe0\x80", []string{"", "\uFFFD"}, ""},
		{"invalid run is one U+FFFD", "\xff\xfe\x80", []string{"\uFFFD", "", ""}, ""},
		{"truncated at the end", "a\xe2\x82", []string{"a", "", ""}, "\uFFFD"},
		{"surrogate encoding", "\xed\xa0\x80", []string{"", "\uFFFD", ""}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := tok.NewStreamDecoder()
			for i, id := range byteTokens(t, tok, tc.raw) {
				got := d.Add(id)
				if got != tc.outs[i] {
					t.Errorf("after byte %d (%#02x): Add = %q, want %q", i, tc.raw[i], got, tc.outs[i])
				}
				if !utf8.ValidString(got) {
					t.Errorf("Add returned invalid UTF-8 %q", got)
				}
			}
			if got := d.Add(eos); got != "" {
				t.Errorf("Add(EOS) = %q", got)
			}
			if got := d.Flush(); got != tc.flush {
				t.Errorf("Flush = %q, want %q", got, tc.flush)
			}
			if got := d.Flush(); got != "" {
				t.Errorf("second Flush = %q", got)
			}
		})
	}
}

// TestStreamDecoderText decodes real multi-byte text token by token with the Qwen
// vocabulary: the pieces concatenate to the text and every Add result is valid UTF-8.
func TestStreamDecoderText(t *testing.T) {
	tok := loadGGUF(t, filepath.Join("vocab", "ggml-vocab-qwen2.5-coder.gguf"))
	for _, text := range trickyInputs {
		if !utf8.ValidString(text) {
			continue
		}
		d := tok.NewStreamDecoder()
		var b strings.Builder
		for _, id := range tok.EncodeSpecial(text) {
			out := d.Add(id)
			if !utf8.ValidString(out) {
				t.Errorf("%q: Add(%d) = %q", text, id, out)
			}
			b.WriteString(out)
		}
		b.WriteString(d.Flush())
		want := text
		// Control tokens produce no text.
		for _, s := range []string{"<|endoftext|>", "<|fim_middle|>"} {
			want = strings.ReplaceAll(want, s, "")
		}
		if b.String() != want {
			t.Errorf("streamed %q, want %q", b.String(), want)
		}
	}
}

// TestPieceOutOfRange checks that ids outside the vocabulary are harmless.
func TestPieceOutOfRange(t *testing.T) {
	tok := tinyTokenizer(t)
	for _, id := range []int32{-1, int32(tok.VocabSize()), 1 << 30} {
		if tok.Piece(id) != nil || tok.Decode([]int32{id}) != "" || tok.Type(id) != tokenizer.TypeUndefined ||
			tok.Text(id) != "" || tok.IsControl(id) || tok.IsEOG(id) {
			t.Errorf("id %d: not treated as absent", id)
		}
		if got := tok.NewStreamDecoder().Add(id); got != "" {
			t.Errorf("StreamDecoder.Add(%d) = %q", id, got)
		}
	}
}
