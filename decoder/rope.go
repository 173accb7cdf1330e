package decoder

import "math"

// RoPE (Su et al., arXiv:2104.09864) with llama.cpp's scaling: linear position interpolation
// (freq_scale) and YaRN (Peng et al., arXiv:2309.00071). The arithmetic follows ggml's
// ggml_rope_cache_init and rope_yarn (ggml/src/ggml-cpu/ops.cpp) step for step in float32, so
// angles agree with llama.cpp's to the last bits rather than to the exact ones.

// ropeParams are the per-model constants of RoPE.
type ropeParams struct {
	nRot        int        // dimensions rotated per head (even)
	typ         RopeType   // pairing of dimensions
	thetaScale  float32    // freq_base^(−2/nRot): ratio of consecutive frequencies
	freqScale   float32    // position interpolation factor (1/scaling factor)
	extFactor   float32    // YaRN ramp mix; 0 disables YaRN
	attnFactor  float32    // multiplies cos and sin (mscale)
	corrDims    [2]float32 // YaRN ramp from pair corrDims[0] to corrDims[1]
	freqFactors []float32  // [nRot/2] divisors of θ (rope_freqs.weight), or nil
}

func newRopeParams(c *Config, freqFactors []float32) ropeParams {
	return ropeParams{
		nRot:        c.NRot,
		typ:         c.RopeType,
		thetaScale:  float32(math.Pow(float64(c.RopeFreqBase), -2/float64(c.NRot))),
		freqScale:   c.RopeFreqScale,
		extFactor:   c.YarnExtFactor,
		attnFactor:  c.YarnAttnFactor,
		corrDims:    yarnCorrDims(c.NRot, c.NCtxOrigYarn, c.RopeFreqBase, c.YarnBetaFast, c.YarnBetaSlow),
		freqFactors: freqFactors,
	}
}

// yarnCorrDim is the pair index whose wavelength makes nRotations full turns over nCtxOrig
// positions (ggml_rope_yarn_corr_dim).
func yarnCorrDim(nDims, nCtxOrig int, nRotations, base float32) float32 {
	return float32(nDims) * logf(float32(nCtxOrig)/(nRotations*2*math.Pi)) / (2 * logf(base))
}

// yarnCorrDims returns the YaRN ramp's first and last pair (ggml_rope_yarn_corr_dims).
func yarnCorrDims(nDims, nCtxOrig int, base, betaFast, betaSlow float32) [2]float32 {
	start := float32(math.Floor(float64(yarnCorrDim(nDims, nCtxOrig, betaFast, base))))
	end := float32(math.Ceil(float64(yarnCorrDim(nDims, nCtxOrig, betaSlow, base))))
	return [2]float32{max(0, start), min(float32(nDims-1), end)}
}

// yarnRamp is 1 below pair low, 0 above pair high, linear between (rope_yarn_ramp).
func yarnRamp(low, high float32, i0 int) float32 {
	y := (float32(i0/2) - low) / max(0.001, high-low)
	return 1 - min(1, max(0, y))
}

// angles writes cos and sin of the rotation of each pair at position pos: cos, sin [nRot/2].
func (r *ropeParams) angles(pos int, cos, sin []float32) {
	thetaExtrap := float32(pos)
	for i := range r.nRot / 2 {
		theta := thetaExtrap
		if r.freqFactors != nil {
			theta /= r.freqFactors[i]
		}
		cos[i], sin[i] = r.yarn(theta, 2*i)
		thetaExtrap *= r.thetaScale
	}
}

// yarn returns the scaled cos and sin of angle thetaExtrap for dimension i0 (rope_yarn):
// interpolated θ·freqScale, blended back towards the unscaled θ for the high-frequency pairs
// by the YaRN ramp, and the magnitude correction 1 + 0.1·ln(1/freqScale) when YaRN is on.
func (r *ropeParams) yarn(thetaExtrap float32, i0 int) (cos, sin float32) {
	thetaInterp := r.freqScale * thetaExtrap
	theta := thetaInterp
	mscale := r.attnFactor
	if r.extFactor != 0 {
		rampMix := yarnRamp(r.corrDims[0], r.corrDims[1], i0) * r.extFactor
		theta = thetaInterp*(1-rampMix) + thetaExtrap*rampMix
		mscale *= 1 + 0.1*logf(1/r.freqScale)
	}
	return float32(math.Cos(float64(theta))) * mscale, float32(math.Sin(float64(theta))) * mscale
}

// rotate applies RoPE in place to the heads of one token: x [nHeads, headDim] with the
// angles of the token's position, cos and sin [nRot/2]. Dimensions past nRot are unchanged.
func (r *ropeParams) rotate(x []float32, nHeads, headDim int, cos, sin []float32) {
	half := r.nRot / 2
	for h := range nHeads {
		v := x[h*headDim : h*headDim+r.nRot]
		if r.typ == RopeNeox {
			// NEOX: dimension i pairs with i + nRot/2.
			for i := range half {
				x0, x1 := v[i], v[i+half]
				v[i] = x0*cos[i] - x1*sin[i]
				v[i+half] = x0*sin[i] + x1*cos[i]
			}
			continue
		}
		// NORM: adjacent dimensions 2i, 2i+1 form a pair.
		for i := range half {
			x0, x1 := v[2*i], v[2*i+1]
			v[2*i] = x0*cos[i] - x1*sin[i]
			v[2*i+1] = x0*sin[i] + x1*cos[i]
		}
	}
}

func logf(x float32) float32 { return float32(math.Log(float64(x))) }
