package cpu

import "math"

// F16ToF32 converts an IEEE 754 binary16 value (bits h) to float32. Exact for every input;
// NaNs keep their payload, like ggml's GGML_FP16_TO_FP32.
func F16ToF32(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h & 0x3ff)
	switch {
	case exp == 0x1f: // Inf or NaN
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case exp != 0: // normal
		return math.Float32frombits(sign | (exp+112)<<23 | mant<<13)
	case mant == 0:
		return math.Float32frombits(sign)
	default: // subnormal: mant × 2^-24, exact in float32
		f := float32(mant) * (1.0 / (1 << 24))
		if sign != 0 {
			f = -f
		}
		return f
	}
}

// F32ToF16 converts f to IEEE 754 binary16 bits, rounding to nearest, ties to even, like
// ggml's GGML_FP32_TO_FP16 (and the F16C instruction vcvtps2ph with rounding mode 0).
// Values of magnitude ≥ 65520 become ±Inf; NaN becomes a quiet NaN (0x7e00 with the sign).
func F32ToF16(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	abs := b & 0x7fffffff
	switch {
	case abs > 0x7f800000: // NaN
		return sign | 0x7e00
	case abs >= 0x477ff000: // rounds to ≥ 65520: overflow to Inf (also Inf itself)
		return sign | 0x7c00
	case abs >= 0x38800000: // ≥ 2^-14: normal half
		m := abs - (127-15)<<23
		m += 0xfff + (m>>13)&1
		return sign | uint16(m>>13)
	case abs >= 0x33000000: // ≥ 2^-25: subnormal half (or rounds up to it)
		e := abs >> 23
		mant := abs&0x7fffff | 0x800000
		s := 126 - e // 14..24
		q := mant >> s
		rem := mant & (1<<s - 1)
		half := uint32(1) << (s - 1)
		if rem > half || rem == half && q&1 == 1 {
			q++
		}
		return sign | uint16(q)
	default:
		return sign
	}
}

// BF16ToF32 converts bfloat16 bits to float32 (exact: bfloat16 is the top half of a float32).
func BF16ToF32(h uint16) float32 { return math.Float32frombits(uint32(h) << 16) }

// F32ToBF16 converts f to bfloat16 bits, rounding to nearest, ties to even; NaN becomes a quiet
// NaN. Same as ggml's GGML_FP32_TO_BF16 (ggml/src/ggml-impl.h ggml_compute_fp32_to_bf16).
func F32ToBF16(f float32) uint16 {
	u := math.Float32bits(f)
	if u&0x7fffffff > 0x7f800000 {
		return uint16(u>>16) | 64
	}
	return uint16((u + 0x7fff + (u>>16)&1) >> 16)
}

// roundF16 returns f rounded to the nearest binary16 value, as float32.
func roundF16(f float32) float32 { return F16ToF32(F32ToF16(f)) }

func le16(b []byte) uint16 { return uint16(b[0]) | uint16(b[1])<<8 }

func f16at(b []byte) float32 { return F16ToF32(uint16(b[0]) | uint16(b[1])<<8) }

func putLE16(b []byte, v uint16) { b[0] = byte(v); b[1] = byte(v >> 8) }
