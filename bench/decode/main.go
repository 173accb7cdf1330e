// Command decode is llmls's speed benchmark (`make bench`). On a model with the exact shapes of
// Qwen2.5-Coder-0.5B (24 layers, hidden 896, 14 heads, 2 KV heads, FFN 4864, vocabulary 151936,
// tied embeddings, QKV bias) and random weights, which it generates once and caches, it times
// prompt evaluation (a 512-token prompt in one batch) and decoding (64 tokens, one at a time) for
// llmls and for llama.cpp (the npm package node-llama-cpp, tools/peers/llama-bench.mjs) in the
// same run with the same threads, alternating the two (A B A B …) and reporting medians; and it
// relates decode speed to the memory-bandwidth roofline: weight bytes read per token ÷ read
// bandwidth measured in the same run (probed right after every timed rep, since other load on the
// machine changes it; decode/roof is the median over reps of tokens/s × bytes ÷ that rep's
// bandwidth).
//
// Usage:
//
//	go run ./bench/decode [-types q8_0,q4_0] [-threads 2] [-reps 3] [-prompt 512] [-gen 64]
//	                      [-peer tools/peers/llama-bench.mjs] [-no-peer] [-gen-only] [-kv f16]
//	go run ./bench/decode -kernels [-types …] [-threads 2] [-prompt 512]
//
// -kernels times cpu.MatMul alone on the model's matrix shapes (decode GB/s as a fraction of the
// measured bandwidth, prompt tokens/s) and the whole-model rates those imply.
//
// Run it from the repository root (paths default relative to it). The generated models go to
// .cache/bench (gitignored); the tokenizer metadata is copied from
// ../shared/testdata/vocab/ggml-vocab-qwen2.5-coder.gguf.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/llmls/llmls/kernels"
)

func main() {
	var (
		cache   = flag.String("cache", ".cache/bench", "folder for the generated models")
		vocab   = flag.String("vocab", "../shared/testdata/vocab/ggml-vocab-qwen2.5-coder.gguf", "GGUF whose tokenizer metadata the models get")
		types   = flag.String("types", "q8_0,q4_0", "weight types to benchmark (comma-separated)")
		threads = flag.Int("threads", 2, "threads for both llmls and llama.cpp")
		reps    = flag.Int("reps", 3, "measured reps of each engine (alternating)")
		prompt  = flag.Int("prompt", 512, "prompt tokens")
		gen     = flag.Int("gen", 64, "decoded tokens")
		peer    = flag.String("peer", "tools/peers/llama-bench.mjs", "llama.cpp benchmark script (node)")
		noPeer  = flag.Bool("no-peer", false, "skip llama.cpp")
		genOnly = flag.Bool("gen-only", false, "only generate the models")
		kvName  = flag.String("kv", "f16", "llmls KV cache type (llama.cpp's default is f16)")
		kern    = flag.Bool("kernels", false, "time cpu.MatMul on the model's matrix shapes instead of whole models")
	)
	flag.Parse()
	if *kern {
		bw := bandwidthGBs(1<<30, *threads, 3)
		for _, name := range strings.Split(*types, ",") {
			t, ok := kernels.ParseDType(strings.TrimSpace(name))
			if !ok {
				fatalf("bench: unknown type %q", name)
			}
			if err := benchKernels(os.Stdout, t, *threads, *prompt, bw); err != nil {
				fatalf("bench: %v", err)
			}
		}
		return
	}
	kv, ok := kernels.ParseDType(*kvName)
	if !ok {
		fatalf("bench: unknown KV type %q", *kvName)
	}
	if !*noPeer && !*genOnly && !fileExists(*peer) {
		fatalf("bench: %s not found (run from the repository root, and `npm ci` in tools/peers), or pass -no-peer", *peer)
	}
	var rows []resultRow
	for _, name := range strings.Split(*types, ",") {
		t, ok := kernels.ParseDType(strings.TrimSpace(name))
		if !ok {
			fatalf("bench: unknown type %q", name)
		}
		path := filepath.Join(*cache, fmt.Sprintf("qwen2.5-coder-0.5b-shape-%s.gguf", strings.ToLower(t.String())))
		if !fileExists(path) {
			start := time.Now()
			if err := generateModel(path, qwen05, t, *vocab); err != nil {
				fatalf("bench: generate %s: %v", path, err)
			}
			fmt.Fprintf(os.Stderr, "generated %s in %v\n", path, time.Since(start).Round(time.Millisecond))
		}
		if *genOnly {
			continue
		}
		row, err := benchType(path, t, kv, *threads, *reps, *prompt, *gen, *peer, *noPeer)
		if err != nil {
			fatalf("%v", err)
		}
		rows = append(rows, row)
	}
	if len(rows) > 0 {
		printTable(os.Stdout, rows, *threads, *prompt, *gen)
	}
}

// resultRow holds the medians for one weight type.
type resultRow struct {
	typ            kernels.DType
	llmls, peer    timing // medians
	peerOK         bool
	bandwidthGBs   float64
	weightBytes    int64
	peerInfo       string
	llmlsRaw, pRaw []timing
	// Per-rep decode roofline fractions: tokens/s × weight bytes ÷ the bandwidth probed right
	// after that rep (the machine's load changes between reps; a probe per rep tracks it).
	llmlsRoof, peerRoof []float64
}

func benchType(path string, t kernels.DType, kv kernels.DType, threads, reps, prompt, gen int, peer string, noPeer bool) (resultRow, error) {
	row := resultRow{typ: t, weightBytes: qwen05.weightBytes(t)}
	fmt.Fprintf(os.Stderr, "%v: loading llmls\n", t)
	r, err := newLLMLS(path, threads, kv)
	if err != nil {
		return row, fmt.Errorf("bench: llmls %s: %w", path, err)
	}
	defer r.Close()
	toks := promptTokens(prompt, 1)
	var bws []float64
	probe := func() float64 {
		bw := bandwidthGBs(512<<20, threads, 2)
		bws = append(bws, bw)
		return bw
	}
	roof := func(g timing, bw float64) float64 {
		return tps(gen, g.GenMS) * float64(row.weightBytes) / (bw * 1e9)
	}
	for i := 0; i < reps; i++ {
		if !noPeer {
			pt, info, err := runPeer(peer, path, threads, prompt, gen)
			if err != nil {
				return row, err
			}
			row.pRaw = append(row.pRaw, pt)
			row.peerInfo = info
			bw := probe()
			row.peerRoof = append(row.peerRoof, roof(pt, bw))
			fmt.Fprintf(os.Stderr, "%v rep %d llama.cpp: prompt %.1f tok/s, decode %.2f tok/s, bandwidth %.1f GB/s\n", t, i, tps(prompt, pt.PromptMS), tps(gen, pt.GenMS), bw)
		}
		lt, err := r.rep(toks, gen)
		if err != nil {
			return row, fmt.Errorf("bench: llmls: %w", err)
		}
		row.llmlsRaw = append(row.llmlsRaw, lt)
		bw := probe()
		row.llmlsRoof = append(row.llmlsRoof, roof(lt, bw))
		fmt.Fprintf(os.Stderr, "%v rep %d llmls:     prompt %.1f tok/s, decode %.2f tok/s, bandwidth %.1f GB/s\n", t, i, tps(prompt, lt.PromptMS), tps(gen, lt.GenMS), bw)
	}
	row.bandwidthGBs = med(bws)
	row.llmls = median(row.llmlsRaw)
	if len(row.pRaw) > 0 {
		row.peer, row.peerOK = median(row.pRaw), true
	}
	return row, nil
}

func tps(n int, msec float64) float64 { return float64(n) / msec * 1000 }

// median returns the medians of the prompt and decode times separately.
func median(ts []timing) timing {
	p := make([]float64, len(ts))
	g := make([]float64, len(ts))
	for i, t := range ts {
		p[i], g[i] = t.PromptMS, t.GenMS
	}
	return timing{PromptMS: med(p), GenMS: med(g)}
}

func med(x []float64) float64 {
	sort.Float64s(x)
	n := len(x)
	if n%2 == 1 {
		return x[n/2]
	}
	return (x[n/2-1] + x[n/2]) / 2
}

func printTable(w *os.File, rows []resultRow, threads, prompt, gen int) {
	fmt.Fprintf(w, "\nQwen2.5-Coder-0.5B-shaped model, random weights, %d threads; medians of alternating reps\n", threads)
	fmt.Fprintf(w, "%-5s %-7s %14s %14s %13s\n", "type", "engine", "prompt tok/s", "decode tok/s", "decode/roof")
	for _, r := range rows {
		roof := r.bandwidthGBs * 1e9 / float64(r.weightBytes) // tokens/s if every weight byte streamed at the measured bandwidth
		line := func(engine string, t timing, fr []float64) {
			fmt.Fprintf(w, "%-5v %-7s %14.1f %14.2f %13.2f\n", r.typ, engine, tps(prompt, t.PromptMS), tps(gen, t.GenMS), med(append([]float64(nil), fr...)))
		}
		line("llmls", r.llmls, r.llmlsRoof)
		if r.peerOK {
			line("llama", r.peer, r.peerRoof)
			fmt.Fprintf(w, "%-5v %-7s %13.2fx %13.2fx\n", r.typ, "ratio", r.peer.PromptMS/r.llmls.PromptMS, r.peer.GenMS/r.llmls.GenMS)
		}
		fmt.Fprintf(w, "%-5v roofline: %.1f MB of weights per token; read bandwidth probed after each rep, median %.1f GB/s → %.1f tok/s\n", r.typ, float64(r.weightBytes)/1e6, r.bandwidthGBs, roof)
	}
	if len(rows) > 0 && rows[0].peerInfo != "" {
		fmt.Fprintf(w, "llama.cpp: node-llama-cpp 3.21.1, %s\n", strings.TrimSpace(rows[0].peerInfo))
	}
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}
