package remote

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// KindOllama follows Ollama's "Generate a completion" API (ollama/ollama docs/api.md,
// POST /api/generate). The prompt goes with raw:true, so Ollama's template does not wrap the
// FIM prompt llmls built. The stream is NDJSON (Content-Type application/x-ndjson), one
// object per line; the last has done:true and the counts:
//
//	{"model":"qwen2.5-coder:1.5b-base","response":"ret","done":false}
//	{"model":"qwen2.5-coder:1.5b-base","response":"","done":true,"prompt_eval_count":26,"eval_count":9,...}
//
// Errors come as {"error": "..."}, with a status >= 400 before the stream or as a line in it.
// Ollama counts in prompt_eval_count the prompt tokens it evaluated, which is fewer than the
// prompt (or the field is absent) when its cache held the rest.
var ollamaEngine = engine{
	framing: ndjson,
	request: ollamaRequest,
	event:   ollamaEvent,
	whole:   ollamaWhole,
	check:   ollamaCheck,
}

type ollamaBody struct {
	Model   string        `json:"model"`
	Prompt  string        `json:"prompt"`
	Raw     bool          `json:"raw"`
	Stream  bool          `json:"stream"`
	Options ollamaOptions `json:"options"`
}

// ollamaOptions are Modelfile parameters (ollama docs/modelfile.md, "Valid Parameters and
// Values").
type ollamaOptions struct {
	NumPredict  int      `json:"num_predict"`
	Temperature float32  `json:"temperature"`
	TopP        float32  `json:"top_p,omitempty"`
	Seed        *int64   `json:"seed,omitempty"`
	Stop        []string `json:"stop,omitempty"`
}

func ollamaRequest(c *Client, r *Request) (string, any, error) {
	if c.Model == "" {
		return "", nil, errors.New("Client.Model is empty; Ollama needs a model name such as \"qwen2.5-coder:1.5b-base\"")
	}
	if r.Prompt == "" {
		return "", nil, errors.New("the request has no Prompt (Ollama takes the built FIM prompt text)")
	}
	return "/api/generate", ollamaBody{
		Model:  c.Model,
		Prompt: r.Prompt,
		Raw:    true,
		Stream: true,
		Options: ollamaOptions{
			NumPredict:  r.MaxTokens,
			Temperature: r.Temperature,
			TopP:        r.TopP,
			Seed:        seedOf(r.Seed),
			Stop:        r.Stop,
		},
	}, nil
}

type ollamaLine struct {
	Response        string `json:"response"`
	Done            bool   `json:"done"`
	PromptEvalCount int    `json:"prompt_eval_count"`
	EvalCount       int    `json:"eval_count"`
}

func ollamaEvent(ev event, st *Stats) (string, bool, error) {
	return ollamaDecode(ev.data, st)
}

func ollamaWhole(body []byte, st *Stats) (string, error) {
	text, _, err := ollamaDecode(body, st)
	return text, err
}

func ollamaDecode(data []byte, st *Stats) (string, bool, error) {
	if msg, ok := errorMessage(data); ok {
		return "", false, serverError(msg)
	}
	var l ollamaLine
	if err := json.Unmarshal(data, &l); err != nil {
		return "", false, err
	}
	if l.Done {
		st.PromptTokens, st.GeneratedTokens = l.PromptEvalCount, l.EvalCount
	}
	return l.Response, l.Done, nil
}

func ollamaCheck(ctx context.Context, c *Client) error {
	var tags struct {
		Models []struct {
			Name  string `json:"name"`
			Model string `json:"model"`
		} `json:"models"`
	}
	if err := c.getJSON(ctx, "/api/tags", &tags); err != nil {
		return err
	}
	if c.Model == "" {
		return fmt.Errorf("remote: %s: Client.Model is empty; Ollama needs a model name", c.Kind)
	}
	// A name without a tag means ":latest" (docs/api.md, "Model names").
	want := c.Model
	if !strings.Contains(want[strings.LastIndex(want, "/")+1:], ":") {
		want += ":latest"
	}
	names := make([]string, len(tags.Models))
	for i, m := range tags.Models {
		if m.Name == want || m.Model == want || m.Name == c.Model {
			return nil
		}
		names[i] = m.Name
	}
	return fmt.Errorf("remote: %s %s: model %q is not pulled (have: %s); run `ollama pull %s`",
		c.Kind, redact(c.url("/api/tags")), c.Model, strings.Join(names, ", "), c.Model)
}
