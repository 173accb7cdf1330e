package cpu_test

import (
	"math"
	"testing"

	"github.com/llmls/llmls/kernels"
	"github.com/llmls/llmls/kernels/cpu"
)

// TestBackend runs every operation of kernels.Backend through cpu.Backend and compares it with a
// float64 formula written out here (not with the functions the adapter calls), so it checks
// both the adapter's indexing and the semantics stated in kernels/backend.go.
func TestBackend(t *testing.T) {
	b := cpu.NewBackend(2)
	defer b.Close()
	upload := func(t *testing.T, x []float32) kernels.Buffer {
		t.Helper()
		buf, err := b.Alloc(len(x))
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Write(buf, 0, x); err != nil {
			t.Fatal(err)
		}
		return buf
	}
	download := func(t *testing.T, buf kernels.Buffer) []float32 {
		t.Helper()
		out := make([]float32, buf.Len())
		if err := b.Read(out, buf, 0); err != nil {
			t.Fatal(err)
		}
		return out
	}
	rel := func(want []float64, r float64) []float64 {
		tol := make([]float64, len(want))
		for i, w := range want {
			tol[i] = r*math.Abs(w) + 1e-6
		}
		return tol
	}

	tests := []struct {
		name string
		run  func(t *testing.T) (got []float32, want, tol []float64)
	}{
		{"MatMul Q8_0 3 tokens", func(t *testing.T) ([]float32, []float64, []float64) {
			const rows, cols, n = 5, 64, 3
			wf := randFloats(1, rows*cols, 1)
			data := make([]byte, rows*34*cols/32)
			if err := cpu.Quantize(kernels.Q8_0, data, wf); err != nil {
				t.Fatal(err)
			}
			deq := make([]float32, rows*cols)
			if err := cpu.Dequantize(kernels.Q8_0, deq, data); err != nil {
				t.Fatal(err)
			}
			w, err := b.LoadWeights(kernels.Q8_0, rows, cols, data)
			if err != nil {
				t.Fatal(err)
			}
			x := randFloats(2, n*cols, 1)
			dst, _ := b.Alloc(n * rows)
			b.MatMul(dst, w, upload(t, x), n)
			want := make([]float64, n*rows)
			tol := make([]float64, n*rows)
			for tk := range n {
				for r := range rows {
					var s, a float64
					for c := range cols {
						p := float64(deq[r*cols+c]) * float64(x[tk*cols+c])
						s += p
						a += math.Abs(p)
					}
					want[tk*rows+r] = s
					tol[tk*rows+r] = 2e-2 * a // x is quantized to Q8_0 (relative error ≤ 1/254 per block)
				}
			}
			return download(t, dst), want, tol
		}},
		{"RMSNorm with weight", func(t *testing.T) ([]float32, []float64, []float64) {
			const n, width = 2, 48
			x, w := randFloats(3, n*width, 2), randFloats(4, width, 1)
			dst, _ := b.Alloc(n * width)
			b.RMSNorm(dst, upload(t, x), upload(t, w), n, width, 1e-6)
			want := make([]float64, n*width)
			for tk := range n {
				var ss float64
				for i := range width {
					ss += float64(x[tk*width+i]) * float64(x[tk*width+i])
				}
				s := 1 / math.Sqrt(ss/width+1e-6)
				for i := range width {
					want[tk*width+i] = float64(x[tk*width+i]) * s * float64(w[i])
				}
			}
			return download(t, dst), want, rel(want, 1e-5)
		}},
		{"Add", func(t *testing.T) ([]float32, []float64, []float64) {
			a, c := randFloats(5, 37, 1), randFloats(6, 37, 1)
			dst, _ := b.Alloc(37)
			b.Add(dst, upload(t, a), upload(t, c), 37)
			want := make([]float64, 37)
			for i := range want {
				want[i] = float64(a[i]) + float64(c[i])
			}
			return download(t, dst), want, rel(want, 1e-7)
		}},
		{"AddBias", func(t *testing.T) ([]float32, []float64, []float64) {
			x, bias := randFloats(7, 3*10, 1), randFloats(8, 10, 1)
			xb := upload(t, x)
			b.AddBias(xb, upload(t, bias), 3, 10)
			want := make([]float64, 30)
			for i := range want {
				want[i] = float64(x[i]) + float64(bias[i%10])
			}
			return download(t, xb), want, rel(want, 1e-7)
		}},
		{"SiLUMul", func(t *testing.T) ([]float32, []float64, []float64) {
			g, u := randFloats(9, 50, 3), randFloats(10, 50, 1)
			dst, _ := b.Alloc(50)
			b.SiLUMul(dst, upload(t, g), upload(t, u), 50)
			want := make([]float64, 50)
			for i := range want {
				gi := float64(g[i])
				want[i] = gi / (1 + math.Exp(-gi)) * float64(u[i])
			}
			return download(t, dst), want, rel(want, 1e-6)
		}},
		{"RoPE neox and norm", func(t *testing.T) ([]float32, []float64, []float64) {
			// 2 tokens, 2 heads of 8, nRot 6: the last 2 dimensions of each head stay.
			const n, nh, hd, nRot = 2, 2, 8, 6
			x := randFloats(11, n*nh*hd, 1)
			ang := randFloats(12, n*nRot/2, 3)
			cos, sin := make([]float32, len(ang)), make([]float32, len(ang))
			for i, a := range ang {
				cos[i], sin[i] = float32(math.Cos(float64(a))), float32(math.Sin(float64(a)))
			}
			var got []float32
			var want []float64
			for _, mode := range []kernels.RopeMode{kernels.RopeNeox, kernels.RopeNorm} {
				xb := upload(t, x)
				b.RoPE(xb, n, nh, hd, nRot, mode, upload(t, cos), upload(t, sin))
				got = append(got, download(t, xb)...)
				for tk := range n {
					for h := range nh {
						v := x[(tk*nh+h)*hd : (tk*nh+h+1)*hd]
						o := make([]float64, hd)
						for i := range o {
							o[i] = float64(v[i])
						}
						for i := range nRot / 2 {
							i0, i1 := 2*i, 2*i+1
							if mode == kernels.RopeNeox {
								i0, i1 = i, i+nRot/2
							}
							a := float64(cos[tk*nRot/2+i])
							s := float64(sin[tk*nRot/2+i])
							o[i0] = float64(v[i0])*a - float64(v[i1])*s
							o[i1] = float64(v[i0])*s + float64(v[i1])*a
						}
						want = append(want, o...)
					}
				}
			}
			return got, want, rel(want, 1e-6)
		}},
		{"StoreKV and Attention F32 cache, GQA", func(t *testing.T) ([]float32, []float64, []float64) {
			got, want, mag := attentionCase(t, b, kernels.F32, upload, download)
			return got, want, scaled(mag, 1e-5)
		}},
		{"StoreKV and Attention F16 cache, GQA", func(t *testing.T) ([]float32, []float64, []float64) {
			// K, V, q and the weights rounded to F16 (relative 2⁻¹¹ each): the scores move by
			// about |q||k|·2⁻¹⁰ ≈ 4e-3, the output by that much of Σ p|v|.
			got, want, mag := attentionCase(t, b, kernels.F16, upload, download)
			return got, want, scaled(mag, 5e-3)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, want, tol := tc.run(t)
			if len(got) != len(want) {
				t.Fatalf("got %d values, want %d", len(got), len(want))
			}
			checkClose(t, tc.name, got, want, tol)
		})
	}
}

// scaled returns r·mag[i] + 1e-6 for each i.
func scaled(mag []float64, r float64) []float64 {
	tol := make([]float64, len(mag))
	for i, m := range mag {
		tol[i] = r*m + 1e-6
	}
	return tol
}

// attentionCase stores 5 cells in two steps (3 then 2 tokens) into a cache of 2 KV heads and
// attends with 4 query heads (GQA group 2) for the last 2 tokens; it returns the output,
// a float64 reference of causal softmax attention over the unrounded K and V, and the scale of
// each output, Σ_j p_j·|V_j|, for tolerances.
func attentionCase(t *testing.T, b *cpu.Backend, typ kernels.DType, upload func(*testing.T, []float32) kernels.Buffer, download func(*testing.T, kernels.Buffer) []float32) ([]float32, []float64, []float64) {
	const hkv, hd, nh, cells = 2, 16, 4, 5
	kv, err := b.NewKV(kernels.KVShape{Layers: 2, HeadsKV: hkv, HeadDim: hd, Cap: 8, Type: typ})
	if err != nil {
		t.Fatal(err)
	}
	defer kv.Free()
	k, v := randFloats(13, cells*hkv*hd, 1), randFloats(14, cells*hkv*hd, 1)
	w := hkv * hd
	b.StoreKV(kv, 1, 0, upload(t, k[:3*w]), upload(t, v[:3*w]), 3)
	b.StoreKV(kv, 1, 3, upload(t, k[3*w:]), upload(t, v[3*w:]), 2)
	q := randFloats(15, 2*nh*hd, 1)
	out, _ := b.Alloc(2 * nh * hd)
	b.Attention(out, upload(t, q), kv, 1, 3, 2, nh)
	var want, mag []float64
	for tk := range 2 {
		nkv := 3 + tk + 1
		for h := range nh {
			kh := h / (nh / hkv)
			sc := make([]float64, nkv)
			mx := math.Inf(-1)
			for j := range nkv {
				for d := range hd {
					sc[j] += float64(q[(tk*nh+h)*hd+d]) * float64(k[j*w+kh*hd+d])
				}
				sc[j] /= math.Sqrt(hd)
				mx = max(mx, sc[j])
			}
			var sum float64
			for j := range sc {
				sc[j] = math.Exp(sc[j] - mx)
				sum += sc[j]
			}
			for d := range hd {
				var o, m float64
				for j := range nkv {
					o += sc[j] / sum * float64(v[j*w+kh*hd+d])
					m += sc[j] / sum * math.Abs(float64(v[j*w+kh*hd+d]))
				}
				want = append(want, o)
				mag = append(mag, m)
			}
		}
	}
	return download(t, out), want, mag
}

// TestBackendErrors checks the errors of the constructors that take sizes from a model file.
func TestBackendErrors(t *testing.T) {
	b := cpu.NewBackend(1)
	defer b.Close()
	tests := []struct {
		name string
		err  func() error
	}{
		{"weights of the wrong size", func() error {
			_, err := b.LoadWeights(kernels.Q8_0, 2, 32, make([]byte, 33))
			return err
		}},
		{"weights of an unsupported type", func() error {
			_, err := b.LoadWeights(kernels.Q8_K, 1, 256, make([]byte, 292))
			return err
		}},
		{"KV cache of Q8_0", func() error {
			_, err := b.NewKV(kernels.KVShape{Layers: 1, HeadsKV: 1, HeadDim: 32, Cap: 4, Type: kernels.Q8_0})
			return err
		}},
		{"KV cache of zero cells", func() error {
			_, err := b.NewKV(kernels.KVShape{Layers: 1, HeadsKV: 1, HeadDim: 32, Cap: 0, Type: kernels.F16})
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.err(); err == nil {
				t.Fatal("no error")
			}
		})
	}
}
