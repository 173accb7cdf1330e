package kerneltest_test

import (
	"math"
	"testing"

	"github.com/llmls/llmls/kernels"
	"github.com/llmls/llmls/kernels/cpu"
	"github.com/llmls/llmls/kernels/kerneltest"
)

func tiny(t kernels.DType) kerneltest.Config {
	return kerneltest.Config{Layers: 2, Embd: 64, Heads: 4, HeadsKV: 2, HeadDim: 16, FF: 96, Vocab: 50,
		Type: t, KVType: kernels.F32, Ctx: 16, RopeBase: 10000, Eps: 1e-6}
}

// TestRunnerMatchesReference runs the forward pass on cpu.Backend with F32 weights (no
// activation quantization) and compares the logits with a float64 forward pass written out
// here, for a 3-token prompt in one micro-batch of 2 and 1 and then one more token, so that the
// KV cache, the causal mask and the positions all matter.
func TestRunnerMatchesReference(t *testing.T) {
	m, err := kerneltest.Generate(tiny(kernels.F32), 1)
	if err != nil {
		t.Fatal(err)
	}
	b := cpu.NewBackend(1)
	defer b.Close()
	r, err := kerneltest.Load(b, m, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ref := newRefModel(m)
	tests := []struct {
		name   string
		tokens []int32
		pos0   int
	}{
		{"prompt of 3 in batches of 2", []int32{3, 7, 1}, 0},
		{"one more token", []int32{42}, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := make([]float32, m.Vocab)
			if err := r.Eval(tc.tokens, tc.pos0, got); err != nil {
				t.Fatal(err)
			}
			var want []float64
			for _, id := range tc.tokens {
				want = ref.step(id)
			}
			scale := 0.0
			for _, w := range want {
				scale = max(scale, math.Abs(w))
			}
			for i := range want {
				if d := math.Abs(float64(got[i]) - want[i]); d > 1e-4*scale {
					t.Errorf("logit %d = %g, want %g (diff %g > 1e-4·max|logit| %g)", i, got[i], want[i], d, scale)
				}
			}
		})
	}
}

// refModel is a float64 forward pass of a Model, one token at a time.
type refModel struct {
	m    *kerneltest.Model
	keys [][][]float64 // [layer][pos][HeadsKV·HeadDim]
	vals [][][]float64
}

func newRefModel(m *kerneltest.Model) *refModel {
	return &refModel{m: m, keys: make([][][]float64, m.Config.Layers), vals: make([][][]float64, m.Config.Layers)}
}

func deq(m *kerneltest.Model, x kerneltest.Matrix) [][]float64 {
	f := make([]float32, x.Rows*x.Cols)
	if err := cpu.Dequantize(m.Type, f, x.Data); err != nil {
		panic(err)
	}
	out := make([][]float64, x.Rows)
	for r := range out {
		out[r] = make([]float64, x.Cols)
		for c := range out[r] {
			out[r][c] = float64(f[r*x.Cols+c])
		}
	}
	return out
}

func matVec(w [][]float64, x []float64, bias []float32) []float64 {
	y := make([]float64, len(w))
	for r, row := range w {
		for c, v := range row {
			y[r] += v * x[c]
		}
		if bias != nil {
			y[r] += float64(bias[r])
		}
	}
	return y
}

func rms(x []float64, w []float32, eps float32) []float64 {
	var ss float64
	for _, v := range x {
		ss += v * v
	}
	s := 1 / math.Sqrt(ss/float64(len(x))+float64(eps))
	y := make([]float64, len(x))
	for i := range x {
		y[i] = x[i] * s * float64(w[i])
	}
	return y
}

func (r *refModel) step(id int32) []float64 {
	m, c := r.m, r.m.Config
	pos := len(r.keys[0])
	emb := deq(m, m.Embd)
	x := append([]float64(nil), emb[id]...)
	rope := func(v []float64, heads int) {
		half := c.HeadDim / 2
		for h := range heads {
			for i := range half {
				th := float64(pos) * math.Pow(float64(c.RopeBase), -2*float64(i)/float64(c.HeadDim))
				a, b := v[h*c.HeadDim+i], v[h*c.HeadDim+i+half]
				v[h*c.HeadDim+i] = a*math.Cos(th) - b*math.Sin(th)
				v[h*c.HeadDim+i+half] = a*math.Sin(th) + b*math.Cos(th)
			}
		}
	}
	for il, l := range m.Layers {
		h := rms(x, l.AttnNorm, c.Eps)
		q, k, v := matVec(deq(m, l.Q), h, l.QBias), matVec(deq(m, l.K), h, l.KBias), matVec(deq(m, l.V), h, l.VBias)
		rope(q, c.Heads)
		rope(k, c.HeadsKV)
		r.keys[il] = append(r.keys[il], k)
		r.vals[il] = append(r.vals[il], v)
		att := make([]float64, c.Heads*c.HeadDim)
		for hh := range c.Heads {
			kh := hh / (c.Heads / c.HeadsKV)
			sc := make([]float64, pos+1)
			mx := math.Inf(-1)
			for j := range sc {
				for d := range c.HeadDim {
					sc[j] += q[hh*c.HeadDim+d] * r.keys[il][j][kh*c.HeadDim+d]
				}
				sc[j] /= math.Sqrt(float64(c.HeadDim))
				mx = max(mx, sc[j])
			}
			var sum float64
			for j := range sc {
				sc[j] = math.Exp(sc[j] - mx)
				sum += sc[j]
			}
			for j := range sc {
				for d := range c.HeadDim {
					att[hh*c.HeadDim+d] += sc[j] / sum * r.vals[il][j][kh*c.HeadDim+d]
				}
			}
		}
		o := matVec(deq(m, l.O), att, nil)
		for i := range x {
			x[i] += o[i]
		}
		h = rms(x, l.FFNNorm, c.Eps)
		g, u := matVec(deq(m, l.Gate), h, nil), matVec(deq(m, l.Up), h, nil)
		for i := range g {
			g[i] = g[i] / (1 + math.Exp(-g[i])) * u[i]
		}
		o = matVec(deq(m, l.Down), g, nil)
		for i := range x {
			x[i] += o[i]
		}
	}
	return matVec(emb, rms(x, m.OutNorm, c.Eps), nil)
}

// TestGenerateQ8_0 checks the directly written Q8_0 blocks: each row dequantizes to finite
// values of the intended scale, 1/√cols per weight at most.
func TestGenerateQ8_0(t *testing.T) {
	c := tiny(kernels.Q8_0)
	m, err := kerneltest.Generate(c, 2)
	if err != nil {
		t.Fatal(err)
	}
	w := m.Layers[0].Gate
	f := make([]float32, w.Rows*w.Cols)
	if err := cpu.Dequantize(kernels.Q8_0, f, w.Data); err != nil {
		t.Fatal(err)
	}
	lim := 1.001 / math.Sqrt(float64(w.Cols))
	nonzero := 0
	for i, v := range f {
		if math.IsNaN(float64(v)) || math.Abs(float64(v)) > lim {
			t.Fatalf("weight %d = %g, want |w| <= %g", i, v, lim)
		}
		if v != 0 {
			nonzero++
		}
	}
	if nonzero < len(f)*9/10 {
		t.Fatalf("%d of %d weights nonzero", nonzero, len(f))
	}
	if got, want := m.WeightBytes(), int64(c.Layers*(2*64*64+2*64*32+3*64*96)+64*50)*34/32; got != want {
		t.Fatalf("WeightBytes = %d, want %d", got, want)
	}
}
