package remote

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"unicode/utf8"
)

// HTTPError reports a response with status >= 400. Message is the server's error message when
// its body has one of the engines' error shapes, else the body itself, at most 500 bytes.
type HTTPError struct {
	Kind       Kind
	URL        string // the request URL, userinfo and query removed
	StatusCode int    // e.g. 404
	Status     string // e.g. "404 Not Found"
	Message    string
}

func (e *HTTPError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = "(empty body)"
	}
	return fmt.Sprintf("remote: %s %s: %s: %s", e.Kind, e.URL, e.Status, msg)
}

// ConnError reports a request that got no response: the server is down or unreachable, or
// the connection broke. Err is the transport's error (errors.Is(err, syscall.ECONNREFUSED)
// works through it).
type ConnError struct {
	Kind Kind
	URL  string // the request URL, userinfo and query removed
	Err  error
}

func (e *ConnError) Error() string {
	var op *net.OpError
	if errors.As(e.Err, &op) && op.Op == "dial" {
		return fmt.Sprintf("remote: cannot connect to the %s server at %s (is the server running?): %v", e.Kind, e.URL, e.Err)
	}
	return fmt.Sprintf("remote: %s request to %s failed: %v", e.Kind, e.URL, e.Err)
}

func (e *ConnError) Unwrap() error { return e.Err }

// StreamError reports a response line that is not what the engine's protocol allows: not a
// server-sent event field, not JSON, or JSON of the wrong shape. Line counts from 1 in the
// response body (1 for a non-streamed body).
type StreamError struct {
	Kind Kind
	URL  string // the request URL, userinfo and query removed
	Line int
	Text string // the offending data, at most 200 bytes; "" when not useful
	Err  error  // what is wrong
}

func (e *StreamError) Error() string {
	s := fmt.Sprintf("remote: %s %s: response line %d: %v", e.Kind, e.URL, e.Line, e.Err)
	if e.Text != "" {
		s += fmt.Sprintf(" (in %q)", e.Text)
	}
	return s
}

func (e *StreamError) Unwrap() error { return e.Err }

// ServerError reports an error the server sent inside a successful (2xx) response, such as
// llama.cpp's "error:" event when the prompt exceeds the context, or TGI's validation errors,
// which /generate_stream sends as events.
type ServerError struct {
	Kind    Kind
	URL     string // the request URL, userinfo and query removed
	Line    int    // line of the response body that carried the error, from 1
	Message string // the server's message, at most 500 bytes
}

func (e *ServerError) Error() string {
	return fmt.Sprintf("remote: %s %s: server error (response line %d): %s", e.Kind, e.URL, e.Line, e.Message)
}

// newHTTPError reads what it needs of resp's body (the caller closes it).
func newHTTPError(k Kind, u string, resp *http.Response) *HTTPError {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	msg, ok := errorMessage(body)
	if !ok {
		msg = strings.TrimSpace(string(body))
	}
	return &HTTPError{Kind: k, URL: u, StatusCode: resp.StatusCode, Status: resp.Status, Message: truncate(msg, maxMessage)}
}

// serverError builds the *ServerError a decoder returns; Client fills the rest.
func serverError(msg string) *ServerError { return &ServerError{Message: truncate(msg, maxMessage)} }

// errorMessage extracts the message from the error shapes the engines use:
//
//	{"error": "text"}                          Ollama, TGI (ErrorResponse)
//	{"error": {"message": "text", ...}}        OpenAI, vLLM, llama.cpp
//	{"object": "error", "message": "text"}     vLLM before its 2025 error format
//	{"detail": "text"}                         FastAPI defaults (vLLM's unknown routes)
//
// It reports false when data has none of them.
func errorMessage(data []byte) (string, bool) {
	var v struct {
		Error   json.RawMessage `json:"error"`
		Object  string          `json:"object"`
		Message *string         `json:"message"`
		Detail  json.RawMessage `json:"detail"`
	}
	if json.Unmarshal(data, &v) != nil {
		return "", false
	}
	if len(v.Error) > 0 && string(v.Error) != "null" {
		return rawMessage(v.Error), true
	}
	if v.Object == "error" && v.Message != nil {
		return *v.Message, true
	}
	if len(v.Detail) > 0 && string(v.Detail) != "null" {
		return rawMessage(v.Detail), true
	}
	return "", false
}

// rawMessage renders an error value: a string as itself, an object by its "message", anything
// else as its JSON text.
func rawMessage(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var o struct {
		Message *string `json:"message"`
	}
	if json.Unmarshal(raw, &o) == nil && o.Message != nil {
		return *o.Message
	}
	return string(raw)
}

// truncate cuts s to at most n bytes on a UTF-8 boundary, marking the cut with "…".
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}

// eventErrorText is the message of an SSE error event: an engine error shape, an object with
// a "message" (llama.cpp's "error:" line), a JSON string, or else the raw text.
func eventErrorText(data []byte) string {
	if msg, ok := errorMessage(data); ok {
		return msg
	}
	return rawMessage(data)
}
