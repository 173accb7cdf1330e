package decoder_test

import (
	"math"
	"testing"

	"github.com/llmls/llmls/decoder"
	"github.com/llmls/llmls/kernels"
)

// kvValue encodes (layer, head, pos, dim) in a value F16 represents exactly (< 2^8 with two
// fraction bits), negated for values.
func kvValue(layer, head, pos, dim int) float32 {
	return float32(layer*64+head*16+pos) + float32(dim)/4
}

// fillKV returns k, v [n, nHeads·hd] for positions [pos, pos+n) of layer.
func fillKV(layer, pos, n, nHeads, hd int) (k, v []float32) {
	for t := range n {
		for h := range nHeads {
			for d := range hd {
				k = append(k, kvValue(layer, h, pos+t, d))
				v = append(v, -kvValue(layer, h, pos+t, d))
			}
		}
	}
	return k, v
}

func checkKV(t *testing.T, c *decoder.KVCache, layers, nHeads, hd, hi int) {
	t.Helper()
	buf := make([]float32, c.Cap()*hd)
	for l := range layers {
		for h := range nHeads {
			keys := c.Keys(l, h, hi, buf)
			for p := range hi {
				for d := range hd {
					if got, want := keys[p*hd+d], kvValue(l, h, p, d); got != want {
						t.Fatalf("layer %d head %d pos %d dim %d: key %v, want %v", l, h, p, d, got, want)
					}
				}
			}
			vals := c.Values(l, h, hi, buf)
			for p := range hi {
				if got, want := vals[p*hd], -kvValue(l, h, p, 0); got != want {
					t.Fatalf("layer %d head %d pos %d: value %v, want %v", l, h, p, got, want)
				}
			}
		}
	}
}

func TestKVCache(t *testing.T) {
	const layers, nHeads, hd, nCtx = 3, 2, 4, 10
	for _, typ := range []kernels.DType{kernels.F32, kernels.F16} {
		t.Run(typ.String(), func(t *testing.T) {
			c, err := decoder.NewKVCache(typ, layers, nHeads, hd, nCtx)
			if err != nil {
				t.Fatal(err)
			}
			// Two batches: [0, 4) then [4, 6).
			for _, r := range [][2]int{{0, 4}, {4, 2}} {
				for l := range layers {
					k, v := fillKV(l, r[0], r[1], nHeads, hd)
					c.Store(l, r[0], k, v, r[1])
				}
				c.Advance(r[0] + r[1])
			}
			if c.Len() != 6 || c.Cap() != nCtx || c.Type() != typ {
				t.Fatalf("Len %d Cap %d Type %v", c.Len(), c.Cap(), c.Type())
			}
			checkKV(t, c, layers, nHeads, hd, 6)
			// Roll back to 3 and overwrite [3, 5) with the same encoding: [0, 5) must read back.
			c.Truncate(3)
			for l := range layers {
				k, v := fillKV(l, 3, 2, nHeads, hd)
				c.Store(l, 3, k, v, 2)
			}
			c.Advance(5)
			checkKV(t, c, layers, nHeads, hd, 5)

			for _, bad := range []struct {
				name string
				f    func()
			}{
				{"store past Len", func() { k, v := fillKV(0, 6, 1, nHeads, hd); c.Store(0, 6, k, v, 1) }},
				{"store past Cap", func() { k, v := fillKV(0, 5, 6, nHeads, hd); c.Store(0, 5, k, v, 6) }},
				{"advance past Cap", func() { c.Advance(nCtx + 1) }},
				{"truncate past Len", func() { c.Truncate(6) }},
			} {
				if !panics(bad.f) {
					t.Errorf("%s: no panic", bad.name)
				}
			}
		})
	}
	if _, err := decoder.NewKVCache(kernels.Q8_0, 1, 1, 32, 4); err == nil {
		t.Error("Q8_0 cache accepted")
	}
	if got, want := decoder.KVCacheBytes(kernels.F16, 24, 2, 64, 4096), int64(2*24*2*64*4096*2); got != want {
		t.Errorf("KVCacheBytes = %d, want %d", got, want)
	}
}

// TestKVCacheF16Rounding checks llama.cpp's rounding of stored values to F16 (nearest, ties
// to even): steps of 2^-10 at 1.
func TestKVCacheF16Rounding(t *testing.T) {
	tests := []struct{ in, want float32 }{
		{1 + 0x1p-12, 1},               // a quarter step: down
		{1 + 3*0x1p-12, 1 + 0x1p-10},   // three quarters: up
		{1 + 0x1p-11, 1},               // tie: to even (1)
		{1 + 3*0x1p-11, 1 + 2*0x1p-10}, // tie: to even (1 + 2^-9)
		{70000, float32(math.Inf(1))},  // past the F16 range: +Inf, as ggml
	}
	c, _ := decoder.NewKVCache(kernels.F16, 1, 1, len(tests), 1)
	k := make([]float32, len(tests))
	for i, tc := range tests {
		k[i] = tc.in
	}
	c.Store(0, 0, k, k, 1)
	got := c.Keys(0, 0, 1, make([]float32, len(tests)))
	for i, tc := range tests {
		if got[i] != tc.want {
			t.Errorf("%v stored as %v, want %v", tc.in, got[i], tc.want)
		}
	}
}

func panics(f func()) (p bool) {
	defer func() { p = recover() != nil }()
	f()
	return false
}
