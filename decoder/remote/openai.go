package remote

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// KindOpenAI follows the OpenAI Completions API
// (https://platform.openai.com/docs/api-reference/completions/create) as the engines serve it:
// vLLM (https://docs.vllm.ai/en/latest/serving/openai_compatible_server.html, Completions API),
// llama.cpp (tools/server/README.md, "POST /v1/completions"), TGI (Messages API docs) and
// LM Studio. The stream is SSE, one chunk per "data:" line, ended by "data: [DONE]":
//
//	data: {"id":"cmpl-1","object":"text_completion","choices":[{"index":0,"text":"ret","finish_reason":null}]}
//	data: {"id":"cmpl-1","object":"text_completion","choices":[],"usage":{"prompt_tokens":40,"completion_tokens":9}}
//	data: [DONE]
//
// The usage chunk is requested with stream_options.include_usage; llama.cpp adds a "timings"
// object instead of or besides it.
var openaiEngine = engine{
	framing: sse,
	request: openaiRequest,
	event:   openaiEvent,
	whole:   openaiWhole,
	check:   openaiCheck,
}

// openaiBody is the request body of POST /v1/completions.
type openaiBody struct {
	Model         string         `json:"model,omitempty"`
	Prompt        any            `json:"prompt"` // string or []int32
	MaxTokens     int            `json:"max_tokens"`
	Temperature   float32        `json:"temperature"`
	TopP          float32        `json:"top_p,omitempty"`
	Seed          *int64         `json:"seed,omitempty"`
	Stop          []string       `json:"stop,omitempty"`
	Stream        bool           `json:"stream"`
	StreamOptions *streamOptions `json:"stream_options,omitempty"`
}

type streamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

func openaiRequest(c *Client, r *Request) (string, any, error) {
	b := openaiBody{
		Model:         c.Model,
		MaxTokens:     r.MaxTokens,
		Temperature:   r.Temperature,
		TopP:          r.TopP,
		Seed:          seedOf(r.Seed),
		Stop:          r.Stop,
		Stream:        true,
		StreamOptions: &streamOptions{IncludeUsage: true},
	}
	switch {
	case len(r.Tokens) > 0:
		b.Prompt = r.Tokens
	case r.Prompt != "":
		b.Prompt = r.Prompt
	default:
		return "", nil, errors.New("the request has neither Prompt nor Tokens")
	}
	return "/v1/completions", b, nil
}

// openaiChunk is one streamed chunk, or the whole non-streamed response.
type openaiChunk struct {
	Choices []struct {
		Index int    `json:"index"`
		Text  string `json:"text"`
	} `json:"choices"`
	Usage *struct {
		PromptTokens        int `json:"prompt_tokens"`
		CompletionTokens    int `json:"completion_tokens"`
		PromptTokensDetails *struct {
			CachedTokens int `json:"cached_tokens"`
		} `json:"prompt_tokens_details"`
	} `json:"usage"`
	Timings *llamacppTimings `json:"timings"`
}

func openaiEvent(ev event, st *Stats) (string, bool, error) {
	switch ev.name {
	case "error":
		return "", false, serverError(eventErrorText(ev.data))
	case "", "message":
	default:
		return "", false, nil
	}
	if string(ev.data) == "[DONE]" {
		return "", true, nil
	}
	text, err := openaiDecode(ev.data, st)
	return text, false, err
}

func openaiWhole(body []byte, st *Stats) (string, error) { return openaiDecode(body, st) }

func openaiDecode(data []byte, st *Stats) (string, error) {
	if msg, ok := errorMessage(data); ok {
		return "", serverError(msg)
	}
	var ch openaiChunk
	if err := json.Unmarshal(data, &ch); err != nil {
		return "", err
	}
	if u := ch.Usage; u != nil {
		st.PromptTokens, st.GeneratedTokens = u.PromptTokens, u.CompletionTokens
		if u.PromptTokensDetails != nil {
			st.CachedTokens = u.PromptTokensDetails.CachedTokens
		}
	}
	if ch.Timings != nil {
		ch.Timings.record(st, ch.Usage == nil)
	}
	var text strings.Builder
	for _, c := range ch.Choices {
		if c.Index == 0 { // we ask for one choice (n defaults to 1)
			text.WriteString(c.Text)
		}
	}
	return text.String(), nil
}

func openaiCheck(ctx context.Context, c *Client) error {
	var list struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := c.getJSON(ctx, "/v1/models", &list); err != nil {
		return err
	}
	if c.Model == "" {
		return nil
	}
	ids := make([]string, len(list.Data))
	for i, m := range list.Data {
		if m.ID == c.Model {
			return nil
		}
		ids[i] = m.ID
	}
	return fmt.Errorf("remote: %s %s: model %q is not served (served: %s)", c.Kind, redact(c.url("/v1/models")), c.Model, strings.Join(ids, ", "))
}

// seedOf maps Request.Seed to an optional JSON field: negative means "engine's choice".
func seedOf(s int64) *int64 {
	if s < 0 {
		return nil
	}
	return &s
}
