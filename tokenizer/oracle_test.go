package tokenizer_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/llmls/llmls/decoder/gguf"
	"github.com/llmls/llmls/tokenizer"
)

// The slow, obviously-correct encoders used as oracles for Tokenizer.Encode. They share
// nothing with the fast path: words come from the upstream regexes run by regexp2 (not the
// hand-written matchers), BPE works on strings read straight from the GGUF (not id pairs),
// and each step rescans the whole word for the best pair (karpathy/llama2.c run.c encode),
// O(n²) per word.

// oracle is a slow encoder for one vocabulary.
type oracle struct {
	model   string
	regexes []string
	vocab   map[string]int32
	ranks   map[[2]string]int // byte-level BPE: merge → line number
	scores  []float32         // SentencePiece
	userDef []string          // user-defined token texts, matched before splitting
	nfc     bool              // normalize each fragment to NFC (tokenizer.json's normalizer)
	spmByte [256]int32
}

func newOracle(t testing.TB, path string) *oracle {
	t.Helper()
	f, err := gguf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return oracleFromFile(t, f)
}

func oracleFromFile(t testing.TB, f *gguf.File) *oracle {
	t.Helper()
	o := &oracle{vocab: map[string]int32{}}
	o.model, _ = f.String("tokenizer.ggml.model")
	tokens, _ := f.Strings("tokenizer.ggml.tokens")
	types, _ := f.Int32s("tokenizer.ggml.token_type")
	for i, s := range tokens {
		o.vocab[s] = int32(i)
		if types[i] == int32(tokenizer.TypeUserDefined) && !looksControl(s) {
			o.userDef = append(o.userDef, s)
		}
	}
	if o.model == "gpt2" {
		pre, _ := f.String("tokenizer.ggml.pre")
		o.regexes = tokenizer.PreRegexes(pre)
		merges, _ := f.Strings("tokenizer.ggml.merges")
		o.ranks = map[[2]string]int{}
		for i, m := range merges {
			a, b, _ := strings.Cut(m[1:], " ")
			k := [2]string{m[:1] + a, b}
			if _, dup := o.ranks[k]; !dup {
				o.ranks[k] = i
			}
		}
	} else {
		o.scores, _ = f.Float32s("tokenizer.ggml.scores")
		for b := range 256 {
			o.spmByte[b] = o.vocab["<0x"+hex2(byte(b))+">"]
		}
	}
	return o
}

func hex2(b byte) string {
	const h = "0123456789ABCDEF"
	return string([]byte{h[b>>4], h[b&15]})
}

// looksControl: the FIM and end-of-turn markers the tokenizer overrides to control type
// (llama.cpp does the same); the oracle must not match them in user text either.
func looksControl(s string) bool {
	switch s {
	case "<｜fim▁begin｜>", "<｜fim▁hole｜>", "<｜fim▁end｜>", "<|EOT|>":
		return true
	}
	return false
}

// encode tokenizes text as Encode does.
func (o *oracle) encode(t testing.TB, text string) []int32 {
	var out []int32
	// Added tokens first: leftmost, longest.
	for text != "" {
		best, bestLen := -1, 0
		for _, u := range o.userDef {
			if i := strings.Index(text, u); i >= 0 && (best < 0 || i < best || i == best && len(u) > bestLen) {
				best, bestLen = i, len(u)
			}
		}
		if best < 0 {
			out = o.fragment(t, text, out)
			break
		}
		out = o.fragment(t, text[:best], out)
		out = append(out, o.vocab[text[best:best+bestLen]])
		text = text[best+bestLen:]
	}
	return out
}

func (o *oracle) fragment(t testing.TB, text string, out []int32) []int32 {
	if o.nfc {
		text = norm.NFC.String(text)
	}
	if o.model != "gpt2" {
		return o.spm(" "+text, out)
	}
	if text == "" {
		return out
	}
	words, err := tokenizer.SplitWordsRegexp2(o.regexes, text)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range words {
		var syms []string
		for i := 0; i < len(w); i++ {
			syms = append(syms, string(tokenizer.ByteToRune(w[i])))
		}
		for {
			best := -1
			for i := 0; i+1 < len(syms); i++ {
				if r, ok := o.ranks[[2]string{syms[i], syms[i+1]}]; ok && (best < 0 || r < o.ranks[[2]string{syms[best], syms[best+1]}]) {
					best = i
				}
			}
			if best < 0 {
				break
			}
			syms[best] += syms[best+1]
			syms = append(syms[:best+1], syms[best+2:]...)
		}
		for _, s := range syms {
			if id, ok := o.vocab[s]; ok { // a byte without a token is dropped
				out = append(out, id)
			}
		}
	}
	return out
}

// spm is SentencePiece BPE by rescanning: merge the adjacent pair whose concatenation is the
// highest-scoring token (leftmost on ties) until none is a token; unknown characters become
// byte tokens.
func (o *oracle) spm(text string, out []int32) []int32 {
	text = strings.ReplaceAll(text, " ", "▁")
	var syms []string
	for i := 0; i < len(text); {
		_, n := utf8.DecodeRuneInString(text[i:])
		syms = append(syms, text[i:i+n])
		i += n
	}
	for {
		best := -1
		var bestScore float32
		for i := 0; i+1 < len(syms); i++ {
			id, ok := o.vocab[syms[i]+syms[i+1]]
			if !ok {
				continue
			}
			if best < 0 || o.scores[id] > bestScore {
				best, bestScore = i, o.scores[id]
			}
		}
		if best < 0 {
			break
		}
		syms[best] += syms[best+1]
		syms = append(syms[:best+1], syms[best+2:]...)
	}
	for _, s := range syms {
		if id, ok := o.vocab[s]; ok {
			out = append(out, id)
			continue
		}
		for _, b := range []byte(s) {
			out = append(out, o.spmByte[b])
		}
	}
	return out
}
