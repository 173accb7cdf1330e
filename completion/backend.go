package completion

import "context"

// Backend generates the middle of a FIM prompt: the local decoder ([LocalBackend]) or a
// serving engine over HTTP ([RemoteBackend]).
type Backend interface {
	// Generate streams the completion of req.Prompt. emit receives each new piece of text
	// (valid UTF-8, never a stop token) and returns false to stop generation early. It
	// returns ctx.Err() when ctx is cancelled, within one token for the local decoder.
	Generate(ctx context.Context, req GenRequest, emit func(piece string) bool) (GenStats, error)
	// Vocab is the tokenizer prompts are built with. A remote backend, which sends text,
	// returns a vocabulary of control strings only (see textVocab).
	Vocab() Vocab
	// ContextLength is the model's usable context, tokens.
	ContextLength() int
	// Name describes the backend for logs and `llmls status`.
	Name() string
	// Close releases the backend (model memory, connections).
	Close() error
}

// GenRequest is one generation.
type GenRequest struct {
	Prompt Prompt
	// Parts are the texts the prompt was built from; engines that build the FIM prompt
	// themselves (llama.cpp /infill) use them instead of Prompt.
	Parts     Parts
	MaxTokens int
	// LanguageID (LSP language id) and URI name the document; the local backend activates
	// the LoRA adapters whose settings match them (LoRASetting.Languages, Folders).
	LanguageID string
	URI        string
	// StopIDs end generation when sampled (the template's end tokens); StopStrings end it
	// when they appear in the text (for remote engines).
	StopIDs     []int32
	StopStrings []string
	// Temperature 0 is greedy; Seed makes sampling reproducible.
	Temperature float32
	TopP        float32
	Seed        uint64
}

// GenStats are what one generation cost. Times are in milliseconds.
type GenStats struct {
	PromptTokens    int // tokens in the prompt
	ReusedTokens    int // prompt tokens whose KV cache entries were reused
	EvaluatedTokens int // prompt tokens evaluated (PromptTokens − ReusedTokens)
	GeneratedTokens int
	PromptMs        float64 // time to the first generated token
	TotalMs         float64
	// Speculative decoding: draft tokens the model verified, and those it accepted
	// (Accepted/Drafted is the acceptance rate). Both 0 without speculation.
	Drafted, Accepted int
}
