package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"time"

	"github.com/llmls/llmls/decoder"
	"github.com/llmls/llmls/kernels"
)

// timing is one measured rep: prompt evaluation and decoding wall times.
type timing struct {
	PromptMS float64 `json:"prompt_ms"`
	GenMS    float64 `json:"gen_ms"`
}

// promptTokens returns n pseudo-random token ids below 150000, the same as
// tools/peers/llama-bench.mjs: a 32-bit LCG x = x·1664525 + 1013904223, token = x mod 150000.
func promptTokens(n int, seed uint32) []int32 {
	out := make([]int32, n)
	x := seed
	for i := range out {
		x = x*1664525 + 1013904223
		out[i] = int32(x % 150000)
	}
	return out
}

// llmlsRunner times llmls on one model file.
type llmlsRunner struct {
	model *decoder.Model
	sess  *decoder.Session
}

func newLLMLS(path string, threads int, kv kernels.DType) (*llmlsRunner, error) {
	m, err := decoder.Load(path, decoder.WithThreads(threads))
	if err != nil {
		return nil, err
	}
	s, err := m.NewSession(decoder.SessionOptions{ContextLength: 1024, KVType: kv, BatchSize: 512})
	if err != nil {
		m.Close()
		return nil, err
	}
	r := &llmlsRunner{model: m, sess: s}
	// Warm-up like the peer's: page the weights in, size the buffers.
	if _, err := r.rep(promptTokens(32, 2), 4); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

func (r *llmlsRunner) Close() { r.model.Close() }

// rep evaluates prompt in one call (after emptying the cache), then decodes gen tokens one at a
// time, each the argmax of the previous logits (the first decode step evaluates prompt[0] again,
// as the peer does).
func (r *llmlsRunner) rep(prompt []int32, gen int) (timing, error) {
	ctx := context.Background()
	if err := r.sess.Truncate(0); err != nil {
		return timing{}, err
	}
	t0 := time.Now()
	if _, err := r.sess.Eval(ctx, prompt); err != nil {
		return timing{}, err
	}
	t1 := time.Now()
	tok := prompt[0]
	for i := 0; i < gen; i++ {
		logits, err := r.sess.Eval(ctx, []int32{tok})
		if err != nil {
			return timing{}, err
		}
		tok = argmax(logits)
	}
	t2 := time.Now()
	return timing{PromptMS: ms(t1.Sub(t0)), GenMS: ms(t2.Sub(t1))}, nil
}

func argmax(x []float32) int32 {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return int32(best)
}

func ms(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }

// peerResult is llama-bench.mjs's output.
type peerResult struct {
	Reps       []timing `json:"reps"`
	SystemInfo string   `json:"system_info"`
}

// runPeer runs llama.cpp (tools/peers/llama-bench.mjs under node) for one rep.
func runPeer(script, model string, threads, prompt, gen int) (timing, string, error) {
	cmd := exec.Command("node", script, "--model", model, "--threads", fmt.Sprint(threads),
		"--prompt", fmt.Sprint(prompt), "--gen", fmt.Sprint(gen), "--reps", "1")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return timing{}, "", fmt.Errorf("bench: %s: %v: %s", script, err, bytes.TrimSpace(errb.Bytes()))
	}
	var res peerResult
	if err := json.Unmarshal(out.Bytes(), &res); err != nil || len(res.Reps) != 1 {
		return timing{}, "", fmt.Errorf("bench: %s: unexpected output %q", script, out.String())
	}
	return res.Reps[0], res.SystemInfo, nil
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }
