package codectx

import (
	"hash/maphash"
	"slices"
	"sort"
	"strings"
)

// Snippet is a chunk of another document (or, when asked, of a far part of the same one)
// ranked by similarity to the code around the cursor.
type Snippet struct {
	URI       string
	Start     int // byte range [Start, End) in that document's snapshot
	End       int
	StartLine int // 0-based line of Start
	EndLine   int // 0-based line after the last line of the chunk (exclusive)
	Text      string
	// Score is the Jaccard similarity |A∩B| / |A∪B| of the identifier-token sets of the
	// chunk (B) and of the code around the cursor (A), in [0, 1].
	Score float64
}

// chunk is one window of lines of a snapshot with its token set.
type chunk struct {
	start, end         int // bytes
	startLine, endLine int
	tokens             []uint64 // sorted, unique hashes of identifier tokens
}

var tokenSeed = maphash.MakeSeed()

// stopWords are keywords and very common words of the languages we know; counting them
// would make any two chunks of code look alike.
var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`if else for while do return func function def class
		const let var int string bool true false nil null None True False self this new
		import from package in is not and or end then fn pub struct type interface switch case
		break continue default try catch except finally raise throw with as local void static
		public private protected err error elif lambda yield async await go defer range map
		chan select of typeof instanceof undefined mut impl use mod match loop where
		include define ifdef endif char float double long unsigned auto begin fi done esac echo`) {
		m[w] = true
	}
	return m
}()

// tokenSet returns the sorted unique hashes of the identifier tokens of s (runs of
// identifier bytes that do not start with a digit), minus stop words and one-letter names.
func tokenSet(s string) []uint64 {
	var out []uint64
	for i := 0; i < len(s); {
		if !isIdentByte(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && isIdentByte(s[j]) {
			j++
		}
		w := s[i:j]
		i = j
		if len(w) < 2 || ('0' <= w[0] && w[0] <= '9') || stopWords[w] {
			continue
		}
		out = append(out, maphash.String(tokenSeed, w))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// jaccard returns |a∩b| / |a∪b| of two sorted unique sets (0 when both are empty).
func jaccard(a, b []uint64) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	inter := 0
	for i, j := 0, 0; i < len(a) && j < len(b); {
		switch {
		case a[i] == b[j]:
			inter++
			i++
			j++
		case a[i] < b[j]:
			i++
		default:
			j++
		}
	}
	return float64(inter) / float64(len(a)+len(b)-inter)
}

// chunksOf returns the snapshot's chunks of n lines starting every n/2 lines (so each line
// is in two chunks), computed once per snapshot and size. Blank chunks are skipped.
func (s *Snapshot) chunksOf(n int) []chunk {
	s.chunksOnce.Do(func() { s.chunks, s.chunkLines = makeChunks(s.text, n), n })
	if s.chunkLines != n {
		// Asked with another size than the cached one (rare): compute without caching.
		return makeChunks(s.text, n)
	}
	return s.chunks
}

func makeChunks(text string, n int) []chunk {
	if n < 2 {
		n = 2
	}
	stride := n / 2
	var starts []int // byte offset of each line start
	for off := 0; off < len(text); {
		starts = append(starts, off)
		e := strings.IndexByte(text[off:], '\n')
		if e < 0 {
			break
		}
		off += e + 1
	}
	var out []chunk
	for l := 0; l < len(starts); l += stride {
		el := min(l+n, len(starts))
		end := len(text)
		if el < len(starts) {
			end = starts[el]
		}
		body := text[starts[l]:end]
		if !isBlank(body) {
			out = append(out, chunk{start: starts[l], end: end, startLine: l, endLine: el, tokens: tokenSet(body)})
		}
		if el == len(starts) {
			break
		}
	}
	return out
}

// rankSnippets scores the chunks of each source against the query tokens and returns the
// best max, highest score first, skipping chunks that overlap a better chunk of the same
// document, chunks whose text equals a better one, and, for the document exclude, chunks
// overlapping [exclStart, exclEnd).
func rankSnippets(query []uint64, sources []*Snapshot, lines, max int, minScore float64, exclURI string, exclStart, exclEnd int) []Snippet {
	type cand struct {
		src   *Snapshot
		c     chunk
		score float64
	}
	var cands []cand
	for _, s := range sources {
		for _, c := range s.chunksOf(lines) {
			if s.uri == exclURI && c.start < exclEnd && exclStart < c.end {
				continue
			}
			if sc := jaccard(query, c.tokens); sc > 0 && sc >= minScore {
				cands = append(cands, cand{s, c, sc})
			}
		}
	}
	sort.SliceStable(cands, func(i, j int) bool {
		if cands[i].score != cands[j].score {
			return cands[i].score > cands[j].score
		}
		if cands[i].src.uri != cands[j].src.uri {
			return cands[i].src.uri < cands[j].src.uri
		}
		return cands[i].c.start < cands[j].c.start
	})
	var out []Snippet
	texts := map[string]bool{}
	for _, c := range cands {
		if len(out) >= max {
			break
		}
		overlaps := false
		for _, o := range out {
			if o.URI == c.src.uri && c.c.start < o.End && o.Start < c.c.end {
				overlaps = true
				break
			}
		}
		text := c.src.text[c.c.start:c.c.end]
		if overlaps || texts[text] {
			continue
		}
		texts[text] = true
		out = append(out, Snippet{
			URI: c.src.uri, Start: c.c.start, End: c.c.end,
			StartLine: c.c.startLine, EndLine: c.c.endLine,
			Text: text, Score: c.score,
		})
	}
	return out
}

func sortSnapshots(s []*Snapshot) {
	sort.Slice(s, func(i, j int) bool { return s[i].uri < s[j].uri })
}
