package completion

import "strings"

// Budget is the token budget of a prompt: how many tokens each part may use. The local window
// (prefix and suffix) comes first; snippets get what is left of Snippets.
type Budget struct {
	Prefix   int // tokens for the lines before the cursor line (the cursor line itself is always kept)
	Suffix   int // tokens for the text after the cursor
	Snippets int // tokens for other files' snippets
}

// DefaultBudget sizes a budget for a model context of nCtx tokens, leaving room for the
// completion (maxTokens) and the control tokens: 60% prefix, 20% suffix, 20% snippets, capped
// at MaxDefaultPrompt tokens.
func DefaultBudget(nCtx, maxTokens int) Budget {
	avail := nCtx - maxTokens - 32
	if avail > MaxDefaultPrompt {
		avail = MaxDefaultPrompt
	}
	if avail < 64 {
		avail = 64
	}
	return Budget{Prefix: avail * 6 / 10, Suffix: avail * 2 / 10, Snippets: avail * 2 / 10}
}

// MaxDefaultPrompt caps the default prompt budget, tokens. On a CPU every prompt token costs
// latency the first time it is seen: a 0.5B model evaluates a few hundred prompt tokens per
// second on two cores, so 1,024 tokens is a few seconds for the first request of a file and
// nothing afterwards (the KV cache keeps them). llama.vim's defaults give 250–540.
const MaxDefaultPrompt = 1024

// prefixQuantum is the granularity, in lines, of where the prefix window starts. The start
// moves only in steps of this many lines, so pressing Enter does not shift the window (and
// invalidate the KV cache) on every new line; the cost is up to this many lines less context
// (at most a quarter of the window).
const prefixQuantum = 16

// TokenCounter returns the number of tokens of a text.
type TokenCounter func(text string) int

// Window is the split of a document around the cursor for a FIM prompt. All offsets are byte
// offsets into the document.
type Window struct {
	PrefixStart int // first byte of the prefix window (start of a line)
	LineStart   int // start of the cursor line
	Cursor      int
	SuffixEnd   int // end of the suffix window (end of a line, after its line break, or len(doc))
}

// Parts returns the prefix, typed and suffix texts of w in doc.
func (w Window) Parts(doc string) (prefix, typed, suffix string) {
	return doc[w.PrefixStart:w.LineStart], doc[w.LineStart:w.Cursor], doc[w.Cursor:w.SuffixEnd]
}

// ChooseWindow picks the prefix and suffix windows around cursor within the budget, counting
// tokens line by line with count. The prefix window starts at a line whose number is a
// multiple of prefixQuantum when the whole prefix does not fit (see prefixQuantum), and the
// suffix window ends at a line boundary. doc must use "\n" line ends (CRLF is normalised by
// the caller, so both give the same prompt); cursor is clamped to [0, len(doc)].
func ChooseWindow(doc string, cursor int, b Budget, count TokenCounter) Window {
	cursor = max(0, min(cursor, len(doc)))
	lineStart := strings.LastIndexByte(doc[:cursor], '\n') + 1
	w := Window{LineStart: lineStart, Cursor: cursor, PrefixStart: lineStart, SuffixEnd: cursor}

	// Prefix: whole lines going up until the budget is used.
	used := count(doc[lineStart:cursor])
	start := lineStart
	for start > 0 {
		prev := strings.LastIndexByte(doc[:start-1], '\n') + 1
		n := count(doc[prev:start])
		if used+n > b.Prefix {
			break
		}
		used += n
		start = prev
	}
	if start > 0 {
		// Round the start down the document to a quantum line boundary, i.e. forward in
		// text (less context) so the budget still holds. The quantum shrinks for small
		// windows so that rounding never costs more than a quarter of the lines.
		line := strings.Count(doc[:start], "\n")
		fit := strings.Count(doc[start:lineStart], "\n")
		quantum := min(prefixQuantum, max(1, fit/4))
		q := (line + quantum - 1) / quantum * quantum
		for line < q && start < lineStart {
			start = strings.IndexByte(doc[start:], '\n') + start + 1
			line++
		}
	}
	w.PrefixStart = start

	// Suffix: the rest of the cursor line, then whole lines down until the budget is used.
	end := strings.IndexByte(doc[cursor:], '\n')
	if end < 0 {
		w.SuffixEnd = len(doc)
		return w
	}
	end += cursor + 1
	used = count(doc[cursor:end])
	for end < len(doc) {
		next := strings.IndexByte(doc[end:], '\n')
		stop := len(doc)
		if next >= 0 {
			stop = end + next + 1
		}
		n := count(doc[end:stop])
		if used+n > b.Suffix {
			break
		}
		used += n
		end = stop
	}
	w.SuffixEnd = end
	return w
}
