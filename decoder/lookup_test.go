package decoder_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/llmls/llmls/decoder"
	"github.com/llmls/llmls/decoder/sample"
)

func TestLongestSuffixMatch(t *testing.T) {
	tests := []struct {
		name       string
		seq        []int32
		minN, maxN int
		n, end     int
	}{
		{"empty", nil, 1, 4, 0, 0},
		{"one token", []int32{7}, 1, 4, 0, 0},
		{"no repeat", []int32{1, 2, 3, 4}, 1, 4, 0, 0},
		{"unigram", []int32{5, 1, 2, 5}, 1, 4, 1, 0},
		{"unigram below min", []int32{5, 1, 2, 5}, 2, 4, 0, 0},
		// "1 2 3" ends at 2 and at 6; the suffix "1 2 3" (3 tokens) matches both: the later wins.
		{"most recent of the longest", []int32{1, 2, 3, 9, 1, 2, 3, 8, 1, 2, 3}, 1, 4, 3, 6},
		// "0 1 2 3" occurs once earlier (ending at 3), "1 2 3" also at 7: longer wins.
		{"longest wins", []int32{0, 1, 2, 3, 4, 1, 2, 3, 5, 0, 1, 2, 3}, 1, 8, 4, 3},
		{"capped at maxN", []int32{0, 1, 2, 3, 4, 1, 2, 3, 5, 0, 1, 2, 3}, 1, 3, 3, 7},
		// A run overlaps its own suffix: "7 7 7" ends at 3 within "7 7 7 7 7".
		{"run", []int32{7, 7, 7, 7, 7}, 1, 3, 3, 3},
		{"bad bounds", []int32{1, 1}, 3, 2, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, end := decoder.LongestSuffixMatch(tc.seq, tc.minN, tc.maxN)
			if n != tc.n || end != tc.end {
				t.Errorf("LongestSuffixMatch(%v, %d, %d) = %d, %d; want %d, %d", tc.seq, tc.minN, tc.maxN, n, end, tc.n, tc.end)
			}
		})
	}
}

// TestLongestSuffixMatchBrute compares with a brute-force search on random sequences over
// small alphabets (many matches).
func TestLongestSuffixMatchBrute(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		seq := make([]int32, rng.IntN(40))
		alpha := 1 + rng.IntN(4)
		for i := range seq {
			seq[i] = int32(rng.IntN(alpha))
		}
		minN, maxN := 1+rng.IntN(3), 1+rng.IntN(6)
		wantN, wantEnd := 0, 0
		for n := maxN; n >= minN && wantN == 0; n-- {
			for end := len(seq) - 2; end >= n-1; end-- {
				if slices.Equal(seq[end-n+1:end+1], seq[len(seq)-n:]) {
					wantN, wantEnd = n, end
					break
				}
			}
		}
		if n, end := decoder.LongestSuffixMatch(seq, minN, maxN); n != wantN || end != wantEnd {
			t.Fatalf("LongestSuffixMatch(%v, %d, %d) = %d, %d; brute force %d, %d", seq, minN, maxN, n, end, wantN, wantEnd)
		}
	}
}

func TestLookupDrafter(t *testing.T) {
	tests := []struct {
		name string
		l    decoder.LookupDrafter
		seq  []int32
		max  int
		want []int32
	}{
		// "case B: return" matched: propose what followed the earlier "case A: return".
		{"continuation", decoder.LookupDrafter{MinNgram: 1}, []int32{10, 1, 20, 2, 3, 11, 1, 20}, 3, []int32{2, 3, 11}},
		// The earlier occurrence of "4 5" ends at 1: what follows runs into the suffix and on
		// through the draft itself: a periodic pattern continues.
		{"periodic", decoder.LookupDrafter{MinNgram: 2}, []int32{4, 5, 4, 5}, 5, []int32{4, 5, 4, 5, 4}},
		{"run", decoder.LookupDrafter{}, []int32{9, 9, 9}, 4, []int32{9, 9, 9, 9}},
		{"no match", decoder.LookupDrafter{}, []int32{1, 2, 3, 1}, 4, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := tc.l.Draft(context.Background(), tc.seq, tc.max, sample.Params{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(d.Tokens, tc.want) || d.Probs != nil {
				t.Errorf("draft %v (probs %v), want %v", d.Tokens, d.Probs, tc.want)
			}
		})
	}
}

// FuzzLookupDrafter checks on arbitrary sequences that a lookup draft has at most max tokens,
// continues a real earlier occurrence of a suffix of at least MinNgram tokens, and never
// panics.
func FuzzLookupDrafter(f *testing.F) {
	f.Add([]byte{1, 2, 3, 1, 2}, uint8(4), uint8(1), uint8(3))
	f.Add([]byte{7, 7, 7, 7}, uint8(8), uint8(2), uint8(8))
	f.Fuzz(func(t *testing.T, raw []byte, max, minN, maxN uint8) {
		seq := make([]int32, len(raw))
		for i, b := range raw {
			seq[i] = int32(b % 8)
		}
		l := decoder.LookupDrafter{MinNgram: int(minN % 10), MaxNgram: int(maxN % 10)}
		d, err := l.Draft(context.Background(), seq, int(max%20)+1, sample.Params{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Tokens) > int(max%20)+1 {
			t.Fatalf("%d tokens, max %d", len(d.Tokens), max%20+1)
		}
		if len(d.Tokens) == 0 {
			return
		}
		lo := l.MinNgram
		if lo <= 0 {
			lo = decoder.DefaultLookupMinNgram
		}
		// Some end e with seq[e−lo+1 : e+1] = the last lo tokens must be followed by the draft
		// (read from the sequence extended by the draft).
		ext := append(slices.Clone(seq), d.Tokens...)
		for e := len(seq) - 2; e >= lo-1; e-- {
			if slices.Equal(seq[e-lo+1:e+1], seq[len(seq)-lo:]) && slices.Equal(ext[e+1:e+1+len(d.Tokens)], d.Tokens) {
				return
			}
		}
		t.Fatalf("draft %v of %v continues no earlier occurrence of its suffix", d.Tokens, seq)
	})
}
