package kernels_test

import (
	"testing"

	"github.com/llmls/llmls/kernels"
)

func TestDTypeSizes(t *testing.T) {
	// Bytes per block from the C structs in ggml-common.h, derived by hand:
	// Q8_0 = f16 d + 32 i8; Q4_0 = f16 d + 16 bytes of nibbles; Q4_K = 2 f16 + 12 scale bytes +
	// 128 nibble bytes; Q6_K = 128 + 64 + 16 + f16; Q8_K = f32 + 256 + 16 i16.
	tests := []struct {
		t           kernels.DType
		name        string
		block, size int
	}{
		{kernels.F32, "F32", 1, 4},
		{kernels.F16, "F16", 1, 2},
		{kernels.BF16, "BF16", 1, 2},
		{kernels.Q8_0, "Q8_0", 32, 2 + 32},
		{kernels.Q4_0, "Q4_0", 32, 2 + 16},
		{kernels.Q4_1, "Q4_1", 32, 2 + 2 + 16},
		{kernels.Q5_0, "Q5_0", 32, 2 + 4 + 16},
		{kernels.Q4_K, "Q4_K", 256, 2 + 2 + 12 + 128},
		{kernels.Q5_K, "Q5_K", 256, 2 + 2 + 12 + 32 + 128},
		{kernels.Q6_K, "Q6_K", 256, 128 + 64 + 16 + 2},
		{kernels.Q8_K, "Q8_K", 256, 4 + 256 + 32},
	}
	for _, tc := range tests {
		if tc.t.BlockSize() != tc.block || tc.t.TypeSize() != tc.size || tc.t.String() != tc.name || !tc.t.Known() {
			t.Errorf("%s: block %d size %d name %q, want %d %d %q", tc.name, tc.t.BlockSize(), tc.t.TypeSize(), tc.t.String(), tc.block, tc.size, tc.name)
		}
		if got, ok := kernels.ParseDType(tc.name); !ok || got != tc.t {
			t.Errorf("ParseDType(%q) = %v, %v", tc.name, got, ok)
		}
		if n, ok := tc.t.RowSize(int64(tc.block) * 3); !ok || n != int64(tc.size)*3 {
			t.Errorf("%s: RowSize(3 blocks) = %d, %v", tc.name, n, ok)
		}
		if tc.block > 1 {
			if _, ok := tc.t.RowSize(int64(tc.block) + 1); ok {
				t.Errorf("%s: RowSize of a partial block accepted", tc.name)
			}
		}
	}
	for _, bad := range []kernels.DType{4, 5, 29, 31, 1000} {
		if bad.Known() || bad.BlockSize() != 0 {
			t.Errorf("DType(%d) known", uint32(bad))
		}
		if _, ok := bad.RowSize(32); ok {
			t.Errorf("DType(%d).RowSize accepted", uint32(bad))
		}
	}
}
