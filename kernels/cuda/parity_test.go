//go:build cuda

package cuda_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/llmls/llmls/kernels"
	"github.com/llmls/llmls/kernels/cpu"
	"github.com/llmls/llmls/kernels/cuda"
	"github.com/llmls/llmls/kernels/kerneltest"
)

// The parity tests run each operation on the GPU and on kernels/cpu with the same inputs and
// compare. Tolerances, stated per test, come from what legitimately differs: kernels/cpu
// quantizes activations to the weights' vec_dot partner (as llama.cpp does) where the GPU
// multiplies float32 activations; kernels/cpu rounds attention weights to F16 with an F16 cache;
// float32 sums run in another order; the GPU's e^x is ex2.approx.

// device returns GPU 0, or skips the test when this machine has no NVIDIA driver or GPU.
func device(t *testing.T) *cuda.Device {
	t.Helper()
	d, err := cuda.New(0)
	if err != nil {
		noDevice := strings.HasPrefix(err.Error(), "cuda: libcuda.so.1 not found: ") || strings.Contains(err.Error(), "(CUresult 100)")
		if noDevice && os.Getenv("LLMLS_CUDA_REQUIRE") == "" {
			t.Skipf("no CUDA device (set LLMLS_CUDA_REQUIRE=1 to fail instead): %v", err)
		}
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Error(err)
		}
	})
	return d
}

func randFloats(seed uint64, n int, sd float64) []float32 {
	r := rand.New(rand.NewPCG(seed, 1))
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(sd * r.NormFloat64())
	}
	return x
}

// both holds the same data on the CPU backend and on the device.
type both struct {
	c, g kernels.Buffer
}

type pair struct {
	t   *testing.T
	cpu *cpu.Backend
	gpu *cuda.Device
}

func newPair(t *testing.T) *pair {
	g := device(t) // first: it may skip
	p := &pair{t: t, cpu: cpu.NewBackend(0), gpu: g}
	t.Cleanup(func() { p.cpu.Close() })
	return p
}

func (p *pair) buf(x []float32) both {
	p.t.Helper()
	c, _ := p.cpu.Alloc(len(x))
	g, err := p.gpu.Alloc(len(x))
	if err != nil {
		p.t.Fatal(err)
	}
	if err := p.cpu.Write(c, 0, x); err != nil {
		p.t.Fatal(err)
	}
	if err := p.gpu.Write(g, 0, x); err != nil {
		p.t.Fatal(err)
	}
	return both{c, g}
}

func (p *pair) zeros(n int) both { return p.buf(make([]float32, n)) }

// read returns the first n elements of the CPU and the GPU copy.
func (p *pair) read(b both, n int) (c, g []float32) {
	p.t.Helper()
	c, g = make([]float32, n), make([]float32, n)
	if err := p.cpu.Read(c, b.c, 0); err != nil {
		p.t.Fatal(err)
	}
	if err := p.gpu.Read(g, b.g, 0); err != nil {
		p.t.Fatal(err)
	}
	return c, g
}

// compare fails when |g−c| > tol(i) anywhere, reporting the worst element; it logs the maximum
// difference either way (the device check's record of how close the kernels are).
func compare(t *testing.T, what string, c, g []float32, tol func(i int) float64) {
	t.Helper()
	worst, wi, bad := 0.0, 0, 0
	for i := range c {
		d := math.Abs(float64(g[i]) - float64(c[i]))
		if math.IsNaN(d) || d > tol(i) {
			bad++
			if bad <= 3 {
				t.Errorf("%s[%d]: gpu %g, cpu %g, diff %g > tol %g", what, i, g[i], c[i], d, tol(i))
			}
		}
		if d > worst || math.IsNaN(d) {
			worst, wi = d, i
		}
	}
	t.Logf("%s: %d values, max |gpu−cpu| %.3g at %d (tol there %.3g), %d out of tolerance", what, len(c), worst, wi, tol(wi), bad)
}

// partner returns the type kernels/cpu quantizes activations to for weights of type t.
func partner(t kernels.DType) kernels.DType {
	switch t {
	case kernels.Q8_0:
		return kernels.Q8_0
	case kernels.Q4_K, kernels.Q6_K:
		return kernels.Q8_K
	case kernels.F16:
		return kernels.F16
	}
	panic(t)
}

// TestMatMulParity: tolerance per output r of token t is Σ_c |W[r,c]|·|x_c − x̂_c| (x̂ is x
// quantized to the CPU's partner type: the exact amount the two results may legitimately
// differ by, to first order) + 2e-5·Σ_c |W[r,c]·x_c| (float32 accumulation in different orders).
func TestMatMulParity(t *testing.T) {
	p := newPair(t)
	shapes := []struct{ rows, cols, ntok int }{
		{37, 512, 1},    // decode, rows not a multiple of the 4 rows per block
		{1536, 1536, 1}, // a Qwen2.5-1.5B projection
		{100, 256, 11},  // prompt: more tokens than one block's 8
	}
	for _, typ := range []kernels.DType{kernels.Q8_0, kernels.F16, kernels.Q4_K, kernels.Q6_K} {
		for _, s := range shapes {
			t.Run(fmt.Sprintf("%v %dx%d n%d", typ, s.rows, s.cols, s.ntok), func(t *testing.T) {
				wf := randFloats(1, s.rows*s.cols, 1/math.Sqrt(float64(s.cols)))
				rb, _ := typ.RowSize(int64(s.cols))
				data := make([]byte, int(rb)*s.rows)
				for r := range s.rows {
					if err := cpu.Quantize(typ, data[r*int(rb):(r+1)*int(rb)], wf[r*s.cols:(r+1)*s.cols]); err != nil {
						t.Fatal(err)
					}
				}
				deq := make([]float32, len(wf))
				if err := cpu.Dequantize(typ, deq, data); err != nil {
					t.Fatal(err)
				}
				wc, err := p.cpu.LoadWeights(typ, s.rows, s.cols, data)
				if err != nil {
					t.Fatal(err)
				}
				wg, err := p.gpu.LoadWeights(typ, s.rows, s.cols, data)
				if err != nil {
					t.Fatal(err)
				}
				defer wg.Free()
				x := randFloats(2, s.ntok*s.cols, 1)
				pt := partner(typ)
				prb, _ := pt.RowSize(int64(s.cols))
				xq, qb := make([]float32, len(x)), make([]byte, prb)
				for tk := range s.ntok {
					row := x[tk*s.cols : (tk+1)*s.cols]
					if err := cpu.Quantize(pt, qb, row); err != nil {
						t.Fatal(err)
					}
					if err := cpu.Dequantize(pt, xq[tk*s.cols:(tk+1)*s.cols], qb); err != nil {
						t.Fatal(err)
					}
				}
				xb, dst := p.buf(x), p.zeros(s.ntok*s.rows)
				p.cpu.MatMul(dst.c, wc, xb.c, s.ntok)
				p.gpu.MatMul(dst.g, wg, xb.g, s.ntok)
				c, g := p.read(dst, s.ntok*s.rows)
				compare(t, "MatMul", c, g, func(i int) float64 {
					tk, r := i/s.rows, i%s.rows
					var qe, mag float64
					for k := range s.cols {
						w := math.Abs(float64(deq[r*s.cols+k]))
						qe += w * math.Abs(float64(x[tk*s.cols+k]-xq[tk*s.cols+k]))
						mag += w * math.Abs(float64(x[tk*s.cols+k]))
					}
					return qe + 2e-5*mag + 1e-6
				})
			})
		}
	}
}

// TestOpsParity: the element-wise and row-wise operations, with relative tolerances from
// float32 rounding (RMSNorm sums squares in float32 on the GPU, float64 on the CPU; SiLU's e^x
// is ex2.approx; RoPE may be contracted to FMAs).
func TestOpsParity(t *testing.T) {
	p := newPair(t)
	rel := func(c []float32, r float64) func(int) float64 {
		return func(i int) float64 { return r*math.Abs(float64(c[i])) + 1e-6 }
	}
	t.Run("RMSNorm 3x1536", func(t *testing.T) {
		const n, w = 3, 1536
		x, wt, dst := p.buf(randFloats(3, n*w, 2)), p.buf(randFloats(4, w, 1)), p.zeros(n*w)
		p.cpu.RMSNorm(dst.c, x.c, wt.c, n, w, 1e-6)
		p.gpu.RMSNorm(dst.g, x.g, wt.g, n, w, 1e-6)
		c, g := p.read(dst, n*w)
		compare(t, "RMSNorm", c, g, rel(c, 1e-5))
	})
	t.Run("Add and AddBias", func(t *testing.T) {
		const n, w = 5, 300
		a, b, dst := p.buf(randFloats(5, n*w, 1)), p.buf(randFloats(6, n*w, 1)), p.zeros(n*w)
		bias := p.buf(randFloats(7, w, 1))
		p.cpu.Add(dst.c, a.c, b.c, n*w)
		p.gpu.Add(dst.g, a.g, b.g, n*w)
		p.cpu.AddBias(dst.c, bias.c, n, w)
		p.gpu.AddBias(dst.g, bias.g, n, w)
		c, g := p.read(dst, n*w)
		compare(t, "Add+AddBias", c, g, rel(c, 1e-6))
	})
	t.Run("SiLUMul 2x8960", func(t *testing.T) {
		const n = 2 * 8960
		gt, up, dst := p.buf(randFloats(8, n, 3)), p.buf(randFloats(9, n, 1)), p.zeros(n)
		p.cpu.SiLUMul(dst.c, gt.c, up.c, n)
		p.gpu.SiLUMul(dst.g, gt.g, up.g, n)
		c, g := p.read(dst, n)
		compare(t, "SiLUMul", c, g, rel(c, 1e-5))
	})
	for _, mode := range []kernels.RopeMode{kernels.RopeNeox, kernels.RopeNorm} {
		for _, nRot := range []int{128, 64} {
			t.Run(fmt.Sprintf("RoPE mode %d nRot %d", mode, nRot), func(t *testing.T) {
				const n, nh, hd = 3, 12, 128
				xs := randFloats(10, n*nh*hd, 1)
				ang := randFloats(11, n*nRot/2, 100)
				cs, sn := make([]float32, len(ang)), make([]float32, len(ang))
				for i, a := range ang {
					cs[i], sn[i] = float32(math.Cos(float64(a))), float32(math.Sin(float64(a)))
				}
				x, cb, sb := p.buf(xs), p.buf(cs), p.buf(sn)
				p.cpu.RoPE(x.c, n, nh, hd, nRot, mode, cb.c, sb.c)
				p.gpu.RoPE(x.g, n, nh, hd, nRot, mode, cb.g, sb.g)
				c, g := p.read(x, n*nh*hd)
				compare(t, "RoPE", c, g, func(i int) float64 { return 1e-6 * (math.Abs(float64(xs[i])) + 1) })
			})
		}
	}
}

// TestAttentionParity stores the same keys and values into both caches and compares attention
// for decode (one token, with one and several 256-cell chunks) and for a prompt crossing a chunk
// boundary. Tolerance: 2e-5·max|V| with an F32 cache; with F16, kernels/cpu also rounds q and
// the softmax weights to F16 (the GPU rounds q only): 1e-3·max|V| (2⁻¹¹ relative per weight).
func TestAttentionParity(t *testing.T) {
	p := newPair(t)
	cases := []struct {
		name        string
		hd, pos0, n int
	}{
		{"decode first token", 128, 0, 1},
		{"decode at 700 (3 chunks)", 128, 700, 1},
		{"prompt of 9 at 250 (chunk boundary)", 128, 250, 9},
		{"head dim 64, decode at 2047", 64, 2047, 1},
	}
	for _, typ := range []kernels.DType{kernels.F16, kernels.F32} {
		for _, tc := range cases {
			t.Run(fmt.Sprintf("%v %s", typ, tc.name), func(t *testing.T) {
				const nh, hkv = 12, 2
				s := kernels.KVShape{Layers: 2, HeadsKV: hkv, HeadDim: tc.hd, Cap: 2048, Type: typ}
				kc, err := p.cpu.NewKV(s)
				if err != nil {
					t.Fatal(err)
				}
				kg, err := p.gpu.NewKV(s)
				if err != nil {
					t.Fatal(err)
				}
				defer kg.Free()
				cells := tc.pos0 + tc.n
				w := hkv * tc.hd
				ks, vs := randFloats(12, cells*w, 1), randFloats(13, cells*w, 1)
				// Store in pieces of up to 100 cells, as a session would.
				for c0 := 0; c0 < cells; c0 += 100 {
					c1 := min(cells, c0+100)
					k, v := p.buf(ks[c0*w:c1*w]), p.buf(vs[c0*w:c1*w])
					p.cpu.StoreKV(kc, 1, c0, k.c, v.c, c1-c0)
					p.gpu.StoreKV(kg, 1, c0, k.g, v.g, c1-c0)
				}
				q, out := p.buf(randFloats(14, tc.n*nh*tc.hd, 1)), p.zeros(tc.n*nh*tc.hd)
				p.cpu.Attention(out.c, q.c, kc, 1, tc.pos0, tc.n, nh)
				p.gpu.Attention(out.g, q.g, kg, 1, tc.pos0, tc.n, nh)
				c, g := p.read(out, tc.n*nh*tc.hd)
				vmax := 0.0
				for _, v := range vs {
					vmax = max(vmax, math.Abs(float64(v)))
				}
				r := 2e-5
				if typ == kernels.F16 {
					r = 1e-3
				}
				compare(t, "Attention", c, g, func(int) float64 { return r * vmax })
			})
		}
	}
}

// TestForwardParity runs kerneltest's whole Qwen2-shaped forward pass (2 layers) on both
// backends: a 20-token prompt then 3 decode steps, comparing the logits of each step within
// tol·max|logit|. The tolerance is what kernels/cpu's quantization of the activations (the GPU
// keeps them float32) amounts to after 15 matrix products: tight with F16 weights (activations
// rounded to F16: 5e-3; measured 0.16% on the host emulator), looser with Q8_0 (blocks of 32
// rounded to 8 bits: 3e-2; measured 1.2%) and with Q4_K/Q6_K (Q8_K's blocks of 256 share one
// scale, and these models' Gaussian weights have a larger gain than the Q8_0 model's uniform
// ones: 6e-2; measured 3.8%). The F16 case runs every operation but the K-quant GEMVs, which
// TestMatMulParity checks with tight per-output bounds, so wiring errors cannot hide in the
// looser cases.
func TestForwardParity(t *testing.T) {
	p := newPair(t)
	tols := map[kernels.DType]float64{kernels.F16: 5e-3, kernels.Q8_0: 3e-2, kernels.Q4_K: 6e-2, kernels.Q6_K: 6e-2}
	for _, typ := range []kernels.DType{kernels.Q8_0, kernels.Q4_K, kernels.Q6_K, kernels.F16} {
		t.Run(typ.String(), func(t *testing.T) {
			cfg := kerneltest.Config{Layers: 2, Embd: 256, Heads: 4, HeadsKV: 2, HeadDim: 64, FF: 512, Vocab: 300,
				Type: typ, KVType: kernels.F16, Ctx: 64, RopeBase: 1e6, Eps: 1e-6}
			m, err := kerneltest.Generate(cfg, 3)
			if err != nil {
				t.Fatal(err)
			}
			rc, err := kerneltest.Load(p.cpu, m, 8)
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			rg, err := kerneltest.Load(p.gpu, m, 8)
			if err != nil {
				t.Fatal(err)
			}
			defer rg.Close()
			prompt := make([]int32, 20)
			for i := range prompt {
				prompt[i] = int32((i*37 + 5) % cfg.Vocab)
			}
			steps := [][]int32{prompt, {11}, {222}, {7}}
			pos := 0
			for i, toks := range steps {
				c, g := make([]float32, cfg.Vocab), make([]float32, cfg.Vocab)
				if err := rc.Eval(toks, pos, c); err != nil {
					t.Fatal(err)
				}
				if err := rg.Eval(toks, pos, g); err != nil {
					t.Fatal(err)
				}
				pos += len(toks)
				scale := 0.0
				for _, v := range c {
					scale = max(scale, math.Abs(float64(v)))
				}
				compare(t, fmt.Sprintf("logits step %d", i), c, g, func(int) float64 { return tols[typ] * scale })
			}
		})
	}
}
