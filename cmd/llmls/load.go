package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"

	"github.com/llmls/llmls/completion"
	"github.com/llmls/llmls/decoder"
	"github.com/llmls/llmls/decoder/embedded"
)

// embeddedModel opens the model built into the binary; nil when this build has none.
var embeddedModel func() (*decoder.Model, string, error)

// embeddedDraft opens the draft model built into the binary for the embedded model; nil
// when this build has none.
var embeddedDraft func() (*decoder.Model, string, error)

// loadBackend opens what the settings ask for: the local decoder on a GGUF file (or the
// embedded model) with its draft model and LoRA adapters, or a remote serving engine. It is
// the engine's BackendLoader. A draft model or LoRA adapter that does not load is left out:
// the backend is returned with the error (a partial load, see completion.BackendLoader).
func loadBackend(ctx context.Context, s completion.Settings, log *slog.Logger) (completion.Backend, error) {
	if s.Backend != "" && s.Backend != "local" {
		if len(s.LoRA) > 0 || (s.DraftModel != "" && s.DraftModel != "none") {
			log.Warn("lora and draftModel apply to the local backend only; the serving engine ignores them", "backend", s.Backend)
		}
		b, err := completion.NewRemoteBackend(ctx, s)
		if err != nil {
			return nil, err
		}
		if err := b.Check(ctx); err != nil {
			log.Warn("serving engine not reachable yet", "backend", b.Name(), "err", err)
		}
		return b, nil
	}
	m, name, err := loadModel(s.Model, s.Threads)
	if err != nil {
		return nil, err
	}
	nCtx := 0 // the model's own context, at most decoder.DefaultContextLength
	if s.ContextTokens > 0 {
		nCtx = s.ContextTokens + s.MaxTokens + 64
	}
	draft, draftErr := loadDraft(m, s)
	lookup := completion.DefaultLookup
	if s.Lookup != nil {
		lookup = *s.Lookup
	}
	b, err := completion.NewLocalBackend(m, name, completion.LocalOptions{ContextLength: nCtx, Lookup: lookup, Draft: draft})
	if err != nil {
		m.Close()
		return nil, err
	}
	if spec := b.Speculative(); len(spec) > 0 {
		log.Info("speculative decoding", "drafters", spec)
	}
	return b, errors.Join(draftErr, b.LoadLoRA(s.LoRA))
}

// loadDraft opens the draft model that s asks for target: none when DraftModel is "none",
// the embedded draft when it is empty and the model is the embedded one (and the build has
// a draft), else the GGUF file it names. The draft must have target's vocabulary. Errors: the
// file does not load or its vocabulary differs (the draft is then left out).
func loadDraft(target *decoder.Model, s completion.Settings) (*decoder.Model, error) {
	var dm *decoder.Model
	var err error
	switch {
	case s.DraftModel == "none":
		return nil, nil
	case s.DraftModel == "":
		if s.Model != "" || embeddedDraft == nil {
			return nil, nil
		}
		dm, _, err = embeddedDraft()
	default:
		dm, _, err = loadModel(s.DraftModel, s.Threads)
	}
	if err != nil {
		return nil, fmt.Errorf("draftModel %q not loaded (no draft-model speculation): %w", s.DraftModel, err)
	}
	if err := decoder.CheckDraftVocab(target, dm); err != nil {
		dm.Close()
		return nil, fmt.Errorf("draftModel %q not used: %w", s.DraftModel, err)
	}
	return dm, nil
}

// loadModel loads the GGUF model at path, or the embedded model when path is empty.
func loadModel(path string, threads int) (*decoder.Model, string, error) {
	if threads <= 0 {
		threads = runtime.NumCPU()
	}
	if path == "" {
		if embeddedModel == nil {
			return nil, "", errors.New("no model: this build has no embedded model; pass --model PATH (a GGUF file) or set LLMLS_MODEL")
		}
		return embeddedModel()
	}
	m, err := decoder.Load(path, decoder.WithThreads(threads))
	if err != nil {
		return nil, "", err
	}
	return m, filepath.Base(path), nil
}

// modelFlags are the flags every model-using subcommand shares.
type modelFlags struct {
	model   string
	threads int
}

func (m *modelFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&m.model, "model", os.Getenv("LLMLS_MODEL"), "GGUF model file (default: $LLMLS_MODEL, else the embedded model)")
	fs.IntVar(&m.threads, "threads", 0, "CPU threads (default: all cores)")
}

// settings returns the base settings: config file, environment, then flags.
func (m *modelFlags) settings() (completion.Settings, error) {
	file, _, err := completion.LoadConfigFile()
	if err != nil {
		// The error names the file already.
		return completion.Settings{}, fmt.Errorf("config file: %w", err)
	}
	s := file.Merge(completion.EnvSettings())
	s = s.Merge(completion.Settings{Model: m.model, Threads: m.threads})
	return s, nil
}

func init() {
	embeddedModel = func() (*decoder.Model, string, error) {
		m, err := embedded.Base(decoder.WithThreads(runtime.NumCPU()))
		return m, embedded.BaseName, err
	}
	embeddedDraft = func() (*decoder.Model, string, error) {
		m, err := embedded.Draft(decoder.WithThreads(runtime.NumCPU()))
		return m, embedded.DraftName, err
	}
}
