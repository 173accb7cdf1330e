package tokenizer

// The BPE merge loop, shared by byte-level BPE and SentencePiece BPE.
//
// A word starts as a sequence of symbols (one per byte for byte-level BPE, one per UTF-8
// character for SentencePiece), each already a token id. Repeatedly, the adjacent pair with
// the best (lowest) rank is replaced by the token it merges into, the leftmost pair winning
// ties, until no adjacent pair has a merge. This is the algorithm of llama.cpp's
// llm_tokenizer_bpe_session / llm_tokenizer_spm_session and Hugging Face's BPE::merge_word;
// like them it keeps the symbols in a doubly linked list and the candidate pairs in a binary
// heap, so a word of n symbols costs O(n log n), not the O(n²) of rescanning for the best
// pair after every merge (slowEncodeWord in slow_test.go, the test oracle, does that).
//
// Ranks: for byte-level BPE the rank of a pair is the index of its line in the merges list
// (tokenizer.ggml.merges, tokenizer.json model.merges). SentencePiece has scores instead: a
// pair may merge when the concatenation of the two pieces is a token, preferring the highest
// score; mergesFromScores turns that into ranks (equal scores get equal ranks, so ties go to
// the leftmost pair, as in llama.cpp's llm_bigram_spm comparator).

// mergeTable maps an adjacent pair of token ids to the rank of the merge and the token id it
// produces.
type mergeTable map[uint64]uint64

func pairKey(left, right int32) uint64 { return uint64(uint32(left))<<32 | uint64(uint32(right)) }

// lookup returns the merge of left and right. ok is false when the pair does not merge; ids
// that are negative (deleted symbols, bytes without a token) never do.
func (m mergeTable) lookup(left, right int32) (rank uint32, result int32, ok bool) {
	v, ok := m[pairKey(left, right)]
	return uint32(v >> 32), int32(uint32(v)), ok
}

// add records a merge unless the pair already has one (the first, best-ranked line wins, as
// llama.cpp's bpe_ranks.emplace keeps the first).
func (m mergeTable) add(left, right int32, rank uint32, result int32) {
	k := pairKey(left, right)
	if _, dup := m[k]; !dup {
		m[k] = uint64(rank)<<32 | uint64(uint32(result))
	}
}

// deadSymbol marks a symbol merged into its left neighbour. No pair with it has a merge.
const deadSymbol = -2

// bpeScratch holds the buffers of one merge run, reused across words.
type bpeScratch struct {
	ids  []int32  // symbol i's token id, deadSymbol once merged away
	next []int32  // index of the next live symbol, -1 at the end
	prev []int32  // index of the previous live symbol, -1 at the start
	heap []uint64 // candidate merges: rank<<32 | index of the left symbol
}

// reset sizes the buffers for n symbols and returns ids for the caller to fill.
func (s *bpeScratch) reset(n int) []int32 {
	if cap(s.ids) < n {
		s.ids = make([]int32, n)
		s.next = make([]int32, n)
		s.prev = make([]int32, n)
	}
	s.ids, s.next, s.prev = s.ids[:n], s.next[:n], s.prev[:n]
	s.heap = s.heap[:0]
	return s.ids
}

// merge runs the merge loop over the n symbols in s.ids (set after reset). Afterwards the
// live symbols are reached from index 0 through s.next. A heap entry is checked when popped:
// it is stale when its left symbol was merged away or now has a different right neighbour;
// a rank identifies its pair (for SentencePiece, equal ranks may be different pairs, but any
// live pair popped with the minimal rank at the leftmost position is the one to merge).
func (m mergeTable) merge(s *bpeScratch) {
	ids, next, prev := s.ids, s.next, s.prev
	n := len(ids)
	for i := range n {
		next[i] = int32(i + 1)
		prev[i] = int32(i - 1)
	}
	if n == 0 {
		return
	}
	next[n-1] = -1
	for i := 0; i+1 < n; i++ {
		if rank, _, ok := m.lookup(ids[i], ids[i+1]); ok {
			s.heap = append(s.heap, uint64(rank)<<32|uint64(i))
		}
	}
	h := s.heap
	for i := len(h)/2 - 1; i >= 0; i-- {
		siftDown(h, i)
	}
	for len(h) > 0 {
		top := h[0]
		last := len(h) - 1
		h[0] = h[last]
		h = h[:last]
		siftDown(h, 0)

		l := int32(uint32(top))
		r := next[l]
		if ids[l] == deadSymbol || r < 0 {
			continue
		}
		rank, result, ok := m.lookup(ids[l], ids[r])
		if !ok || rank != uint32(top>>32) {
			continue
		}
		ids[l] = result
		ids[r] = deadSymbol
		nr := next[r]
		next[l] = nr
		if nr >= 0 {
			prev[nr] = l
		}
		if p := prev[l]; p >= 0 {
			if rk, _, ok := m.lookup(ids[p], result); ok {
				h = push(h, uint64(rk)<<32|uint64(p))
			}
		}
		if nr >= 0 {
			if rk, _, ok := m.lookup(result, ids[nr]); ok {
				h = push(h, uint64(rk)<<32|uint64(l))
			}
		}
	}
	s.heap = h[:0]
}

// The heap is a binary min-heap of uint64 keys: rank in the high half, the left symbol's
// index in the low half, so the natural order is "best rank, then leftmost".

func push(h []uint64, v uint64) []uint64 {
	h = append(h, v)
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if h[p] <= v {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = v
	return h
}

func siftDown(h []uint64, i int) {
	n := len(h)
	if n == 0 {
		return
	}
	v := h[i]
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if c+1 < n && h[c+1] < h[c] {
			c++
		}
		if v <= h[c] {
			break
		}
		h[i] = h[c]
		i = c
	}
	h[i] = v
}
