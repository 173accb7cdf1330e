package remote

import (
	"context"
	"encoding/json"
	"errors"
)

// KindLlamaCpp follows llama.cpp's server API (ggml-org/llama.cpp tools/server/README.md,
// "POST /infill" and "POST /completion"). /infill takes the FIM parts and builds the prompt
// with the model's own FIM tokens (and the repo-level pattern with FIM_REP/FIM_SEP when the
// model has them, input_extra becoming the other files):
//
//	{"input_prefix": "...", "input_suffix": "...", "input_extra": [{"filename": "a.go", "text": "..."}],
//	 "prompt": "<typed part of the cursor line>", "n_predict": 64, ...}
//
// /completion takes a raw prompt string or an array of token ids. Both stream SSE events
//
//	data: {"content": "ret", "stop": false}
//	data: {"content": "", "stop": true, "tokens_evaluated": 310, "timings": {"cache_n": 300, "prompt_n": 10, "predicted_n": 9, ...}}
//
// and report a failure mid-stream as a line "error: {"code": 400, "message": "...", ...}".
var llamacppEngine = engine{
	framing: sse,
	request: llamacppRequest,
	event:   llamacppEvent,
	whole:   llamacppWhole,
	check:   llamacppCheck,
}

// llamacppParams are the /completion options both endpoints take.
type llamacppParams struct {
	NPredict    int      `json:"n_predict"`
	Temperature float32  `json:"temperature"`
	TopP        float32  `json:"top_p,omitempty"`
	Seed        *int64   `json:"seed,omitempty"`
	Stop        []string `json:"stop,omitempty"`
	Stream      bool     `json:"stream"`
	// CachePrompt lets a request reuse the KV cache of the slot's previous prompt; the
	// server's default is true since 2024, sent anyway for older servers.
	CachePrompt bool `json:"cache_prompt"`
}

type llamacppInfillBody struct {
	InputPrefix string          `json:"input_prefix"`
	InputSuffix string          `json:"input_suffix"`
	InputExtra  []llamacppExtra `json:"input_extra,omitempty"`
	Prompt      string          `json:"prompt"`
	llamacppParams
}

type llamacppExtra struct {
	Filename string `json:"filename"`
	Text     string `json:"text"`
}

type llamacppCompletionBody struct {
	Prompt any `json:"prompt"` // string or []int32
	llamacppParams
}

func llamacppRequest(_ *Client, r *Request) (string, any, error) {
	p := llamacppParams{
		NPredict:    r.MaxTokens,
		Temperature: r.Temperature,
		TopP:        r.TopP,
		Stop:        r.Stop,
		Stream:      true,
		CachePrompt: true,
	}
	if r.Seed >= 0 {
		// The server's seed is a uint32 and 0xFFFFFFFF means "random" (LLAMA_DEFAULT_SEED).
		s := r.Seed % 0xFFFFFFFF
		p.Seed = &s
	}
	if r.Prefix != "" || r.Suffix != "" || r.Typed != "" || len(r.Extra) > 0 {
		b := llamacppInfillBody{InputPrefix: r.Prefix, InputSuffix: r.Suffix, Prompt: r.Typed, llamacppParams: p}
		for _, e := range r.Extra {
			b.InputExtra = append(b.InputExtra, llamacppExtra{Filename: e.Path, Text: e.Text})
		}
		return "/infill", b, nil
	}
	b := llamacppCompletionBody{llamacppParams: p}
	switch {
	case len(r.Tokens) > 0:
		b.Prompt = r.Tokens
	case r.Prompt != "":
		b.Prompt = r.Prompt
	default:
		return "", nil, errors.New("the request has no FIM parts (Prefix, Suffix, Typed, Extra) for /infill and no Prompt or Tokens for /completion")
	}
	return "/completion", b, nil
}

// llamacppTimings is the "timings" object of llama.cpp's last event (counts in tokens).
type llamacppTimings struct {
	CacheN     *int `json:"cache_n"`  // prompt tokens reused from the KV cache (servers since 2025)
	PromptN    int  `json:"prompt_n"` // prompt tokens evaluated
	PredictedN int  `json:"predicted_n"`
}

// record copies t into st; counts says whether the prompt and generated counts are taken
// from t (false when an OpenAI usage object already gave them).
func (t *llamacppTimings) record(st *Stats, counts bool) {
	cached := 0
	if t.CacheN != nil {
		cached = *t.CacheN
		st.CachedTokens = cached
	}
	if counts {
		st.PromptTokens = t.PromptN + cached
		st.GeneratedTokens = t.PredictedN
	}
}

type llamacppEventBody struct {
	Content         string           `json:"content"`
	Stop            bool             `json:"stop"`
	TokensEvaluated int              `json:"tokens_evaluated"`
	TokensPredicted int              `json:"tokens_predicted"`
	Timings         *llamacppTimings `json:"timings"`
}

func llamacppEvent(ev event, st *Stats) (string, bool, error) {
	switch ev.name {
	case "error":
		return "", false, serverError(eventErrorText(ev.data))
	case "", "message":
	default:
		return "", false, nil
	}
	return llamacppDecode(ev.data, st)
}

func llamacppWhole(body []byte, st *Stats) (string, error) {
	text, _, err := llamacppDecode(body, st)
	return text, err
}

func llamacppDecode(data []byte, st *Stats) (string, bool, error) {
	if msg, ok := errorMessage(data); ok {
		return "", false, serverError(msg)
	}
	var b llamacppEventBody
	if err := json.Unmarshal(data, &b); err != nil {
		return "", false, err
	}
	if b.Stop {
		if b.Timings != nil {
			b.Timings.record(st, true)
		}
		// tokens_evaluated counts the whole prompt even on servers whose timings lack cache_n.
		if b.TokensEvaluated > 0 {
			st.PromptTokens = b.TokensEvaluated
		}
		if b.TokensPredicted > 0 {
			st.GeneratedTokens = b.TokensPredicted
		}
	}
	return b.Content, b.Stop, nil
}

func llamacppCheck(ctx context.Context, c *Client) error {
	var h struct {
		Status string `json:"status"`
	}
	return c.getJSON(ctx, "/health", &h)
}
