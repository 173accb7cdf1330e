package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCLIUsage: help flags print the usage and exit 0; a bad flag or argument gives the
// command's usage line and one line saying what is wrong (once, not echoed by the flag
// package too), and exit status 2. None of these loads a model.
func TestCLIUsage(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		code int
		// wantOut and wantErr must appear in stdout and stderr; notErr must not be in stderr.
		wantOut, wantErr []string
		notErr           []string
		errLines         int // stderr's line count; 0: not checked
	}{
		{name: "--help", args: []string{"--help"}, code: 0,
			wantOut: []string{"llmls complete", "llmls inspect", "llmls bench"}, notErr: []string{"help requested"}},
		{name: "-h", args: []string{"-h"}, code: 0, wantOut: []string{"llmls complete"}},
		{name: "help", args: []string{"help"}, code: 0, wantOut: []string{"llmls complete"}},
		{name: "complete -h", args: []string{"complete", "-h"}, code: 0,
			wantOut: []string{"usage: llmls complete", "-max-tokens"}, notErr: []string{"help requested"}},
		{name: "serve --help", args: []string{"--stdio", "--help"}, code: 0,
			wantOut: []string{"usage: llmls [serve]", "-stdio"}},
		{name: "unknown flag", args: []string{"complete", "--bogus", "x.go:1:1"}, code: 2,
			wantErr: []string{"usage: llmls complete", "-bogus"}, notErr: []string{"Usage of"}, errLines: 2},
		{name: "unknown serve flag", args: []string{"--bogus"}, code: 2,
			wantErr: []string{"usage: llmls [serve]", "-bogus"}, errLines: 2},
		{name: "bad flag value", args: []string{"generate", "--max-tokens", "x", "p"}, code: 2,
			wantErr: []string{"usage: llmls generate", `invalid value "x"`}, errLines: 2},
		{name: "negative max-tokens", args: []string{"complete", "--max-tokens", "-5", "x.go:1:1"}, code: 2,
			wantErr: []string{"usage: llmls complete", "--max-tokens", "-5"}, errLines: 2},
		{name: "NaN temperature", args: []string{"generate", "--temperature", "nan", "p"}, code: 2,
			wantErr: []string{"usage: llmls generate", "--temperature NaN"}, errLines: 2},
		{name: "zero max-tokens", args: []string{"generate", "--max-tokens", "0", "p"}, code: 2,
			wantErr: []string{"usage: llmls generate", "--max-tokens 0"}, errLines: 2},
		{name: "bad position", args: []string{"prompt", "x.go:0:1"}, code: 2,
			wantErr: []string{"usage: llmls prompt", `"x.go:0:1"`}, errLines: 2},
		{name: "unknown command", args: []string{"frobnicate"}, code: 2, wantErr: []string{`unknown command "frobnicate"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tc.args, strings.NewReader(""), &stdout, &stderr)
			if code != tc.code {
				t.Errorf("exit status %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, stdout.String(), stderr.String())
			}
			for _, w := range tc.wantOut {
				if !strings.Contains(stdout.String(), w) {
					t.Errorf("stdout lacks %q:\n%s", w, stdout.String())
				}
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr.String())
				}
			}
			for _, w := range tc.notErr {
				if strings.Contains(stderr.String(), w) {
					t.Errorf("stderr has %q:\n%s", w, stderr.String())
				}
			}
			if n := strings.Count(stderr.String(), "\n"); tc.errLines > 0 && n != tc.errLines {
				t.Errorf("stderr has %d lines, want %d:\n%s", n, tc.errLines, stderr.String())
			}
		})
	}
}

// TestCLIBadConfigFile: a config file that is not TOML stops a subcommand with one line that
// names the file once and the line of the error.
func TestCLIBadConfigFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "llmls", "config.toml")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("maxTokens = 8\n[[[\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("XDG_CONFIG_HOME", dir)
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"prompt", filepath.Join("..", "..", "testdata", "demo", "stack.go") + ":31:1"},
		strings.NewReader(""), &stdout, &stderr)
	msg := stderr.String()
	if code != 1 || strings.Count(msg, path) != 1 || !strings.Contains(msg, "line 2") || strings.Count(msg, "\n") != 1 {
		t.Errorf("exit status %d, stderr %q; want 1 and one line naming %s once and line 2", code, msg, path)
	}
}
