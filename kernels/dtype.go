package kernels

import "fmt"

// DType is a ggml tensor element type, numbered as in ggml's `enum ggml_type`
// (ggml/include/ggml.h) and therefore as stored in GGUF tensor infos.
//
// Quantized types store a row as consecutive blocks; a block of BlockSize() elements occupies
// TypeSize() bytes. The block layouts are described on each constant and implemented in
// kernels/cpu (and kernels/cuda); this file is the single definition of their sizes.
type DType uint32

// ggml types. Bits per weight in parentheses.
const (
	F32  DType = 0 // float32, 1 element per "block" (32 bpw)
	F16  DType = 1 // IEEE half (16 bpw)
	Q4_0 DType = 2 // {f16 d; u8 qs[16]}: 32 weights, w = d*(q-8), q 4-bit (4.5 bpw)
	Q4_1 DType = 3 // {f16 d, m; u8 qs[16]}: w = d*q + m (5 bpw)
	Q5_0 DType = 6 // {f16 d; u8 qh[4]; u8 qs[16]}: w = d*(q-16), q 5-bit (5.5 bpw)
	Q5_1 DType = 7 // {f16 d, m; u8 qh[4]; u8 qs[16]}: w = d*q + m (6 bpw)
	Q8_0 DType = 8 // {f16 d; i8 qs[32]}: w = d*q (8.5 bpw)
	Q8_1 DType = 9 // {f16 d, s; i8 qs[32]}: s = d*sum(qs) (9 bpw)
	Q2_K DType = 10
	Q3_K DType = 11
	Q4_K DType = 12 // super-block of 256: {f16 d, dmin; u8 scales[12]; u8 qs[128]} (4.5 bpw)
	Q5_K DType = 13 // {f16 d, dmin; u8 scales[12]; u8 qh[32]; u8 qs[128]} (5.5 bpw)
	Q6_K DType = 14 // {u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d} (6.5625 bpw)
	Q8_K DType = 15 // {f32 d; i8 qs[256]; i16 bsums[16]}: activations partner of the K types
	I8   DType = 24
	I16  DType = 25
	I32  DType = 26
	I64  DType = 27
	F64  DType = 28
	BF16 DType = 30 // bfloat16 (16 bpw)
)

type dtypeTraits struct {
	name      string
	blockSize int // elements per block
	typeSize  int // bytes per block
}

// Sizes from ggml/src/ggml.c type_traits (block_q8_0 etc. in ggml/src/ggml-common.h).
// An array, not a map: RowSize is on the hot path of every matrix product.
var traits = [...]dtypeTraits{
	F32:  {"F32", 1, 4},
	F16:  {"F16", 1, 2},
	Q4_0: {"Q4_0", 32, 18},
	Q4_1: {"Q4_1", 32, 20},
	Q5_0: {"Q5_0", 32, 22},
	Q5_1: {"Q5_1", 32, 24},
	Q8_0: {"Q8_0", 32, 34},
	Q8_1: {"Q8_1", 32, 36},
	Q2_K: {"Q2_K", 256, 84},
	Q3_K: {"Q3_K", 256, 110},
	Q4_K: {"Q4_K", 256, 144},
	Q5_K: {"Q5_K", 256, 176},
	Q6_K: {"Q6_K", 256, 210},
	Q8_K: {"Q8_K", 256, 292},
	I8:   {"I8", 1, 1},
	I16:  {"I16", 1, 2},
	I32:  {"I32", 1, 4},
	I64:  {"I64", 1, 8},
	F64:  {"F64", 1, 8},
	BF16: {"BF16", 1, 2},
}

// lookup returns t's traits; the zero value (blockSize 0) for an unknown type.
func (t DType) lookup() dtypeTraits {
	if int(t) < len(traits) {
		return traits[t]
	}
	return dtypeTraits{}
}

// Known reports whether t is a type whose block size this package knows.
// A known type is not necessarily one the kernels can compute with; see kernels/cpu.
func (t DType) Known() bool { return t.lookup().blockSize > 0 }

// String returns ggml's name of the type ("Q8_0"), or "DType(N)" for an unknown one.
func (t DType) String() string {
	if tr := t.lookup(); tr.blockSize > 0 {
		return tr.name
	}
	return fmt.Sprintf("DType(%d)", uint32(t))
}

// BlockSize returns the number of elements per block (1 for plain float and integer types).
// It returns 0 for an unknown type.
func (t DType) BlockSize() int { return t.lookup().blockSize }

// TypeSize returns the number of bytes per block. It returns 0 for an unknown type.
func (t DType) TypeSize() int { return t.lookup().typeSize }

// RowSize returns the bytes used by n elements of type t, and false when t is unknown or n is
// not a multiple of the block size (ggml requires every row to be whole blocks).
func (t DType) RowSize(n int64) (int64, bool) {
	tr := t.lookup()
	if tr.blockSize == 0 || n < 0 || n%int64(tr.blockSize) != 0 {
		return 0, false
	}
	return n / int64(tr.blockSize) * int64(tr.typeSize), true
}

// ParseDType returns the type with ggml's name s ("q8_0" or "Q8_0").
func ParseDType(s string) (DType, bool) {
	for t, tr := range traits {
		if tr.blockSize > 0 && equalFold(tr.name, s) {
			return DType(t), true
		}
	}
	return 0, false
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'a' <= x && x <= 'z' {
			x -= 'a' - 'A'
		}
		if 'a' <= y && y <= 'z' {
			y -= 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
