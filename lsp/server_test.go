package lsp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/llmls/llmls/completion"
	"github.com/llmls/llmls/lsp"
	"github.com/llmls/llmls/lsp/lsptest"
)

// testTimeout bounds every wait in these tests: generous for a loaded 2-core machine, short
// enough that a missing reply fails the test instead of hanging it.
const testTimeout = 10 * time.Second

// logBuffer collects the server's slog output (a stand-in for stderr).
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type session struct {
	c    *lsptest.Client
	wait func() error
	ctx  context.Context
	logs *logBuffer
}

// start serves engine in-process; the client is not yet initialized.
func start(t *testing.T, engine lsp.Engine) *session {
	t.Helper()
	logs := &logBuffer{}
	opts := lsp.Options{Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})), ServerVersion: "test"}
	c, wait := lsptest.ServeInProcess(t, engine, opts)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	return &session{c: c, wait: wait, ctx: ctx, logs: logs}
}

// startInitialized serves engine and initializes with the given offered encodings.
func startInitialized(t *testing.T, engine lsp.Engine, encodings ...lsp.PositionEncoding) *session {
	t.Helper()
	s := start(t, engine)
	if _, err := s.c.Initialize(s.ctx, lsptest.InitializeParams(nil, encodings...)); err != nil {
		t.Fatalf("initialize: %v", err)
	}
	return s
}

// wantCode checks that err is an error reply with code.
func wantCode(t *testing.T, what string, err error, code int64) {
	t.Helper()
	var rerr *lsptest.ResponseError
	if !errors.As(err, &rerr) || rerr.Code != code {
		t.Fatalf("%s: got %v, want error code %d", what, err, code)
	}
}

// finish shuts down and exits cleanly, checks Serve's result and that the server's output
// was nothing but protocol messages.
func (s *session) finish(t *testing.T) {
	t.Helper()
	if err := s.c.Shutdown(s.ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if err := s.c.Exit(s.ctx); err != nil {
		t.Fatalf("exit: %v", err)
	}
	if err := s.wait(); err != nil {
		t.Fatalf("Serve after shutdown and exit = %v, want nil", err)
	}
	<-s.c.Done()
	if v := s.c.Violations(); len(v) > 0 || s.c.Err() != nil {
		t.Fatalf("server output broke the protocol: %v (reader: %v)", v, s.c.Err())
	}
}

func TestInitialize(t *testing.T) {
	tests := []struct {
		name      string
		offered   []lsp.PositionEncoding
		wantEnc   lsp.PositionEncoding
		withCodeA bool
	}{
		{"no encodings offered", nil, lsp.UTF16, false},
		{"utf-16 only", []lsp.PositionEncoding{lsp.UTF16}, lsp.UTF16, false},
		{"utf-8 offered second", []lsp.PositionEncoding{lsp.UTF16, lsp.UTF8}, lsp.UTF8, false},
		{"utf-32 and utf-8", []lsp.PositionEncoding{"utf-32", lsp.UTF8}, lsp.UTF8, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var engine lsp.Engine = newFakeEngine()
			if tt.withCodeA {
				engine = &fakeActionEngine{fakeEngine: newFakeEngine()}
			}
			s := start(t, engine)
			res, err := s.c.Initialize(s.ctx, lsptest.InitializeParams(map[string]string{"model": "m.gguf"}, tt.offered...))
			if err != nil {
				t.Fatal(err)
			}
			caps := res.Capabilities
			if caps.PositionEncoding != tt.wantEnc {
				t.Errorf("positionEncoding %q, want %q", caps.PositionEncoding, tt.wantEnc)
			}
			if !caps.TextDocumentSync.OpenClose || caps.TextDocumentSync.Change != 2 {
				t.Errorf("textDocumentSync %+v, want openClose and incremental (2)", caps.TextDocumentSync)
			}
			if len(caps.InlineCompletionProvider) == 0 || string(caps.InlineCompletionProvider) == "null" {
				t.Errorf("inlineCompletionProvider missing in %s", res.Raw)
			}
			if caps.ExecuteCommandProvider == nil || caps.ExecuteCommandProvider.Commands[0] != lsp.CommandAccept {
				t.Errorf("executeCommandProvider %+v, want %s", caps.ExecuteCommandProvider, lsp.CommandAccept)
			}
			if got := len(caps.CodeActionProvider) > 0; got != tt.withCodeA {
				t.Errorf("codeActionProvider present = %v, want %v (%s)", got, tt.withCodeA, res.Raw)
			}
			if res.ServerInfo.Name != "llmls" || res.ServerInfo.Version != "test" {
				t.Errorf("serverInfo %+v", res.ServerInfo)
			}
			s.finish(t)
		})
	}
}

func TestInitializeConfigures(t *testing.T) {
	e := newFakeEngine()
	s := start(t, e)
	if _, err := s.c.Initialize(s.ctx, lsptest.InitializeParams(map[string]string{"model": "m.gguf"})); err != nil {
		t.Fatal(err)
	}
	e.mu.Lock()
	settings := e.settings
	e.mu.Unlock()
	if len(settings) != 1 || string(settings[0]) != `{"model":"m.gguf"}` {
		t.Errorf("Configure got %q, want the initializationOptions", settings)
	}
	s.finish(t)
}

func TestInitializeConfigureError(t *testing.T) {
	e := newFakeEngine()
	e.configure = func(ctx context.Context, settings json.RawMessage) error {
		return errors.New(`model "missing.gguf": no such file`)
	}
	s := start(t, e)
	_, err := s.c.Initialize(s.ctx, lsptest.InitializeParams(map[string]string{"model": "missing.gguf"}))
	wantCode(t, "initialize with a bad model", err, -32803)
	if !strings.Contains(err.Error(), "missing.gguf") {
		t.Errorf("error %q does not name the file", err)
	}
	// The server stays uninitialized.
	wantCode(t, "request after a failed initialize", s.c.Call(s.ctx, "textDocument/codeAction", map[string]any{}, nil), -32002)
}

// TestInitializeConfigurePartly: settings that load only in part (a LoRA adapter or draft
// model left out, completion.ErrPartlyApplied) do not fail initialize: the server serves and
// the user is warned, by name, with window/showMessage.
func TestInitializeConfigurePartly(t *testing.T) {
	e := newFakeEngine()
	e.configure = func(ctx context.Context, settings json.RawMessage) error {
		return fmt.Errorf("%w: lora[0] %q not loaded (serving without it)", completion.ErrPartlyApplied, "missing-adapter")
	}
	s := start(t, e)
	if _, err := s.c.Initialize(s.ctx, lsptest.InitializeParams(map[string]any{"lora": []any{map[string]string{"path": "missing-adapter"}}})); err != nil {
		t.Fatalf("initialize with an adapter that does not load: %v, want success", err)
	}
	msg, err := s.c.WaitNotification(s.ctx, "window/showMessage")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(msg.Params), "missing-adapter") || !strings.Contains(string(msg.Params), `"type":2`) {
		t.Errorf("showMessage %s, want a warning naming the adapter", msg.Params)
	}
	// Initialized: requests are served (an unknown document's code actions: none).
	if err := s.c.Call(s.ctx, "textDocument/codeAction", map[string]any{
		"textDocument": map[string]string{"uri": "file:///a.go"},
		"range":        map[string]any{"start": map[string]int{"line": 0, "character": 0}, "end": map[string]int{"line": 0, "character": 0}},
		"context":      map[string]any{"diagnostics": []any{}},
	}, nil); err != nil {
		t.Errorf("codeAction after a partly applied initialize: %v", err)
	}
	s.finish(t)
}

func TestInitializeProgress(t *testing.T) {
	e := newFakeEngine()
	release := make(chan struct{})
	e.configure = func(ctx context.Context, settings json.RawMessage) error {
		<-release
		return nil
	}
	s := start(t, e)
	params := lsptest.InitializeParams(nil)
	params["workDoneToken"] = "init-token"
	p, err := s.c.Go(s.ctx, "initialize", params)
	if err != nil {
		t.Fatal(err)
	}
	begin, err := s.c.WaitNotification(s.ctx, "$/progress")
	if err != nil {
		t.Fatal(err)
	}
	close(release)
	if err := p.Result(s.ctx, nil); err != nil {
		t.Fatal(err)
	}
	end, err := s.c.WaitNotification(s.ctx, "$/progress")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		n    lsptest.Notification
		kind string
	}{{begin, "begin"}, {end, "end"}} {
		var v struct {
			Token string `json:"token"`
			Value struct {
				Kind string `json:"kind"`
			} `json:"value"`
		}
		if err := json.Unmarshal(tc.n.Params, &v); err != nil || v.Token != "init-token" || v.Value.Kind != tc.kind {
			t.Errorf("progress %s: %s (%v)", tc.kind, tc.n.Params, err)
		}
	}
	s.c.Notify(s.ctx, "initialized", struct{}{})
	s.finish(t)
}

func TestLifecycleErrors(t *testing.T) {
	s := start(t, newFakeEngine())
	c, ctx := s.c, s.ctx

	wantCode(t, "request before initialize", c.Call(ctx, "textDocument/codeAction", map[string]any{}, nil), -32002)
	wantCode(t, "shutdown before initialize", c.Shutdown(ctx), -32002)
	// A notification before initialize is dropped: the document stays unknown.
	c.DidOpen(ctx, "file:///a.go", "go", 1, "package a\n")
	if _, err := c.Initialize(ctx, lsptest.InitializeParams(nil)); err != nil {
		t.Fatal(err)
	}
	items, err := c.InlineCompletion(ctx, "file:///a.go", 0, 0, 1)
	if err != nil || len(items) != 0 {
		t.Errorf("completion in a document opened before initialize = %v, %v; want no items", items, err)
	}

	wantCode(t, "second initialize", c.Call(ctx, "initialize", lsptest.InitializeParams(nil), nil), -32600)
	wantCode(t, "unknown method", c.Call(ctx, "textDocument/unknownThing", map[string]any{}, nil), -32601)
	wantCode(t, "unimplemented method", c.Call(ctx, "textDocument/hover", map[string]any{}, nil), -32601)
	wantCode(t, "$/ request", c.Call(ctx, "$/something", map[string]any{}, nil), -32601)
	wantCode(t, "invalid params (wrong type)", c.Call(ctx, lsp.MethodInlineCompletion, map[string]any{"textDocument": 5}, nil), -32602)
	wantCode(t, "invalid params (missing)", c.Call(ctx, lsp.MethodInlineCompletion, nil, nil), -32602)
	wantCode(t, "invalid params (trigger kind)", c.Call(ctx, lsp.MethodInlineCompletion,
		lsptest.InlineCompletionParams("file:///a.go", 0, 0, 3), nil), -32602)
	wantCode(t, "unknown command", c.ExecuteCommand(ctx, "rm -rf", "x"), -32602)

	// Unknown notifications are ignored; the server still answers.
	c.Notify(ctx, "$/setTrace", map[string]string{"value": "off"})
	c.Notify(ctx, "workspace/didChangeWatchedFiles", map[string]any{"changes": []any{}})

	if err := c.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "request after shutdown", c.Call(ctx, lsp.MethodInlineCompletion, lsptest.InlineCompletionParams("file:///a.go", 0, 0, 1), nil), -32600)
	wantCode(t, "shutdown after shutdown", c.Shutdown(ctx), -32600)
	if err := c.Exit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.wait(); err != nil {
		t.Errorf("Serve = %v, want nil after shutdown then exit", err)
	}
	<-c.Done()
	if v := c.Violations(); len(v) > 0 {
		t.Errorf("violations: %v", v)
	}
}

func TestExitWithoutShutdown(t *testing.T) {
	s := startInitialized(t, newFakeEngine())
	if err := s.c.Exit(s.ctx); err != nil {
		t.Fatal(err)
	}
	err := s.wait()
	if err == nil || !strings.Contains(err.Error(), "exit without a shutdown") {
		t.Errorf("Serve = %v, want the exit-without-shutdown error", err)
	}
	select {
	case <-s.c.Done():
	case <-s.ctx.Done():
		t.Fatal("server did not close the stream after exit")
	}
}

func TestExitBeforeInitialize(t *testing.T) {
	s := start(t, newFakeEngine())
	s.c.Exit(s.ctx)
	if err := s.wait(); err == nil {
		t.Error("Serve = nil after exit without shutdown, want an error")
	}
}

func TestStreamEnds(t *testing.T) {
	s := startInitialized(t, newFakeEngine())
	s.c.Close()
	if err := s.wait(); err == nil || !strings.Contains(err.Error(), "before shutdown") {
		t.Errorf("Serve = %v, want connection ended before shutdown", err)
	}
}

func TestMalformedInput(t *testing.T) {
	s := startInitialized(t, newFakeEngine())
	c, ctx := s.c, s.ctx
	tests := []struct {
		name   string
		write  func() error
		wantID string
		code   int64
	}{
		{"malformed JSON", func() error { return c.WriteMessage([]byte(`{"jsonrpc":"2.0","id":99,"method":`)) }, "null", -32700},
		{"not an object", func() error { return c.WriteMessage([]byte(`"hello"`)) }, "null", -32600},
		{"wrong jsonrpc version", func() error { return c.WriteMessage([]byte(`{"jsonrpc":"1.0","id":98,"method":"shutdown"}`)) }, "98", -32600},
		{"broken header", func() error { return c.WriteRaw([]byte("Content-Lenght: 12\r\n\r\n")) }, "null", -32700},
		{"garbage bytes", func() error { return c.WriteRaw([]byte("\x00\x01garbage\r\n\r\n")) }, "null", -32700},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.write(); err != nil {
				t.Fatal(err)
			}
			r, err := c.WaitUnmatched(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if string(r.ID) != tt.wantID || r.Error == nil || r.Error.Code != tt.code {
				t.Fatalf("reply id %s error %+v, want id %s code %d", r.ID, r.Error, tt.wantID, tt.code)
			}
			// The server keeps serving.
			c.DidOpen(ctx, "file:///m.go", "go", 1, "x")
			if items, err := c.InlineCompletion(ctx, "file:///m.go", 0, 1, 1); err != nil || len(items) != 1 {
				t.Fatalf("completion after malformed input = %v, %v", items, err)
			}
		})
	}
	s.finish(t)
}

func TestServeContextCancel(t *testing.T) {
	toServer, fromClient := io.Pipe()
	toClient, fromServer := io.Pipe()
	defer fromClient.Close()
	go io.Copy(io.Discard, toClient)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- lsp.Serve(ctx, &pipeConn{toServer, fromServer}, newFakeEngine(), lsp.Options{Logger: slog.New(slog.DiscardHandler)})
	}()
	time.Sleep(20 * time.Millisecond) // let Serve block in Read (the test passes either way)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Serve = %v, want context.Canceled", err)
		}
	case <-time.After(testTimeout):
		t.Fatal("Serve did not return after its ctx was cancelled")
	}
}

type pipeConn struct {
	r *io.PipeReader
	w *io.PipeWriter
}

func (p *pipeConn) Read(b []byte) (int, error)  { return p.r.Read(b) }
func (p *pipeConn) Write(b []byte) (int, error) { return p.w.Write(b) }
func (p *pipeConn) Close() error                { return errors.Join(p.r.Close(), p.w.Close()) }
