package lsptest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/llmls/llmls/lsp/lsptest"
)

// fakeServer is the server side of a client under test: the test writes what the "server"
// sends and reads what the client sent.
type fakeServer struct {
	out *io.PipeWriter // server -> client
	in  *io.PipeReader // client -> server
}

type conn struct {
	io.Reader
	io.Writer
	closers []io.Closer
}

func (c *conn) Close() error {
	for _, cl := range c.closers {
		cl.Close()
	}
	return nil
}

func newPair(t *testing.T) (*lsptest.Client, *fakeServer) {
	toClient, fromServer := io.Pipe()
	toServer, fromClient := io.Pipe()
	c := lsptest.New(&conn{Reader: toClient, Writer: fromClient, closers: []io.Closer{toClient, fromClient}})
	c.Attach(t)
	t.Cleanup(func() { c.Close(); fromServer.Close(); toServer.Close() })
	go io.Copy(io.Discard, toServer)
	return c, &fakeServer{out: fromServer, in: toServer}
}

func TestViolations(t *testing.T) {
	tests := []struct {
		name   string
		output string
		want   string // substring of the violation
	}{
		{"a log line on stdout", "2026/01/01 loading model\n", "does not end in CRLF"},
		{"header without colon", "hello\r\n\r\n", "not \"Name: value\""},
		{"body not JSON", "Content-Length: 3\r\n\r\nabc", "not a JSON-RPC message"},
		{"wrong version", frame(`{"jsonrpc":"1.0","id":1}`), "want \"2.0\""},
		{"truncated body", "Content-Length: 30\r\n\r\n{}", "shorter than its Content-Length"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, s := newPair(t)
			s.out.Write([]byte(tt.output))
			s.out.Close()
			select {
			case <-c.Done():
			case <-time.After(5 * time.Second):
				t.Fatal("reader did not stop")
			}
			v := c.Violations()
			if len(v) == 0 || !strings.Contains(strings.Join(v, "\n"), tt.want) {
				t.Errorf("violations %q, want one containing %q", v, tt.want)
			}
		})
	}
}

func TestCallAndUnmatched(t *testing.T) {
	c, s := newPair(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	p, err := c.Go(ctx, "m", map[string]int{"a": 1})
	if err != nil {
		t.Fatal(err)
	}
	write := func(body string) { s.out.Write([]byte(frame(body))) }
	write(`{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error"}}`)
	write(`{"jsonrpc":"2.0","method":"window/logMessage","params":{"type":3,"message":"hi"}}`)
	write(`{"jsonrpc":"2.0","id":` + string(p.ID) + `,"error":{"code":-32800,"message":"cancelled"}}`)
	err = p.Result(ctx, nil)
	var rerr *lsptest.ResponseError
	if !errors.As(err, &rerr) || rerr.Code != -32800 {
		t.Errorf("Result = %v, want code -32800", err)
	}
	r, err := c.WaitUnmatched(ctx)
	if err != nil || string(r.ID) != "null" || r.Error.Code != -32700 {
		t.Errorf("unmatched %+v, %v", r, err)
	}
	n, err := c.WaitNotification(ctx, "window/logMessage")
	var params struct{ Message string }
	if err != nil || json.Unmarshal(n.Params, &params) != nil || params.Message != "hi" {
		t.Errorf("notification %+v, %v", n, err)
	}
	if v := c.Violations(); len(v) > 0 {
		t.Errorf("violations %v", v)
	}
	if !strings.Contains(c.SessionLog(), `"method":"m"`) {
		t.Errorf("session log lacks the call:\n%s", c.SessionLog())
	}
}

func frame(body string) string { return fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(body), body) }
