package tokenizer

// Internals for the external tests (tokenizer_test), compiled only into tests.

// PreRegexes returns the upstream regexes of the pre-tokenizer family name, nil if unknown.
func PreRegexes(name string) []string {
	if p := preTokenizerByName(name); p != nil {
		return p.regexes
	}
	return nil
}

// PreNames lists the first name of every pre-tokenizer family.
func PreNames() []string {
	var out []string
	for _, p := range preTokenizers {
		out = append(out, p.names[0])
	}
	return out
}

// SplitWords splits text with the hand-written matchers of family name.
func SplitWords(name, text string) []string {
	var out []string
	preTokenizerByName(name).stages.split(text, func(w string) { out = append(out, w) })
	return out
}

// SplitWordsRegexp2 splits text with regexp2 running regexes, one Split stage each.
func SplitWordsRegexp2(regexes []string, text string) ([]string, error) {
	var sp splitter
	for _, re := range regexes {
		st, err := newRegexStage(re)
		if err != nil {
			return nil, err
		}
		sp = append(sp, st)
	}
	var out []string
	sp.split(text, func(w string) { out = append(out, w) })
	return out, nil
}

// SplitFunc returns a function splitting text with family name's hand-written matchers or,
// with regexp2 set, with its regexes on regexp2, for benchmarks.
func SplitFunc(name string, regexp2 bool) func(text string, emit func(string)) {
	sp := preTokenizerByName(name).stages
	if regexp2 {
		sp = nil
		for _, re := range preTokenizerByName(name).regexes {
			st, err := newRegexStage(re)
			if err != nil {
				panic(err)
			}
			sp = append(sp, st)
		}
	}
	return sp.split
}

// ByteLevelEncode exposes GPT-2's bytes_to_unicode mapping of a whole string.
func ByteLevelEncode(s string) string { return byteLevelEncode(s) }

// ByteToRune exposes bytes_to_unicode for one byte.
func ByteToRune(b byte) rune { return byteToRune[b] }
