package remote_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/llmls/llmls/decoder/remote"
)

// vllmChunk is a streamed chunk as vLLM's completion_stream_generator writes it.
func vllmChunk(text, finish string) string {
	f := "null"
	if finish != "" {
		f = `"` + finish + `"`
	}
	return `data: {"id":"cmpl-8f1","object":"text_completion","created":1718000000,"model":"Qwen/Qwen2.5-Coder-1.5B",` +
		`"choices":[{"index":0,"text":` + quote(text) + `,"logprobs":null,"finish_reason":` + f + `,"stop_reason":null}],"usage":null}` + "\n\n"
}

func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\t", `\t`)
	return `"` + r.Replace(s) + `"`
}

const fimPrompt = "<|fim_prefix|>func add(a, b int) int {\n\t<|fim_suffix|>\n}\n<|fim_middle|>"

func TestOpenAI(t *testing.T) {
	req := remote.Request{Prompt: fimPrompt, MaxTokens: 64, Stop: []string{"<|endoftext|>", "\n\n"}, Temperature: 0.2, Seed: 7}
	body := `{"model":"Qwen/Qwen2.5-Coder-1.5B","prompt":` + quote(fimPrompt) + `,"max_tokens":64,"temperature":0.2,` +
		`"seed":7,"stop":["<|endoftext|>","\n\n"],"stream":true,"stream_options":{"include_usage":true}}`
	sse := "text/event-stream; charset=utf-8"
	runEngineCases(t, remote.KindOpenAI, []engineCase{
		{
			name:  "vLLM stream with usage",
			model: "Qwen/Qwen2.5-Coder-1.5B", req: req,
			wantPath: "/v1/completions", wantBody: body,
			contentType: sse,
			frames: []string{
				vllmChunk("return", ""), vllmChunk(" a", ""), vllmChunk(" + b", "stop"),
				`data: {"id":"cmpl-8f1","object":"text_completion","created":1718000000,"model":"Qwen/Qwen2.5-Coder-1.5B","choices":[],` +
					`"usage":{"prompt_tokens":42,"total_tokens":45,"completion_tokens":3,"prompt_tokens_details":{"cached_tokens":32}}}` + "\n\n",
				"data: [DONE]\n\n",
			},
			wantPieces: []string{"return", " a", " + b"},
			wantStats:  remote.Stats{PromptTokens: 42, CachedTokens: 32, GeneratedTokens: 3},
		},
		{
			name:        "token ids, base URL ending in /v1, top_p, engine-chosen seed, API key",
			endpoint:    "/v1",
			req:         remote.Request{Tokens: []int32{151659, 2830, 151660}, Prompt: "ignored", MaxTokens: 8, TopP: 0.9, Seed: -1},
			header:      http.Header{"Authorization": {"Bearer sk-test-123"}},
			wantPath:    "/v1/completions",
			wantBody:    `{"prompt":[151659,2830,151660],"max_tokens":8,"temperature":0,"top_p":0.9,"stream":true,"stream_options":{"include_usage":true}}`,
			contentType: sse,
			frames:      []string{vllmChunk("x", "length"), "data: [DONE]\n\n"},
			wantPieces:  []string{"x"},
		},
		{
			// llama.cpp's /v1/completions adds "timings" to its last chunk; some forks omit
			// [DONE], so a clean EOF also ends the stream.
			name: "llama.cpp timings, no [DONE]",
			req:  req, wantPath: "/v1/completions",
			contentType: "text/event-stream",
			frames: []string{
				`data: {"choices":[{"text":"return a + b","index":0,"logprobs":null,"finish_reason":null}],"created":1757141666,"model":"gpt-3.5-turbo","system_fingerprint":"b6400","object":"text_completion","id":"cmpl-x"}` + "\n\n",
				`data: {"choices":[{"text":"","index":0,"logprobs":null,"finish_reason":"stop"}],"created":1757141666,"model":"gpt-3.5-turbo","object":"text_completion","id":"cmpl-x",` +
					`"timings":{"cache_n":236,"prompt_n":1,"prompt_ms":30.9,"prompt_per_token_ms":30.9,"prompt_per_second":32.3,"predicted_n":35,"predicted_ms":661.0,"predicted_per_token_ms":18.8,"predicted_per_second":52.9}}` + "\n\n",
			},
			wantPieces: []string{"return a + b"},
			wantStats:  remote.Stats{PromptTokens: 237, CachedTokens: 236, GeneratedTokens: 35},
		},
		{
			name: "not streamed (application/json)",
			req:  req, wantPath: "/v1/completions",
			contentType: "application/json",
			frames: []string{`{"id":"cmpl-1","object":"text_completion","created":1,"model":"m","choices":[{"index":0,"text":"return a + b","logprobs":null,"finish_reason":"stop"}],` +
				`"usage":{"prompt_tokens":40,"completion_tokens":5,"total_tokens":45}}`},
			wantPieces: []string{"return a + b"},
			wantStats:  remote.Stats{PromptTokens: 40, GeneratedTokens: 5},
		},
		{
			name: "404 unknown model (vLLM ErrorResponse)",
			req:  req, wantPath: "/v1/completions",
			status: 404, contentType: "application/json",
			frames:     []string{`{"error":{"message":"The model ` + "`gpt-4`" + ` does not exist.","type":"NotFoundError","param":"model","code":404}}`},
			wantErr:    "404 Not Found: The model `gpt-4` does not exist.",
			wantStatus: 404,
		},
		{
			name: "400 context too long (older vLLM shape)",
			req:  req, wantPath: "/v1/completions",
			status: 400, contentType: "application/json",
			frames:     []string{`{"object":"error","message":"This model's maximum context length is 2048 tokens. However, you requested 2100 tokens.","type":"BadRequestError","param":null,"code":400}`},
			wantErr:    "maximum context length is 2048 tokens",
			wantStatus: 400,
		},
		{
			name: "502 from a proxy: body truncated",
			req:  req, wantPath: "/v1/completions",
			status: 502, contentType: "text/html",
			frames:     []string{"<html><body>" + strings.Repeat("Bad Gateway ", 200) + "</body></html>"},
			wantErr:    "502 Bad Gateway: <html><body>Bad Gateway",
			wantStatus: 502,
		},
		{
			name: "error inside the stream",
			req:  req, wantPath: "/v1/completions", contentType: sse,
			frames: []string{vllmChunk("ret", ""),
				`data: {"error": {"object": "error", "message": "CUDA out of memory", "type": "InternalServerError", "param": null, "code": 500}}` + "\n\n"},
			wantErr: "server error (response line 3): CUDA out of memory", wantLine: 3,
		},
		{
			name: "truncated JSON line",
			req:  req, wantPath: "/v1/completions", contentType: sse,
			frames:  []string{vllmChunk("a", ""), vllmChunk("b", ""), `data: {"choices":[{"index":0,"text":"c"` + "\n\n"},
			wantErr: "response line 5: unexpected end of JSON input", wantLine: 5,
		},
		{
			name: "not an SSE line",
			req:  req, wantPath: "/v1/completions", contentType: sse,
			frames:  []string{vllmChunk("a", ""), `{"choices":[]}` + "\n"},
			wantErr: "response line 3: not a server-sent event field", wantLine: 3,
		},
		{
			name:    "no prompt",
			req:     remote.Request{Prefix: "func f() {", MaxTokens: 8},
			wantErr: "openai: the request has neither Prompt nor Tokens",
		},
	})
}

func TestOpenAIErrorHasNoKey(t *testing.T) {
	c := engineCase{wantPath: "/v1/completions", status: 401, contentType: "application/json",
		frames: []string{`{"error":{"message":"Incorrect API key provided.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`}}
	srv := fakeServer(t, c)
	cl := &remote.Client{Kind: remote.KindOpenAI, Endpoint: srv.URL, APIKey: "sk-secret-999"}
	_, err := cl.Complete(t.Context(), remote.Request{Prompt: "x", MaxTokens: 1}, func(string) bool { return true })
	if err == nil || !strings.Contains(err.Error(), "Incorrect API key provided.") {
		t.Fatalf("err = %v, want the server's message", err)
	}
	if strings.Contains(err.Error(), "sk-secret-999") {
		t.Errorf("error leaks the API key: %v", err)
	}
}
