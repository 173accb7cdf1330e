package completion_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/llmls/llmls/completion"
)

// countBytes counts one token per 4 bytes (rounded up), a stand-in tokenizer.
func countBytes(s string) int { return (len(s) + 3) / 4 }

func numberedLines(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "line %03d\n", i) // 9 bytes → 3 tokens
	}
	return b.String()
}

func TestChooseWindow(t *testing.T) {
	doc := numberedLines(200)
	lineOff := func(i int) int { return 9 * i }
	tests := []struct {
		name        string
		cursor      int
		budget      completion.Budget
		wantStart   int // PrefixStart
		wantEnd     int // SuffixEnd
		wantLineBeg int
	}{
		{"everything fits", lineOff(100) + 4, completion.Budget{Prefix: 10000, Suffix: 10000}, 0, len(doc), lineOff(100)},
		// 30 tokens of prefix: the cursor line's "line" (1 token) + 9 whole lines (27) = 28.
		// The earliest line that fits is 91; 9 lines fit, so the quantum is 2 → start at 92.
		{"prefix budget", lineOff(100) + 4, completion.Budget{Prefix: 30, Suffix: 0}, lineOff(92), lineOff(101), lineOff(100)},
		// Suffix: the rest of the cursor line (5 bytes → 2 tokens) + 3 lines (9) = 11 ≤ 12.
		{"suffix budget", lineOff(100) + 4, completion.Budget{Prefix: 0, Suffix: 12}, lineOff(100), lineOff(104), lineOff(100)},
		{"start of document", 0, completion.Budget{Prefix: 10, Suffix: 3}, 0, lineOff(1), 0},
		{"end of document", len(doc), completion.Budget{Prefix: 3, Suffix: 3}, lineOff(199), len(doc), len(doc)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := completion.ChooseWindow(doc, tc.cursor, tc.budget, countBytes)
			if w.PrefixStart != tc.wantStart || w.SuffixEnd != tc.wantEnd || w.LineStart != tc.wantLineBeg || w.Cursor != tc.cursor {
				t.Errorf("window %+v, want start %d end %d line %d", w, tc.wantStart, tc.wantEnd, tc.wantLineBeg)
			}
			pre, typed, _ := w.Parts(doc)
			if n := countBytes(pre); n > tc.budget.Prefix && tc.budget.Prefix > 0 && tc.wantStart != tc.wantLineBeg {
				t.Errorf("prefix of %d tokens exceeds the budget %d", n, tc.budget.Prefix)
			}
			if strings.Contains(typed, "\n") {
				t.Errorf("typed part %q spans lines", typed)
			}
		})
	}
}

// TestChooseWindowStableAcrossNewLines: as the user adds lines at the end of a long prefix,
// the prefix window's start moves in steps, not with every line (KV cache reuse).
func TestChooseWindowStableAcrossNewLines(t *testing.T) {
	doc := numberedLines(400)
	b := completion.Budget{Prefix: 3 * 120, Suffix: 30}
	starts := map[string]bool{}
	moves := 0
	var prev string
	for extra := 0; extra < 64; extra++ {
		d := doc + numberedLines(extra) // the user typed extra more lines
		w := completion.ChooseWindow(d, len(d), b, countBytes)
		start := d[w.PrefixStart : w.PrefixStart+9]
		if prev != "" && start != prev {
			moves++
		}
		prev = start
		starts[start] = true
	}
	// 64 new lines with a 16-line quantum: the start moves about 4 times, not 64.
	if moves > 5 {
		t.Errorf("the prefix window start moved %d times over 64 new lines", moves)
	}
}
