package decoder

import (
	"errors"
	"fmt"
	"math"

	"github.com/llmls/llmls/decoder/gguf"
)

// RopeType is how RoPE pairs the dimensions of a head (llama.cpp enum llama_rope_type).
type RopeType int

const (
	// RopeNorm rotates adjacent pairs (2i, 2i+1): llama (GGUF stores Q/K permuted for it).
	RopeNorm RopeType = iota
	// RopeNeox rotates (i, i+NRot/2), as GPT-NeoX and Hugging Face's rotate_half: qwen2.
	RopeNeox
)

func (t RopeType) String() string {
	if t == RopeNeox {
		return "NEOX"
	}
	return "NORM"
}

// RopeScaling names a RoPE context-extension method ({arch}.rope.scaling.type).
type RopeScaling string

// RoPE scaling methods.
const (
	RopeScalingNone   RopeScaling = "none"
	RopeScalingLinear RopeScaling = "linear" // position interpolation: θ·RopeFreqScale
	RopeScalingYarn   RopeScaling = "yarn"   // YaRN, arXiv:2309.00071
)

// Config is the hyperparameters of a model, read from GGUF metadata. The package doc's
// glossary maps each field to its GGUF key and llama.cpp name.
type Config struct {
	Arch       string // general.architecture
	NCtxTrain  int    // trained context length, tokens
	NEmbd      int    // residual stream width
	NLayer     int    // transformer blocks
	NFF        int    // FFN hidden width
	NHead      int    // query heads
	NHeadKV    int    // key/value heads; NHead is a multiple of it
	NEmbdHead  int    // width of one head (keys and values)
	NRot       int    // RoPE dimensions per head, even, ≤ NEmbdHead
	NVocab     int    // vocabulary size
	NormRMSEps float32

	RopeType       RopeType
	RopeFreqBase   float32
	RopeFreqScale  float32 // 1/factor of linear or YaRN scaling; 1 without scaling
	RopeScaling    RopeScaling
	NCtxOrigYarn   int     // YaRN's original context length, tokens
	YarnExtFactor  float32 // 0 disables the YaRN ramp
	YarnAttnFactor float32 // multiplies cos and sin (ggml's attn_factor / mscale)
	YarnBetaFast   float32
	YarnBetaSlow   float32
}

// NEmbdKV returns the width of a K or V row in the KV cache: NHeadKV·NEmbdHead.
func (c *Config) NEmbdKV() int { return c.NHeadKV * c.NEmbdHead }

// NEmbdQ returns the width of the queries and the attention output: NHead·NEmbdHead.
func (c *Config) NEmbdQ() int { return c.NHead * c.NEmbdHead }

// maxDim bounds every size in the metadata so that products of two stay far from overflow;
// real models are below 2^18 in every dimension.
const maxDim = 1 << 24

// metaReader reads architecture-prefixed metadata keys, keeping the first error.
type metaReader struct {
	f    *gguf.File
	arch string
	err  error
}

func (r *metaReader) fail(key, msg string, err error) {
	if r.err == nil {
		r.err = &ModelError{File: r.f.Path, Key: key, Msg: msg, Err: err}
	}
}

// int reads key k (a format taking the architecture). Absent keys give def, or an error
// when def < 0. Values must lie in [lo, maxDim].
func (r *metaReader) int(k string, def int64, lo int64) int {
	key := archKey(k, r.arch)
	v, err := r.f.Int(key)
	if errors.Is(err, gguf.ErrMissingKey) && def >= 0 {
		v, err = def, nil
		if def < lo {
			r.fail(key, fmt.Sprintf("missing, and its default %d is out of range", def), nil)
			return 0
		}
	}
	if err != nil {
		r.fail(key, "", err)
		return 0
	}
	if v < lo || v > maxDim {
		r.fail(key, fmt.Sprintf("value %d out of range [%d, %d]", v, lo, maxDim), nil)
		return 0
	}
	return int(v)
}

// float reads key k; absent keys give def, or an error when required. Values must be finite
// and positive unless zero is allowed.
func (r *metaReader) float(k string, def float64, required, zeroOK bool) float32 {
	key := archKey(k, r.arch)
	v, err := r.f.Float(key)
	if errors.Is(err, gguf.ErrMissingKey) && !required {
		return float32(def)
	}
	if err != nil {
		r.fail(key, "", err)
		return 0
	}
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 || (v == 0 && !zeroOK) || v > math.MaxFloat32 {
		r.fail(key, fmt.Sprintf("value %g is not a usable number here", v), nil)
		return 0
	}
	return float32(v)
}

// configFromGGUF reads the hyperparameters of architecture a from f's metadata, following
// llama.cpp's llama_model::load_hparams (defaults included).
func configFromGGUF(f *gguf.File, a *architecture) (Config, error) {
	r := &metaReader{f: f, arch: a.name}
	c := Config{Arch: a.name, RopeType: a.rope}
	c.NCtxTrain = r.int(keyContextLength, -1, 1)
	c.NEmbd = r.int(keyEmbeddingLength, -1, 1)
	c.NLayer = r.int(keyBlockCount, -1, 1)
	c.NFF = r.int(keyFeedForward, -1, 1)
	c.NHead = r.int(keyHeadCount, -1, 1)
	c.NHeadKV = r.int(keyHeadCountKV, int64(c.NHead), 1)
	if r.err != nil {
		return c, r.err
	}
	c.NEmbdHead = r.int(keyKeyLength, int64(c.NEmbd/c.NHead), 1)
	if vl := r.int(keyValueLength, int64(c.NEmbdHead), 1); r.err == nil && vl != c.NEmbdHead {
		r.fail(archKey(keyValueLength, a.name), fmt.Sprintf("value length %d differs from key length %d (not supported)", vl, c.NEmbdHead), nil)
	}
	c.NRot = r.int(keyRopeDims, int64(c.NEmbdHead), 2)
	c.NormRMSEps = r.float(keyRMSEps, 0, true, false)
	c.RopeFreqBase = r.float(keyRopeFreqBase, 10000, false, false)
	if r.err != nil {
		return c, r.err
	}
	switch {
	case c.NHead%c.NHeadKV != 0:
		r.fail(archKey(keyHeadCountKV, a.name), fmt.Sprintf("%d query heads are not a multiple of %d KV heads", c.NHead, c.NHeadKV), nil)
	case c.NEmbdHead%2 != 0:
		r.fail(archKey(keyKeyLength, a.name), fmt.Sprintf("head width %d is odd", c.NEmbdHead), nil)
	case c.NRot%2 != 0 || c.NRot > c.NEmbdHead:
		r.fail(archKey(keyRopeDims, a.name), fmt.Sprintf("%d RoPE dimensions: want an even number ≤ the head width %d", c.NRot, c.NEmbdHead), nil)
	}
	if err := ropeScalingFromGGUF(r, &c); err != nil {
		return c, err
	}
	return c, r.err
}

// ropeScalingFromGGUF reads the RoPE scaling keys with llama.cpp's defaults
// (llama_model::load_hparams, llama_context's yarn_* cparams).
func ropeScalingFromGGUF(r *metaReader, c *Config) error {
	c.RopeScaling = RopeScalingNone
	typeKey := archKey(keyRopeScalingType, c.Arch)
	if s, err := r.f.String(typeKey); err == nil {
		switch RopeScaling(s) {
		case RopeScalingNone, RopeScalingLinear, RopeScalingYarn:
			c.RopeScaling = RopeScaling(s)
		default:
			r.fail(typeKey, fmt.Sprintf("RoPE scaling %q is not supported (want none, linear or yarn)", s), nil)
			return r.err
		}
	} else if !errors.Is(err, gguf.ErrMissingKey) {
		r.fail(typeKey, "", err)
		return r.err
	}
	// llama.cpp applies a factor whenever one is given, whatever the type says.
	factor := r.float(keyRopeScaling, 0, false, true)
	if factor == 0 {
		factor = r.float(keyRopeScaleLinear, 0, false, true)
	}
	c.RopeFreqScale = 1
	if factor != 0 {
		c.RopeFreqScale = 1 / factor
	}
	c.NCtxOrigYarn = r.int(keyRopeOrigCtx, int64(c.NCtxTrain), 1)
	ext := 0.0
	if c.RopeScaling == RopeScalingYarn {
		ext = 1
	}
	c.YarnExtFactor = r.float(keyYarnExtFactor, ext, false, true)
	c.YarnAttnFactor = r.float(keyYarnAttnFactor, float64(r.float(keyRopeAttnFactor, 1, false, false)), false, false)
	c.YarnBetaFast = r.float(keyYarnBetaFast, 32, false, false)
	c.YarnBetaSlow = r.float(keyYarnBetaSlow, 1, false, false)
	return r.err
}
