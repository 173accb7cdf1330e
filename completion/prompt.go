package completion

import (
	"fmt"
	"strings"
)

// Snippet is a piece of another file put into the prompt as context.
type Snippet struct {
	Path string // as shown to the model (workspace-relative when known)
	Text string
}

// Parts are the texts of one FIM prompt, already cut to their windows.
//
// The cursor line is split off the prefix on purpose: Prefix holds whole lines only, Typed the
// current line up to the cursor. While the user types on one line, Prefix, Suffix and the
// snippets stay byte-identical, so the decoder's KV cache reuses everything but the last few
// tokens (DESIGN.md, "A prompt layout that the KV cache can reuse"; llama.vim does the same).
type Parts struct {
	RepoName string    // repository name for repo-level formats; "" to omit
	Snippets []Snippet // other files, most useful last (nearest the cursor)
	Path     string    // path of the current file; "" to omit
	Language string    // LSP language id, for comment syntax when the format has no file tokens
	Prefix   string    // whole lines before the cursor line (ends with "\n" unless empty)
	Typed    string    // the cursor line up to the cursor
	Suffix   string    // from the cursor to the end of the suffix window
}

// Layout is how a model wants its prompt: template, order and BOS.
type Layout struct {
	Template Template
	Order    Order
	// BOS is prepended when >= 0 (the vocabulary's add_bos_token); exactly once.
	BOS int32
}

// Prompt is a built prompt.
type Prompt struct {
	// Tokens are the ids to evaluate, [nTokens].
	Tokens []int32
	// Text is the prompt with control tokens shown as their strings (for `llmls prompt`,
	// remote engines that take text, and logs). BOS is not shown.
	Text string
	// MiddleStart is the index in Tokens where the part that changes per keystroke begins
	// (the typed text of the current line). Tokens before it are stable within a line.
	MiddleStart int
}

// segment is one piece of a prompt: a control token (by its vocabulary string) or text.
type segment struct {
	control string
	text    string
	prefix  bool // the prefix text (for CodeLlama's leading space)
}

// Build lays out p in the format of l and tokenizes it. Control tokens are looked up by
// their strings; user text is encoded with Vocab.Encode, so it can never produce a control
// token. It returns an error wrapping ErrNoFIM if a control token is missing from v.
func Build(v Vocab, l Layout, p Parts) (Prompt, error) {
	t := l.Template
	if err := t.Check(v); err != nil {
		return Prompt{}, err
	}
	segs := layout(v, l, p)
	var pr Prompt
	if l.BOS >= 0 {
		pr.Tokens = append(pr.Tokens, l.BOS)
	}
	var text strings.Builder
	for i, s := range segs {
		if s.control == "" && s.text == "" {
			continue
		}
		if s.control == middleMark {
			pr.MiddleStart = len(pr.Tokens)
			continue
		}
		if s.control != "" {
			id, ok := v.TokenID(s.control)
			if !ok {
				return Prompt{}, fmt.Errorf("completion: segment %d: token %q not in the vocabulary: %w", i, s.control, ErrNoFIM)
			}
			pr.Tokens = append(pr.Tokens, id)
			text.WriteString(s.control)
			continue
		}
		spaced := t.SpacePrefix && i == firstPrefixText(segs)
		if spaced {
			// CodeLlama: the prefix text gets the leading "▁" that Meta's encode() adds; every
			// other segment is encoded without it (encode_infilling), as the model was trained.
			pr.Tokens = append(pr.Tokens, v.Encode(" "+s.text)...)
			text.WriteString(" " + s.text)
		} else {
			pr.Tokens = append(pr.Tokens, v.Encode(s.text)...)
			text.WriteString(s.text)
		}
	}
	if pr.MiddleStart == 0 {
		pr.MiddleStart = len(pr.Tokens)
	}
	pr.Text = text.String()
	return pr, nil
}

// middleMark marks where the per-keystroke part starts; it emits no token.
const middleMark = "\x00middle"

// layout returns the segments of the prompt in the order of the template.
func layout(v Vocab, l Layout, p Parts) []segment {
	t := l.Template
	order := l.Order
	if t.SuffixFirstOnly {
		order = SPM
	}
	var segs []segment
	repo := t.HasRepo(v)
	ctl := func(s string) { segs = append(segs, segment{control: s}) }
	txt := func(s string) { segs = append(segs, segment{text: s}) }

	// Repository context: other files first, then the current file's header.
	var inlineContext string
	if repo {
		if p.RepoName != "" && t.RepoName != "" {
			if _, ok := v.TokenID(t.RepoName); ok {
				ctl(t.RepoName)
				txt(p.RepoName + "\n")
			}
		}
		for _, s := range p.Snippets {
			ctl(t.FileSep)
			txt(s.Path + "\n" + ensureNewline(s.Text))
		}
		if p.Path != "" && t.Family != "starcoder" {
			ctl(t.FileSep)
			txt(p.Path + "\n")
		} else if t.Family == "starcoder" && (len(p.Snippets) > 0 || p.RepoName != "") {
			ctl(t.FileSep)
		}
	} else if len(p.Snippets) > 0 {
		inlineContext = commentSnippets(p.Language, p.Snippets)
	}
	prefixHead := inlineContext
	if repo && t.Family == "starcoder" && p.Path != "" && (len(p.Snippets) > 0 || p.RepoName != "") {
		// StarCoder2 puts the path right after <fim_prefix> (arXiv:2402.19173 §5).
		prefixHead = p.Path + "\n"
	}

	pre := func(s string) { segs = append(segs, segment{text: s, prefix: true}) }
	switch {
	case order == SPM && t.SpacePrefix:
		// CodeLlama's own suffix-first variant: <PRE><SUF> S <MID> P (Meta's
		// infilling_prompt_tokens with suffix_first=True); the prefix follows <MID>.
		ctl(t.Prefix)
		ctl(t.Suffix)
		txt(p.Suffix)
		ctl(t.Middle)
		pre(prefixHead + p.Prefix)
		segs = append(segs, segment{control: middleMark})
		txt(p.Typed)
	case order == PSM:
		ctl(t.Prefix)
		pre(prefixHead + p.Prefix)
		ctl(t.Suffix)
		txt(p.Suffix)
		ctl(t.Middle)
		segs = append(segs, segment{control: middleMark})
		txt(p.Typed)
	default: // SPM
		ctl(t.Suffix)
		txt(p.Suffix)
		ctl(t.Prefix)
		pre(prefixHead + p.Prefix)
		segs = append(segs, segment{control: middleMark})
		txt(p.Typed)
		if t.Middle != "" {
			ctl(t.Middle)
		}
	}
	return segs
}

// firstPrefixText returns the index of the segment holding the prefix text, the one that gets
// SentencePiece's implicit leading space in CodeLlama's format.
func firstPrefixText(segs []segment) int {
	for i := range segs {
		if segs[i].control == "" && segs[i].text != "" && segs[i].prefix {
			return i
		}
	}
	return -1
}

func ensureNewline(s string) string {
	if s == "" || strings.HasSuffix(s, "\n") {
		return s
	}
	return s + "\n"
}

// commentSnippets renders snippets as line comments for formats without file tokens, the way
// Continue and Copilot do ("// Path: a.go" then the lines).
func commentSnippets(lang string, snips []Snippet) string {
	c := lineComment(lang)
	var b strings.Builder
	for _, s := range snips {
		fmt.Fprintf(&b, "%s Path: %s\n", c, s.Path)
		for _, line := range strings.Split(strings.TrimRight(s.Text, "\n"), "\n") {
			b.WriteString(c)
			if line != "" {
				b.WriteByte(' ')
				b.WriteString(line)
			}
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// lineComment returns the line-comment marker of an LSP language id.
func lineComment(lang string) string {
	switch lang {
	case "python", "ruby", "shellscript", "bash", "sh", "perl", "r", "yaml", "toml", "dockerfile", "makefile", "elixir", "julia", "nim", "powershell":
		return "#"
	case "lua", "sql", "haskell", "ada":
		return "--"
	case "lisp", "clojure", "scheme":
		return ";;"
	case "erlang", "latex", "tex", "matlab":
		return "%"
	case "vim":
		return "\""
	}
	return "//"
}
