package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/llmls/llmls/bench/replay"
)

func runBench(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	session := fs.String("replay", "", "replay a recorded editing session (llmls-replay-session/1 JSON)")
	model := fs.String("model", "", "GGUF model for the server (default: the embedded model)")
	speed := fs.Float64("speed", 1, "replay speed (1: the recorded human pace)")
	debounce := fs.Int("debounce", -1, "server debounceMs (default: the server's)")
	maxTokens := fs.Int("max-tokens", 0, "server maxTokens (default: the server's)")
	verbose := fs.Bool("v", false, "print every ghost text shown")
	settings := fs.String("settings", "", "more server settings, a JSON object (e.g. '{\"lookup\": false}')")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *session == "" {
		return usageErr("want --replay SESSION")
	}
	s, err := replay.Load(*session)
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	o := replay.Options{Server: self, Speed: *speed, Settings: map[string]any{}}
	if *settings != "" {
		if err := json.Unmarshal([]byte(*settings), &o.Settings); err != nil {
			return usageErr("--settings: not a JSON object: %v", err)
		}
	}
	if *model != "" {
		o.Args = append(o.Args, "--model", *model)
	}
	if *debounce >= 0 {
		o.Settings["debounceMs"] = *debounce
	}
	if *maxTokens > 0 {
		o.Settings["maxTokens"] = *maxTokens
	}
	if *verbose {
		o.Log = stderr
	}
	name := "embedded model"
	if *model != "" {
		name = *model
	}
	fmt.Fprintf(stdout, "replaying %s (%d keys) against llmls with %s at %.1f× speed\n", *session, len(s.Events), name, *speed)
	res, err := replay.Run(ctx, s, o)
	if err != nil {
		return err
	}
	res.Report(stdout)
	return nil
}
