package sample

// Distribution returns the distribution Sample draws from for logits [NVocab] and p: the
// candidates left by top-k, top-p and min-p (on the untempered distribution), with Prob
// recomputed after temperature so that it sums to 1 over them. Greedy Params (Temperature
// <= 0) give one candidate, the Argmax, with Prob 1. Speculative decoding compares the
// target's and the draft's distributions token by token (decoder/speculative.go); both must
// come from here so that they are the distributions sampling actually uses.
//
// dist is a prefix of the returned buf (scratch space reused between calls, may be nil): it
// is valid until buf is passed to another call. Candidates are in descending logit order.
func Distribution(logits []float32, p Params, buf []Token) (dist, newBuf []Token) {
	if p.Temperature <= 0 {
		buf = append(buf[:0], Token{ID: Argmax(logits), Prob: 1})
		if len(logits) > 0 {
			buf[0].Logit = logits[buf[0].ID]
		}
		return buf, buf
	}
	buf = Candidates(buf, logits)
	ts := TopK(buf, p.TopK)
	Softmax(ts)
	if p.TopP > 0 {
		ts = TopP(ts, p.TopP)
	}
	ts = MinP(ts, p.MinP)
	Temperature(ts, p.Temperature)
	Softmax(ts)
	return ts, buf
}

// Prob returns the probability of id in dist (a Distribution), 0 when id is not a candidate.
func Prob(dist []Token, id int32) float32 {
	for _, t := range dist {
		if t.ID == id {
			return t.Prob
		}
	}
	return 0
}
