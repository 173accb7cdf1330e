package remote_test

import (
	"strconv"
	"testing"

	"github.com/llmls/llmls/decoder/remote"
)

// Events as TGI's generate_stream writes them (axum Event::json_data: "data:" without a space).
func tgiToken(index int, id int, text string, special bool) string {
	sp := "false"
	if special {
		sp = "true"
	}
	return `data:{"index":` + strconv.Itoa(index) + `,"token":{"id":` + strconv.Itoa(id) + `,"text":` + quote(text) + `,"logprob":-0.12,"special":` + sp + `},"generated_text":null,"details":null}` + "\n\n"
}

const tgiLast = `data:{"index":3,"token":{"id":2,"text":"</s>","logprob":-0.01,"special":true},"generated_text":"return a + b",` +
	`"details":{"finish_reason":"eos_token","generated_tokens":3,"seed":null,"input_length":40}}` + "\n\n"

func TestTGI(t *testing.T) {
	sse := "text/event-stream"
	runEngineCases(t, remote.KindTGI, []engineCase{
		{
			// Greedy: TGI rejects temperature 0, so neither temperature nor top_p is sent.
			name:        "greedy stream, special token dropped",
			req:         remote.Request{Prompt: fimPrompt, MaxTokens: 64, Stop: []string{"<|endoftext|>"}, TopP: 0.9, Seed: 7},
			wantPath:    "/generate_stream",
			wantBody:    `{"inputs":` + quote(fimPrompt) + `,"parameters":{"max_new_tokens":64,"do_sample":false,"stop":["<|endoftext|>"],"details":true,"return_full_text":false}}`,
			contentType: sse,
			frames:      []string{tgiToken(1, 693, "return", false), tgiToken(2, 264, " a + b", false), tgiLast},
			wantPieces:  []string{"return", " a + b"},
			wantStats:   remote.Stats{PromptTokens: 40, GeneratedTokens: 3},
		},
		{
			name:        "sampling with seed and top_p",
			req:         remote.Request{Prompt: "x", MaxTokens: 8, Temperature: 0.5, TopP: 0.9, Seed: 7},
			wantPath:    "/generate_stream",
			wantBody:    `{"inputs":"x","parameters":{"max_new_tokens":8,"do_sample":true,"temperature":0.5,"top_p":0.9,"seed":7,"details":true,"return_full_text":false}}`,
			contentType: sse,
			frames: []string{tgiToken(1, 5, "y", false),
				`data:{"index":2,"token":{"id":6,"text":"z","logprob":-0.3,"special":false},"generated_text":"yz","details":{"finish_reason":"length","generated_tokens":2,"seed":7}}` + "\n\n"},
			wantPieces: []string{"y", "z"},
			wantStats:  remote.Stats{GeneratedTokens: 2}, // TGI 1.x: no input_length
		},
		{
			// Validation errors of /generate_stream come as an event with status 200.
			name: "validation error event", req: remote.Request{Prompt: "x", MaxTokens: 8},
			wantPath: "/generate_stream", contentType: sse,
			frames:  []string{`data:{"error":"Input validation error: ` + "`stop`" + ` supports up to 4 stop sequences. Given: 5","error_type":"validation"}` + "\n\n"},
			wantErr: "server error (response line 1): Input validation error", wantLine: 1,
		},
		{
			name: "422 validation error", req: remote.Request{Prompt: "x", MaxTokens: 8},
			wantPath: "/generate_stream", status: 422, contentType: "application/json",
			frames:  []string{`{"error":"Input validation error: ` + "`inputs`" + ` tokens + ` + "`max_new_tokens`" + ` must be <= 4096. Given: 4090 ` + "`inputs`" + ` tokens and 64 ` + "`max_new_tokens`" + `","error_type":"validation"}`},
			wantErr: "422 Unprocessable Entity: Input validation error", wantStatus: 422,
		},
		{
			name: "not streamed (GenerateResponse)", req: remote.Request{Prompt: "x", MaxTokens: 8},
			wantPath: "/generate_stream", contentType: "application/json",
			frames:     []string{`{"generated_text":"return a + b","details":{"finish_reason":"eos_token","generated_tokens":5,"seed":null,"prefill":[],"tokens":[]}}`},
			wantPieces: []string{"return a + b"},
			wantStats:  remote.Stats{GeneratedTokens: 5},
		},
		{
			name: "not streamed (array of the / route)", req: remote.Request{Prompt: "x", MaxTokens: 8},
			wantPath: "/generate_stream", contentType: "application/json",
			frames:     []string{`[{"generated_text":"return a"}]`},
			wantPieces: []string{"return a"},
		},
		{
			name: "event without a token", req: remote.Request{Prompt: "x", MaxTokens: 8},
			wantPath: "/generate_stream", contentType: sse,
			frames:  []string{tgiToken(1, 5, "y", false), `data:{"index":2}` + "\n\n"},
			wantErr: `response line 3: event has no "token"`, wantLine: 3,
		},
		{
			name: "no prompt", req: remote.Request{Tokens: []int32{1}, MaxTokens: 8},
			wantErr: "tgi: the request has no Prompt",
		},
	})
}
