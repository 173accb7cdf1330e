package tokenizer_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/llmls/llmls/decoder/gguf"
	"github.com/llmls/llmls/tokenizer"
)

// fakeMeta is an in-memory tokenizer.Metadata with the same typing rules as *gguf.File.
type fakeMeta map[string]any

var errMissing = errors.New("missing")

func (m fakeMeta) get(key string) (any, error) {
	v, ok := m[key]
	if !ok {
		return nil, fmt.Errorf("%q: %w", key, errMissing)
	}
	return v, nil
}

func getAs[T any](m fakeMeta, key string) (T, error) {
	var zero T
	v, err := m.get(key)
	if err != nil {
		return zero, err
	}
	x, ok := v.(T)
	if !ok {
		return zero, fmt.Errorf("%q is %T", key, v)
	}
	return x, nil
}

func (m fakeMeta) String(k string) (string, error)      { return getAs[string](m, k) }
func (m fakeMeta) Strings(k string) ([]string, error)   { return getAs[[]string](m, k) }
func (m fakeMeta) Int(k string) (int64, error)          { return getAs[int64](m, k) }
func (m fakeMeta) Bool(k string) (bool, error)          { return getAs[bool](m, k) }
func (m fakeMeta) Int32s(k string) ([]int32, error)     { return getAs[[]int32](m, k) }
func (m fakeMeta) Float32s(k string) ([]float32, error) { return getAs[[]float32](m, k) }
func (m fakeMeta) with(kv ...any) fakeMeta              { return m.edit(kv...) }
func (m fakeMeta) without(keys ...string) fakeMeta      { return m.edit(keysToNil(keys)...) }
func keysToNil(keys []string) []any {
	var kv []any
	for _, k := range keys {
		kv = append(kv, k, nil)
	}
	return kv
}

// edit returns a copy with key/value pairs set (nil deletes).
func (m fakeMeta) edit(kv ...any) fakeMeta {
	out := fakeMeta{}
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
		} else {
			out[kv[i].(string)] = kv[i+1]
		}
	}
	return out
}

// tinyMeta is the tiny vocabulary as fake GGUF metadata.
func tinyMeta(t testing.TB) fakeMeta {
	t.Helper()
	f, err := gguf.Parse(tinyGGUF(), "tiny.gguf")
	if err != nil {
		t.Fatal(err)
	}
	m := fakeMeta{}
	for _, kv := range f.KV {
		switch v := kv.Value.V.(type) {
		case uint32:
			m[kv.Key] = int64(v)
		default:
			m[kv.Key] = v
		}
	}
	return m
}

func TestFromGGUFErrors(t *testing.T) {
	base := tinyMeta(t)
	if _, err := tokenizer.FromGGUF(base); err != nil {
		t.Fatalf("the tiny vocabulary does not load: %v", err)
	}
	tokens := base["tokenizer.ggml.tokens"].([]string)
	dup := slices.Clone(tokens)
	dup[280] = dup[10]
	tests := []struct {
		name string
		md   fakeMeta
		want string // substring of the error
	}{
		{"no model", base.without("tokenizer.ggml.model"), `"tokenizer.ggml.model": required`},
		{"no tokens", base.without("tokenizer.ggml.tokens"), `"tokenizer.ggml.tokens": required`},
		{"empty vocabulary", base.with("tokenizer.ggml.tokens", []string{}, "tokenizer.ggml.token_type", []int32{}), "empty vocabulary"},
		{"no merges", base.without("tokenizer.ggml.merges"), `"tokenizer.ggml.merges": required for byte-level BPE`},
		{"merge without a space", base.with("tokenizer.ggml.merges", []string{"h e", "hel"}), `entry 1 "hel" is not two tokens`},
		{"token_type of the wrong type", base.with("tokenizer.ggml.token_type", []string{"1"}), `"tokenizer.ggml.token_type": wrong type`},
		{"token_type too short", base.with("tokenizer.ggml.token_type", []int32{1, 1}), "2 token types for 288 tokens"},
		{"pre of the wrong type", base.with("tokenizer.ggml.pre", int64(2)), `"tokenizer.ggml.pre": wrong type`},
		{"bos of the wrong type", base.with("tokenizer.ggml.bos_token_id", "1"), `"tokenizer.ggml.bos_token_id": wrong type`},
		{"negative bos", base.with("tokenizer.ggml.bos_token_id", int64(-5)), "token id -5 out of range"},
		{"duplicate token", base.with("tokenizer.ggml.tokens", dup), `duplicate token "Ċ" at ids 10 and 280`},
		{"unsupported model", base.with("tokenizer.ggml.model", "bert"), `unsupported tokenizer model "bert"`},
		{"scores too short", base.with("tokenizer.ggml.model", "llama", "tokenizer.ggml.scores", []float32{0}), "1 scores for 288 tokens"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := tokenizer.FromGGUF(tc.md)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("FromGGUF = %v, %v; want an error containing %q", tok, err, tc.want)
			}
			var ke *tokenizer.KeyError
			if strings.Contains(tc.want, `": `) && !errors.As(err, &ke) {
				t.Errorf("error %v is not a *KeyError", err)
			}
		})
	}
}

// TestFromGGUFFallbacks checks the defined fallbacks: each loads, records a warning, and
// still encodes losslessly.
func TestFromGGUFFallbacks(t *testing.T) {
	base := tinyMeta(t)
	tests := []struct {
		name    string
		md      fakeMeta
		pre     string
		warning string
	}{
		{"unknown pre", base.with("tokenizer.ggml.pre", "mystery-v9"), "default", `unknown pre-tokenizer "mystery-v9"`},
		{"missing pre", base.without("tokenizer.ggml.pre"), "default", "no tokenizer.ggml.pre"},
		{"merge of unknown tokens", base.with("tokenizer.ggml.merges", append([]string{"zz qq"}, base["tokenizer.ggml.merges"].([]string)...)), "qwen2", "1 merges name tokens that are not in the vocabulary"},
		{"bos out of range", base.with("tokenizer.ggml.bos_token_id", int64(1<<20), "tokenizer.ggml.add_bos_token", true), "qwen2", "BOS token id 1048576 is outside the vocabulary"},
		{"empty token", base.with("tokenizer.ggml.tokens", append(slices.Clone(base["tokenizer.ggml.tokens"].([]string)[:287]), "")), "qwen2", `token 287 is empty; renamed "[EMPTY_287]"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := tokenizer.FromGGUF(tc.md)
			if err != nil {
				t.Fatal(err)
			}
			if tok.Pre() != tc.pre {
				t.Errorf("Pre = %q, want %q", tok.Pre(), tc.pre)
			}
			if w := strings.Join(tok.Warnings(), "\n"); !strings.Contains(w, tc.warning) {
				t.Errorf("Warnings = %q, want one containing %q", w, tc.warning)
			}
			if tok.AddBOS() && tok.BOS() < 0 {
				t.Errorf("AddBOS without a BOS token")
			}
			for _, s := range trickyInputs {
				if got := tok.Decode(tok.Encode(s)); got != s {
					t.Errorf("Decode(Encode(%q)) = %q", s, got)
				}
			}
		})
	}
}

func TestFromHuggingFaceErrors(t *testing.T) {
	var base map[string]any
	if err := json.Unmarshal(tinyTokenizerJSON(), &base); err != nil {
		t.Fatal(err)
	}
	edit := func(f func(m map[string]any)) []byte {
		var m map[string]any
		json.Unmarshal(tinyTokenizerJSON(), &m)
		f(m)
		b, _ := json.Marshal(m)
		return b
	}
	model := func(m map[string]any) map[string]any { return m["model"].(map[string]any) }
	tests := []struct {
		name     string
		tok, cfg []byte
		want     string
	}{
		{"not JSON", []byte("{"), nil, "tokenizer.json: invalid JSON"},
		{"config not JSON", tinyTokenizerJSON(), []byte("[1"), "tokenizer_config.json: invalid JSON"},
		{"WordPiece", edit(func(m map[string]any) { model(m)["type"] = "WordPiece" }), nil, `model.type: "WordPiece" is not supported`},
		{"no merges", edit(func(m map[string]any) { delete(model(m), "merges") }), nil, "model.merges: missing"},
		{"no vocab", edit(func(m map[string]any) { delete(model(m), "vocab") }), nil, "model.vocab: empty or missing"},
		{"bad merge", edit(func(m map[string]any) { model(m)["merges"] = []any{"ab"} }), nil, `model.merges[0]: "ab" is not two tokens`},
		{"bad merge type", edit(func(m map[string]any) { model(m)["merges"] = []any{3} }), nil, `model.merges[0]: want "a b"`},
		{"negative id", edit(func(m map[string]any) { model(m)["vocab"].(map[string]any)["x"] = -1 }), nil, "id -1 out of range"},
		{"shared id", edit(func(m map[string]any) { model(m)["vocab"].(map[string]any)["zzz"] = 5 }), nil, "id 5 used by"},
		{"SentencePiece style", edit(func(m map[string]any) { m["pre_tokenizer"] = map[string]any{"type": "Metaspace"}; delete(m, "decoder") }), nil, `pre-tokenizer "Metaspace" is not supported`},
		{"no byte level", edit(func(m map[string]any) { delete(m, "pre_tokenizer"); delete(m, "decoder") }), nil, "not a byte-level BPE"},
		{"bad regex", edit(func(m map[string]any) {
			m["pre_tokenizer"] = map[string]any{"type": "Split", "behavior": "Isolated", "pattern": map[string]any{"Regex": "(("}}
		}), nil, "pattern.Regex: cannot compile"},
		{"Split Removed", edit(func(m map[string]any) {
			m["pre_tokenizer"] = map[string]any{"type": "Split", "behavior": "Removed", "pattern": map[string]any{"Regex": " "}}
		}), nil, `Split behavior "Removed"`},
		{"Lowercase normalizer", edit(func(m map[string]any) { m["normalizer"] = map[string]any{"type": "Lowercase"} }), nil, `normalizer "Lowercase" is not supported`},
		{"eos not a token", tinyTokenizerJSON(), []byte(`{"eos_token": "</nope>"}`), `eos_token: "</nope>" is not a token`},
		{"eos of the wrong type", tinyTokenizerJSON(), []byte(`{"eos_token": 5}`), "eos_token: want a string"},
		{"added token clash", edit(func(m map[string]any) {
			m["added_tokens"] = []any{map[string]any{"id": 65, "content": "<x>", "special": true}}
		}), nil, `id 65 is "A" in the vocabulary and "<x>" as an added token`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := tokenizer.FromHuggingFace(tc.tok, tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("FromHuggingFace = %v, %v; want an error containing %q", tok, err, tc.want)
			}
			var je *tokenizer.JSONError
			if !errors.As(err, &je) {
				t.Errorf("error %v is not a *JSONError", err)
			}
		})
	}
}

// TestFromHuggingFaceCustomRegex checks that a Split pattern without a hand-written matcher
// runs on regexp2, and that merges in the ["a", "b"] form load.
func TestFromHuggingFaceCustomRegex(t *testing.T) {
	var m map[string]any
	if err := json.Unmarshal(tinyTokenizerJSON(), &m); err != nil {
		t.Fatal(err)
	}
	m["pre_tokenizer"] = map[string]any{"type": "Sequence", "pretokenizers": []any{
		map[string]any{"type": "Split", "behavior": "Isolated", "pattern": map[string]any{"Regex": `\w+|[^\w\s]+|\s+`}},
		map[string]any{"type": "ByteLevel", "use_regex": false},
	}}
	data, _ := json.Marshal(m)
	tok, err := tokenizer.FromHuggingFace(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tok.Pre() != "tokenizer.json" {
		t.Errorf("Pre = %q", tok.Pre())
	}
	hello, _ := tok.TokenID("hello")
	// " world" is one token of the vocabulary, but this split puts the space apart.
	ids := tok.Encode("hello world")
	if len(ids) < 3 || ids[0] != hello || tok.Decode(ids) != "hello world" {
		t.Errorf("Encode = %v", ids)
	}
}

// TestFromGGUFLlama3 checks what the llama-bpe row sets: BOS added by default and
// ignore_merges (a word that is a token is emitted whole).
func TestFromGGUFLlama3(t *testing.T) {
	base := tinyMeta(t)
	tokens := append(slices.Clone(base["tokenizer.ggml.tokens"].([]string)), "xyz") // no merges build it
	types := append(slices.Clone(base["tokenizer.ggml.token_type"].([]int32)), int32(tokenizer.TypeNormal))
	md := base.with("tokenizer.ggml.pre", "llama-bpe", "tokenizer.ggml.tokens", tokens, "tokenizer.ggml.token_type", types,
		"tokenizer.ggml.bos_token_id", int64(283)).without("tokenizer.ggml.add_bos_token")
	tok, err := tokenizer.FromGGUF(md)
	if err != nil {
		t.Fatal(err)
	}
	if tok.Pre() != "llama-bpe" || !tok.AddBOS() || tok.BOS() != 283 {
		t.Errorf("Pre %q AddBOS %v BOS %d", tok.Pre(), tok.AddBOS(), tok.BOS())
	}
	if got := tok.Encode("xyz"); !slices.Equal(got, []int32{int32(len(tokens) - 1)}) {
		t.Errorf("Encode(xyz) = %v, want the whole-word token %d", got, len(tokens)-1)
	}
	// The same vocabulary as qwen2 merges byte by byte.
	tok, err = tokenizer.FromGGUF(md.with("tokenizer.ggml.pre", "qwen2"))
	if err != nil {
		t.Fatal(err)
	}
	if got := tok.Encode("xyz"); !slices.Equal(got, []int32{'x', 'y', 'z'}) || tok.AddBOS() {
		t.Errorf("qwen2: Encode(xyz) = %v, AddBOS %v", got, tok.AddBOS())
	}
}
