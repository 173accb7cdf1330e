package main

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/llmls/llmls/completion"
	"github.com/llmls/llmls/internal/sharedtest"
)

// sharedTestdata returns ../shared/testdata, or skips the test when it is absent.
func sharedTestdata(t *testing.T) string {
	t.Helper()
	return sharedtest.Dir(t)
}

// TestLoadBackendPartial: a draft model with another vocabulary and a LoRA adapter that does
// not exist are reported, named, and left out; the backend serves with lookup and the
// adapter that loads.
func TestLoadBackendPartial(t *testing.T) {
	td := sharedTestdata(t)
	model := filepath.Join(td, "models", "tiny-qwen2-f32.gguf")
	adapter := filepath.Join(td, "lora", "tiny-qwen2-lora.gguf")
	llama := filepath.Join(td, "models", "tiny-llama-q8_0.gguf")
	missing := filepath.Join(t.TempDir(), "missing.gguf")
	tests := []struct {
		name         string
		draft        string
		lora         []string
		wantErr      []string // substrings of the error; none: no error
		wantDrafters []string
		wantAdapters int // applying to a Go file
	}{
		{"lookup only", "none", nil, nil, []string{"lookup"}, 0},
		{"same-vocabulary draft and an adapter", filepath.Join(td, "models", "tiny-qwen2-q8_0.gguf"), []string{adapter}, nil,
			[]string{"lookup", "draft:tiny-qwen2-q8_0.gguf"}, 1},
		{"draft of another vocabulary, missing adapter", llama, []string{missing, adapter},
			[]string{llama, "vocabularies differ", missing}, []string{"lookup"}, 1},
		{"draft file missing", missing, nil, []string{`draftModel "` + missing}, []string{"lookup"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := completion.Settings{Model: model, DraftModel: tt.draft, Threads: 1}
			for _, p := range tt.lora {
				s.LoRA = append(s.LoRA, completion.LoRASetting{Path: p})
			}
			b, err := loadBackend(context.Background(), s.WithDefaults(), slog.New(slog.DiscardHandler))
			if b == nil {
				t.Fatalf("no backend: %v", err)
			}
			defer b.Close()
			for _, want := range tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("error %v, want it to name %q", err, want)
				}
			}
			if len(tt.wantErr) == 0 && err != nil {
				t.Errorf("error %v", err)
			}
			var le *completion.LoRAError
			if slices.Contains(tt.lora, missing) != errors.As(err, &le) {
				t.Errorf("error %v: *LoRAError iff an adapter is missing", err)
			}
			lb := b.(*completion.LocalBackend)
			if got := lb.Speculative(); !slices.Equal(got, tt.wantDrafters) {
				t.Errorf("drafters %q, want %q", got, tt.wantDrafters)
			}
			if got := lb.Adapters("go", "file:///w/a.go"); len(got) != tt.wantAdapters {
				t.Errorf("adapters %q, want %d", got, tt.wantAdapters)
			}
		})
	}
}
