package cpu_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/llmls/llmls/decoder/gguf"
	"github.com/llmls/llmls/kernels/cpu"
)

// sharedTestdata returns ../shared/testdata relative to the repository root, or skips.
func sharedTestdata(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("go.mod not found above the package directory")
		}
		dir = parent
	}
	td := filepath.Join(dir, "..", "shared", "testdata")
	if _, err := os.Stat(td); err != nil {
		t.Skipf("reference data %s absent (it lives outside the repository): %v", td, err)
	}
	return td
}

// TestMatMulRealModel runs MatMul on the weight matrices of a real llama.cpp-written Q8_0 file.
func TestMatMulRealModel(t *testing.T) {
	path := filepath.Join(sharedTestdata(t), "models", "tiny-qwen2-q8_0.gguf")
	f, err := gguf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p := cpu.NewPool(2)
	defer p.Close()
	tested := 0
	for _, ti := range f.Tensors {
		if len(ti.Dims) != 2 || !cpu.Supported(ti.Type) || ti.Dims[1] > 4096 {
			continue
		}
		t.Run(ti.Name, func(t *testing.T) {
			w, err := cpu.NewMatrix(ti.Type, int(ti.Dims[1]), int(ti.Dims[0]), ti.Data)
			if err != nil {
				t.Fatal(err)
			}
			const nTokens = 3
			x := randFloats(uint64(tested), nTokens*w.Cols, 1)
			want, tol := refMatMul(t, w, x, nTokens)
			dst := make([]float32, nTokens*w.Rows)
			cpu.MatMul(p, dst, w, x, nTokens)
			checkClose(t, "dst", dst, want, tol)
		})
		tested++
	}
	if tested == 0 {
		t.Fatal("no matrices tested")
	}
	t.Logf("%d matrices", tested)
}
