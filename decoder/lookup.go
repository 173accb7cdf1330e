package decoder

import (
	"context"
	"math/rand/v2"

	"github.com/llmls/llmls/decoder/sample"
)

// Defaults of LookupDrafter.
const (
	// DefaultLookupMinNgram is the shortest suffix match a lookup drafts from: a single token
	// ("(", "\n\t") recurs everywhere in code and predicts little.
	DefaultLookupMinNgram = 2
	// DefaultLookupMaxNgram is the longest suffix match a lookup searches for; longer matches
	// win, and past a few tokens they rarely disagree about what follows.
	DefaultLookupMaxNgram = 8
)

// LookupDrafter is a [Drafter] without a model: prompt lookup decoding (Saxena 2023,
// github.com/apoorvumang/prompt-lookup-decoding; llama.cpp's examples/lookup). It finds the
// longest n-gram (MinNgram <= n <= MaxNgram) that ends the sequence (prompt and output so far)
// and occurred earlier in it, the most recent occurrence among the longest, and proposes the
// tokens that followed that occurrence. Code repeats itself (the next case of a switch, the
// next row of a test table, a field list), and so does a model stuck in a loop.
//
// The continuation is read from the sequence extended by the draft itself, so a match that
// ends near the end of the sequence continues a periodic pattern instead of stopping at it.
// Proposals are deterministic: point masses for the rejection rule. The zero value uses the
// defaults. LookupDrafter has no state between calls.
type LookupDrafter struct {
	MinNgram int // shortest match, tokens; 0: DefaultLookupMinNgram
	MaxNgram int // longest match, tokens; 0: DefaultLookupMaxNgram

	ext []int32 // scratch: the sequence extended by the draft
}

// Name implements Drafter.
func (l *LookupDrafter) Name() string { return "lookup" }

// Draft implements Drafter.
func (l *LookupDrafter) Draft(ctx context.Context, seq []int32, max int, _ sample.Params, _ *rand.Rand) (Draft, error) {
	lo, hi := l.MinNgram, l.MaxNgram
	if lo <= 0 {
		lo = DefaultLookupMinNgram
	}
	if hi <= 0 {
		hi = DefaultLookupMaxNgram
	}
	n, end := LongestSuffixMatch(seq, lo, hi)
	if n == 0 {
		return Draft{}, nil
	}
	// seq[end−n+1 : end+1] equals the last n tokens: propose what followed end, reading from
	// the sequence as the draft extends it.
	l.ext = append(l.ext[:0], seq...)
	for i := range max {
		l.ext = append(l.ext, l.ext[end+1+i])
	}
	return Draft{Tokens: l.ext[len(seq):len(l.ext):len(l.ext)]}, nil
}

// Accept implements Drafter (a lookup has nothing to roll back).
func (l *LookupDrafter) Accept(int) {}

// LongestSuffixMatch finds the longest earlier occurrence of a suffix of seq: the largest n in
// [minN, maxN] and the largest end < len(seq)−1 such that seq[end−n+1 : end+1] equals the
// last n tokens of seq. It returns n = 0 when no suffix of minN tokens occurred before.
// Cost O(len(seq)·maxN).
func LongestSuffixMatch(seq []int32, minN, maxN int) (n, end int) {
	last := len(seq) - 1
	if last < 1 || minN < 1 || maxN < minN {
		return 0, 0
	}
	for j := last - 1; j >= 0; j-- {
		if seq[j] != seq[last] {
			continue
		}
		m := 1
		for m < maxN && j-m >= 0 && seq[j-m] == seq[last-m] {
			m++
		}
		if m > n {
			n, end = m, j
			if m == maxN {
				break
			}
		}
	}
	if n < minN {
		return 0, 0
	}
	return n, end
}
