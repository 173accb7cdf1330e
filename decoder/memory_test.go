package decoder_test

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"github.com/llmls/llmls/decoder"
	"github.com/llmls/llmls/kernels"
)

// rssBytes returns the resident set size of this process (Linux /proc), or skips.
func rssBytes(t *testing.T) int64 {
	t.Helper()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Skipf("resident memory: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Skip("resident memory: no VmRSS in /proc/self/status")
	return 0
}

// TestResidentMemory checks issue #4's budget: loading and running a model adds at most
// the file size + the KV cache + 64 MiB to the resident memory (matrices stay in the
// mapping; embeddings are looked up row by row).
func TestResidentMemory(t *testing.T) {
	const slack = 64 << 20
	path := filepath.Join(testdataDir(t), "models", "tiny-qwen2-q8_0.gguf")
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	debug.FreeOSMemory()
	before := rssBytes(t)
	m, err := decoder.Load(path, decoder.WithThreads(2))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	const nCtx = 1024
	s, err := m.NewSession(decoder.SessionOptions{ContextLength: nCtx, KVType: kernels.F16})
	if err != nil {
		t.Fatal(err)
	}
	prompt := make([]int32, 600)
	for i := range prompt {
		prompt[i] = int32(i * 97 % m.Config.NVocab)
	}
	if _, err := s.Generate(context.Background(), prompt, decoder.GenerateOptions{MaxTokens: 32}); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	after := rssBytes(t)
	c := m.Config
	kv := decoder.KVCacheBytes(kernels.F16, c.NLayer, c.NHeadKV, c.NEmbdHead, nCtx)
	budget := st.Size() + kv + slack
	t.Logf("resident memory grew by %.1f MiB (file %.1f MiB, KV cache %.1f MiB, budget %.1f MiB)",
		float64(after-before)/(1<<20), float64(st.Size())/(1<<20), float64(kv)/(1<<20), float64(budget)/(1<<20))
	if after-before > budget {
		t.Errorf("resident memory grew by %d bytes, budget %d", after-before, budget)
	}
}
