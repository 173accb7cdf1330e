package tokenizer_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/llmls/llmls/decoder/gguf"
	"github.com/llmls/llmls/tokenizer"
)

// tinyWords are the words the tiny vocabulary can encode as one token each.
var tinyWords = []string{"hello", " world", "func", " main", "()", " {", "\n\t", "return", " nil"}

// tinySpecials are its added tokens: content → special (control) or not (user-defined).
var tinySpecials = []struct {
	content string
	special bool
}{
	{"<|endoftext|>", true},
	{"<|fim_prefix|>", true},
	{"<|fim_suffix|>", true},
	{"<|fim_middle|>", true},
	{"<tool_call>", false},
}

// tinyTokenizerJSON returns a small but complete byte-level BPE tokenizer.json: ids 0-255
// are the 256 byte tokens in byte order (GPT-2 bytes_to_unicode form), then one token per
// merge, merges spelling each of tinyWords left to right, then the added tokens. It uses
// Qwen2's pre-tokenizer and NFC normalizer, like Qwen2.5's tokenizer.json.
func tinyTokenizerJSON() []byte {
	vocab := map[string]int{}
	var order []string
	add := func(s string) {
		if _, ok := vocab[s]; !ok {
			vocab[s] = len(order)
			order = append(order, s)
		}
	}
	for b := 0; b < 256; b++ {
		add(string(tokenizer.ByteToRune(byte(b))))
	}
	var merges [][2]string
	seen := map[[2]string]bool{}
	for _, w := range tinyWords {
		enc := []rune(tokenizer.ByteLevelEncode(w))
		left := string(enc[0])
		for _, r := range enc[1:] {
			m := [2]string{left, string(r)}
			if !seen[m] {
				seen[m] = true
				merges = append(merges, m)
				add(left + string(r))
			}
			left += string(r)
		}
	}
	type added struct {
		ID      int    `json:"id"`
		Content string `json:"content"`
		Special bool   `json:"special"`
	}
	var addedTokens []added
	for _, s := range tinySpecials {
		addedTokens = append(addedTokens, added{len(order) + len(addedTokens), s.content, s.special})
	}
	doc := map[string]any{
		"version":      "1.0",
		"added_tokens": addedTokens,
		"normalizer":   map[string]any{"type": "NFC"},
		"pre_tokenizer": map[string]any{"type": "Sequence", "pretokenizers": []any{
			map[string]any{"type": "Split", "behavior": "Isolated", "invert": false, "pattern": map[string]any{
				"Regex": `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`}},
			map[string]any{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": false},
		}},
		"decoder": map[string]any{"type": "ByteLevel"},
		"model":   map[string]any{"type": "BPE", "vocab": vocab, "merges": merges},
	}
	out, err := json.Marshal(doc)
	if err != nil {
		panic(err)
	}
	return out
}

// tinyConfigJSON is the tiny vocabulary's tokenizer_config.json.
const tinyConfigJSON = `{"add_bos_token": false, "bos_token": null, "eos_token": "<|endoftext|>"}`

// tinyTokenizer loads the tiny vocabulary; it needs no reference data.
func tinyTokenizer(t testing.TB) *tokenizer.Tokenizer {
	t.Helper()
	tok, err := tokenizer.FromHuggingFace(tinyTokenizerJSON(), []byte(tinyConfigJSON))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// tinyGGUF returns the tiny vocabulary as a vocab-only GGUF file, the way llama.cpp's
// convert_hf_to_gguf.py writes a byte-level BPE (tokens, token types, "a b" merges).
func tinyGGUF() []byte {
	var hf struct {
		AddedTokens []struct {
			ID      int    `json:"id"`
			Content string `json:"content"`
			Special bool   `json:"special"`
		} `json:"added_tokens"`
		Model struct {
			Vocab  map[string]int `json:"vocab"`
			Merges [][2]string    `json:"merges"`
		} `json:"model"`
	}
	if err := json.Unmarshal(tinyTokenizerJSON(), &hf); err != nil {
		panic(err)
	}
	n := len(hf.Model.Vocab) + len(hf.AddedTokens)
	tokens := make([]string, n)
	types := make([]int32, n)
	for s, id := range hf.Model.Vocab {
		tokens[id], types[id] = s, int32(tokenizer.TypeNormal)
	}
	for _, a := range hf.AddedTokens {
		tokens[a.ID], types[a.ID] = a.Content, int32(tokenizer.TypeUserDefined)
		if a.Special {
			types[a.ID] = int32(tokenizer.TypeControl)
		}
	}
	var merges []string
	for _, m := range hf.Model.Merges {
		merges = append(merges, m[0]+" "+m[1])
	}
	w := gguf.NewWriter()
	for _, kv := range []struct {
		k string
		v any
	}{
		{"general.architecture", "qwen2"},
		{"tokenizer.ggml.model", "gpt2"},
		{"tokenizer.ggml.pre", "qwen2"},
		{"tokenizer.ggml.tokens", tokens},
		{"tokenizer.ggml.token_type", types},
		{"tokenizer.ggml.merges", merges},
		{"tokenizer.ggml.eos_token_id", uint32(hf.AddedTokens[0].ID)},
		{"tokenizer.ggml.add_bos_token", false},
	} {
		if err := w.Add(kv.k, kv.v); err != nil {
			panic(err)
		}
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		panic(err)
	}
	return buf.Bytes()
}
