package decoder_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/llmls/llmls/decoder"
)

// ropeRef64 is RoPE with scaling written from the formulas in float64: RoPE (arXiv:2104.09864)
// θ_i = pos·base^(−2i/n) (÷ the frequency factor), linear interpolation θ·s, and YaRN
// (arXiv:2309.00071) as ggml's rope_yarn implements it: a ramp over the pairs between the
// dimensions where the wavelength makes β_fast and β_slow turns over the original context,
// mixing interpolated and original θ, and the magnitude factor 0.1·ln(1/s) + 1.
func ropeRef64(c *decoder.Config, ff []float32, pos, i int) (cos, sin, theta float64) {
	n := float64(c.NRot)
	base := float64(c.RopeFreqBase)
	s := float64(c.RopeFreqScale)
	extrap := float64(pos) * math.Pow(base, -2*float64(i)/n)
	if ff != nil {
		extrap /= float64(ff[i])
	}
	th := s * extrap
	mscale := float64(c.YarnAttnFactor)
	if c.YarnExtFactor != 0 {
		corr := func(rot float64) float64 {
			return n * math.Log(float64(c.NCtxOrigYarn)/(rot*2*math.Pi)) / (2 * math.Log(base))
		}
		low := math.Max(0, math.Floor(corr(float64(c.YarnBetaFast))))
		high := math.Min(n-1, math.Ceil(corr(float64(c.YarnBetaSlow))))
		y := (float64(i) - low) / math.Max(0.001, high-low)
		ramp := 1 - math.Min(1, math.Max(0, y))
		mix := ramp * float64(c.YarnExtFactor)
		th = th*(1-mix) + extrap*mix
		mscale *= 1 + 0.1*math.Log(1/s)
	}
	return math.Cos(th) * mscale, math.Sin(th) * mscale, extrap
}

func TestRopeScaling(t *testing.T) {
	base := func(nRot int, freqBase float32) decoder.Config {
		return decoder.Config{NEmbdHead: nRot + 4, NRot: nRot, RopeFreqBase: freqBase, RopeFreqScale: 1,
			NCtxOrigYarn: 4096, YarnAttnFactor: 1, YarnBetaFast: 32, YarnBetaSlow: 1}
	}
	with := func(c decoder.Config, f func(*decoder.Config)) decoder.Config { f(&c); return c }
	ff := make([]float32, 32)
	for i := range ff {
		ff[i] = 1 + float32(i%4)
	}
	tests := []struct {
		name string
		c    decoder.Config
		ff   []float32
	}{
		{"plain NORM", base(16, 10000), nil},
		{"plain NEOX", with(base(64, 1e6), func(c *decoder.Config) { c.RopeType = decoder.RopeNeox }), nil},
		{"linear ×4", with(base(64, 10000), func(c *decoder.Config) { c.RopeFreqScale = 0.25 }), nil},
		{"YaRN ×4 (Qwen2.5 32k→128k)", with(base(128, 1e6), func(c *decoder.Config) {
			c.RopeFreqScale, c.YarnExtFactor, c.NCtxOrigYarn, c.RopeType = 0.25, 1, 32768, decoder.RopeNeox
		}), nil},
		{"YaRN ×8 attn factor 0.9", with(base(64, 10000), func(c *decoder.Config) {
			c.RopeFreqScale, c.YarnExtFactor, c.YarnAttnFactor = 0.125, 1, 0.9
		}), nil},
		{"YaRN half ramp", with(base(32, 500000), func(c *decoder.Config) {
			c.RopeFreqScale, c.YarnExtFactor, c.YarnBetaFast, c.YarnBetaSlow = 0.5, 0.5, 16, 2
		}), nil},
		{"frequency factors", base(64, 500000), ff},
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tc := range tests {
		for _, pos := range []int{0, 1, 17, 1000, 4095, 32767, 131071} {
			t.Run(fmt.Sprintf("%s/pos %d", tc.name, pos), func(t *testing.T) {
				c := tc.c
				const nHeads = 2
				x := make([]float32, nHeads*c.NEmbdHead)
				for i := range x {
					x[i] = float32(rng.NormFloat64())
				}
				orig := append([]float32(nil), x...)
				cos, sin := decoder.RopeForTest(&c, tc.ff, x, nHeads, pos)
				var worst float64
				for i := range c.NRot / 2 {
					wc, ws, theta := ropeRef64(&c, tc.ff, pos, i)
					// Tolerance: ggml (and we) compute θ_i in float32 by i successive
					// multiplications, each rounding by up to 2^-24 relative (the ratio too),
					// then a few more roundings; |cos|, |sin| ≤ mscale.
					mscale := math.Max(math.Abs(wc), 1)
					tol := mscale * (theta*float64(2*i+6)*0x1p-24 + 5e-7)
					d := math.Max(math.Abs(float64(cos[i])-wc), math.Abs(float64(sin[i])-ws))
					worst = math.Max(worst, d/tol)
					if d > tol {
						t.Fatalf("pair %d: cos %v sin %v, float64 %v %v: |Δ| %.3g > %.3g", i, cos[i], sin[i], wc, ws, d, tol)
					}
				}
				// The rotation pairs dimensions by the RoPE type and leaves [NRot, head) alone.
				half := c.NRot / 2
				for h := range nHeads {
					v, o := x[h*c.NEmbdHead:(h+1)*c.NEmbdHead], orig[h*c.NEmbdHead:(h+1)*c.NEmbdHead]
					for i := range half {
						a, b := 2*i, 2*i+1
						if c.RopeType == decoder.RopeNeox {
							a, b = i, i+half
						}
						wa := float64(o[a])*float64(cos[i]) - float64(o[b])*float64(sin[i])
						wb := float64(o[a])*float64(sin[i]) + float64(o[b])*float64(cos[i])
						if math.Abs(float64(v[a])-wa) > 1e-5 || math.Abs(float64(v[b])-wb) > 1e-5 {
							t.Fatalf("head %d pair (%d, %d): got (%v, %v), want (%v, %v)", h, a, b, v[a], v[b], wa, wb)
						}
					}
					for i := c.NRot; i < c.NEmbdHead; i++ {
						if v[i] != o[i] {
							t.Fatalf("head %d dim %d beyond NRot changed: %v → %v", h, i, o[i], v[i])
						}
					}
				}
			})
		}
	}
}
