package decoder_test

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/llmls/llmls/decoder"
	"github.com/llmls/llmls/kernels"
)

// Tolerances against llama.cpp's logits (|Δlogit|; logits have RMS ≈ 2 on the tiny models).
const (
	// tolF32 is for F32 weights with an F32 KV cache: both sides do plain float32 math and
	// differ only in summation order and exp/sin/cos implementations (≈1e-5 measured). 1e-3
	// is the bound issue #4 sets.
	tolF32 = 1e-3
	// tolKVF16 is for F32 weights with an F16 KV cache. We round K, V, Q and the softmax
	// weights to F16 at the same points as llama.cpp, but the float32 values being rounded
	// differ in the last bits (summation order), so now and then one element lands on the
	// other side of an F16 rounding boundary: a step of 2^-11·|x| (≤ 2e-3 for |x| < 4) in one
	// key or value, which reaches the logits with a gain up to ~2 on these random models.
	// Measured: 1.2e-3 to 1.9e-3 at one or two positions per file (depending on the kernels'
	// summation order), ≈1e-5 elsewhere. Q8_0 weights give bit-identical inputs to the
	// roundings and stay at ≈1e-6.
	tolKVF16 = 4e-3
	// tolQ8 is for Q8_0 weights. Like llama.cpp, the kernels quantize every activation row to
	// Q8_0 before the integer dot product, and with the same rounding the integer products
	// agree exactly, so logits agree to ≈1e-6. The exception is an activation whose float32
	// value differs from llama.cpp's in the last bit right at a rounding boundary: it rounds
	// to the neighbouring integer, and a whole row of logits moves by d·W[:, c]
	// (d = amax/127 ≈ 0.02, up to 1.5e-2 here). Such positions are not hidden under a loose
	// tolerance: explainFlip must account for them exactly (see there).
	tolQ8 = 1e-3
)

// maxBatchOrderPositions bounds the prompt positions per reference file that may match
// llama.cpp only when evaluated alone (see explainFlip): measured 1 (of 17–23).
const maxBatchOrderPositions = 2

type refCase struct {
	name      string
	model     string // path under the testdata dir
	ref       string // path under the testdata dir
	kv        kernels.DType
	tol       float64
	q8        bool // Q8_0 weights: activation rounding flips are explained, not tolerated
	fullChain bool // every greedy token must match (trained model: margins are large)
}

func refCases(t *testing.T, td string) []refCase {
	refs, err := filepath.Glob(filepath.Join(td, "models", "ref", "*.json"))
	if err != nil || len(refs) == 0 {
		t.Skipf("no reference JSONs under %s/models/ref", td)
	}
	var cases []refCase
	for _, r := range refs {
		base := filepath.Base(r) // MODEL.kvTYPE.PROMPT.json
		parts := strings.Split(base, ".")
		c := refCase{name: strings.TrimSuffix(base, ".json"), model: filepath.Join("models", parts[0]+".gguf"),
			ref: filepath.Join("models", "ref", base), kv: kernels.F32, tol: tolF32}
		if parts[1] == "kvf16" {
			c.kv, c.tol = kernels.F16, tolKVF16
		}
		if strings.Contains(parts[0], "q8_0") {
			c.tol, c.q8 = max(c.tol, tolQ8), true
		}
		cases = append(cases, c)
	}
	cases = append(cases, refCase{name: "stories260K.kvf32.once", model: "models/stories260K/stories260K.gguf",
		ref: "models/stories260K/stories260K.kvf32.once.json", kv: kernels.F32, tol: tolF32, fullChain: true})
	return cases
}

// TestReference compares logits with llama.cpp's at every prompt position (the prompt
// evaluated as one batch) and along the greedy chain (one token at a time).
func TestReference(t *testing.T) {
	td := testdataDir(t)
	for _, tc := range refCases(t, td) {
		t.Run(tc.name, func(t *testing.T) {
			ref := readRef(t, filepath.Join(td, tc.ref))
			m, err := decoder.Load(filepath.Join(td, tc.model), decoder.WithThreads(2))
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			if m.Config.NVocab != ref.NVocab {
				t.Fatalf("NVocab %d, reference %d", m.Config.NVocab, ref.NVocab)
			}
			var hook decoder.DebugHook // set while explainFlip re-evaluates a position
			s, err := m.NewSession(decoder.SessionOptions{KVType: tc.kv, BatchSize: 512,
				Debug: func(x decoder.DebugTensor) {
					if hook != nil {
						hook(x)
					}
				}})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			check := &logitCheck{tol: tc.tol}
			batchOrderPositions := 0
			compare := func(label string, logits []float32, p *refPosition, token int32) {
				sub := &logitCheck{tol: tc.tol}
				sub.position(label, logits, p, ref.Stride)
				if len(sub.bad) > 0 && tc.q8 {
					if fixed, why, batchOrder := explainFlip(t, s, &hook, p, token, ref.Stride, tc.tol); fixed != nil {
						t.Logf("%s: %d values off by up to %.3g, explained exactly by %s", label, len(sub.bad), sub.maxDiff, why)
						sub = fixed
						if batchOrder {
							batchOrderPositions++
						}
					} else {
						t.Logf("%s: %d values off by up to %.3g; no single rounding flip explains it", label, len(sub.bad), sub.maxDiff)
					}
				}
				check.merge(sub)
			}

			// The prompt as ONE batch, logits at every position.
			all, err := s.EvalAll(ctx, ref.PromptTokens)
			if err != nil {
				t.Fatal(err)
			}
			for i, p := range ref.PromptLogits {
				if p.InputToken != ref.PromptTokens[i] || p.Pos != i {
					t.Fatalf("reference prompt_logits[%d] is for token %d at %d, prompt has %d", i, p.InputToken, p.Pos, ref.PromptTokens[i])
				}
				compare("prompt pos "+strconv.Itoa(p.Pos), all[i], &p, p.InputToken)
				if p.margin() > tc.tol && argmax(all[i]) != p.Argmax {
					t.Errorf("prompt pos %d: argmax %d, llama.cpp %d (margin %.3g)", p.Pos, argmax(all[i]), p.Argmax, p.margin())
				}
			}

			// The greedy chain, one token at a time. We feed llama.cpp's tokens so logits stay
			// comparable, and require our greedy choice to agree while the margins of every
			// position so far exceed the tolerance (past a near-tie the chains may fork).
			logits := all[len(all)-1]
			trusted := ref.PromptLogits[len(ref.PromptLogits)-1].margin() > tc.tol
			matched := 0
			for g, want := range ref.GreedyTokens {
				if got := argmax(logits); trusted {
					if got != want {
						t.Errorf("greedy step %d: token %d, llama.cpp %d", g, got, want)
						trusted = false
					} else {
						matched++
					}
				}
				step := &ref.Greedy[g]
				if step.InputToken != want || step.Pos != len(ref.PromptTokens)+g {
					t.Fatalf("reference greedy[%d] is token %d at %d, want token %d at %d", g, step.InputToken, step.Pos, want, len(ref.PromptTokens)+g)
				}
				logits, err = s.Eval(ctx, []int32{want})
				if err != nil {
					t.Fatal(err)
				}
				compare("greedy pos "+strconv.Itoa(step.Pos), logits, step, want)
				trusted = trusted && step.margin() > tc.tol
			}
			t.Logf("greedy: %d of %d tokens identical before the first near-tie", matched, len(ref.GreedyTokens))
			if tc.fullChain && matched != len(ref.GreedyTokens) {
				t.Errorf("greedy chain: %d of %d tokens identical, want all", matched, len(ref.GreedyTokens))
			}
			check.report(t, tc.name)
			// Batch-order flips are rare (one activation within ~1e-5 of a rounding boundary);
			// many would mean the batched path is wrong, not merely summed in another order.
			if batchOrderPositions > maxBatchOrderPositions {
				t.Errorf("%d positions differ only when evaluated in a batch, want at most %d", batchOrderPositions, maxBatchOrderPositions)
			}
		})
	}
}

// quantizedInputs are the intermediates llama.cpp quantizes to Q8_0 as the input of a Q8_0
// matrix product (attn_norm → Q/K/V, kqv_out → attn_output, ffn_norm → gate/up,
// ffn_swiglu → down, result_norm → output).
var quantizedInputs = map[string]bool{"attn_norm": true, "kqv_out": true, "ffn_norm": true, "ffn_swiglu": true, "result_norm": true}

// flipCandidate is an element of a quantized input whose scaled value x·127/amax lies within
// a hair of a half-integer, so that a last-bit difference in x rounds it the other way.
type flipCandidate struct {
	name  string
	layer int
	elem  int
	dist  float64 // distance from the rounding boundary, in quantization steps
	moved float32 // x moved just across the boundary
}

// explainFlip tries to account exactly for a position where our logits differ from
// llama.cpp's by more than tol, as one Q8_0 rounding flip of an activation: it re-evaluates
// the position (a session truncated to it) once per candidate element, rounding that element
// the other way, and succeeds when the logits then agree within tol everywhere. batchOrder
// reports the other explanation: the position evaluated alone already agrees. The session is
// restored afterwards. It returns nil when nothing explains the difference.
func explainFlip(t *testing.T, s *decoder.Session, hook *decoder.DebugHook, p *refPosition, token int32, stride int, tol float64) (_ *logitCheck, why string, batchOrder bool) {
	t.Helper()
	ctx := context.Background()
	saved := s.Tokens()
	defer func() {
		*hook = nil
		// Cell p.Pos holds a perturbed evaluation: drop it before restoring.
		if err := s.Truncate(p.Pos); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Prefill(ctx, saved); err != nil {
			t.Fatal(err)
		}
	}()
	reeval := func() []float32 {
		if err := s.Truncate(p.Pos); err != nil {
			t.Fatal(err)
		}
		logits, err := s.Eval(ctx, []int32{token})
		if err != nil {
			t.Fatal(err)
		}
		return logits
	}
	var cands []flipCandidate
	*hook = func(x decoder.DebugTensor) {
		if quantizedInputs[x.Name] && x.Rows == 1 {
			cands = append(cands, nearBoundary(x)...)
		}
	}
	// The position evaluated alone (collecting candidates): when that agrees, the difference
	// came from the batched product, whose kernel (kernels/cpu, 4 or more rows) adds the
	// blocks in another order than the one-row product and llama.cpp: ≈1e-5 apart, enough to
	// round an activation the other way. The decode path then reproduces llama.cpp exactly.
	alone := &logitCheck{tol: tol}
	alone.position("alone", reeval(), p, stride)
	if len(alone.bad) == 0 {
		return alone, fmt.Sprintf("batch summation order (kernels/cpu): the position evaluated alone agrees within %.3g", alone.maxDiff), true
	}
	sort.Slice(cands, func(i, j int) bool { return cands[i].dist < cands[j].dist })
	for _, cd := range cands[:min(len(cands), 32)] {
		*hook = func(x decoder.DebugTensor) {
			if x.Name == cd.name && x.Layer == cd.layer {
				x.Data[cd.elem] = cd.moved
			}
		}
		sub := &logitCheck{tol: tol}
		sub.position("flipped", reeval(), p, stride)
		if len(sub.bad) == 0 {
			return sub, fmt.Sprintf("one rounding flip of %s[%d] in layer %d (%.4f of a step from the boundary; residual %.3g)", cd.name, cd.elem, cd.layer, cd.dist, sub.maxDiff), false
		}
	}
	return nil, "", false
}

// nearBoundary returns the elements of a one-row quantized input within 5% of a Q8_0 step
// from a rounding boundary (blocks of 32, scale amax/127 as in quantize_row_q8_0).
func nearBoundary(x decoder.DebugTensor) []flipCandidate {
	var out []flipCandidate
	for b := 0; b+32 <= x.Cols; b += 32 {
		var amax float32
		for _, v := range x.Data[b : b+32] {
			amax = max(amax, float32(math.Abs(float64(v))))
		}
		if amax == 0 {
			continue
		}
		id := 127 / amax
		for j, v := range x.Data[b : b+32] {
			q := float64(v * id)
			boundary := math.Floor(q) + 0.5
			if dist := math.Abs(q - boundary); dist < 0.05 && math.Abs(float64(v)) != float64(amax) {
				// Put q a thousandth of a step past the boundary, on the side we did not round to.
				target := boundary + 1e-3
				if math.RoundToEven(q) > q {
					target = boundary - 1e-3
				}
				out = append(out, flipCandidate{x.Name, x.Layer, b + j, dist, float32(target / float64(id))})
			}
		}
	}
	return out
}
