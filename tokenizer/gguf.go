package tokenizer

import (
	"fmt"
	"strings"
)

// Metadata is read access to GGUF key/values, as *gguf.File (package decoder/gguf) provides
// it; the interface keeps this package free of the GGUF reader. Each getter returns an error
// when the key is absent or holds another type.
type Metadata interface {
	String(key string) (string, error)
	Strings(key string) ([]string, error)
	Int(key string) (int64, error)
	Bool(key string) (bool, error)
	Int32s(key string) ([]int32, error)
	Float32s(key string) ([]float32, error)
}

// GGUF metadata keys read by FromGGUF (llama.cpp gguf-py/gguf/constants.py Keys.Tokenizer).
const (
	keyModel          = "tokenizer.ggml.model"
	keyPre            = "tokenizer.ggml.pre"
	keyTokens         = "tokenizer.ggml.tokens"
	keyTokenType      = "tokenizer.ggml.token_type"
	keyScores         = "tokenizer.ggml.scores"
	keyMerges         = "tokenizer.ggml.merges"
	keyAddBOS         = "tokenizer.ggml.add_bos_token"
	keyAddEOS         = "tokenizer.ggml.add_eos_token"
	keyAddSpacePrefix = "tokenizer.ggml.add_space_prefix"
)

// KeyError reports a GGUF metadata key that FromGGUF could not use: what was wrong with
// which key.
type KeyError struct {
	Key string
	Msg string
	Err error // the getter's error, if any
}

func (e *KeyError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("tokenizer: gguf metadata %q: %s: %v", e.Key, e.Msg, e.Err)
	}
	return fmt.Sprintf("tokenizer: gguf metadata %q: %s", e.Key, e.Msg)
}

func (e *KeyError) Unwrap() error { return e.Err }

// FromGGUF builds the tokenizer described by a GGUF file's tokenizer.ggml.* metadata, as
// llama.cpp's llama_vocab::impl::load reads it:
//
//   - tokenizer.ggml.model: "gpt2" (byte-level BPE; needs tokenizer.ggml.merges) or "llama"
//     (SentencePiece; uses tokenizer.ggml.scores). Other models are an error.
//   - tokenizer.ggml.tokens (required), token_type, scores: one entry per token id.
//   - tokenizer.ggml.pre: the pre-tokenizer family (see Pre). A missing or unknown name
//     falls back to llama.cpp's "default" pre-tokenizer and records a warning (Warnings):
//     llama.cpp itself uses that default when the key is missing and refuses unknown names;
//     we prefer serving completions with a possibly imperfect split to refusing the model.
//   - bos/eos/unknown/eot/eom/fim_*_token_id, add_bos_token, add_eos_token,
//     add_space_prefix: optional.
//
// A required key that is missing, or any key present with the wrong type, is an error
// (*KeyError). Because Metadata reports absence only through an error, FromGGUF treats an
// optional key as absent when none of the getters can read it, and as present with the
// wrong type when another getter can.
func FromGGUF(md Metadata) (*Tokenizer, error) {
	sp := &spec{source: "gguf", ids: noSpecialIDs()}
	var err error
	if sp.model, err = md.String(keyModel); err != nil {
		return nil, &KeyError{Key: keyModel, Msg: "required", Err: err}
	}
	if sp.tokens, err = md.Strings(keyTokens); err != nil {
		return nil, &KeyError{Key: keyTokens, Msg: "required", Err: err}
	}
	if types, ok, err := optional(md, keyTokenType, md.Int32s); err != nil {
		return nil, err
	} else if ok {
		sp.types = make([]TokenType, len(types))
		for i, v := range types {
			sp.types[i] = TokenType(v)
		}
	}
	if scores, ok, err := optional(md, keyScores, md.Float32s); err != nil {
		return nil, err
	} else if ok {
		sp.scores = scores
	}
	if sp.model == ModelGPT2 {
		if pre, ok, err := optional(md, keyPre, md.String); err != nil {
			return nil, err
		} else if ok {
			sp.pre = pre
		}
		merges, err := md.Strings(keyMerges)
		if err != nil {
			return nil, &KeyError{Key: keyMerges, Msg: "required for byte-level BPE", Err: err}
		}
		sp.merges = make([][2]string, 0, len(merges))
		for i, m := range merges {
			// "a b"; a token may itself start with a space, hence the search from byte 1
			// (llama.cpp: word.find(' ', 1)).
			k := -1
			if len(m) > 1 {
				if j := strings.IndexByte(m[1:], ' '); j >= 0 {
					k = j + 1
				}
			}
			if k < 0 {
				return nil, &KeyError{Key: keyMerges, Msg: fmt.Sprintf("entry %d %q is not two tokens separated by a space", i, m)}
			}
			sp.merges = append(sp.merges, [2]string{m[:k], m[k+1:]})
		}
	}
	for _, b := range []struct {
		key string
		dst **bool
	}{{keyAddBOS, &sp.addBOS}, {keyAddEOS, &sp.addEOS}, {keyAddSpacePrefix, &sp.addSpacePrefix}} {
		v, ok, err := optional(md, b.key, md.Bool)
		if err != nil {
			return nil, err
		}
		if ok {
			*b.dst = &v
		}
	}
	for _, id := range []struct {
		key string
		dst *int32
	}{
		{"tokenizer.ggml.bos_token_id", &sp.ids.bos},
		{"tokenizer.ggml.eos_token_id", &sp.ids.eos},
		{"tokenizer.ggml.unknown_token_id", &sp.ids.unk},
		{"tokenizer.ggml.eot_token_id", &sp.ids.eot},
		{"tokenizer.ggml.eom_token_id", &sp.ids.eom},
		{"tokenizer.ggml.fim_pre_token_id", &sp.ids.fimPre},
		{"tokenizer.ggml.fim_suf_token_id", &sp.ids.fimSuf},
		{"tokenizer.ggml.fim_mid_token_id", &sp.ids.fimMid},
		{"tokenizer.ggml.fim_pad_token_id", &sp.ids.fimPad},
		{"tokenizer.ggml.fim_rep_token_id", &sp.ids.fimRep},
		{"tokenizer.ggml.fim_sep_token_id", &sp.ids.fimSep},
		// Deprecated spellings (CodeLlama conversions), read only when the new key is absent.
		{"tokenizer.ggml.prefix_token_id", &sp.ids.fimPre},
		{"tokenizer.ggml.suffix_token_id", &sp.ids.fimSuf},
		{"tokenizer.ggml.middle_token_id", &sp.ids.fimMid},
	} {
		if *id.dst >= 0 {
			continue
		}
		v, ok, err := optional(md, id.key, md.Int)
		if err != nil {
			return nil, err
		}
		if ok {
			if v < 0 || v > 1<<31-1 {
				return nil, &KeyError{Key: id.key, Msg: fmt.Sprintf("token id %d out of range", v)}
			}
			*id.dst = int32(v)
		}
	}
	return build(sp)
}

// optional reads key with get. ok is false when the key is absent; err is a *KeyError when
// it is present but get cannot read it.
func optional[T any](md Metadata, key string, get func(string) (T, error)) (v T, ok bool, err error) {
	v, err = get(key)
	if err == nil {
		return v, true, nil
	}
	if present(md, key) {
		return v, false, &KeyError{Key: key, Msg: "wrong type", Err: err}
	}
	return v, false, nil
}

// present reports whether some getter can read key.
func present(md Metadata, key string) bool {
	_, e1 := md.String(key)
	_, e2 := md.Int(key)
	_, e3 := md.Bool(key)
	_, e4 := md.Strings(key)
	_, e5 := md.Int32s(key)
	_, e6 := md.Float32s(key)
	return e1 == nil || e2 == nil || e3 == nil || e4 == nil || e5 == nil || e6 == nil
}
