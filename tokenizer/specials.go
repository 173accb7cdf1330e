package tokenizer

import "sort"

// Special tokens: which ids are BOS/EOS/FIM markers, which end generation, and how their
// texts are found in a prompt.

// role is what a special token text is known to mean.
type role uint8

const (
	roleEOT role = iota + 1
	roleEOM
	roleFIMPre
	roleFIMSuf
	roleFIMMid
	roleFIMPad
	roleFIMRep
	roleFIMSep
	roleEOG // ends generation, no other role
)

// knownSpecials are the token texts llama.cpp recognises when the GGUF does not name the
// token (llama.cpp src/llama-vocab.cpp, llama_vocab::impl::load, "auto-detect special tokens
// by text" and the special_eog_ids list). A vocabulary that has one of them as a normal or
// user-defined token gets it overridden to control, as llama.cpp does: FIM markers and
// end-of-turn tokens must never come out of a user's text. The first text found for a role
// wins, in this order.
var knownSpecials = []struct {
	text string
	role role
}{
	{"<|eot_id|>", roleEOT}, // Llama 3
	{"<|im_end|>", roleEOT}, // Qwen chat
	{"<|end|>", roleEOT},
	{"<end_of_turn>", roleEOT},
	{"<|endoftext|>", roleEOT},
	{"<EOT>", roleEOT},
	{"_<EOT>", roleEOT},
	{"▁<EOT>", roleEOT},              // CodeLlama
	{"<｜end▁of▁sentence｜>", roleEOT}, // DeepSeek
	{"<|eom_id|>", roleEOM},
	{"<|fim_prefix|>", roleFIMPre}, // Qwen
	{"<fim-prefix>", roleFIMPre},
	{"<fim_prefix>", roleFIMPre},  // StarCoder2 (llama.cpp lists it for Granite)
	{"<｜fim▁begin｜>", roleFIMPre}, // DeepSeek
	{"<PRE>", roleFIMPre},
	{"▁<PRE>", roleFIMPre}, // CodeLlama
	{"<|fim_suffix|>", roleFIMSuf},
	{"<fim-suffix>", roleFIMSuf},
	{"<fim_suffix>", roleFIMSuf},
	{"<｜fim▁hole｜>", roleFIMSuf},
	{"<SUF>", roleFIMSuf},
	{"▁<SUF>", roleFIMSuf},
	{"<|fim_middle|>", roleFIMMid},
	{"<fim-middle>", roleFIMMid},
	{"<fim_middle>", roleFIMMid},
	{"<｜fim▁end｜>", roleFIMMid},
	{"<MID>", roleFIMMid},
	{"▁<MID>", roleFIMMid},
	{"<|fim_pad|>", roleFIMPad},
	{"<fim-pad>", roleFIMPad},
	{"<fim_pad>", roleFIMPad},
	{"<PAD>", roleFIMPad},
	{"<|fim_repo|>", roleFIMRep},
	{"<|repo_name|>", roleFIMRep},
	{"<fim-repo>", roleFIMRep},
	{"<REPO>", roleFIMRep},
	{"<reponame>", roleFIMRep},
	{"<repo_name>", roleFIMRep}, // StarCoder2
	{"<|file_sep|>", roleFIMSep},
	{"<file_sep>", roleFIMSep}, // StarCoder2
	// End-of-generation only (llama.cpp's special_eog_ids text list).
	{"<|eom_id|>", roleEOG},
	{"<|end_of_text|>", roleEOG},
	{"<|EOT|>", roleEOG}, // DeepSeek-Coder-Instruct's eos_token (not in llama.cpp's list)
}

// initSpecials resolves BOS, EOS, FIM and the end-of-generation set from the ids the metadata
// named and from knownSpecials.
func (t *Tokenizer) initSpecials(ids specialIDs) {
	check := func(name string, id int32) int32 {
		if id >= int32(len(t.tokens)) {
			t.warnf("%s token id %d is outside the vocabulary of %d tokens; ignored", name, id, len(t.tokens))
			return -1
		}
		if id < -1 {
			return -1
		}
		return id
	}
	t.bos = check("BOS", ids.bos)
	t.eos = check("EOS", ids.eos)
	if ids.unk >= 0 {
		t.unk = check("UNK", ids.unk)
	} else if id, ok := t.vocab["<unk>"]; ok && t.model == ModelLlama {
		t.unk = id
	}
	eot, eom := check("EOT", ids.eot), check("EOM", ids.eom)
	t.fim = FIMTokens{
		Prefix: check("FIM prefix", ids.fimPre), Suffix: check("FIM suffix", ids.fimSuf),
		Middle: check("FIM middle", ids.fimMid), Pad: check("FIM pad", ids.fimPad),
		Repo: check("FIM repo", ids.fimRep), FileSep: check("FIM file separator", ids.fimSep),
	}
	slots := map[role]*int32{
		roleEOT: &eot, roleEOM: &eom,
		roleFIMPre: &t.fim.Prefix, roleFIMSuf: &t.fim.Suffix, roleFIMMid: &t.fim.Middle,
		roleFIMPad: &t.fim.Pad, roleFIMRep: &t.fim.Repo, roleFIMSep: &t.fim.FileSep,
	}
	t.eog = map[int32]bool{}
	for _, k := range knownSpecials {
		id, ok := t.vocab[k.text]
		if !ok {
			continue
		}
		slot := slots[k.role]
		switch k.role {
		case roleEOG:
			t.eog[id] = true
		case roleEOT, roleEOM:
			// Every end-of-turn text ends generation, even when another text took the
			// EOT role (Qwen has both <|endoftext|> and <|im_end|>).
			t.eog[id] = true
			if *slot < 0 {
				*slot = id
			}
		default:
			if *slot < 0 {
				*slot = id
			} else if *slot != id {
				continue // another text already filled this FIM role
			}
		}
		if t.types[id] != TypeControl {
			t.warnf("token %d %q looks like a control token but has type %s; treating it as control", id, k.text, t.types[id])
			t.types[id] = TypeControl
		}
	}
	for _, id := range []int32{t.fim.Pad, t.fim.Repo, t.fim.FileSep, t.eos, eot, eom} {
		if id >= 0 {
			t.eog[id] = true
		}
	}
}

// specialMatcher finds special token texts in a prompt: at each position the longest token
// text that starts there (Hugging Face's added-token matching, leftmost-longest).
type specialMatcher struct {
	first [256]bool    // first bytes of the texts
	cands [256][]int32 // ids by first byte, longest text first
}

func newSpecialMatcher(t *Tokenizer, want func(TokenType) bool) *specialMatcher {
	m := &specialMatcher{}
	for id, tt := range t.types {
		s := t.tokens[id]
		if !want(tt) || s == "" {
			continue
		}
		m.first[s[0]] = true
		m.cands[s[0]] = append(m.cands[s[0]], int32(id))
	}
	for b := range m.cands {
		c := m.cands[b]
		sort.SliceStable(c, func(i, j int) bool { return len(t.tokens[c[i]]) > len(t.tokens[c[j]]) })
	}
	return m
}

// at returns the id and length of the longest special text starting at byte i of text, or
// length 0.
func (m *specialMatcher) at(t *Tokenizer, text string, i int) (int32, int) {
	for _, id := range m.cands[text[i]] {
		s := t.tokens[id]
		if len(s) <= len(text)-i && text[i:i+len(s)] == s {
			return id, len(s)
		}
	}
	return -1, 0
}
