// Package remote streams completions from a serving engine that runs elsewhere, for users who
// outgrow one machine (DESIGN.md, "Remote engines"). llmls builds the same FIM prompt and
// applies the same post-processing as with its own decoder; only generation goes over HTTP.
//
// A [Client] names the engine ([Kind]), its base URL and model. [Client.Complete] sends one
// [Request] and hands each generated piece of text to a callback as it arrives, then returns
// [Stats]; [Client.Check] is a cheap reachability and model check for startup.
//
// Engines and the API documents each file follows:
//
//	KindOpenAI    openai.go    POST /v1/completions (vLLM, llama.cpp, TGI, LM Studio), SSE
//	KindLlamaCpp  llamacpp.go  llama.cpp server POST /infill or /completion, SSE
//	KindOllama    ollama.go    Ollama POST /api/generate with raw:true, NDJSON
//	KindTGI       tgi.go       Text Generation Inference POST /generate_stream, SSE
//
// The two stream framings (server-sent events and newline-delimited JSON) are parsed in
// stream.go; a response that is not streamed (Content-Type application/json) is accepted too.
//
// Errors: [*HTTPError] for a status >= 400, [*ConnError] when the server cannot be reached,
// [*StreamError] for a malformed line, [*ServerError] for an error the server reported inside
// a stream. A cancelled ctx makes Complete return ctx.Err() itself.
//
// The package uses only the standard library and imports nothing of llmls.
package remote

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Kind is the wire protocol of a serving engine. Its values are the names users write in the
// configuration ("openai", "llamacpp", "ollama", "tgi"); see [ParseKind].
type Kind string

// The engine kinds, with the API documents they follow.
const (
	// KindOpenAI is the OpenAI-compatible Completions API, POST /v1/completions
	// (https://platform.openai.com/docs/api-reference/completions), as served by vLLM
	// (https://docs.vllm.ai/en/latest/serving/openai_compatible_server.html), llama.cpp's
	// server, TGI and LM Studio. See openai.go.
	KindOpenAI Kind = "openai"
	// KindLlamaCpp is llama.cpp's native server API
	// (https://github.com/ggml-org/llama.cpp/blob/master/tools/server/README.md): POST /infill,
	// which builds the FIM prompt from the model's own FIM tokens, or POST /completion with a
	// raw prompt. See llamacpp.go.
	KindLlamaCpp Kind = "llamacpp"
	// KindOllama is Ollama's POST /api/generate
	// (https://github.com/ollama/ollama/blob/main/docs/api.md) with raw:true, so Ollama's
	// template does not wrap the FIM prompt. See ollama.go.
	KindOllama Kind = "ollama"
	// KindTGI is Hugging Face Text Generation Inference's POST /generate_stream
	// (https://huggingface.github.io/text-generation-inference/). See tgi.go.
	KindTGI Kind = "tgi"
)

// Kinds lists every kind, in the order the documentation shows them.
var Kinds = []Kind{KindOpenAI, KindLlamaCpp, KindOllama, KindTGI}

// ParseKind returns the Kind named by s (case-insensitive, surrounding spaces ignored). It
// returns an error listing the valid names when s names none.
func ParseKind(s string) (Kind, error) {
	k := Kind(strings.ToLower(strings.TrimSpace(s)))
	if engineOf(k) != nil {
		return k, nil
	}
	names := make([]string, len(Kinds))
	for i, k := range Kinds {
		names[i] = string(k)
	}
	return "", fmt.Errorf("remote: unknown engine kind %q (want one of %s)", s, strings.Join(names, ", "))
}

// DefaultEndpoint is the base URL each engine listens on out of the box, used when
// Client.Endpoint is empty: vLLM's `vllm serve` port 8000 for KindOpenAI, llama-server's
// 127.0.0.1:8080, Ollama's 127.0.0.1:11434 and text-generation-launcher's port 3000. It
// returns "" for an unknown kind.
func DefaultEndpoint(k Kind) string {
	switch k {
	case KindOpenAI:
		return "http://127.0.0.1:8000"
	case KindLlamaCpp:
		return "http://127.0.0.1:8080"
	case KindOllama:
		return "http://127.0.0.1:11434"
	case KindTGI:
		return "http://127.0.0.1:3000"
	}
	return ""
}

// Client talks to one serving engine. Its methods do not modify it, so one Client may serve
// concurrent requests (as far as HTTP does: http.Client is safe for concurrent use).
type Client struct {
	// Kind is the engine's wire protocol.
	Kind Kind
	// Endpoint is the server's base URL, such as "http://gpu-box:8000"; the API paths are
	// appended to it. For KindOpenAI a trailing "/v1" (as OpenAI SDKs spell base URLs) is
	// accepted. Empty means DefaultEndpoint(Kind).
	Endpoint string
	// Model is the model name the server knows: required by Ollama ("qwen2.5-coder:1.5b-base"),
	// checked against GET /v1/models by KindOpenAI when set, ignored by llama.cpp and TGI,
	// which serve one model.
	Model string
	// APIKey, when not empty, is sent as "Authorization: Bearer APIKey". It never appears in
	// errors, and String and GoString leave it out so that logging a Client cannot leak it.
	APIKey string
	// HTTP is the client used for requests; nil means http.DefaultClient. Leave its Timeout
	// at zero: a stream lasts as long as generation, and ctx bounds each call.
	HTTP *http.Client
}

// String describes c for logs: kind, endpoint (userinfo redacted) and model, never the key.
func (c *Client) String() string {
	s := fmt.Sprintf("%s %s", c.Kind, redact(c.endpoint()))
	if c.Model != "" {
		s += " model=" + c.Model
	}
	if c.APIKey != "" {
		s += " (API key set)"
	}
	return s
}

// GoString is String, so that %#v cannot print the API key either.
func (c *Client) GoString() string { return "remote.Client{" + c.String() + "}" }

// Chunk is the text of another file given to the model as context ("input_extra" of
// llama.cpp's /infill).
type Chunk struct {
	Path string // file name as shown to the model (workspace-relative when known)
	Text string // file content or an excerpt of it
}

// Request is one generation. Which fields an engine reads depends on its kind:
//
//   - KindOpenAI reads Tokens when not empty, else Prompt;
//   - KindLlamaCpp posts to /infill, which builds the FIM prompt itself from Prefix, Suffix,
//     Typed and Extra, when any of them is set, and otherwise to /completion with Tokens
//     (when not empty) or Prompt;
//   - KindOllama and KindTGI read Prompt.
//
// Complete returns an error when the fields its kind reads are empty.
type Request struct {
	// Prompt is the fully built FIM prompt text, control tokens written as their strings
	// (engines tokenize it with special-token parsing on).
	Prompt string
	// Tokens is the built prompt as token ids, [nTokens], for engines that take ids. The ids
	// must come from the served model's own vocabulary.
	Tokens []int32
	// Prefix is the text before the cursor line, Suffix the text after the cursor and Typed
	// the cursor line up to the cursor (FIM prefix, suffix and the start of the middle).
	Prefix, Suffix, Typed string
	// Extra are other files for repo-level context, most useful last.
	Extra []Chunk
	// MaxTokens is the most tokens to generate; it must be positive.
	MaxTokens int
	// Stop are strings that end generation. Engines differ on whether the stop string
	// itself is returned (TGI returns it), so callers strip leaks in post-processing.
	Stop []string
	// Temperature is the sampling temperature; 0 asks for greedy decoding.
	Temperature float32
	// TopP is the nucleus-sampling threshold in (0, 1]; 0 leaves the engine's default.
	TopP float32
	// Seed seeds the engine's sampler; a negative Seed lets the engine choose. llama.cpp
	// keeps 32 bits of it.
	Seed int64
}

// Stats describes one completed call. Token counts are what the server reported (OpenAI
// usage, llama.cpp timings, Ollama eval counts, TGI details) and are 0 when it reported
// none; times are measured by the client on a monotonic clock, so they include the network.
type Stats struct {
	// PromptTokens is the prompt length in tokens, cached or not.
	PromptTokens int
	// CachedTokens is how many prompt tokens the server reused from its KV cache instead of
	// evaluating (llama.cpp cache_n, OpenAI usage.prompt_tokens_details.cached_tokens).
	CachedTokens int
	// GeneratedTokens is the number of tokens generated.
	GeneratedTokens int
	// FirstPieceMs is the time from the call to the first non-empty piece, in ms; 0 if no
	// piece arrived.
	FirstPieceMs float64
	// TotalMs is the duration of the whole call, in ms.
	TotalMs float64
}

// maxBody bounds what is read of one non-streamed JSON body, and maxLine one line of a
// stream. llama.cpp's last stream event repeats the processed prompt, which for a 128k-token
// context is a few hundred KiB, so 8 MiB leaves room while still bounding memory.
const (
	maxBody = 8 << 20
	maxLine = 8 << 20
)

// maxMessage bounds the server error text kept in errors, in bytes.
const maxMessage = 500

// Complete sends req to the engine and calls emit with each non-empty piece of generated
// text, in order, as it arrives. When emit returns false, Complete stops reading, closes the
// response body and returns the stats so far with a nil error.
//
// It returns ctx.Err() itself, promptly, when ctx is cancelled or times out (the HTTP request
// is bound to ctx); an *HTTPError for a status >= 400; a *ConnError when the server cannot be
// reached; a *StreamError for a line it cannot parse (naming the line); a *ServerError for an
// error the server sent inside the stream; and a plain error for a request that is missing
// what its kind needs (see [Request]).
func (c *Client) Complete(ctx context.Context, req Request, emit func(piece string) bool) (Stats, error) {
	start := time.Now()
	var st Stats
	finish := func(err error) (Stats, error) {
		st.TotalMs = msSince(start)
		return st, err
	}
	eng := engineOf(c.Kind)
	if eng == nil {
		return finish(fmt.Errorf("remote: unknown engine kind %q", c.Kind))
	}
	if req.MaxTokens <= 0 {
		return finish(fmt.Errorf("remote: %s: MaxTokens is %d, want > 0", c.Kind, req.MaxTokens))
	}
	path, body, err := eng.request(c, &req)
	if err != nil {
		return finish(fmt.Errorf("remote: %s: %w", c.Kind, err))
	}
	resp, u, err := c.do(ctx, http.MethodPost, path, body)
	if err != nil {
		return finish(err)
	}
	defer resp.Body.Close()

	got := false
	onPiece := func(p string) bool {
		if p == "" {
			return true
		}
		if !got {
			got = true
			st.FirstPieceMs = msSince(start)
		}
		return emit(p)
	}
	err = c.readResponse(resp, u, eng, &st, onPiece)
	if err != nil && ctx.Err() != nil {
		// The transport reports a cancelled read as its own error; the caller wants ctx's.
		err = ctx.Err()
	}
	return finish(err)
}

// readResponse dispatches on the response's media type: a whole JSON body, or a stream in
// the framing the Content-Type names (the engine's own framing when it names neither).
func (c *Client) readResponse(resp *http.Response, u string, eng *engine, st *Stats, emit func(string) bool) error {
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if mt == "application/json" {
		data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
		if err != nil {
			return &ConnError{Kind: c.Kind, URL: u, Err: err}
		}
		if len(data) > maxBody {
			return &StreamError{Kind: c.Kind, URL: u, Line: 1, Err: fmt.Errorf("JSON body longer than %d bytes", maxBody)}
		}
		text, err := eng.whole(data, st)
		if err != nil {
			return c.eventError(err, u, event{line: 1, data: data})
		}
		emit(text)
		return nil
	}
	fr := eng.framing
	switch mt {
	case "text/event-stream":
		fr = sse
	case "application/x-ndjson", "application/jsonl", "application/jsonlines":
		fr = ndjson
	}
	read := readSSE
	if fr == ndjson {
		read = readNDJSON
	}
	err := read(resp.Body, func(ev event) (bool, error) {
		piece, done, err := eng.event(ev, st)
		if err != nil {
			return false, c.eventError(err, u, ev)
		}
		if !emit(piece) {
			return false, nil
		}
		return !done, nil
	})
	var (
		le *lineError
		se *StreamError
		sv *ServerError
	)
	switch {
	case err == nil, errors.As(err, &se), errors.As(err, &sv):
		return err
	case errors.As(err, &le):
		return &StreamError{Kind: c.Kind, URL: u, Line: le.line, Err: le.err}
	}
	// The body's reader failed: the connection broke mid-stream.
	return &ConnError{Kind: c.Kind, URL: u, Err: err}
}

// eventError turns a decoder's error about ev into a *ServerError or a *StreamError.
func (c *Client) eventError(err error, u string, ev event) error {
	var se *ServerError
	if errors.As(err, &se) {
		se.Kind, se.URL, se.Line = c.Kind, u, ev.line
		return se
	}
	return &StreamError{Kind: c.Kind, URL: u, Line: ev.line, Text: truncate(string(ev.data), 200), Err: err}
}

// Check makes a cheap request that proves the engine is up and, where the API lists models,
// that it serves c.Model: GET /v1/models (KindOpenAI), /health (KindLlamaCpp), /api/tags
// (KindOllama) or /info (KindTGI). It returns nil when all is well, and otherwise the errors
// Complete would (ctx.Err(), *HTTPError, *ConnError) or an error naming the missing model and
// the ones served.
func (c *Client) Check(ctx context.Context) error {
	eng := engineOf(c.Kind)
	if eng == nil {
		return fmt.Errorf("remote: unknown engine kind %q", c.Kind)
	}
	return eng.check(ctx, c)
}

// framing is how a stream delimits its events.
type framing int

const (
	sse    framing = iota // server-sent events: "data: {...}" lines, blank line between events
	ndjson                // one JSON object per line
)

// engine is one kind's half of the protocol; the Client does the HTTP around it.
type engine struct {
	framing framing
	// request validates r and returns the API path and the JSON body to post.
	request func(c *Client, r *Request) (path string, body any, err error)
	// event decodes one streamed event into a piece (maybe ""), reporting whether it was the
	// last one and recording counts in st. A *ServerError means the server sent an error.
	event func(ev event, st *Stats) (piece string, done bool, err error)
	// whole decodes a non-streamed JSON response into the full text.
	whole func(body []byte, st *Stats) (string, error)
	// check is Client.Check for this kind.
	check func(ctx context.Context, c *Client) error
}

func engineOf(k Kind) *engine {
	switch k {
	case KindOpenAI:
		return &openaiEngine
	case KindLlamaCpp:
		return &llamacppEngine
	case KindOllama:
		return &ollamaEngine
	case KindTGI:
		return &tgiEngine
	}
	return nil
}

func (c *Client) endpoint() string {
	if c.Endpoint == "" {
		return DefaultEndpoint(c.Kind)
	}
	return strings.TrimRight(c.Endpoint, "/")
}

// url joins the endpoint and an API path, accepting an OpenAI-style base URL ending in /v1.
func (c *Client) url(path string) string {
	base := c.endpoint()
	if strings.HasSuffix(base, "/v1") && strings.HasPrefix(path, "/v1/") {
		path = strings.TrimPrefix(path, "/v1")
	}
	return base + path
}

// do sends one request with a JSON body (nil for none) and returns the response when its
// status is below 400, along with the redacted URL for errors. The caller closes the body.
func (c *Client) do(ctx context.Context, method, path string, body any) (*http.Response, string, error) {
	full := c.url(path)
	shown := redact(full)
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, shown, fmt.Errorf("remote: %s %s: encoding request: %w", c.Kind, shown, err)
		}
		rd = bytes.NewReader(b)
	}
	hreq, err := http.NewRequestWithContext(ctx, method, full, rd)
	if err != nil {
		return nil, shown, fmt.Errorf("remote: %s: bad endpoint %q: %w", c.Kind, redact(c.endpoint()), err)
	}
	if body != nil {
		hreq.Header.Set("Content-Type", "application/json")
	}
	if c.APIKey != "" {
		hreq.Header.Set("Authorization", "Bearer "+c.APIKey)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(hreq)
	if err != nil {
		if ctx.Err() != nil {
			return nil, shown, ctx.Err()
		}
		return nil, shown, &ConnError{Kind: c.Kind, URL: shown, Err: stripURLError(err)}
	}
	if resp.StatusCode >= 400 {
		defer resp.Body.Close()
		return nil, shown, newHTTPError(c.Kind, shown, resp)
	}
	return resp, shown, nil
}

// getJSON GETs path and decodes its JSON body into v.
func (c *Client) getJSON(ctx context.Context, path string, v any) error {
	resp, u, err := c.do(ctx, http.MethodGet, path, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &ConnError{Kind: c.Kind, URL: u, Err: err}
	}
	if err := json.Unmarshal(data, v); err != nil {
		return &StreamError{Kind: c.Kind, URL: u, Line: 1, Text: truncate(string(data), 200), Err: err}
	}
	return nil
}

// redact hides a password in the URL's userinfo and drops its query, which may hold a key.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	u.RawQuery = ""
	u.ForceQuery = false
	return u.Redacted()
}

// stripURLError unwraps *url.Error, whose text repeats the full URL (query included).
func stripURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func msSince(t time.Time) float64 { return float64(time.Since(t).Microseconds()) / 1000 }
