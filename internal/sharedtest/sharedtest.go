// Package sharedtest locates the workspace's reference data (../shared/testdata next to the
// repository: tokenizer vectors, tiny models, LoRA adapters and llama.cpp's outputs for them)
// for tests, and skips a test when it is absent, so that a fresh clone elsewhere still passes.
// It is for tests only; kernels, tokenizer and context keep importing nothing of ours.
package sharedtest

import (
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the absolute path of ../shared/testdata relative to the module root (the first
// directory above the working directory that holds go.mod), joined with sub when given. It
// calls t.Skip, naming the path it wanted, when that path does not exist.
func Dir(t testing.TB, sub ...string) string {
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
			t.Skip("reference data: go.mod not found above the package directory")
		}
		dir = parent
	}
	td := filepath.Join(append([]string{dir, "..", "shared", "testdata"}, sub...)...)
	if _, err := os.Stat(td); err != nil {
		t.Skipf("reference data not available (want %s, outside the repository): %v", td, err)
	}
	return filepath.Join(dir, "..", "shared", "testdata")
}
