package remote

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
)

// KindTGI follows Text Generation Inference's native API (huggingface/text-generation-inference
// router/src/server.rs, POST /generate_stream; docs at
// https://huggingface.github.io/text-generation-inference/). The stream is SSE, one token per
// event; the last event also carries generated_text and, with details:true, the counts:
//
//	data:{"index":1,"token":{"id":1,"text":"ret","logprob":-0.1,"special":false},"generated_text":null,"details":null}
//	data:{"index":9,"token":{"id":2,"text":"</s>","special":true},"generated_text":"return x","details":{"finish_reason":"eos_token","generated_tokens":9,"seed":null,"input_length":40}}
//
// Special tokens (such as the end-of-sequence token) are not text and are dropped. Errors,
// validation errors included, come as an event {"error": "...", "error_type": "..."}.
var tgiEngine = engine{
	framing: sse,
	request: tgiRequest,
	event:   tgiEvent,
	whole:   tgiWhole,
	check:   tgiCheck,
}

type tgiBody struct {
	Inputs     string        `json:"inputs"`
	Parameters tgiParameters `json:"parameters"`
}

// tgiParameters is TGI's GenerateParameters (router/src/lib.rs). TGI rejects temperature 0
// ("temperature must be strictly positive") and top_p outside (0, 1), so greedy decoding is
// do_sample:false with neither set. details:true costs one small object at the end of a
// stream and is the only way TGI reports token counts there.
type tgiParameters struct {
	MaxNewTokens   int      `json:"max_new_tokens"`
	DoSample       bool     `json:"do_sample"`
	Temperature    float32  `json:"temperature,omitempty"`
	TopP           float32  `json:"top_p,omitempty"`
	Seed           *int64   `json:"seed,omitempty"`
	Stop           []string `json:"stop,omitempty"`
	Details        bool     `json:"details"`
	ReturnFullText bool     `json:"return_full_text"`
}

func tgiRequest(_ *Client, r *Request) (string, any, error) {
	if r.Prompt == "" {
		return "", nil, errors.New("the request has no Prompt (TGI takes the built FIM prompt text)")
	}
	p := tgiParameters{
		MaxNewTokens: r.MaxTokens,
		Stop:         r.Stop,
		Details:      true,
	}
	if r.Temperature > 0 {
		p.DoSample = true
		p.Temperature = r.Temperature
		if r.TopP > 0 && r.TopP < 1 {
			p.TopP = r.TopP
		}
		p.Seed = seedOf(r.Seed)
	}
	return "/generate_stream", tgiBody{Inputs: r.Prompt, Parameters: p}, nil
}

type tgiDetails struct {
	GeneratedTokens int `json:"generated_tokens"`
	InputLength     int `json:"input_length"` // TGI 2.x and later
}

type tgiEventBody struct {
	Token *struct {
		Text    string `json:"text"`
		Special bool   `json:"special"`
	} `json:"token"`
	GeneratedText *string     `json:"generated_text"`
	Details       *tgiDetails `json:"details"`
}

func tgiEvent(ev event, st *Stats) (string, bool, error) {
	switch ev.name {
	case "error":
		return "", false, serverError(eventErrorText(ev.data))
	case "", "message":
	default:
		return "", false, nil
	}
	if msg, ok := errorMessage(ev.data); ok {
		return "", false, serverError(msg)
	}
	var b tgiEventBody
	if err := json.Unmarshal(ev.data, &b); err != nil {
		return "", false, err
	}
	if b.Token == nil {
		return "", false, errors.New(`event has no "token"`)
	}
	if b.Details != nil {
		st.PromptTokens, st.GeneratedTokens = b.Details.InputLength, b.Details.GeneratedTokens
	}
	piece := b.Token.Text
	if b.Token.Special {
		piece = ""
	}
	return piece, b.GeneratedText != nil, nil
}

// tgiWhole reads a non-streamed GenerateResponse, {"generated_text": ..., "details": ...}, or
// the one-element array the "/" route returns.
func tgiWhole(body []byte, st *Stats) (string, error) {
	if msg, ok := errorMessage(body); ok {
		return "", serverError(msg)
	}
	type response struct {
		GeneratedText *string     `json:"generated_text"`
		Details       *tgiDetails `json:"details"`
	}
	var one response
	if err := json.Unmarshal(body, &one); err != nil {
		var many []response
		if json.Unmarshal(body, &many) != nil || len(many) != 1 {
			return "", err
		}
		one = many[0]
	}
	if one.GeneratedText == nil {
		return "", errors.New(`response has no "generated_text"`)
	}
	if one.Details != nil {
		st.PromptTokens, st.GeneratedTokens = one.Details.InputLength, one.Details.GeneratedTokens
	}
	return *one.GeneratedText, nil
}

func tgiCheck(ctx context.Context, c *Client) error {
	var info struct {
		ModelID string `json:"model_id"`
	}
	if err := c.getJSON(ctx, "/info", &info); err != nil {
		return err
	}
	if info.ModelID == "" {
		return fmt.Errorf("remote: %s %s: the answer has no model_id; is this a TGI server?", c.Kind, redact(c.url("/info")))
	}
	return nil
}
