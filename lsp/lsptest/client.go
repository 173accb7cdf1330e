// Package lsptest is an LSP client for tests: it drives a language server over an
// io.ReadWriteCloser — pipes to lsp.Serve in the same process ([ServeInProcess]) or the
// stdin/stdout of a subprocess such as `llmls --stdio` ([StartProcess]) — with typed helpers
// for the methods llmls serves, raw calls and raw bytes for malformed-input tests, and a
// session log of every message in and out, printed when a test fails ([Client.Attach]).
//
// The client reads strictly: every byte the server writes must be a base-protocol frame
// (Content-Length header, JSON-RPC 2.0 body). Anything else is recorded as a violation
// ([Client.Violations]); this is how tests check that the server writes nothing but protocol
// messages to stdout.
package lsptest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Client is one LSP client connection. Its methods are safe for concurrent use.
type Client struct {
	conn  io.ReadWriteCloser
	start time.Time

	writeMu sync.Mutex // serialises writes to conn
	nextID  atomic.Int64

	logMu sync.Mutex // guards log
	log   []Entry

	mu         sync.Mutex // guards the fields below
	pending    map[string]chan *Response
	unmatched  []*Response
	notes      []Notification
	consumed   map[string]int // per method: notifications already returned by WaitNotification
	handlers   map[string]RequestHandler
	violations []string
	readErr    error
	changed    chan struct{} // closed and replaced whenever something arrives

	done chan struct{} // closed when the reader stops
}

// Entry is one line of the session log.
type Entry struct {
	At   time.Duration // since the client started
	Dir  string        // "->" client to server, "<-" server to client, "stderr", "note"
	Text string        // the message body, truncated to maxLogText bytes
}

// maxLogText bounds one logged message: a didOpen of a large file would drown the log.
const maxLogText = 4000

// Response is a JSON-RPC response from the server.
type Response struct {
	ID     json.RawMessage // as sent; "null" for an error about unreadable input
	Result json.RawMessage // nil when Error is set
	Error  *ResponseError
}

// ResponseError is a JSON-RPC error object; it is the error Call returns for an error reply.
type ResponseError struct {
	Code    int64           `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data,omitempty"`
}

// Error formats the code and message.
func (e *ResponseError) Error() string { return fmt.Sprintf("jsonrpc error %d: %s", e.Code, e.Message) }

// Notification is a notification from the server.
type Notification struct {
	Method string
	Params json.RawMessage
}

// RequestHandler answers a request from the server (e.g. workspace/applyEdit). A non-nil
// error is sent as an error reply; a *ResponseError keeps its code.
type RequestHandler func(params json.RawMessage) (any, error)

// New starts a client on conn. Close it (or let the server close the stream) when done.
// By default it answers window/workDoneProgress/create with null, workspace/applyEdit with
// {"applied": true}, and other server requests with -32601; see HandleRequest.
func New(conn io.ReadWriteCloser) *Client {
	c := &Client{
		conn:     conn,
		start:    time.Now(),
		pending:  make(map[string]chan *Response),
		consumed: make(map[string]int),
		handlers: make(map[string]RequestHandler),
		changed:  make(chan struct{}),
		done:     make(chan struct{}),
	}
	c.handlers["window/workDoneProgress/create"] = func(json.RawMessage) (any, error) { return nil, nil }
	c.handlers["workspace/applyEdit"] = func(json.RawMessage) (any, error) { return map[string]bool{"applied": true}, nil }
	go c.read()
	return c
}

// Attach prints the session log when t fails, at the end of the test.
func (c *Client) Attach(t testing.TB) {
	t.Helper()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("LSP session log (%d entries):\n%s", len(c.Log()), c.SessionLog())
		}
	})
}

// Log returns a copy of the session log.
func (c *Client) Log() []Entry {
	c.logMu.Lock()
	defer c.logMu.Unlock()
	return append([]Entry(nil), c.log...)
}

// SessionLog formats the session log, one entry per line.
func (c *Client) SessionLog() string {
	var b strings.Builder
	for _, e := range c.Log() {
		fmt.Fprintf(&b, "%10.3fms %-6s %s\n", float64(e.At.Microseconds())/1000, e.Dir, e.Text)
	}
	return b.String()
}

// Note adds a line of the test's own to the session log.
func (c *Client) Note(format string, args ...any) { c.record("note", fmt.Sprintf(format, args...)) }

func (c *Client) record(dir, text string) {
	if len(text) > maxLogText {
		text = fmt.Sprintf("%s... (%d bytes)", text[:maxLogText], len(text))
	}
	c.logMu.Lock()
	defer c.logMu.Unlock()
	c.log = append(c.log, Entry{At: time.Since(c.start), Dir: dir, Text: text})
}

// HandleRequest sets the answer to requests from the server with this method.
func (c *Client) HandleRequest(method string, h RequestHandler) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.handlers[method] = h
}

// Close closes the connection.
func (c *Client) Close() error { return c.conn.Close() }

// Done is closed when the server's stream ends (EOF, or a violation stopped the reader).
func (c *Client) Done() <-chan struct{} { return c.done }

// Err returns why the reader stopped: nil for a clean EOF between messages.
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.readErr
}

// Violations returns every way the server's output broke the base protocol or JSON-RPC 2.0.
func (c *Client) Violations() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.violations...)
}

// WriteRaw writes b to the server as is, without framing.
func (c *Client) WriteRaw(b []byte) error {
	c.record("->", "(raw) "+strconv.Quote(string(b)))
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	_, err := c.conn.Write(b)
	return err
}

// WriteMessage frames body with a correct Content-Length and writes it, whatever body is.
func (c *Client) WriteMessage(body []byte) error {
	c.record("->", string(body))
	frame := fmt.Appendf(nil, "Content-Length: %d\r\n\r\n%s", len(body), body)
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	_, err := c.conn.Write(frame)
	return err
}

func (c *Client) send(msg any) error {
	body, err := json.Marshal(msg)
	if err != nil {
		return fmt.Errorf("lsptest: encoding message: %w", err)
	}
	return c.WriteMessage(body)
}

// Notify sends a notification (without params if params is nil).
func (c *Client) Notify(ctx context.Context, method string, params any) error {
	msg := map[string]any{"jsonrpc": "2.0", "method": method}
	if params != nil {
		msg["params"] = params
	}
	return c.send(msg)
}

// Pending is a request whose answer has not been waited for.
type Pending struct {
	ID     json.RawMessage // the request id as sent
	Method string
	c      *Client
	ch     chan *Response
}

// Go sends a request and returns without waiting for the answer.
func (c *Client) Go(ctx context.Context, method string, params any) (*Pending, error) {
	id := json.RawMessage(strconv.FormatInt(c.nextID.Add(1), 10))
	p := &Pending{ID: id, Method: method, c: c, ch: make(chan *Response, 1)}
	c.mu.Lock()
	c.pending[string(id)] = p.ch
	c.mu.Unlock()
	msg := map[string]any{"jsonrpc": "2.0", "id": id, "method": method}
	if params != nil {
		msg["params"] = params
	}
	if err := c.send(msg); err != nil {
		c.mu.Lock()
		delete(c.pending, string(id))
		c.mu.Unlock()
		return nil, err
	}
	return p, nil
}

// Wait returns the answer, or an error if ctx ends or the stream ends first.
func (p *Pending) Wait(ctx context.Context) (*Response, error) {
	select {
	case r := <-p.ch:
		return r, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("lsptest: %s (id %s): no answer: %w", p.Method, p.ID, ctx.Err())
	case <-p.c.done:
		select {
		case r := <-p.ch:
			return r, nil
		default:
		}
		return nil, fmt.Errorf("lsptest: %s (id %s): the stream ended before the answer", p.Method, p.ID)
	}
}

// Result waits for the answer and decodes its result into v (unless v is nil). An error
// reply is returned as a *ResponseError.
func (p *Pending) Result(ctx context.Context, v any) error {
	r, err := p.Wait(ctx)
	if err != nil {
		return err
	}
	if r.Error != nil {
		return r.Error
	}
	if v == nil {
		return nil
	}
	if err := json.Unmarshal(r.Result, v); err != nil {
		return fmt.Errorf("lsptest: %s: decoding result %s: %w", p.Method, truncate(string(r.Result), 200), err)
	}
	return nil
}

// Call sends a request and decodes the result into result (unless nil). An error reply is
// returned as a *ResponseError (use errors.As).
func (c *Client) Call(ctx context.Context, method string, params, result any) error {
	p, err := c.Go(ctx, method, params)
	if err != nil {
		return err
	}
	return p.Result(ctx, result)
}

// Cancel sends $/cancelRequest for id.
func (c *Client) Cancel(ctx context.Context, id json.RawMessage) error {
	return c.Notify(ctx, "$/cancelRequest", map[string]json.RawMessage{"id": id})
}

// WaitUnmatched returns the next response whose id matches no request of this client (such
// as the id-null answer to malformed input).
func (c *Client) WaitUnmatched(ctx context.Context) (*Response, error) {
	return waitFor(ctx, c, func() (*Response, bool) {
		if len(c.unmatched) == 0 {
			return nil, false
		}
		r := c.unmatched[0]
		c.unmatched = c.unmatched[1:]
		return r, true
	})
}

// Notifications returns every notification received so far with this method.
func (c *Client) Notifications(method string) []Notification {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []Notification
	for _, n := range c.notes {
		if n.Method == method {
			out = append(out, n)
		}
	}
	return out
}

// WaitNotification returns the next notification with this method that no earlier
// WaitNotification returned, waiting for it if needed.
func (c *Client) WaitNotification(ctx context.Context, method string) (Notification, error) {
	return waitFor(ctx, c, func() (Notification, bool) {
		seen := 0
		for _, n := range c.notes {
			if n.Method != method {
				continue
			}
			if seen == c.consumed[method] {
				c.consumed[method]++
				return n, true
			}
			seen++
		}
		return Notification{}, false
	})
}

// waitFor polls try (under c.mu) whenever something arrives.
func waitFor[T any](ctx context.Context, c *Client, try func() (T, bool)) (T, error) {
	for {
		c.mu.Lock()
		v, ok := try()
		changed := c.changed
		c.mu.Unlock()
		if ok {
			return v, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			var zero T
			return zero, fmt.Errorf("lsptest: waiting: %w", ctx.Err())
		case <-c.done:
			c.mu.Lock()
			v, ok := try()
			c.mu.Unlock()
			if ok {
				return v, nil
			}
			var zero T
			return zero, errors.New("lsptest: the stream ended")
		}
	}
}

// read is the reader goroutine.
func (c *Client) read() {
	defer close(c.done)
	in := bufio.NewReader(c.conn)
	for {
		body, err := readFrame(in)
		if err != nil {
			c.mu.Lock()
			if !errors.Is(err, io.EOF) {
				c.readErr = err
				c.violations = append(c.violations, err.Error())
			}
			c.mu.Unlock()
			c.record("note", "reader stopped: "+err.Error())
			return
		}
		c.record("<-", string(body))
		if err := c.dispatch(body); err != nil {
			c.mu.Lock()
			c.violations = append(c.violations, err.Error())
			c.mu.Unlock()
			c.record("note", "violation: "+err.Error())
		}
	}
}

// readFrame reads one frame strictly: header lines "Name: value" ending in CRLF, exactly one
// Content-Length, a blank line, then that many bytes. io.EOF only at a frame boundary.
func readFrame(in *bufio.Reader) ([]byte, error) {
	length := -1
	for first := true; ; first = false {
		line, err := in.ReadString('\n')
		if err != nil {
			// The end of the stream between frames, or this client's own Close, ends cleanly.
			if first && line == "" && (errors.Is(err, io.EOF) || errors.Is(err, io.ErrClosedPipe) || errors.Is(err, os.ErrClosed)) {
				return nil, io.EOF
			}
			return nil, fmt.Errorf("lsptest: server output: reading header: %q: %w", line, err)
		}
		if !strings.HasSuffix(line, "\r\n") {
			return nil, fmt.Errorf("lsptest: server output: header line %q does not end in CRLF (not protocol output?)", truncate(line, 80))
		}
		line = strings.TrimSuffix(line, "\r\n")
		if line == "" {
			break
		}
		name, value, ok := strings.Cut(line, ": ")
		if !ok {
			return nil, fmt.Errorf("lsptest: server output: header line %q is not \"Name: value\" (not protocol output?)", truncate(line, 80))
		}
		switch name {
		case "Content-Length":
			if length >= 0 {
				return nil, errors.New("lsptest: server output: two Content-Length headers")
			}
			n, err := strconv.Atoi(value)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("lsptest: server output: bad Content-Length %q", value)
			}
			length = n
		case "Content-Type":
		default:
			return nil, fmt.Errorf("lsptest: server output: unknown header %q", name)
		}
	}
	if length < 0 {
		return nil, errors.New("lsptest: server output: frame without Content-Length")
	}
	body := make([]byte, length)
	if _, err := io.ReadFull(in, body); err != nil {
		return nil, fmt.Errorf("lsptest: server output: body shorter than its Content-Length %d: %w", length, err)
	}
	return body, nil
}

// wireMessage is any JSON-RPC 2.0 message.
type wireMessage struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Method  *string         `json:"method"`
	Params  json.RawMessage `json:"params"`
	Result  json.RawMessage `json:"result"`
	Error   *ResponseError  `json:"error"`
}

// dispatch routes one body from the server; an error is a protocol violation.
func (c *Client) dispatch(body []byte) error {
	var m wireMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return fmt.Errorf("lsptest: server sent a body that is not a JSON-RPC message: %v", err)
	}
	if m.JSONRPC != "2.0" {
		return fmt.Errorf("lsptest: server sent jsonrpc %q, want \"2.0\"", m.JSONRPC)
	}
	defer c.wake()
	switch {
	case m.Method != nil && m.ID != nil:
		go c.answer(m.ID, *m.Method, m.Params)
		return nil
	case m.Method != nil:
		c.mu.Lock()
		c.notes = append(c.notes, Notification{Method: *m.Method, Params: m.Params})
		c.mu.Unlock()
		return nil
	}
	if m.ID == nil {
		return errors.New("lsptest: server sent a response without id")
	}
	if (m.Result == nil) == (m.Error == nil) {
		return fmt.Errorf("lsptest: server sent a response with id %s and not exactly one of result and error", m.ID)
	}
	r := &Response{ID: m.ID, Result: m.Result, Error: m.Error}
	var compact bytes.Buffer
	key := string(m.ID)
	if json.Compact(&compact, m.ID) == nil {
		key = compact.String()
	}
	c.mu.Lock()
	ch, ok := c.pending[key]
	delete(c.pending, key)
	if !ok {
		c.unmatched = append(c.unmatched, r)
	}
	c.mu.Unlock()
	if ok {
		ch <- r
	}
	return nil
}

func (c *Client) wake() {
	c.mu.Lock()
	defer c.mu.Unlock()
	close(c.changed)
	c.changed = make(chan struct{})
}

// answer replies to a request from the server.
func (c *Client) answer(id json.RawMessage, method string, params json.RawMessage) {
	c.mu.Lock()
	h := c.handlers[method]
	c.mu.Unlock()
	msg := map[string]any{"jsonrpc": "2.0", "id": id}
	if h == nil {
		msg["error"] = &ResponseError{Code: -32601, Message: "lsptest: no handler for " + method}
	} else if result, err := h(params); err != nil {
		var rerr *ResponseError
		if !errors.As(err, &rerr) {
			rerr = &ResponseError{Code: -32603, Message: err.Error()}
		}
		msg["error"] = rerr
	} else {
		msg["result"] = result
	}
	if err := c.send(msg); err != nil {
		c.record("note", "answering "+method+": "+err.Error())
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
