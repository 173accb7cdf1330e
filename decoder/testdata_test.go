package decoder_test

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/llmls/llmls/internal/sharedtest"
)

// testdataDir returns ../shared/testdata, or skips the test when it is absent.
func testdataDir(t testing.TB) string {
	t.Helper()
	return sharedtest.Dir(t)
}

// refPosition is llama.cpp's summary of the logits at one position (models/README.md).
type refPosition struct {
	Pos        int          `json:"pos"`
	InputToken int32        `json:"input_token"`
	Argmax     int32        `json:"argmax"`
	Mean       float64      `json:"mean"`
	RMS        float64      `json:"rms"`
	Top        [][2]float64 `json:"top"` // [id, logit], descending, ties by lower id
	Strided    []float64    `json:"strided"`
}

// refFile is one reference JSON.
type refFile struct {
	Model        string        `json:"model"`
	KVCacheType  string        `json:"kv_cache_type"`
	NVocab       int           `json:"n_vocab"`
	Stride       int           `json:"stride"`
	PromptTokens []int32       `json:"prompt_tokens"`
	PromptLogits []refPosition `json:"prompt_logits"`
	Greedy       []refPosition `json:"greedy"`
	GreedyTokens []int32       `json:"greedy_tokens"`
}

func readRef(t testing.TB, path string) *refFile {
	t.Helper()
	var r refFile
	readJSON(t, path, &r)
	return &r
}

func readJSON(t testing.TB, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// margin returns top1 − top2 of a reference position.
func (p *refPosition) margin() float64 {
	if len(p.Top) < 2 {
		return math.Inf(1)
	}
	return p.Top[0][1] - p.Top[1][1]
}

// mismatch is one compared value outside the tolerance.
type mismatch struct {
	where     string
	ours, ref float64
}

// logitCheck accumulates comparisons of our logits with llama.cpp's.
type logitCheck struct {
	tol     float64
	maxDiff float64
	maxAt   string
	n       int
	bad     []mismatch
}

func (c *logitCheck) value(where string, ours, ref float64) {
	c.n++
	d := math.Abs(ours - ref)
	if math.IsNaN(d) {
		d = math.Inf(1)
	}
	if d > c.maxDiff || c.maxAt == "" {
		c.maxDiff, c.maxAt = d, where
	}
	if d > c.tol {
		c.bad = append(c.bad, mismatch{where, ours, ref})
	}
}

// position compares our logits at one position with the reference summary: mean, RMS,
// the logits of the reference top-10 ids, and the strided logits.
func (c *logitCheck) position(label string, logits []float32, ref *refPosition, stride int) {
	var sum, sq float64
	for _, v := range logits {
		sum += float64(v)
		sq += float64(v) * float64(v)
	}
	n := float64(len(logits))
	c.value(label+" mean", sum/n, ref.Mean)
	c.value(label+" rms", math.Sqrt(sq/n), ref.RMS)
	for _, e := range ref.Top {
		id := int(e[0])
		c.value(fmt.Sprintf("%s top id %d", label, id), float64(logits[id]), e[1])
	}
	for i, v := range ref.Strided {
		c.value(fmt.Sprintf("%s id %d", label, i*stride), float64(logits[i*stride]), v)
	}
}

// merge adds the comparisons of o to c.
func (c *logitCheck) merge(o *logitCheck) {
	c.n += o.n
	if o.maxDiff > c.maxDiff || c.maxAt == "" {
		c.maxDiff, c.maxAt = o.maxDiff, o.maxAt
	}
	c.bad = append(c.bad, o.bad...)
}

// report fails t with the first few mismatches and the maximum difference.
func (c *logitCheck) report(t testing.TB, name string) {
	t.Helper()
	t.Logf("%s: %d values compared, max |Δlogit| = %.3g (at %s), tolerance %.2g", name, c.n, c.maxDiff, c.maxAt, c.tol)
	if len(c.bad) == 0 {
		return
	}
	sort.SliceStable(c.bad, func(i, j int) bool {
		return math.Abs(c.bad[i].ours-c.bad[i].ref) > math.Abs(c.bad[j].ours-c.bad[j].ref)
	})
	var b strings.Builder
	for i, m := range c.bad {
		if i == 8 {
			fmt.Fprintf(&b, "\n  … %d more", len(c.bad)-i)
			break
		}
		fmt.Fprintf(&b, "\n  %s: ours %.6f, llama.cpp %.6f, Δ %.3g", m.where, m.ours, m.ref, m.ours-m.ref)
	}
	t.Errorf("%s: %d of %d values differ by more than %.2g (max %.3g):%s", name, len(c.bad), c.n, c.tol, c.maxDiff, b.String())
}

// argmax returns the lowest id of the largest logit (llama.cpp's tie rule in the references).
func argmax(x []float32) int32 {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return int32(best)
}
