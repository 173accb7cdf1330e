package completion

import (
	"strings"
	"unicode"
)

// Post-processing turns raw model output into ghost text. Each step is a small function over
// plain strings so it can be tested alone; [PostProcess] runs them in order.

// Surroundings is what post-processing needs to know of the document around the cursor.
type Surroundings struct {
	// LinePrefix is the cursor line up to the cursor; LineSuffix the rest of that line
	// (without the line ending).
	LinePrefix, LineSuffix string
	// NextLines are the lines after the cursor line (without line endings), a few are enough.
	NextLines []string
	// Indent is the file's indentation unit: "\t", or n spaces. "" when unknown.
	Indent string
	// EOL is the document's line ending ("\n" or "\r\n").
	EOL string
}

// PostProcess runs the text steps in order: cut leaked markers/stop strings, limit to one line
// when multiLine is false, remove what repeats the suffix, fix whitespace, and drop a
// whitespace-only result. The syntax-aware cut (context package) runs before it, on the raw text.
func PostProcess(raw string, stops []string, multiLine bool, s Surroundings) string {
	text := CutAtStop(raw, stops)
	text = strings.ReplaceAll(text, "\r\n", "\n")
	if !multiLine {
		text = FirstLine(text)
	}
	text = TrimLineSuffixRepeat(text, s.LineSuffix)
	text = AvoidDoubleSpace(text, s.LinePrefix)
	text = DropEchoedWord(text, s.LinePrefix)
	text = ReindentLike(text, s.Indent)
	text = DropRepeatedNextLines(text, s.NextLines)
	text = strings.TrimRightFunc(text, unicode.IsSpace)
	if strings.TrimSpace(text) == "" {
		return ""
	}
	if s.EOL == "\r\n" {
		text = strings.ReplaceAll(text, "\n", "\r\n")
	}
	return text
}

// CutAtStop cuts text at the earliest occurrence of any stop string (a FIM marker or end token
// that leaked as text, e.g. " <EOT>" from a remote engine), including whitespace right before
// it on the same line.
func CutAtStop(text string, stops []string) string {
	cut := len(text)
	for _, s := range stops {
		if s == "" {
			continue
		}
		if i := strings.Index(text, s); i >= 0 && i < cut {
			cut = i
		}
		// CodeLlama's "▁<EOT>" leaks as " <EOT>".
		if plain, ok := strings.CutPrefix(s, "▁"); ok {
			if i := strings.Index(text, plain); i >= 0 && i < cut {
				cut = i
			}
		}
	}
	if cut == len(text) {
		return text
	}
	return strings.TrimRight(text[:cut], " \t")
}

// FirstLine returns text up to its first line break. A leading line break is kept out: a
// single-line completion never starts a new line.
func FirstLine(text string) string {
	if i := strings.IndexAny(text, "\r\n"); i >= 0 {
		return text[:i]
	}
	return text
}

// TrimLineSuffixRepeat removes the end of the completion's first line when it repeats the text
// after the cursor on the same line: with the cursor in "foo(|)" a model often writes "x)",
// which would show "foo(x))". Only a tail that equals a non-empty prefix of the line suffix's
// non-space text, ending the completion's first line, is removed.
func TrimLineSuffixRepeat(text, lineSuffix string) string {
	suf := strings.TrimSpace(lineSuffix)
	if suf == "" {
		return text
	}
	first, rest, multi := strings.Cut(text, "\n")
	trimmed := strings.TrimRight(first, " \t")
	// The whole line suffix repeated at the end of the first line: the common case.
	if strings.HasSuffix(trimmed, suf) {
		first = strings.TrimRight(trimmed[:len(trimmed)-len(suf)], " \t")
	} else {
		// A shorter part of it, e.g. suffix ");" and completion ending in ")".
		for n := len(suf) - 1; n > 0; n-- {
			if strings.HasSuffix(trimmed, suf[:n]) && isClosers(suf[:n]) {
				first = trimmed[:len(trimmed)-n]
				break
			}
		}
	}
	if multi {
		return first + "\n" + rest
	}
	return first
}

// isClosers reports whether s is only closing brackets, quotes and punctuation, the only kind
// of partial repeat that is safe to trim.
func isClosers(s string) bool {
	for _, r := range s {
		if !strings.ContainsRune(")]}>\"'`;,", r) {
			return false
		}
	}
	return true
}

// DropRepeatedNextLines removes the trailing lines of a multi-line completion that repeat the
// document's next lines: a model that completes a block often goes on to write the code that
// is already below the cursor. Lines are compared with their indentation (trailing blanks
// ignored), so a "}" closing an inner block does not match the "}" closing the function;
// run it after ReindentLike.
func DropRepeatedNextLines(text string, next []string) string {
	if len(next) == 0 || !strings.Contains(text, "\n") {
		return text
	}
	lines := strings.Split(text, "\n")
	// Find the first completion line (after the first) that starts a run equal to the next
	// lines of the document; cut there.
	firstNext := 0
	same := func(a, b string) bool { return strings.TrimRight(a, " \t") == strings.TrimRight(b, " \t") }
	for firstNext < len(next) && strings.TrimSpace(next[firstNext]) == "" {
		firstNext++
	}
	if firstNext == len(next) {
		return text
	}
	for i := 1; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) == "" || !same(lines[i], next[firstNext]) {
			continue
		}
		// Require the rest of the completion (or at least 2 lines of it) to match, so that a
		// lone "}" that happens to equal the next line is not enough when more follows.
		match := 0
		for j, k := i, firstNext; j < len(lines) && k < len(next); j, k = j+1, k+1 {
			if !same(lines[j], next[k]) {
				break
			}
			match++
		}
		if i+match == len(lines) || match >= 2 {
			return strings.TrimRight(strings.Join(lines[:i], "\n"), " \t\n")
		}
	}
	return text
}

// AvoidDoubleSpace removes the completion's leading blanks when the text left of the cursor
// already ends in a blank ("return |" + " x" must not show "return  x").
func AvoidDoubleSpace(text, linePrefix string) string {
	if linePrefix == "" || strings.TrimSpace(linePrefix) == "" {
		// At the start of a line (or inside its indentation) leading blanks are indentation the
		// model chose; keep them.
		return text
	}
	if last := linePrefix[len(linePrefix)-1]; last == ' ' || last == '\t' {
		return strings.TrimLeft(text, " \t")
	}
	return text
}

// DropEchoedWord removes the start of the completion that repeats the word left of the
// cursor: small models restart or echo the word just typed. With the cursor touching the word
// ("ret" + "return x"), a completion that starts with the word restarts it, and the word is
// dropped ("urn x"); after a blank ("return " + "return x"), a first word equal to it is an
// echo and is dropped ("x"). Words are runs of letters, digits, '_' and non-ASCII bytes.
func DropEchoedWord(text, linePrefix string) string {
	trimmed := strings.TrimRight(linePrefix, " \t")
	i := len(trimmed)
	for i > 0 && isWordByte(trimmed[i-1]) {
		i--
	}
	word := trimmed[i:]
	if word == "" {
		return text
	}
	if trimmed == linePrefix {
		if rest, ok := strings.CutPrefix(text, word); ok {
			return rest
		}
		return text
	}
	rest, ok := strings.CutPrefix(strings.TrimLeft(text, " \t"), word)
	if !ok || rest != "" && isWordByte(rest[0]) {
		return text
	}
	return strings.TrimLeft(rest, " \t")
}

func isWordByte(b byte) bool {
	return b == '_' || '0' <= b && b <= '9' || 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || b >= 0x80
}

// ReindentLike rewrites the leading indentation of the completion's second and later lines to
// the file's indentation unit: tabs in a tab-indented file, spaces of the file's width in a
// space-indented one. The first line is never touched (it continues the cursor line).
func ReindentLike(text, unit string) string {
	if unit == "" || !strings.Contains(text, "\n") {
		return text
	}
	lines := strings.Split(text, "\n")
	// The model's own unit, from the completion itself.
	modelUnit := DetectIndent(strings.Join(lines[1:], "\n"))
	if modelUnit == "" || modelUnit == unit {
		return text
	}
	for i := 1; i < len(lines); i++ {
		body := strings.TrimLeft(lines[i], " \t")
		lead := lines[i][:len(lines[i])-len(body)]
		levels := indentLevels(lead, modelUnit)
		lines[i] = strings.Repeat(unit, levels) + body
	}
	return strings.Join(lines, "\n")
}

func indentLevels(lead, unit string) int {
	width := 0
	for _, c := range lead {
		if c == '\t' {
			width += 4
		} else {
			width++
		}
	}
	uw := 4
	if unit != "\t" {
		uw = len(unit)
	}
	return (width + uw/2) / uw
}

// DetectIndent returns the indentation unit of text: "\t" when tab-indented lines dominate,
// else the most common positive difference between the indentation of consecutive lines
// (as spaces), or "" when text has no indented lines.
func DetectIndent(text string) string {
	tabs, spaces := 0, 0
	diffs := map[int]int{}
	prev := 0
	for _, line := range strings.Split(text, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		switch {
		case strings.HasPrefix(line, "\t"):
			tabs++
		case strings.HasPrefix(line, " "):
			spaces++
		}
		n := len(line) - len(strings.TrimLeft(line, " "))
		if d := n - prev; d > 0 && !strings.HasPrefix(line, "\t") {
			diffs[d]++
		}
		prev = n
	}
	if tabs == 0 && spaces == 0 {
		return ""
	}
	if tabs >= spaces {
		return "\t"
	}
	best, bestN := 0, 0
	for d, n := range diffs {
		if d <= 8 && (n > bestN || n == bestN && d < best) {
			best, bestN = d, n
		}
	}
	if best == 0 {
		return ""
	}
	return strings.Repeat(" ", best)
}
