package lsp_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"

	"go.lsp.dev/jsonrpc2"

	"github.com/llmls/llmls/lsp"
)

func frame(body string) string { return fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(body), body) }

// reply is one error reply the transport wrote.
type reply struct {
	ID   string // raw JSON
	Code int64
}

// parseReplies checks that out is a sequence of well-formed frames, each a JSON-RPC 2.0 error
// response, and returns them.
func parseReplies(t *testing.T, out []byte) []reply {
	t.Helper()
	var replies []reply
	in := bufio.NewReader(bytes.NewReader(out))
	for {
		line, err := in.ReadString('\n')
		if err == io.EOF && line == "" {
			return replies
		}
		name, value, ok := strings.Cut(strings.TrimSuffix(line, "\r\n"), ": ")
		if err != nil || !ok || name != "Content-Length" || !strings.HasSuffix(line, "\r\n") {
			t.Fatalf("output is not a frame header: %q (%v); output %q", line, err, out)
		}
		n, err := strconv.Atoi(value)
		if err != nil {
			t.Fatalf("bad Content-Length %q", value)
		}
		if blank, _ := in.ReadString('\n'); blank != "\r\n" {
			t.Fatalf("header not ended by a blank line: %q", blank)
		}
		body := make([]byte, n)
		if _, err := io.ReadFull(in, body); err != nil {
			t.Fatalf("short body: %v", err)
		}
		var m struct {
			JSONRPC string          `json:"jsonrpc"`
			ID      json.RawMessage `json:"id"`
			Error   *struct {
				Code    *int64 `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
			Result json.RawMessage `json:"result"`
		}
		if err := json.Unmarshal(body, &m); err != nil || m.JSONRPC != "2.0" || m.ID == nil || m.Error == nil || m.Error.Code == nil || m.Result != nil {
			t.Fatalf("reply %s is not a JSON-RPC error response (%v)", body, err)
		}
		replies = append(replies, reply{ID: string(m.ID), Code: *m.Error.Code})
	}
}

func TestStream(t *testing.T) {
	valid := frame(`{"jsonrpc":"2.0","id":1,"method":"shutdown"}`)
	tests := []struct {
		name    string
		input   string
		methods []string // methods of the decoded messages ("" for a response)
		replies []reply
	}{
		{"valid", valid + frame(`{"jsonrpc":"2.0","method":"exit"}`), []string{"shutdown", "exit"}, nil},
		{"case-insensitive header and content type", "content-length: 2\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n{}" + valid,
			[]string{"shutdown"}, []reply{{"null", -32600}}},
		{"not json", frame(`{"jsonrpc":`) + valid, []string{"shutdown"}, []reply{{"null", -32700}}},
		{"empty body", "Content-Length: 0\r\n\r\n" + valid, []string{"shutdown"}, []reply{{"null", -32700}}},
		{"batch", frame(`[{"jsonrpc":"2.0","id":1,"method":"x"}]`) + valid, []string{"shutdown"}, []reply{{"null", -32600}}},
		{"wrong version keeps id", frame(`{"jsonrpc":"1.0","id":7,"method":"x"}`) + valid, []string{"shutdown"}, []reply{{"7", -32600}}},
		{"missing version", frame(`{"id":"a","method":"x"}`) + valid, []string{"shutdown"}, []reply{{`"a"`, -32600}}},
		{"method not a string", frame(`{"jsonrpc":"2.0","id":2,"method":5}`) + valid, []string{"shutdown"}, []reply{{"2", -32600}}},
		{"id out of int32 range is echoed", frame(`{"jsonrpc":"2.0","id":4294967296,"method":"x"}`) + valid, []string{"shutdown"}, []reply{{"4294967296", -32600}}},
		{"fractional id", frame(`{"jsonrpc":"2.0","id":1.5,"method":"x"}`) + valid, []string{"shutdown"}, []reply{{"1.5", -32600}}},
		{"object id", frame(`{"jsonrpc":"2.0","id":{},"method":"x"}`) + valid, []string{"shutdown"}, []reply{{"null", -32600}}},
		{"scalar params", frame(`{"jsonrpc":"2.0","id":3,"method":"x","params":1}`) + valid, []string{"shutdown"}, []reply{{"3", -32600}}},
		{"null params", frame(`{"jsonrpc":"2.0","id":3,"method":"x","params":null}`), []string{"x"}, nil},
		{"response", frame(`{"jsonrpc":"2.0","id":9,"result":null}`), []string{""}, nil},
		{"error response", frame(`{"jsonrpc":"2.0","id":9,"error":{"code":-32601,"message":"no"}}`), []string{""}, nil},
		{"malformed response is dropped silently", frame(`{"jsonrpc":"2.0","id":9}`) + valid, []string{"shutdown"}, nil},
		{"no content-length", "Content-Type: x\r\n\r\n" + valid, []string{"shutdown"}, []reply{{"null", -32700}}},
		{"bad content-length", "Content-Length: abc\r\n\r\n" + valid, []string{"shutdown"}, []reply{{"null", -32700}}},
		{"bad header line with a length skips the body", "Content-Length: 2\r\nX-Bad Header\r\n\r\n{}" + valid, []string{"shutdown"}, []reply{{"null", -32700}}},
		{"bad header line before the length", "X-Bad Header\r\nContent-Length: 2\r\n\r\n{}" + valid, []string{"shutdown"}, []reply{{"null", -32700}}},
		{"garbage line then resync", "hello world\r\n\r\n" + valid, []string{"shutdown"}, []reply{{"null", -32700}}},
		{"short content-length resyncs at next header", "Content-Length: 5\r\n\r\n{\"jsonrpc\":\"2.0\"}" + valid,
			[]string{"shutdown"}, []reply{{"null", -32700}, {"null", -32700}}},
		{"oversized body is skipped", "Content-Length: 300\r\n\r\n" + strings.Repeat(" ", 300) + valid, []string{"shutdown"}, []reply{{"null", -32600}}},
		{"long header line", strings.Repeat("x", 10000) + "\r\n\r\n" + valid, []string{"shutdown"}, []reply{{"null", -32700}}},
		{"long junk then header on the same line", strings.Repeat("x", 10000) + valid, []string{"shutdown"}, []reply{{"null", -32700}}},
		{"blank lines between messages", "\r\n\r\n" + valid, []string{"shutdown"}, nil},
		{"LF-only headers", "Content-Length: 2\n\n{}" + valid, []string{"shutdown"}, []reply{{"null", -32600}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msgs, out, err := lsp.ReadMessages([]byte(tt.input), 256)
			if !errors.Is(err, io.EOF) {
				t.Errorf("stream ended with %v, want EOF", err)
			}
			var methods []string
			for _, m := range msgs {
				if r, ok := m.(jsonrpc2.Request); ok {
					methods = append(methods, r.Method())
				} else {
					methods = append(methods, "")
				}
			}
			if fmt.Sprint(methods) != fmt.Sprint(tt.methods) {
				t.Errorf("decoded methods %q, want %q", methods, tt.methods)
			}
			if got := parseReplies(t, out); fmt.Sprint(got) != fmt.Sprint(tt.replies) {
				t.Errorf("replies %v, want %v; output %q", got, tt.replies, out)
			}
		})
	}
}

func TestStreamTruncated(t *testing.T) {
	for _, input := range []string{"Content-Length: 10\r\n\r\n{}", "Content-Length: 10\r\n", "Content-Le"} {
		_, _, err := lsp.ReadMessages([]byte(input), 0)
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("%q: err = %v, want io.ErrUnexpectedEOF", input, err)
		}
	}
}

// FuzzStream feeds arbitrary bytes to the transport: it must not panic, must end with the
// input, and everything it writes must be well-formed JSON-RPC error responses.
func FuzzStream(f *testing.F) {
	valid := frame(`{"jsonrpc":"2.0","id":1,"method":"shutdown"}`)
	f.Add([]byte(valid))
	f.Add([]byte(frame(`{"jsonrpc":`)))
	f.Add([]byte("Content-Length: 5\r\n\r\n{\"a\":1}"))
	f.Add([]byte("garbage\r\n\r\n"))
	f.Add([]byte(frame(`{"jsonrpc":"2.0","id":"x","method":"m","params":{"a":[1,2]}}`)))
	f.Add([]byte(frame(`{"jsonrpc":"2.0","id":2,"error":{"code":1,"message":"m"}}`)))
	f.Fuzz(func(t *testing.T, input []byte) {
		msgs, out, err := lsp.ReadMessages(input, 1<<16)
		if err == nil {
			t.Fatal("stream did not end")
		}
		parseReplies(t, out)
		for _, m := range msgs {
			if m == nil {
				t.Fatal("nil message")
			}
		}
	})
}

// FuzzStreamBody frames arbitrary bytes correctly as one body and follows them with a valid
// request: whatever the body holds, the framing must stay in step, so the body yields at
// most one outcome (a decoded message or one error reply) and the request comes through last.
func FuzzStreamBody(f *testing.F) {
	f.Add([]byte(`{"jsonrpc":"2.0","id":1,"method":"x"}`))
	f.Add([]byte(`{"jsonrpc":`))
	f.Add([]byte("\r\n\r\nContent-Length: 3\r\n\r\n"))
	f.Add([]byte(`[1,2]`))
	f.Add([]byte(`{"jsonrpc":"2.0","id":1e3,"method":"x"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		input := frame(string(body)) + frame(`{"jsonrpc":"2.0","id":"last","method":"shutdown"}`)
		msgs, out, err := lsp.ReadMessages([]byte(input), 1<<16)
		if !errors.Is(err, io.EOF) {
			t.Fatalf("stream ended with %v, want EOF", err)
		}
		replies := parseReplies(t, out)
		if len(msgs) == 0 {
			t.Fatal("the request after the body did not come through")
		}
		last, ok := msgs[len(msgs)-1].(*jsonrpc2.Call)
		if !ok || last.Method() != "shutdown" || fmt.Sprint(last.ID()) != "last" {
			t.Fatalf("last message %#v, want the shutdown call", msgs[len(msgs)-1])
		}
		if outcomes := len(msgs) - 1 + len(replies); outcomes > 1 {
			t.Fatalf("one body gave %d outcomes (%d messages, replies %v)", outcomes, len(msgs)-1, replies)
		}
	})
}
