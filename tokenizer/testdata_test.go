package tokenizer_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/llmls/llmls/decoder/gguf"
	"github.com/llmls/llmls/tokenizer"
)

// goroot returns $(go env GOROOT), skipping the test when the go command is not available.
func goroot(t testing.TB) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil || len(bytes.TrimSpace(out)) == 0 {
		t.Skipf("go env GOROOT: %v", err)
	}
	return string(bytes.TrimSpace(out))
}

// repoRoot returns the directory holding go.mod above the test's working directory.
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("no go.mod above the test directory")
		}
		dir = parent
	}
}

// sharedTestdata returns ../shared/testdata relative to the repository root, skipping the
// test when it is absent (a clone outside the llmls workspace).
func sharedTestdata(t testing.TB) string {
	t.Helper()
	td := filepath.Join(repoRoot(t), "..", "shared", "testdata")
	if _, err := os.Stat(td); err != nil {
		t.Skipf("reference data %s is absent (only present in the llmls workspace): %v", td, err)
	}
	return td
}

var (
	loadedMu sync.Mutex
	loaded   = map[string]*tokenizer.Tokenizer{}
)

// loadGGUF returns the tokenizer of a GGUF file under the shared testdata, cached across
// tests (the Qwen vocabulary takes a moment to load).
func loadGGUF(t testing.TB, rel string) *tokenizer.Tokenizer {
	t.Helper()
	path := filepath.Join(sharedTestdata(t), rel)
	loadedMu.Lock()
	defer loadedMu.Unlock()
	if tok, ok := loaded[path]; ok {
		return tok
	}
	f, err := gguf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tok, err := tokenizer.FromGGUF(f)
	if err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	for _, w := range tok.Warnings() {
		t.Logf("%s: warning: %s", rel, w)
	}
	loaded[path] = tok
	return tok
}
