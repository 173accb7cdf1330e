package remote_test

import (
	"testing"

	"github.com/llmls/llmls/decoder/remote"
)

// Events as llama.cpp's server streams them (tools/server/README.md, "Response format";
// field order as the server writes it).
const (
	lcppPiece1 = `data: {"index":0,"content":"return","tokens":[],"stop":false,"id_slot":-1,"tokens_predicted":1,"tokens_evaluated":310}` + "\n\n"
	lcppPiece2 = `data: {"index":0,"content":" a + b","tokens":[],"stop":false,"id_slot":-1,"tokens_predicted":2,"tokens_evaluated":310}` + "\n\n"
	lcppFinal  = `data: {"index":0,"content":"","tokens":[],"id_slot":0,"stop":true,"model":"qwen2.5-coder-1.5b","tokens_predicted":9,"tokens_evaluated":310,` +
		`"generation_settings":{"n_predict":64,"seed":4294967295,"temperature":0.0},"prompt":"<|fim_prefix|>...","has_new_line":false,"truncated":false,` +
		`"stop_type":"eos","stopping_word":"","tokens_cached":318,` +
		`"timings":{"cache_n":300,"prompt_n":10,"prompt_ms":12.1,"prompt_per_token_ms":1.21,"prompt_per_second":826.4,"predicted_n":9,"predicted_ms":80.2,"predicted_per_token_ms":8.9,"predicted_per_second":112.2}}` + "\n\n"
)

func TestLlamaCpp(t *testing.T) {
	infill := remote.Request{
		Prefix: "package main\n\nfunc add(a, b int) int {\n", Typed: "\t", Suffix: "\n}\n",
		Extra:     []remote.Chunk{{Path: "util.go", Text: "package main\n\nfunc sub(a, b int) int { return a - b }\n"}},
		MaxTokens: 64, Stop: []string{"\n\n"}, Seed: 0,
	}
	infillBody := `{"input_prefix":"package main\n\nfunc add(a, b int) int {\n","input_suffix":"\n}\n",` +
		`"input_extra":[{"filename":"util.go","text":"package main\n\nfunc sub(a, b int) int { return a - b }\n"}],` +
		`"prompt":"\t","n_predict":64,"temperature":0,"seed":0,"stop":["\n\n"],"stream":true,"cache_prompt":true}`
	sse := "text/event-stream"
	runEngineCases(t, remote.KindLlamaCpp, []engineCase{
		{
			name: "infill stream", req: infill,
			wantPath: "/infill", wantBody: infillBody,
			contentType: sse,
			frames:      []string{lcppPiece1, lcppPiece2, lcppFinal},
			wantPieces:  []string{"return", " a + b"},
			wantStats:   remote.Stats{PromptTokens: 310, CachedTokens: 300, GeneratedTokens: 9},
		},
		{
			// The client stops at stop:true and never reads what follows.
			name: "nothing read after stop", req: infill, wantPath: "/infill", contentType: sse,
			frames:     []string{lcppPiece1, lcppFinal, "this line would be a stream error\n"},
			wantPieces: []string{"return"},
			wantStats:  remote.Stats{PromptTokens: 310, CachedTokens: 300, GeneratedTokens: 9},
		},
		{
			name:        "completion with token ids; seed kept to 32 bits",
			req:         remote.Request{Tokens: []int32{151659, 1350, 151661}, MaxTokens: 16, Temperature: 0.7, TopP: 0.95, Seed: 1<<33 + 5},
			wantPath:    "/completion",
			wantBody:    `{"prompt":[151659,1350,151661],"n_predict":16,"temperature":0.7,"top_p":0.95,"seed":7,"stream":true,"cache_prompt":true}`,
			contentType: sse,
			// An older server: no timings.cache_n, counts from tokens_evaluated/tokens_predicted.
			frames: []string{lcppPiece1,
				`data: {"content":"","stop":true,"tokens_predicted":4,"tokens_evaluated":3,"timings":{"prompt_n":3,"predicted_n":4}}` + "\n\n"},
			wantPieces: []string{"return"},
			wantStats:  remote.Stats{PromptTokens: 3, GeneratedTokens: 4},
		},
		{
			name:        "completion with a prompt string, engine-chosen seed",
			req:         remote.Request{Prompt: fimPrompt, MaxTokens: 16, Seed: -1},
			wantPath:    "/completion",
			wantBody:    `{"prompt":` + quote(fimPrompt) + `,"n_predict":16,"temperature":0,"stream":true,"cache_prompt":true}`,
			contentType: sse,
			frames:      []string{lcppPiece2, lcppFinal},
			wantPieces:  []string{" a + b"},
			wantStats:   remote.Stats{PromptTokens: 310, CachedTokens: 300, GeneratedTokens: 9},
		},
		{
			name: "not streamed (application/json)", req: infill, wantPath: "/infill",
			contentType: "application/json; charset=utf-8",
			frames:      []string{`{"index":0,"content":"return a + b","tokens":[],"id_slot":0,"stop":true,"tokens_predicted":5,"tokens_evaluated":40,"timings":{"cache_n":0,"prompt_n":40,"predicted_n":5}}`},
			wantPieces:  []string{"return a + b"},
			wantStats:   remote.Stats{PromptTokens: 40, GeneratedTokens: 5},
		},
		{
			// server_sent_event(sink, "error", ...) writes the error as its own field.
			name: "error: line in the stream", req: infill, wantPath: "/infill", contentType: sse,
			frames:  []string{lcppPiece1, `error: {"code":400,"message":"the request exceeds the available context size, try increasing it","type":"exceed_context_size_error"}` + "\n\n"},
			wantErr: "server error (response line 3): the request exceeds the available context size", wantLine: 3,
		},
		{
			name: "503 while the model loads", req: infill, wantPath: "/infill",
			status: 503, contentType: "application/json; charset=utf-8",
			frames:  []string{`{"error":{"code":503,"message":"Loading model","type":"unavailable_error"}}`},
			wantErr: "503 Service Unavailable: Loading model", wantStatus: 503,
		},
		{
			name: "400 for a model without FIM tokens", req: infill, wantPath: "/infill",
			status: 400, contentType: "application/json; charset=utf-8",
			frames:  []string{`{"error":{"code":400,"message":"Infill is not supported by this model: prefix token is missing. ","type":"invalid_request_error"}}`},
			wantErr: "Infill is not supported by this model", wantStatus: 400,
		},
		{
			name: "content of the wrong type", req: infill, wantPath: "/infill", contentType: sse,
			frames:  []string{lcppPiece1, lcppPiece2, `data: {"content": 5, "stop": false}` + "\n\n"},
			wantErr: "response line 5: json: cannot unmarshal number", wantLine: 5,
		},
		{
			name:    "nothing to send",
			req:     remote.Request{MaxTokens: 4},
			wantErr: "no FIM parts",
		},
	})
}
