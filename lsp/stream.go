package lsp

// Transport: the LSP base protocol (a header block with Content-Length, then a JSON body)
// under go.lsp.dev/jsonrpc2. https://microsoft.github.io/language-server-protocol/specifications/lsp/3.17/specification/#baseProtocol
//
// jsonrpc2 v0.10.0's own stream gives up on the first malformed message (its Conn closes the
// connection on any Read error), so this one answers bad input itself and keeps reading:
//   - a body that is not JSON gets a -32700 parse error with id null;
//   - valid JSON that is not a JSON-RPC 2.0 message gets -32600 with the request's id when it
//     can be read, else null; a malformed response (a message without method) is logged and
//     dropped, never answered, so two peers cannot trade errors forever;
//   - a broken header block (no Content-Length, a line that is not "Name: value", a line
//     longer than maxHeaderLine) gets -32700 with id null; if it still has a valid
//     Content-Length its body is skipped, else reading resumes after the blank line that
//     ends it, or at a "Content-Length:" found after junk on one line (the usual shape of a
//     body whose Content-Length was wrong);
//   - a body longer than the size limit is skipped without buffering and gets -32600.
// Only the end of the input (or an I/O error) ends Read.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"sync"

	"go.lsp.dev/jsonrpc2"
)

const (
	// maxHeaderLine bounds one header line in bytes; real headers are under 100 bytes.
	maxHeaderLine = 4096
	// DefaultMaxMessageBytes is the default limit on one message body: 64 MiB, far above any
	// source file an editor sends in didOpen, far below what would exhaust memory.
	DefaultMaxMessageBytes = 64 << 20
)

// stream implements jsonrpc2.Stream over the base protocol framing.
type stream struct {
	in      *bufio.Reader
	out     io.Writer
	closer  io.Closer
	maxBody int64
	log     *slog.Logger

	pushback string // a header line found inside junk, read before the input (Read's goroutine only)

	writeMu sync.Mutex // serialises frames from Write and from Read's error replies
}

func newStream(conn io.ReadWriteCloser, maxBody int64, log *slog.Logger) *stream {
	if maxBody <= 0 {
		maxBody = DefaultMaxMessageBytes
	}
	return &stream{in: bufio.NewReaderSize(conn, maxHeaderLine), out: conn, closer: conn, maxBody: maxBody, log: log}
}

// wireError is bad input that gets an error reply and does not end the stream.
type wireError struct {
	code  jsonrpc2.Code
	id    json.RawMessage // the request's id, verbatim; nil for null
	msg   string
	reply bool // false for a malformed response: logged, never answered
}

func (e *wireError) Error() string { return e.msg }

// Read returns the next well-formed message; it answers and skips malformed ones.
func (s *stream) Read(ctx context.Context) (jsonrpc2.Message, int64, error) {
	var total int64
	for {
		if err := ctx.Err(); err != nil {
			return nil, total, err
		}
		body, n, err := s.readFrame()
		total += n
		if err == nil {
			var msg jsonrpc2.Message
			msg, err = decodeMessage(body)
			if err == nil {
				return msg, total, nil
			}
		}
		var werr *wireError
		if !errors.As(err, &werr) {
			return nil, total, err
		}
		s.log.Warn("lsp: bad message from the client", "error", werr.msg, "code", int(werr.code))
		if werr.reply {
			if err := s.writeError(werr); err != nil {
				return nil, total, err
			}
		}
	}
}

// readFrame reads one header block and its body. It returns a *wireError for a bad header or
// an oversized body (with the stream positioned at the next header) and any other error for
// the end of the input.
func (s *stream) readFrame() (body []byte, total int64, err error) {
	length := int64(-1)
	var bad string // first problem in this header block
	lines := 0
	for {
		line, n, err := s.readLine()
		total += n
		if err != nil {
			if errors.Is(err, io.EOF) && (total > 0 || lines > 0) {
				err = io.ErrUnexpectedEOF
			}
			return nil, total, err
		}
		if line == "" {
			if lines == 0 {
				continue // blank lines between messages carry nothing
			}
			break
		}
		lines++
		name, value, ok := strings.Cut(line, ":")
		if !ok || !isToken(name) {
			// Bytes that are not a header line: the tail of a body whose length was wrong, or
			// junk. If a Content-Length header follows the junk on this line, the next frame
			// starts there: answer for the junk and resume at the header.
			if i := indexFold(line, "content-length:"); i > 0 {
				s.pushback = line[i:]
				return nil, total, &wireError{code: CodeParseError, reply: true,
					msg: fmt.Sprintf("header: %d bytes that are not a header before Content-Length", i)}
			}
			if bad == "" {
				bad = fmt.Sprintf("header line %q is not \"Name: value\"", truncate(line, 40))
			}
			continue
		}
		if strings.EqualFold(name, "Content-Length") {
			v, perr := strconv.ParseInt(strings.TrimSpace(value), 10, 64)
			switch {
			case perr == nil && v >= 0:
				length = v
			case bad == "":
				bad = fmt.Sprintf("Content-Length %q is not a byte count", truncate(value, 40))
			}
		}
	}
	switch {
	case bad != "" && length >= 0 && length <= s.maxBody:
		// The length is known: skip the body so that one bad message costs one reply.
		n, err := io.CopyN(io.Discard, s.in, length)
		total += n
		if err != nil {
			return nil, total, io.ErrUnexpectedEOF
		}
		fallthrough
	case bad != "":
		return nil, total, &wireError{code: CodeParseError, reply: true, msg: "header: " + bad}
	case length < 0:
		return nil, total, &wireError{code: CodeParseError, reply: true, msg: "header: the header block has no Content-Length"}
	case length > s.maxBody:
		// Skip the body without holding it: the next frame starts after it.
		n, err := io.CopyN(io.Discard, s.in, length)
		total += n
		if err != nil {
			return nil, total, io.ErrUnexpectedEOF
		}
		return nil, total, &wireError{code: CodeInvalidRequest, reply: true,
			msg: fmt.Sprintf("message body of %d bytes exceeds the limit of %d bytes", length, s.maxBody)}
	}
	body = make([]byte, length)
	n, err := io.ReadFull(s.in, body)
	total += int64(n)
	if err != nil {
		return nil, total, io.ErrUnexpectedEOF
	}
	return body, total, nil
}

// readLine returns one header line without its "\r\n" or "\n". A line longer than
// maxHeaderLine is consumed and returned as a marker that fails header parsing.
func (s *stream) readLine() (string, int64, error) {
	if s.pushback != "" {
		line := s.pushback
		s.pushback = ""
		return line, 0, nil
	}
	var total int64
	line, err := s.in.ReadSlice('\n')
	total += int64(len(line))
	if errors.Is(err, bufio.ErrBufferFull) {
		// Keep the last bytes: a Content-Length after a long run of junk resynchronises.
		tail := string(line[len(line)-64:])
		for errors.Is(err, bufio.ErrBufferFull) {
			line, err = s.in.ReadSlice('\n')
			total += int64(len(line))
			if len(line) >= 64 {
				tail = string(line[len(line)-64:])
			} else {
				tail = tail[len(line):] + string(line)
			}
		}
		if err != nil {
			return "", total, err
		}
		return "<header line too long>" + trimEOL(tail), total, nil
	}
	if err != nil {
		return "", total, err
	}
	return trimEOL(string(line)), total, nil
}

func trimEOL(s string) string {
	s = strings.TrimSuffix(s, "\n")
	return strings.TrimSuffix(s, "\r")
}

// isToken reports whether name is an HTTP header field name (RFC 9110 § 5.6.2 token).
func isToken(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// indexFold returns the index of the last occurrence of the lower-case ASCII substr in s,
// ignoring ASCII case, or -1. (strings.ToLower could change byte offsets in non-ASCII text.)
func indexFold(s, substr string) int {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return bytes.LastIndex(b, []byte(substr))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// wireMessage has every member of a JSON-RPC 2.0 request, notification or response, raw,
// so that each can be checked and reported on its own.
type wireMessage struct {
	JSONRPC json.RawMessage `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Method  json.RawMessage `json:"method"`
	Params  json.RawMessage `json:"params"`
	Result  json.RawMessage `json:"result"`
	Error   json.RawMessage `json:"error"`
}

// decodeMessage checks body against JSON-RPC 2.0 (https://www.jsonrpc.org/specification)
// and builds the jsonrpc2 message. Bad input is a *wireError.
func decodeMessage(body []byte) (jsonrpc2.Message, error) {
	var probe any
	if err := json.Unmarshal(body, &probe); err != nil {
		msg := "parse error: " + err.Error()
		var serr *json.SyntaxError
		if errors.As(err, &serr) {
			msg = fmt.Sprintf("parse error at byte %d of the body: %v", serr.Offset, err)
		}
		return nil, &wireError{code: CodeParseError, reply: true, msg: msg}
	}
	if _, ok := probe.(map[string]any); !ok {
		what := "a JSON object"
		if _, isArray := probe.([]any); isArray {
			what = "a JSON object (batches are not part of LSP)"
		}
		return nil, &wireError{code: CodeInvalidRequest, reply: true, msg: "invalid request: the message is not " + what}
	}
	var w wireMessage
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, &wireError{code: CodeInvalidRequest, reply: true, msg: "invalid request: " + err.Error()}
	}
	id, idOK := parseID(w.ID)
	echo := echoID(w.ID)

	if w.Method == nil && w.ID == nil && w.Result == nil && w.Error == nil {
		return nil, &wireError{code: CodeInvalidRequest, reply: true, msg: "invalid request: the message has no method"}
	}
	if w.Method == nil {
		// A response to one of our calls.
		bad := func(why string) error { return &wireError{code: CodeInvalidRequest, msg: "invalid response: " + why} }
		switch {
		case !idOK:
			return nil, bad(fmt.Sprintf("id %s is not an integer or string", string(w.ID)))
		case (w.Result == nil) == (w.Error == nil):
			return nil, bad("it needs exactly one of result and error")
		}
		var rerr error
		if w.Error != nil {
			var e struct {
				Code    *int64 `json:"code"`
				Message string `json:"message"`
			}
			if err := json.Unmarshal(w.Error, &e); err != nil || e.Code == nil {
				return nil, bad("error is not an object with a code")
			}
			rerr = &jsonrpc2.Error{Code: jsonrpc2.Code(*e.Code), Message: e.Message}
		}
		resp, err := jsonrpc2.NewResponse(id, json.RawMessage(w.Result), rerr)
		if err != nil {
			return nil, bad(err.Error())
		}
		return resp, nil
	}

	invalid := func(why string) error {
		return &wireError{code: CodeInvalidRequest, id: echo, reply: true, msg: "invalid request: " + why}
	}
	var method string
	if err := json.Unmarshal(w.Method, &method); err != nil {
		return nil, invalid(fmt.Sprintf("method %s is not a string", truncate(string(w.Method), 40)))
	}
	if string(w.JSONRPC) != `"2.0"` {
		return nil, invalid(fmt.Sprintf("jsonrpc member is %s, want \"2.0\"", orMissing(w.JSONRPC)))
	}
	params := json.RawMessage(nil)
	if w.Params != nil && string(w.Params) != "null" {
		if c := firstByte(w.Params); c != '{' && c != '[' {
			return nil, invalid("params must be an object or an array")
		}
		params = w.Params
	}
	if w.ID == nil {
		n, err := jsonrpc2.NewNotification(method, params)
		if err != nil {
			return nil, invalid(err.Error())
		}
		return n, nil
	}
	if !idOK {
		return nil, invalid(fmt.Sprintf("id %s is not an integer in [%d, %d] or a string", truncate(string(w.ID), 40), math.MinInt32, math.MaxInt32))
	}
	c, err := jsonrpc2.NewCall(id, method, params)
	if err != nil {
		return nil, invalid(err.Error())
	}
	return c, nil
}

// parseID reads a request id: an integer that fits jsonrpc2's int32 or a string.
func parseID(raw json.RawMessage) (jsonrpc2.ID, bool) {
	if raw == nil {
		return jsonrpc2.ID{}, false
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		if s == "" {
			// jsonrpc2 v0.10.0 cannot tell "" from the number 0.
			return jsonrpc2.ID{}, false
		}
		return jsonrpc2.NewStringID(s), true
	}
	var n int32
	if err := json.Unmarshal(raw, &n); err == nil && !bytes.ContainsAny(raw, ".eE") {
		return jsonrpc2.NewNumberID(n), true
	}
	return jsonrpc2.ID{}, false
}

// echoID returns raw if it is a JSON number or string (so a reply can carry the id the
// client sent even when jsonrpc2 cannot represent it), else nil (null).
func echoID(raw json.RawMessage) json.RawMessage {
	switch c := firstByte(raw); {
	case c == '"', c == '-', c >= '0' && c <= '9':
		return raw
	}
	return nil
}

func firstByte(raw []byte) byte {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 {
		return 0
	}
	return raw[0]
}

func orMissing(raw json.RawMessage) string {
	if raw == nil {
		return "missing"
	}
	return truncate(string(raw), 40)
}

// Write frames msg and writes it in one call.
func (s *stream) Write(ctx context.Context, msg jsonrpc2.Message) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // code is full of <, > and &; keep it readable in logs
	if err := enc.Encode(msg); err != nil {
		return 0, fmt.Errorf("lsp: encoding message: %w", err)
	}
	return s.writeBody(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

// writeError answers bad input: an error response with the id the client sent, or null.
func (s *stream) writeError(werr *wireError) error {
	id := werr.id
	if id == nil {
		id = json.RawMessage("null")
	}
	body, err := json.Marshal(struct {
		JSONRPC string          `json:"jsonrpc"`
		ID      json.RawMessage `json:"id"`
		Error   *jsonrpc2.Error `json:"error"`
	}{"2.0", id, &jsonrpc2.Error{Code: werr.code, Message: werr.msg}})
	if err != nil {
		return fmt.Errorf("lsp: encoding error reply: %w", err)
	}
	_, err = s.writeBody(body)
	return err
}

func (s *stream) writeBody(body []byte) (int64, error) {
	frame := make([]byte, 0, len(body)+32)
	frame = fmt.Appendf(frame, "Content-Length: %d\r\n\r\n", len(body))
	frame = append(frame, body...)
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	n, err := s.out.Write(frame)
	if err != nil {
		return int64(n), fmt.Errorf("lsp: writing message: %w", err)
	}
	return int64(n), nil
}

// Close closes the connection; a blocked Read returns an error.
func (s *stream) Close() error { return s.closer.Close() }
