package tokenizer_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/llmls/llmls/tokenizer"
)

var (
	oraclesMu sync.Mutex
	oracles   = map[string]*oracle{}
)

func loadOracle(t testing.TB, rel string) *oracle {
	t.Helper()
	path := filepath.Join(sharedTestdata(t), rel)
	oraclesMu.Lock()
	defer oraclesMu.Unlock()
	if o, ok := oracles[path]; ok {
		return o
	}
	o := newOracle(t, path)
	oracles[path] = o
	return o
}

// goSourceSample returns up to n bytes of Go source from GOROOT, for realistic inputs.
func goSourceSample(t testing.TB, n int) string {
	t.Helper()
	var b strings.Builder
	for _, f := range []string{"src/fmt/print.go", "src/strings/strings.go", "src/bufio/scan.go", "src/unicode/utf8/utf8.go"} {
		data, err := os.ReadFile(filepath.Join(goroot(t), f))
		if err != nil {
			continue
		}
		b.Write(data)
		if b.Len() >= n {
			break
		}
	}
	if b.Len() == 0 {
		t.Skip("no Go source under GOROOT")
	}
	s := b.String()
	return s[:min(n, len(s))]
}

// trickyInputs exercise the pre-tokenizers' corners: contractions, white-space runs before
// letters and at the end, CR/LF mixes, digits, punctuation runs, non-Latin scripts, emoji,
// invalid UTF-8, and special token texts in user text.
var trickyInputs = []string{
	"", " ", "\n", "a", "'s", "'S", "'ll've", "don't", "'", "''s", "x's",
	"  \n  x", "\t\tfoo", "a  \t\n\r\n b", "   ", "\r\n\r\n", "x \n", "(hello", "\thello", "\nhello",
	"12345678", "3.14159", "½ ¾", "x1y22z333", "١٢٣",
	"...!!!???", "a+=b<<2", "if x != nil {\n\treturn err\n}\n",
	"нещо на Български", "我想在apple工作1314151天～", "Cửa Việt", "🦙🦙 🚀", "😶\u200d🌫️",
	"\xff\xfe", "a\x80b", "\xe2\x82", "caf\xc3", "\xc3(", "\x00\x01\x1f\x7f",
	"<|endoftext|>", "<|fim_middle|>x", "<｜fim▁begin｜>", "<tool_call>", "Führer õ",
	"\u00a0\u2003x\u3000y", "ſ's 'ſ K",
}

// TestEncodeMatchesOracle compares Encode with the slow oracle on the tricky inputs, the
// vocab test strings and Go source, for every vocabulary.
func TestEncodeMatchesOracle(t *testing.T) {
	td := sharedTestdata(t)
	src := goSourceSample(t, 16<<10)
	for _, v := range vocabFiles {
		t.Run(v.name, func(t *testing.T) {
			tok := loadGGUF(t, filepath.Join("vocab", v.file))
			o := loadOracle(t, filepath.Join("vocab", v.file))
			inputs, _ := readVectors(t, filepath.Join(td, "vocab", v.file))
			inputs = append(inputs, trickyInputs...)
			inputs = append(inputs, strings.SplitAfter(src, "\n")...)
			if v.model == "gpt2" {
				inputs = append(inputs, src) // SentencePiece's oracle is quadratic in the text
			}
			for _, in := range inputs {
				if got, want := tok.Encode(in), o.encode(t, in); !slices.Equal(got, want) {
					t.Errorf("Encode(%q):\n got %v\nwant %v", trunc(in), got, want)
				}
			}
		})
	}
}

func trunc(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

// lossyBytes returns the bytes a vocabulary cannot round-trip: byte-level vocabularies that
// lack the token of a byte that never occurs in UTF-8 (StarCoder2 and Refact have no token
// for 0xC0, 0xC1, 0xF5-0xFF; the byte is dropped) or have it only as an added token
// (DeepSeek-Coder's "õ" is user-defined and decodes as the text "õ", as in llama.cpp).
func lossyBytes(tok *tokenizer.Tokenizer) map[byte]bool {
	out := map[byte]bool{}
	if tok.Model() != tokenizer.ModelGPT2 {
		return out
	}
	for b := 0; b < 256; b++ {
		id, ok := tok.TokenID(string(tokenizer.ByteToRune(byte(b))))
		if !ok || tok.Type(id) != tokenizer.TypeNormal {
			out[byte(b)] = true
		}
	}
	return out
}

// roundTrips reports whether Decode(Encode(s)) must give s back exactly (modulo
// SentencePiece's leading space): always for valid UTF-8 without "▁" (which SentencePiece
// reads as a space), and for invalid UTF-8 when every byte has a normal byte token.
func roundTrips(tok *tokenizer.Tokenizer, lossy map[byte]bool, s string) bool {
	if tok.Model() == tokenizer.ModelLlama && strings.Contains(s, "▁") {
		return false
	}
	if utf8.ValidString(s) {
		return true
	}
	for i := 0; i < len(s); i++ {
		if lossy[s[i]] {
			return false
		}
	}
	return true
}

// TestRoundTrip checks Decode(Encode(s)) == s (SentencePiece: " "+s) on every input, and
// that every byte 0x00-0xFF alone and in context survives where the vocabulary has it.
func TestRoundTrip(t *testing.T) {
	var all []string
	all = append(all, trickyInputs...)
	for b := 0; b < 256; b++ {
		all = append(all, string([]byte{byte(b)}), "x"+string([]byte{byte(b)})+"y", " "+string([]byte{byte(b), byte(b)}))
	}
	for _, v := range vocabFiles {
		t.Run(v.name, func(t *testing.T) {
			tok := loadGGUF(t, filepath.Join("vocab", v.file))
			lossy := lossyBytes(tok)
			t.Logf("%d bytes without a normal byte token", len(lossy))
			checked := 0
			for _, s := range all {
				if !roundTrips(tok, lossy, s) {
					continue
				}
				checked++
				want := s
				if v.model == "llama" && s != "" {
					want = " " + s
				}
				if got := tok.Decode(tok.Encode(s)); got != want {
					t.Errorf("Decode(Encode(%q)) = %q", s, got)
				}
			}
			t.Logf("%d/%d inputs round-trip", checked, len(all))
		})
	}
}

// TestEveryByte checks each single byte 0x00-0xFF: in byte-level vocabularies it encodes to
// exactly its bytes_to_unicode token, whose piece is the byte; in SentencePiece a byte that
// is not valid UTF-8 alone becomes the <0xNN> byte token.
func TestEveryByte(t *testing.T) {
	for _, v := range vocabFiles {
		t.Run(v.name, func(t *testing.T) {
			tok := loadGGUF(t, filepath.Join("vocab", v.file))
			lossy := lossyBytes(tok)
			for b := 0; b < 256; b++ {
				s := string([]byte{byte(b)})
				ids := tok.Encode(s)
				switch {
				case v.model == "gpt2":
					id, ok := tok.TokenID(string(tokenizer.ByteToRune(byte(b))))
					if !ok {
						if len(ids) != 0 {
							t.Errorf("byte %#02x has no token but Encode = %v", b, ids)
						}
						continue
					}
					if !slices.Equal(ids, []int32{id}) {
						t.Errorf("byte %#02x: Encode = %v, want the single byte token %d", b, ids, id)
					}
					if got := string(tok.Piece(id)); !lossy[byte(b)] && got != s {
						t.Errorf("byte %#02x: Piece(%d) = %q", b, id, got)
					}
				case b >= utf8.RuneSelf:
					id, ok := tok.TokenID("<0x" + hex2(byte(b)) + ">")
					if !ok || len(ids) == 0 || ids[len(ids)-1] != id {
						t.Errorf("byte %#02x: Encode = %v, want it to end with <0x%s> (%d)", b, ids, hex2(byte(b)), id)
					}
					if got := string(tok.Piece(id)); got != s {
						t.Errorf("byte %#02x: Piece(%d) = %q", b, id, got)
					}
				}
			}
		})
	}
}
