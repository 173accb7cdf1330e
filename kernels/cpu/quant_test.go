package cpu_test

import (
	"encoding/binary"
	"math"
	"testing"

	"github.com/llmls/llmls/kernels"
	"github.com/llmls/llmls/kernels/cpu"
)

// TestBlockSizes asserts the block layouts of blocks.go against kernels.DType (ggml-common.h).
func TestBlockSizes(t *testing.T) {
	for typ, size := range cpu.BlockSizes {
		if typ.TypeSize() != size {
			t.Errorf("%v: block is %d bytes in cpu, %d in kernels", typ, size, typ.TypeSize())
		}
	}
	if len(cpu.BlockSizes) != 10 {
		t.Errorf("expected 10 block formats, have %d", len(cpu.BlockSizes))
	}
}

// Thresholds of llama.cpp's tests/test-quantize-fns.cpp, which measures sqrt(Σ diff²)/n over
// 4096 values of 0.1 + 2·cos(i + offset).
const (
	maxQuantizationTotalError = 0.002  // MAX_QUANTIZATION_TOTAL_ERROR
	maxDotProductError        = 0.02   // MAX_DOT_PRODUCT_ERROR
	maxQuantizationRefError   = 0.0001 // MAX_QUANTIZATION_REFERENCE_ERROR
)

func cosData(n int, offset float64) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(0.1 + 2*math.Cos(float64(i)+offset))
	}
	return x
}

func arrayRMSE(a []float32, b []float32) float64 {
	var sum float64
	for i := range a {
		d := float64(a[i]) - float64(b[i])
		sum += d * d
	}
	return math.Sqrt(sum) / float64(len(a))
}

var quantTypes = []kernels.DType{
	kernels.F32, kernels.F16, kernels.BF16,
	kernels.Q4_0, kernels.Q4_1, kernels.Q5_0, kernels.Q5_1, kernels.Q8_0, kernels.Q8_1,
	kernels.Q4_K, kernels.Q5_K, kernels.Q6_K, kernels.Q8_K,
}

func quantize(t *testing.T, typ kernels.DType, x []float32) []byte {
	t.Helper()
	size, ok := typ.RowSize(int64(len(x)))
	if !ok {
		t.Fatalf("%v: bad length %d", typ, len(x))
	}
	q := make([]byte, size)
	if err := cpu.Quantize(typ, q, x); err != nil {
		t.Fatal(err)
	}
	return q
}

func dequantize(t *testing.T, typ kernels.DType, q []byte, n int) []float32 {
	t.Helper()
	y := make([]float32, n)
	if err := cpu.Dequantize(typ, y, q); err != nil {
		t.Fatal(err)
	}
	return y
}

// TestQuantizeFns replays test-quantize-fns.cpp: total quantization error and the error of the
// quantized dot product against the float one.
func TestQuantizeFns(t *testing.T) {
	const n = 32 * 128
	x1 := cosData(n, 0)
	x2 := cosData(n, 1)
	var ref float64
	for i := range x1 {
		ref += float64(x1[i]) * float64(x2[i])
	}
	for _, typ := range cpu.MatMulTypes {
		t.Run(typ.String(), func(t *testing.T) {
			y := dequantize(t, typ, quantize(t, typ, x1), n)
			if e := arrayRMSE(x1, y); e > maxQuantizationTotalError {
				t.Errorf("quantization error %g > %g", e, maxQuantizationTotalError)
			}
			w, err := cpu.NewMatrix(typ, 1, n, quantize(t, typ, x1))
			if err != nil {
				t.Fatal(err)
			}
			var got [1]float32
			cpu.MatMul(nil, got[:], w, x2, 1)
			if e := math.Abs(float64(got[0])-ref) / n; e > maxDotProductError {
				t.Errorf("dot product error %g > %g (got %g, want %g)", e, maxDotProductError, got[0], ref)
			}
		})
	}
}

// TestRoundTripBound checks each value's error against the bound its format implies.
func TestRoundTripBound(t *testing.T) {
	x := randFloats(7, 4*256, 1)
	x[5] = 0 // a zero block element
	zeros := make([]float32, 256)
	for _, typ := range quantTypes {
		t.Run(typ.String(), func(t *testing.T) {
			for _, in := range [][]float32{x, zeros} {
				y := dequantize(t, typ, quantize(t, typ, in), len(in))
				bs := typ.BlockSize()
				if bs == 1 {
					bs = 32
				}
				for b := 0; b < len(in)/bs; b++ {
					blk := in[b*bs : (b+1)*bs]
					var amax, lo, hi float64
					lo, hi = math.Inf(1), math.Inf(-1)
					for _, v := range blk {
						amax = math.Max(amax, math.Abs(float64(v)))
						lo, hi = math.Min(lo, float64(v)), math.Max(hi, float64(v))
					}
					var bound float64
					switch typ {
					case kernels.F32:
						bound = 0
					case kernels.F16:
						bound = amax * 0x1p-11
					case kernels.BF16:
						bound = amax * 0x1p-8
					case kernels.Q8_0, kernels.Q8_1, kernels.Q8_K:
						bound = amax/127*0.5 + amax*0x1p-10 // half a step, plus the f16 rounding of d
					case kernels.Q4_0:
						bound = amax / 8 // a full step: +amax maps to 8, clamped to 7
					case kernels.Q5_0:
						bound = amax / 16
					case kernels.Q4_1:
						bound = (hi-lo)/15*0.5 + amax*0x1p-9
					case kernels.Q5_1:
						bound = (hi-lo)/31*0.5 + amax*0x1p-9
					case kernels.Q4_K: // 6-bit quantized sub-block scales and mins: a step of ≤ range/15, plus scale error
						bound = (hi - lo) / 15 * 1.5
					case kernels.Q5_K:
						bound = (hi - lo) / 31 * 2
					case kernels.Q6_K:
						bound = amax / 32 * 1.5
					}
					for i, v := range blk {
						if d := math.Abs(float64(v) - float64(y[b*bs+i])); d > bound {
							t.Fatalf("block %d element %d: %g → %g, error %g > bound %g", b, i, v, y[b*bs+i], d, bound)
						}
					}
				}
			}
		})
	}
}

func TestQuantizeErrors(t *testing.T) {
	tests := []struct {
		name   string
		typ    kernels.DType
		nbytes int
		n      int
	}{
		{"unsupported type", kernels.Q2_K, 84, 256},
		{"partial block", kernels.Q8_0, 34, 31},
		{"dst too small", kernels.Q8_0, 33, 32},
		{"dst too large", kernels.Q4_K, 145, 256},
		{"unknown type", kernels.DType(99), 4, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := cpu.Quantize(tt.typ, make([]byte, tt.nbytes), make([]float32, tt.n)); err == nil {
				t.Error("Quantize: no error")
			}
			if err := cpu.Dequantize(tt.typ, make([]float32, tt.n), make([]byte, tt.nbytes)); err == nil {
				t.Error("Dequantize: no error")
			}
		})
	}
}

// One block of each type written by hand, with the values worked out by hand from the layout in
// ggml-common.h.
func TestDequantizeHandBlocks(t *testing.T) {
	f16 := func(f float32) []byte { return binary.LittleEndian.AppendUint16(nil, cpu.F32ToF16(f)) }
	cat := func(parts ...[]byte) []byte {
		var b []byte
		for _, p := range parts {
			b = append(b, p...)
		}
		return b
	}
	rep := func(v byte, n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = v
		}
		return b
	}
	tests := []struct {
		name  string
		typ   kernels.DType
		block []byte
		check map[int]float32 // element → value
	}{
		{"Q8_0 d=0.5", kernels.Q8_0, cat(f16(0.5), []byte{1, 0xff, 127, 0x80}, rep(0, 28)),
			map[int]float32{0: 0.5, 1: -0.5, 2: 63.5, 3: -64, 31: 0}},
		{"Q4_0 d=2 low/high nibbles", kernels.Q4_0, cat(f16(2), []byte{0x9f, 0x08}, rep(0x88, 14)),
			// qs[0]=0x9f: element 0 = (15−8)·2 = 14, element 16 = (9−8)·2 = 2; qs[1]=0x08: element 1 = 0, 17 = −16
			map[int]float32{0: 14, 16: 2, 1: 0, 17: -16, 31: 0}},
		{"Q4_1 d=0.25 m=-1", kernels.Q4_1, cat(f16(0.25), f16(-1), []byte{0xf0}, rep(0, 15)),
			map[int]float32{0: -1, 16: 2.75, 1: -1}},
		{"Q5_0 d=1 high bits", kernels.Q5_0, cat(f16(1), []byte{0x01, 0, 0x01, 0}, []byte{0x2f}, rep(0, 15)),
			// element 0: low 0xf | bit0 of qh → 31−16 = 15; element 16: 0x2 | bit16 → 18−16 = 2; element 1: 0−16
			map[int]float32{0: 15, 16: 2, 1: -16, 17: -16}},
		{"Q5_1 d=1 m=0.5", kernels.Q5_1, cat(f16(1), f16(0.5), []byte{0, 0, 0, 0x80}, []byte{0x10}, rep(0, 15)),
			// element 0: 0 + 0.5; element 16: 1 + 0.5; element 31: high bit set → 16 + 0.5
			map[int]float32{0: 0.5, 16: 1.5, 31: 16.5}},
		{"Q4_K", kernels.Q4_K, cat(f16(0.5), f16(0.25),
			// scales: sub-block 0 scale 2 min 4 (bytes 0 and 4); sub-block 4 scale 0x21 min 0x13:
			// low 4 bits in byte 8 (0x1 | 0x3<<4), high 2 bits in bytes 0 and 4 (bits 6–7)
			[]byte{2 | 2<<6, 0, 0, 0, 4 | 1<<6, 0, 0, 0, 0x31, 0, 0, 0},
			[]byte{0x73}, rep(0, 127)),
			// element 0 (sub-block 0, low nibble 3): 0.5·2·3 − 0.25·4 = 2; element 32 (sub-block 1,
			// high nibble 7, scale 0 min 0): 0; element 128 (sub-block 4 uses qs[64], low nibble 0):
			// 0.5·33·0 − 0.25·19 = −4.75
			map[int]float32{0: 2, 32: 0, 128: -4.75}},
		{"Q6_K", kernels.Q6_K, cat([]byte{0x21}, rep(0, 127), []byte{0x02}, rep(0, 63), []byte{3, 0xfe}, rep(0, 14), f16(0.5)),
			// element 0: ql[0]&0xf = 1 | (qh[0]&3)<<4 = 0x20 → 33−32 = 1, scale 3: 0.5·3·1 = 1.5
			// element 64: ql[0]>>4 = 2 | (qh[0]>>4&3)<<4 = 0 → 2−32 = −30, scale[4] = 0: 0
			// element 16: q = 0−32, scale[1] = −2: 0.5·−2·−32 = 32
			map[int]float32{0: 1.5, 64: 0, 16: 32}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.block) != tt.typ.TypeSize() {
				t.Fatalf("test block has %d bytes, want %d", len(tt.block), tt.typ.TypeSize())
			}
			y := dequantize(t, tt.typ, tt.block, tt.typ.BlockSize())
			for i, want := range tt.check {
				if y[i] != want {
					t.Errorf("element %d = %g, want %g", i, y[i], want)
				}
			}
		})
	}
}

// TestQuantizeQ8_0Hand: amax 127 gives d = 1 and exact integers; 0.5 ties round away from zero
// (roundf) in the reference quantizer.
func TestQuantizeQ8_0Hand(t *testing.T) {
	x := make([]float32, 32)
	x[0], x[1], x[2], x[3] = 127, -3, 2.5, -2.5
	q := quantize(t, kernels.Q8_0, x)
	if d := cpu.F16ToF32(binary.LittleEndian.Uint16(q)); d != 1 {
		t.Fatalf("d = %g, want 1", d)
	}
	for i, want := range []int8{127, -3, 3, -3} {
		if got := int8(q[2+i]); got != want {
			t.Errorf("q[%d] = %d, want %d", i, got, want)
		}
	}
}
