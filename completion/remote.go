package completion

import (
	"context"
	"fmt"
	"os"

	"github.com/llmls/llmls/decoder/remote"
)

// RemoteBackend generates with a serving engine over HTTP (vLLM, TGI, llama.cpp server,
// Ollama). Prompts are built as for the local decoder and sent as text; llama.cpp's /infill
// gets the parts and builds the FIM prompt from the model's own tokens.
type RemoteBackend struct {
	client *remote.Client
	tpl    Template
	nCtx   int
}

// NewRemoteBackend returns a backend for s.Backend at s.Endpoint. s.FIMFamily is required:
// prompts are sent as text, so the server's vocabulary cannot be inspected. The API key is
// read from the environment variable s.APIKeyEnv.
func NewRemoteBackend(ctx context.Context, s Settings) (*RemoteBackend, error) {
	kind, err := remote.ParseKind(s.Backend)
	if err != nil {
		return nil, fmt.Errorf("completion: backend: %w", err)
	}
	tpl, ok := TemplateByFamily(s.FIMFamily)
	if !ok && kind != remote.KindLlamaCpp {
		return nil, fmt.Errorf("completion: backend %s needs fimFamily (one of qwen2.5-coder, starcoder, deepseek-coder, codellama, codegemma, codestral): the prompt is sent as text", kind)
	}
	if !ok {
		// llama.cpp /infill builds the prompt itself; the template only names stop strings.
		tpl, _ = TemplateByFamily("qwen2.5-coder")
	}
	endpoint := s.Endpoint
	if endpoint == "" {
		endpoint = remote.DefaultEndpoint(kind)
	}
	c := &remote.Client{Kind: kind, Endpoint: endpoint, Model: s.RemoteModel}
	if s.APIKeyEnv != "" {
		c.APIKey = os.Getenv(s.APIKeyEnv)
	}
	n := s.ContextTokens
	if n <= 0 {
		n = 4096
	}
	return &RemoteBackend{client: c, tpl: tpl, nCtx: n}, nil
}

// Check asks the server whether it is up and serves the model.
func (b *RemoteBackend) Check(ctx context.Context) error { return b.client.Check(ctx) }

// Generate implements Backend.
func (b *RemoteBackend) Generate(ctx context.Context, req GenRequest, emit func(string) bool) (GenStats, error) {
	rr := remote.Request{
		Prompt: req.Prompt.Text, MaxTokens: req.MaxTokens, Stop: req.StopStrings,
		Temperature: req.Temperature, TopP: req.TopP, Seed: int64(req.Seed),
	}
	if b.client.Kind == remote.KindLlamaCpp {
		rr.Prompt = ""
		rr.Prefix, rr.Suffix, rr.Typed = req.Parts.Prefix, req.Parts.Suffix, req.Parts.Typed
		for _, s := range req.Parts.Snippets {
			rr.Extra = append(rr.Extra, remote.Chunk{Path: s.Path, Text: s.Text})
		}
	}
	if len(rr.Stop) > 4 && b.client.Kind == remote.KindTGI {
		rr.Stop = rr.Stop[:4] // TGI's default max_stop_sequences
	}
	st, err := b.client.Complete(ctx, rr, emit)
	return GenStats{
		PromptTokens: st.PromptTokens, ReusedTokens: st.CachedTokens,
		EvaluatedTokens: max(0, st.PromptTokens-st.CachedTokens), GeneratedTokens: st.GeneratedTokens,
		PromptMs: st.FirstPieceMs, TotalMs: st.TotalMs,
	}, err
}

// Vocab implements Backend with the template's control strings; text is counted at about
// three bytes per token, which is what code averages with the common code vocabularies.
func (b *RemoteBackend) Vocab() Vocab { return textVocab(b.tpl) }

// ContextLength implements Backend.
func (b *RemoteBackend) ContextLength() int { return b.nCtx }

// Name implements Backend.
func (b *RemoteBackend) Name() string { return b.client.String() }

// Close implements Backend.
func (b *RemoteBackend) Close() error { return nil }

// textVocab is the vocabulary of a remote model as far as prompt building needs it.
type textVocab Template

func (v textVocab) TokenID(s string) (int32, bool) {
	t := Template(v)
	for i, c := range append([]string{t.Prefix, t.Suffix, t.Middle, t.RepoName, t.FileSep}, t.Stop...) {
		if c != "" && c == s {
			return int32(i), true
		}
	}
	return 0, false
}

func (v textVocab) Encode(text string) []int32 { return make([]int32, (len(text)+2)/3) }
