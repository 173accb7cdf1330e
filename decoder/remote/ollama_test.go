package remote_test

import (
	"testing"

	"github.com/llmls/llmls/decoder/remote"
)

// Lines as Ollama streams them (docs/api.md, "Generate request (Streaming)").
func ollamaLine(text string) string {
	return `{"model":"qwen2.5-coder:1.5b-base","created_at":"2024-07-22T20:47:51.147561Z","response":` + quote(text) + `,"done":false}` + "\n"
}

const ollamaFinal = `{"model":"qwen2.5-coder:1.5b-base","created_at":"2024-07-22T20:47:52.1Z","response":"","done":true,"done_reason":"stop",` +
	`"total_duration":1162761250,"load_duration":6683708,"prompt_eval_count":17,"prompt_eval_duration":201222000,"eval_count":63,"eval_duration":953997000}` + "\n"

func TestOllama(t *testing.T) {
	const model = "qwen2.5-coder:1.5b-base"
	req := remote.Request{Prompt: fimPrompt, MaxTokens: 64, Stop: []string{"<|endoftext|>"}, Temperature: 0.2, TopP: 0.9, Seed: 7}
	body := `{"model":"qwen2.5-coder:1.5b-base","prompt":` + quote(fimPrompt) + `,"raw":true,"stream":true,` +
		`"options":{"num_predict":64,"temperature":0.2,"top_p":0.9,"seed":7,"stop":["<|endoftext|>"]}}`
	nd := "application/x-ndjson"
	runEngineCases(t, remote.KindOllama, []engineCase{
		{
			name: "stream", model: model, req: req,
			wantPath: "/api/generate", wantBody: body,
			contentType: nd,
			frames:      []string{ollamaLine("return"), ollamaLine(" a + b"), ollamaFinal},
			wantPieces:  []string{"return", " a + b"},
			wantStats:   remote.Stats{PromptTokens: 17, GeneratedTokens: 63},
		},
		{
			// Without a Content-Type the kind's own framing applies; CRLF and blank lines are
			// tolerated.
			name: "CRLF, blank lines, no Content-Type", model: model, req: req, wantPath: "/api/generate",
			frames:     []string{`{"response":"a","done":false}` + "\r\n\r\n", `{"response":"b","done":false}` + "\r\n", `{"response":"","done":true,"eval_count":2}`},
			wantPieces: []string{"a", "b"},
			wantStats:  remote.Stats{GeneratedTokens: 2},
		},
		{
			name: "not streamed, pretty-printed JSON", model: model, req: req, wantPath: "/api/generate",
			contentType: "application/json; charset=utf-8",
			frames:      []string{"{\n  \"model\": \"qwen2.5-coder:1.5b-base\",\n  \"response\": \"return a + b\",\n  \"done\": true,\n  \"prompt_eval_count\": 26,\n  \"eval_count\": 5\n}\n"},
			wantPieces:  []string{"return a + b"},
			wantStats:   remote.Stats{PromptTokens: 26, GeneratedTokens: 5},
		},
		{
			name: "404 model not pulled", model: "codellama:7b", req: req, wantPath: "/api/generate",
			status: 404, contentType: "application/json; charset=utf-8",
			frames:  []string{`{"error":"model \"codellama:7b\" not found, try pulling it first"}`},
			wantErr: `404 Not Found: model "codellama:7b" not found, try pulling it first`, wantStatus: 404,
		},
		{
			name: "error line in the stream", model: model, req: req, wantPath: "/api/generate", contentType: nd,
			frames:  []string{ollamaLine("ret"), `{"error":"an error was encountered while running the model: unexpected EOF"}` + "\n"},
			wantErr: "server error (response line 2): an error was encountered while running the model", wantLine: 2,
		},
		{
			name: "bad JSON line", model: model, req: req, wantPath: "/api/generate", contentType: nd,
			frames:  []string{ollamaLine("a"), ollamaLine("b"), `{"response":"c","done":fals}` + "\n"},
			wantErr: "response line 3: invalid character", wantLine: 3,
		},
		{
			name: "no model", req: req,
			wantErr: "ollama: Client.Model is empty",
		},
		{
			name: "no prompt", model: model, req: remote.Request{Prefix: "x", MaxTokens: 3},
			wantErr: "ollama: the request has no Prompt",
		},
	})
}
