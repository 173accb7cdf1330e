package cpu

// Block layouts of the ggml quantized types, defined once here (byte offsets within a block,
// little-endian). Source: ggml/src/ggml-common.h (block_q4_0 … block_q8_K). Every multi-byte
// scale is an IEEE half (f16) except Q8_K's d, a float32. Sizes are asserted against
// kernels.DType.TypeSize in blocks_test.go.
const (
	qk  = 32  // elements per block of the _0/_1 types (QK4_0, QK8_0, …)
	qkK = 256 // elements per super-block of the K types (QK_K)

	// Q4_0: {f16 d; u8 qs[16]}: element j of the low half is qs[j]&15, of the high half
	// qs[j]>>4; w = d·(q−8). 4.5 bits/weight.
	blockQ4_0 = 2 + qk/2
	// Q4_1: {f16 d; f16 m; u8 qs[16]}: w = d·q + m. 5 bits/weight.
	blockQ4_1 = 4 + qk/2
	// Q5_0: {f16 d; u8 qh[4]; u8 qs[16]}: bit j of the little-endian u32 qh is the 5th bit of
	// element j; w = d·(q−16). 5.5 bits/weight.
	blockQ5_0 = 2 + 4 + qk/2
	// Q5_1: {f16 d; f16 m; u8 qh[4]; u8 qs[16]}: w = d·q + m. 6 bits/weight.
	blockQ5_1 = 4 + 4 + qk/2
	// Q8_0: {f16 d; i8 qs[32]}: w = d·q. 8.5 bits/weight.
	blockQ8_0 = 2 + qk
	// Q8_1: {f16 d; f16 s; i8 qs[32]}: s = d·Σq. 9 bits/weight (activations only).
	blockQ8_1 = 4 + qk

	// Q4_K: {f16 d; f16 dmin; u8 scales[12]; u8 qs[128]}: 8 sub-blocks of 32 with 6-bit scale
	// and min packed in scales (get_scale_min_k4); w = d·sc·q − dmin·m. 4.5 bits/weight.
	blockQ4_K = 4 + 12 + qkK/2
	// Q5_K: {f16 d; f16 dmin; u8 scales[12]; u8 qh[32]; u8 qs[128]}. 5.5 bits/weight.
	blockQ5_K = 4 + 12 + qkK/8 + qkK/2
	// Q6_K: {u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d}: 16 sub-blocks of 16 with int8 scales;
	// w = d·sc·(q−32). 6.5625 bits/weight.
	blockQ6_K = qkK/2 + qkK/4 + qkK/16 + 2
	// Q8_K: {f32 d; i8 qs[256]; i16 bsums[16]}: bsums[j] = Σ qs[16j:16j+16]. Activations only.
	blockQ8_K = 4 + qkK + qkK/16*2
)

// Offsets inside a Q4_K/Q5_K block.
const (
	offKScales = 4
	offKQh     = 16 // Q5_K only
	offQ4KQs   = 16
	offQ5KQs   = 16 + qkK/8
	// Q6_K
	offQ6Qh     = qkK / 2
	offQ6Scales = qkK/2 + qkK/4
	offQ6D      = qkK/2 + qkK/4 + qkK/16
)

// scaleMinK4 unpacks the 6-bit scale and min of sub-block j (0..7) of a Q4_K/Q5_K block from its
// 12 packed bytes q (ggml-quants.c get_scale_min_k4).
func scaleMinK4(j int, q []byte) (sc, m uint8) {
	if j < 4 {
		return q[j] & 63, q[j+4] & 63
	}
	return q[j+4]&0xf | (q[j-4]>>6)<<4, q[j+4]>>4 | (q[j]>>6)<<4
}
