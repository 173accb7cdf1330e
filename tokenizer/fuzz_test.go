package tokenizer_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/llmls/llmls/decoder/gguf"
	"github.com/llmls/llmls/tokenizer"
)

// fuzzVocabs are the vocabularies the encode fuzzers run on: the tiny one always, the six
// reference vocabularies when ../shared/testdata is present.
func fuzzVocabs(f *testing.F) (names []string, toks []*tokenizer.Tokenizer, oracles []*oracle) {
	tiny := tinyTokenizer(f)
	tf, err := gguf.Parse(tinyGGUF(), "tiny.gguf")
	if err != nil {
		f.Fatal(err)
	}
	o := oracleFromFile(f, tf)
	o.nfc = true // tinyTokenizerJSON has an NFC normalizer (the GGUF form does not say so)
	names, toks, oracles = []string{"tiny"}, []*tokenizer.Tokenizer{tiny}, []*oracle{o}
	td := filepath.Join(repoRoot(f), "..", "shared", "testdata")
	if _, err := os.Stat(td); err != nil {
		f.Logf("reference data absent: fuzzing the tiny vocabulary only")
		return
	}
	for _, v := range vocabFiles {
		rel := filepath.Join("vocab", v.file)
		names = append(names, v.name)
		toks = append(toks, loadGGUF(f, rel))
		oracles = append(oracles, loadOracle(f, rel))
	}
	return
}

func addSeeds(f *testing.F) {
	for _, s := range trickyInputs {
		f.Add(s)
	}
	f.Add("func main() {\n\tfmt.Println(\"hello, world\")\n}\n")
	f.Add("<|fim_prefix|>x<|fim_suffix|>y<|fim_middle|>")
}

// FuzzRoundTrip: Decode(Encode(s)) == s (SentencePiece: " "+s) for every input the
// vocabulary can represent (see roundTrips), Encode never yields a control token, and a
// StreamDecoder fed the tokens returns valid UTF-8 that equals s when s is valid UTF-8.
func FuzzRoundTrip(f *testing.F) {
	addSeeds(f)
	names, toks, _ := fuzzVocabs(f)
	lossy := make([]map[byte]bool, len(toks))
	for i, tok := range toks {
		lossy[i] = lossyBytes(tok)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for i, tok := range toks {
			ids := tok.Encode(s)
			for _, id := range ids {
				if id < 0 || int(id) >= tok.VocabSize() || tok.IsControl(id) {
					t.Fatalf("%s: Encode(%q) produced id %d (control %v)", names[i], s, id, tok.IsControl(id))
				}
			}
			want := s
			if tok.Model() == tokenizer.ModelLlama && s != "" {
				want = " " + s
			}
			if names[i] == "tiny" && !norm.NFC.IsNormalString(s) {
				continue // NFC changes the text; FuzzFastVsSlow checks the normalized encoding
			}
			if roundTrips(tok, lossy[i], s) {
				if got := tok.Decode(ids); got != want {
					t.Fatalf("%s: Decode(Encode(%q)) = %q", names[i], s, got)
				}
			}
			d := tok.NewStreamDecoder()
			var b strings.Builder
			for _, id := range ids {
				out := d.Add(id)
				if !utf8.ValidString(out) {
					t.Fatalf("%s: StreamDecoder.Add returned invalid UTF-8 %q", names[i], out)
				}
				b.WriteString(out)
			}
			b.WriteString(d.Flush())
			if utf8.ValidString(s) && roundTrips(tok, lossy[i], s) && b.String() != want {
				t.Fatalf("%s: streamed %q, want %q", names[i], b.String(), want)
			}
			if !utf8.ValidString(b.String()) {
				t.Fatalf("%s: streamed invalid UTF-8", names[i])
			}
		}
	})
}

// FuzzFastVsSlow: Encode equals the slow oracle (regexp2 split, string BPE by rescanning).
func FuzzFastVsSlow(f *testing.F) {
	addSeeds(f)
	names, toks, oracles := fuzzVocabs(f)
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 1024 {
			s = s[:1024] // the oracle is quadratic
		}
		for i, tok := range toks {
			if got, want := tok.Encode(s), oracles[i].encode(t, s); !slices.Equal(got, want) {
				t.Fatalf("%s: Encode(%q)\n got %v\nwant %v", names[i], s, got, want)
			}
		}
	})
}

// FuzzSplit: each hand-written pre-tokenizer splits exactly as its upstream regexes run by
// regexp2, and the words concatenate to the input.
func FuzzSplit(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, s string) {
		for _, name := range tokenizer.PreNames() {
			got := tokenizer.SplitWords(name, s)
			want, err := tokenizer.SplitWordsRegexp2(tokenizer.PreRegexes(name), s)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("%s: split(%q)\n got %q\nwant %q", name, s, got, want)
			}
			if strings.Join(got, "") != s {
				t.Fatalf("%s: words %q do not concatenate to %q", name, got, s)
			}
		}
	})
}

// checkUsable asserts what any successfully loaded tokenizer must do on a few inputs: ids in
// range, no control tokens from Encode, no panics in Decode, Piece, FormatPieces and the
// stream decoder, valid UTF-8 from the stream decoder.
func checkUsable(t *testing.T, tok *tokenizer.Tokenizer) {
	for _, s := range []string{"", "hello world", "func main() {}\n", "\xff<|endoftext|>", "née 🦙 12345"} {
		for _, ids := range [][]int32{tok.Encode(s), tok.EncodeSpecial(s)} {
			for _, id := range ids {
				if id < 0 || int(id) >= tok.VocabSize() {
					t.Fatalf("Encode(%q) produced id %d outside [0, %d)", s, id, tok.VocabSize())
				}
			}
			_ = tok.Decode(ids)
			_ = tok.FormatPieces(ids)
			d := tok.NewStreamDecoder()
			for _, id := range ids {
				if out := d.Add(id); !utf8.ValidString(out) {
					t.Fatalf("StreamDecoder.Add returned invalid UTF-8")
				}
			}
			if !utf8.ValidString(d.Flush()) {
				t.Fatalf("Flush returned invalid UTF-8")
			}
		}
		for _, id := range tok.Encode(s) {
			if tok.IsControl(id) {
				t.Fatalf("Encode(%q) produced control token %d", s, id)
			}
		}
	}
}

// FuzzFromGGUF: arbitrary bytes parse as GGUF or not; a parsed file gives a tokenizer or an
// error, never a panic, and a tokenizer it gives is usable.
func FuzzFromGGUF(f *testing.F) {
	f.Add(tinyGGUF())
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := gguf.Parse(data, "fuzz.gguf")
		if err != nil {
			return
		}
		tok, err := tokenizer.FromGGUF(g)
		if err != nil {
			return
		}
		checkUsable(t, tok)
	})
}

// FuzzFromGGUFMetadata builds metadata from structured inputs (token list, types, merges,
// scores, names), reaching far more of the loader than random GGUF bytes do.
func FuzzFromGGUFMetadata(f *testing.F) {
	f.Add("gpt2", "qwen2", "a\nb\nab\nc\n<s>", []byte{1, 1, 1, 1, 3}, "a b\nab c", int64(4), true)
	f.Add("llama", "", "<unk>\n<s>\n</s>\n▁\na\n▁a\n<0x41>", []byte{2, 3, 3, 1, 1, 1, 6}, "", int64(1), false)
	f.Add("gpt2", "unknown-pre", "Ġ\nx\nĠx", []byte{}, "Ġ x\nx Ġ", int64(-1), false)
	f.Fuzz(func(t *testing.T, model, pre, tokens string, types []byte, merges string, bos int64, addBOS bool) {
		md := fakeMeta{"tokenizer.ggml.model": model, "tokenizer.ggml.tokens": strings.Split(tokens, "\n")}
		if pre != "" {
			md["tokenizer.ggml.pre"] = pre
		}
		if len(types) > 0 {
			tt := make([]int32, len(types))
			for i, b := range types {
				tt[i] = int32(b % 8)
			}
			md["tokenizer.ggml.token_type"] = tt
		}
		if merges != "" {
			md["tokenizer.ggml.merges"] = strings.Split(merges, "\n")
		}
		n := len(md["tokenizer.ggml.tokens"].([]string))
		scores := make([]float32, n)
		for i := range scores {
			scores[i] = float32((i*7919)%13) - 6
		}
		md["tokenizer.ggml.scores"] = scores
		md["tokenizer.ggml.bos_token_id"] = bos
		md["tokenizer.ggml.add_bos_token"] = addBOS
		tok, err := tokenizer.FromGGUF(md)
		if err != nil {
			return
		}
		checkUsable(t, tok)
		if tok.AddBOS() && (tok.BOS() < 0 || int(tok.BOS()) >= tok.VocabSize()) {
			t.Fatalf("AddBOS with BOS %d", tok.BOS())
		}
	})
}

// FuzzFromHuggingFace: arbitrary tokenizer.json / tokenizer_config.json bytes give a
// tokenizer or an error, never a panic, and a tokenizer they give is usable.
func FuzzFromHuggingFace(f *testing.F) {
	f.Add(tinyTokenizerJSON(), []byte(tinyConfigJSON))
	f.Add([]byte(`{"model":{"type":"BPE","vocab":{"a":0,"b":1,"ab":2},"merges":[["a","b"]]},"pre_tokenizer":{"type":"ByteLevel"}}`), []byte(`{}`))
	f.Add([]byte(`{"model":{"vocab":{"Ġ":0},"merges":[]},"decoder":{"type":"ByteLevel"},"pre_tokenizer":{"type":"Split","behavior":"Isolated","pattern":{"String":" "}}}`), []byte(nil))
	f.Fuzz(func(t *testing.T, tj, cj []byte) {
		tok, err := tokenizer.FromHuggingFace(tj, cj)
		if err != nil {
			return
		}
		checkUsable(t, tok)
	})
}
