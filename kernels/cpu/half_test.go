package cpu_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/llmls/llmls/kernels/cpu"
)

func TestF16Table(t *testing.T) {
	tests := []struct {
		name string
		f    float32
		h    uint16
	}{
		{"one", 1, 0x3c00},
		{"minus two", -2, 0xc000},
		{"zero", 0, 0},
		{"negative zero", float32(math.Copysign(0, -1)), 0x8000},
		{"max half", 65504, 0x7bff},
		{"just below overflow rounds down", 65519.99, 0x7bff},
		{"65520 overflows to inf", 65520, 0x7c00},
		{"inf", float32(math.Inf(1)), 0x7c00},
		{"-inf", float32(math.Inf(-1)), 0xfc00},
		{"smallest normal", 1.0 / 16384, 0x0400},
		{"smallest subnormal", 1.0 / (1 << 24), 0x0001},
		{"half of smallest subnormal ties to zero", 1.0 / (1 << 25), 0x0000},
		{"above half of smallest subnormal", 1.0/(1<<25) + 1.0/(1<<40), 0x0001},
		{"1.5 subnormal units ties to 2", 3.0 / (1 << 25), 0x0002},
		{"2.5 subnormal units ties to 2", 5.0 / (1 << 25), 0x0002},
		{"1+2^-11 ties to even 1", 1 + 1.0/2048, 0x3c00},
		{"1+3·2^-11 ties to even 1+2^-9", 1 + 3.0/2048, 0x3c02},
		{"0.1", 0.1, 0x2e66},
		{"largest subnormal rounds up to normal", 1.0/16384 - 1.0/(1<<26), 0x0400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cpu.F32ToF16(tt.f); got != tt.h {
				t.Errorf("F32ToF16(%g) = %#04x, want %#04x", tt.f, got, tt.h)
			}
		})
	}
	if h := cpu.F32ToF16(float32(math.NaN())); h&0x7c00 != 0x7c00 || h&0x3ff == 0 {
		t.Errorf("F32ToF16(NaN) = %#04x, not a NaN", h)
	}
}

// TestF16RoundTripAll checks every half: F16ToF32 is exact (compared with a float64 formula) and
// F32ToF16 inverts it.
func TestF16RoundTripAll(t *testing.T) {
	for h := 0; h < 1<<16; h++ {
		f := cpu.F16ToF32(uint16(h))
		exp, mant := h>>10&0x1f, h&0x3ff
		var want float64
		switch {
		case exp == 0x1f && mant != 0:
			if !math.IsNaN(float64(f)) {
				t.Fatalf("F16ToF32(%#04x) = %g, want NaN", h, f)
			}
			continue
		case exp == 0x1f:
			want = math.Inf(1)
		case exp == 0:
			want = float64(mant) * math.Pow(2, -24)
		default:
			want = (1 + float64(mant)/1024) * math.Pow(2, float64(exp-15))
		}
		if h&0x8000 != 0 {
			want = -want
		}
		if float64(f) != want || math.Signbit(float64(f)) != (h&0x8000 != 0) {
			t.Fatalf("F16ToF32(%#04x) = %g, want %g", h, f, want)
		}
		if back := cpu.F32ToF16(f); back != uint16(h) {
			t.Fatalf("F32ToF16(F16ToF32(%#04x)) = %#04x", h, back)
		}
	}
}

// TestF16RoundNearestEven compares F32ToF16 on random floats with the nearest half found by
// search (ties to the even mantissa).
func TestF16RoundNearestEven(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 200000; i++ {
		f := math.Float32frombits(r.Uint32())
		if math.IsNaN(float64(f)) || math.Abs(float64(f)) >= 65520 {
			continue
		}
		h := cpu.F32ToF16(f)
		got := float64(cpu.F16ToF32(h))
		// Neighbours of the result must not be nearer.
		for _, nb := range []uint16{h + 1, h - 1} {
			if nb&0x7c00 == 0x7c00 {
				continue
			}
			v := float64(cpu.F16ToF32(nb))
			if math.Signbit(v) != math.Signbit(got) && v != 0 && got != 0 {
				continue
			}
			dg, dn := math.Abs(got-float64(f)), math.Abs(v-float64(f))
			if dn < dg || dn == dg && h&1 == 1 {
				t.Fatalf("F32ToF16(%g) = %#04x (%g), but %#04x (%g) is nearer or even", f, h, got, nb, v)
			}
		}
	}
}

func TestBF16(t *testing.T) {
	tests := []struct {
		name string
		f    float32
		h    uint16
	}{
		{"one", 1, 0x3f80},
		{"tie to even down", math.Float32frombits(0x3f808000), 0x3f80},
		{"tie to even up", math.Float32frombits(0x3f818000), 0x3f82},
		{"above tie", math.Float32frombits(0x3f808001), 0x3f81},
		{"inf", float32(math.Inf(1)), 0x7f80},
		{"max float rounds to inf", math.MaxFloat32, 0x7f80},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cpu.F32ToBF16(tt.f); got != tt.h {
				t.Errorf("F32ToBF16(%g) = %#04x, want %#04x", tt.f, got, tt.h)
			}
			if tt.h != 0x7f80 && cpu.BF16ToF32(tt.h) != math.Float32frombits(uint32(tt.h)<<16) {
				t.Errorf("BF16ToF32(%#04x) wrong", tt.h)
			}
		})
	}
	if h := cpu.F32ToBF16(float32(math.NaN())); !math.IsNaN(float64(cpu.BF16ToF32(h))) {
		t.Errorf("F32ToBF16(NaN) = %#04x, not a NaN", h)
	}
}
