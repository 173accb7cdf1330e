package lsp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"go.lsp.dev/jsonrpc2"
)

// Options configures Serve. The zero value works.
type Options struct {
	// Logger receives the server's logs; nil means slog.Default(). It must not write to the
	// protocol stream (for llmls --stdio: stderr, never stdout).
	Logger *slog.Logger
	// ClientLogLevel is the lowest level also sent to the client as window/logMessage
	// (the zero value, slog.LevelInfo, sends Info, Warn and Error).
	ClientLogLevel slog.Level
	// ServerName and ServerVersion fill serverInfo in the initialize result; ServerName
	// defaults to "llmls".
	ServerName, ServerVersion string
	// MaxMessageBytes limits one message body in bytes; 0 means DefaultMaxMessageBytes.
	// A longer message is skipped and answered with -32600.
	MaxMessageBytes int64
	// ExitGrace bounds how long Serve waits, after exit or the end of the stream, for
	// cancelled engine calls to return; 0 means 2 s.
	ExitGrace time.Duration
}

// Serve speaks LSP over conn (llmls --stdio passes stdin and stdout joined) until the client
// sends exit or the stream ends, and closes conn before it returns.
//
// It returns nil after exit if shutdown came first, or if the stream ended after shutdown;
// an error if exit came without shutdown (LSP: the process then exits with code 1), if the
// stream ended without shutdown, or ctx.Err() if ctx was cancelled.
func Serve(ctx context.Context, conn io.ReadWriteCloser, engine Engine, opts Options) error {
	if opts.ServerName == "" {
		opts.ServerName = "llmls"
	}
	if opts.ExitGrace == 0 {
		opts.ExitGrace = 2 * time.Second
	}
	base := opts.Logger
	if base == nil {
		base = slog.Default()
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	s := newServer(ctx, cancel, engine, opts)
	s.log = slog.New(&clientLogHandler{inner: base.Handler(), level: opts.ClientLogLevel, send: s.sendLog})
	st := newStream(conn, opts.MaxMessageBytes, base)
	s.conn = jsonrpc2.NewConn(st)
	s.conn.Go(ctx, s.handle)

	select {
	case <-s.conn.Done():
	case <-ctx.Done():
		s.conn.Close()
		select {
		case <-s.conn.Done():
		case <-time.After(opts.ExitGrace):
			// A conn whose Close does not unblock a pending Read; the reader goroutine
			// is left behind rather than blocking the caller.
			s.log.Warn("lsp: the connection's reader did not stop after Close")
		}
	}
	cancel(errServerExit)
	s.waitAsync(opts.ExitGrace)
	return s.result(ctx, s.conn.Err())
}

// errServerExit is the cancellation cause of everything still running when Serve returns.
var errServerExit = errors.New("lsp: server exiting")

// serverState is where the server is in the LSP lifecycle.
type serverState int

const (
	stateUninitialized serverState = iota // before initialize
	stateInitializing                     // initialize received, not yet answered
	stateInitialized                      // answered initialize
	stateShutdown                         // answered shutdown; waiting for exit
)

// server holds one connection's state. Handlers run on the connection's reader goroutine, in
// the order messages arrive; the async part of a request runs on its own goroutine.
type server struct {
	engine  Engine
	actions CodeActionEngine // nil if the engine offers no code actions
	opts    Options
	log     *slog.Logger
	conn    jsonrpc2.Conn
	ctx     context.Context         // cancelled when Serve returns
	stop    context.CancelCauseFunc // cancels ctx

	docs     *documentStore
	inflight *inflight
	llmLS    *llmLSRequests

	mu         sync.Mutex // guards the fields below
	state      serverState
	exited     bool // exit received
	caps       clientCapabilities
	encoding   PositionEncoding
	config     *configRun // the latest Configure call; requests wait for it
	progressID int        // last work done progress token number we created

	async sync.WaitGroup // async request parts and Configure calls
}

func newServer(ctx context.Context, stop context.CancelCauseFunc, engine Engine, opts Options) *server {
	s := &server{
		engine:   engine,
		opts:     opts,
		ctx:      ctx,
		stop:     stop,
		docs:     newDocumentStore(),
		inflight: newInflight(),
		llmLS:    newLLMLSRequests(),
		encoding: UTF16,
	}
	s.actions, _ = engine.(CodeActionEngine)
	done := make(chan struct{})
	close(done)
	s.config = &configRun{done: done, cancel: func(error) {}}
	return s
}

// result is Serve's return value once the connection is done.
func (s *server) result(ctx context.Context, connErr error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.exited && s.state == stateShutdown:
		return nil
	case s.exited:
		return errors.New("lsp: exit without a shutdown request first")
	case ctx.Err() != nil && !errors.Is(context.Cause(ctx), errServerExit):
		return ctx.Err()
	case s.state == stateShutdown:
		return nil
	case connErr != nil && !errors.Is(connErr, io.EOF):
		return fmt.Errorf("lsp: connection ended before shutdown: %w", connErr)
	}
	return errors.New("lsp: connection ended before shutdown")
}

func (s *server) getState() serverState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state
}

// waitAsync waits up to grace for async work to return after its ctx was cancelled.
func (s *server) waitAsync(grace time.Duration) {
	done := make(chan struct{})
	go func() { s.async.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(grace):
		s.log.Warn("lsp: engine calls still running after exit; not waiting for them", "grace", grace)
	}
}

// asyncHandler does the ordered part of a request on the reader goroutine (decode params,
// take a document snapshot, convert positions) and returns the rest to run on its own
// goroutine, where $/cancelRequest can cancel it.
type asyncHandler func(s *server, ctx context.Context, params json.RawMessage) (*asyncCall, error)

// asyncCall is the part of a request that runs off the reader goroutine.
type asyncCall struct {
	run func(ctx context.Context) (any, error)
	// supersede, when not empty, cancels the in-flight call with the same key: a newer
	// completion request for a document makes the older one pointless.
	supersede string
	// noWait skips waiting for a pending Configure call (for calls that do not need it).
	noWait bool
}

// answer is an asyncCall whose result is already known.
func answer(result any) *asyncCall {
	return &asyncCall{run: func(context.Context) (any, error) { return result, nil }, noWait: true}
}

// notificationHandler applies a notification on the reader goroutine; an error is logged.
type notificationHandler func(s *server, ctx context.Context, params json.RawMessage) error

// The methods this server serves, by name. The lifecycle methods (initialize, shutdown,
// exit) are dispatched by handleCall and handleNotification themselves.
var (
	asyncs = map[string]asyncHandler{
		MethodInlineCompletion:      (*server).inlineCompletion,
		"workspace/executeCommand":  (*server).executeCommand,
		"textDocument/codeAction":   (*server).codeAction,
		"codeAction/resolve":        (*server).resolveCodeAction,
		methodLLMLSGetCompletions:   (*server).llmLSGetCompletions,
		methodLLMLSAcceptCompletion: (*server).llmLSAcceptCompletion,
		methodLLMLSRejectCompletion: (*server).llmLSRejectCompletion,
		MethodStats:                 (*server).stats,
	}
	notifications = map[string]notificationHandler{
		"initialized":                      (*server).initialized,
		"textDocument/didOpen":             (*server).didOpen,
		"textDocument/didChange":           (*server).didChange,
		"textDocument/didClose":            (*server).didClose,
		"workspace/didChangeConfiguration": (*server).didChangeConfiguration,
		"$/cancelRequest":                  (*server).cancelRequest,
	}
)

// handle is the jsonrpc2 handler. It never returns an error: jsonrpc2 v0.10.0 closes the
// connection on one.
func (s *server) handle(ctx context.Context, reply jsonrpc2.Replier, req jsonrpc2.Request) error {
	switch req := req.(type) {
	case *jsonrpc2.Call:
		replied := false
		once := func(ctx context.Context, result any, err error) error {
			replied = true
			return reply(ctx, result, err)
		}
		defer func() {
			if r := recover(); r != nil {
				s.log.Error("lsp: bug: panic in handler", "method", req.Method(), "panic", r)
				if !replied {
					_ = reply(ctx, nil, rpcErrorf(CodeInternalError, "internal error in %s: %v", req.Method(), r))
				}
			}
		}()
		s.handleCall(ctx, once, req)
	case *jsonrpc2.Notification:
		defer func() {
			if r := recover(); r != nil {
				s.log.Error("lsp: bug: panic in notification handler", "method", req.Method(), "panic", r)
			}
		}()
		s.handleNotification(ctx, req)
	}
	return nil
}

func (s *server) handleCall(ctx context.Context, reply jsonrpc2.Replier, call *jsonrpc2.Call) {
	method, params := call.Method(), json.RawMessage(call.Params())
	state := s.getState()
	switch {
	case state == stateShutdown:
		s.reply(ctx, reply, method, nil, rpcErrorf(CodeInvalidRequest, "%s after shutdown: the server only accepts exit now", method))
		return
	case method == "initialize":
		s.initialize(ctx, reply, call.ID(), params)
		return
	case method == "shutdown" && state == stateInitialized:
		s.reply(ctx, reply, method, s.shutdown(), nil)
		return
	case state != stateInitialized:
		s.reply(ctx, reply, method, nil, rpcErrorf(CodeServerNotInitialized, "%s before initialize finished", method))
		return
	}
	h, ok := asyncs[method]
	if !ok {
		s.reply(ctx, reply, method, nil, methodNotFound(method))
		return
	}
	s.startAsync(ctx, reply, call.ID(), method, params, h)
}

// startAsync runs the ordered part of h now and the rest on a goroutine.
func (s *server) startAsync(ctx context.Context, reply jsonrpc2.Replier, id jsonrpc2.ID, method string, params json.RawMessage, h asyncHandler) {
	start := time.Now()
	callCtx, cancel := context.WithCancelCause(s.ctx)
	if !s.inflight.add(id, cancel) {
		cancel(nil)
		s.reply(ctx, reply, method, nil, rpcErrorf(CodeInvalidRequest, "request id %v is already in use by a request in flight", id))
		return
	}
	call, err := h(s, callCtx, params)
	if err != nil {
		s.inflight.remove(id)
		cancel(nil)
		s.reply(ctx, reply, method, nil, err)
		return
	}
	if call.supersede != "" {
		s.inflight.supersede(id, call.supersede)
	}
	s.mu.Lock()
	config := s.config
	s.mu.Unlock()
	s.async.Add(1)
	go func() {
		defer s.async.Done()
		defer s.inflight.remove(id)
		defer cancel(nil)
		result, err := s.runAsync(callCtx, call, config)
		if cause := context.Cause(callCtx); callCtx.Err() != nil {
			err = rpcErrorf(CodeRequestCancelled, "%s cancelled: %v", method, cause)
		}
		s.log.Debug("lsp: request done", "method", method, "id", id, "ms", time.Since(start).Milliseconds(), "error", err)
		s.reply(callCtx, reply, method, result, err)
	}()
}

// runAsync waits for the Configure call the request arrived after, then runs call.
// A panic in the engine becomes an error of the request.
func (s *server) runAsync(ctx context.Context, call *asyncCall, config *configRun) (result any, err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("lsp: bug: panic in request", "panic", r)
			result, err = nil, rpcErrorf(CodeInternalError, "internal error: %v", r)
		}
	}()
	if !call.noWait {
		select {
		case <-config.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return call.run(ctx)
}

// reply sends the result or error of a request. The result is encoded with encoding/json
// (jsonrpc2 would use segmentio/encoding); the reply goes out even if ctx is cancelled.
func (s *server) reply(ctx context.Context, reply jsonrpc2.Replier, method string, result any, err error) {
	ctx = context.WithoutCancel(ctx)
	if err != nil {
		rerr := toRPCError(err)
		level := slog.LevelWarn
		if rerr.Code == CodeRequestCancelled {
			level = slog.LevelDebug
		}
		s.log.Log(ctx, level, "lsp: request failed", "method", method, "code", int(rerr.Code), "error", rerr.Message)
		if werr := reply(ctx, nil, rerr); werr != nil {
			s.log.Debug("lsp: reply not sent", "method", method, "error", werr)
		}
		return
	}
	data, merr := json.Marshal(result)
	if merr != nil {
		s.log.Error("lsp: bug: cannot encode result", "method", method, "error", merr)
		_ = reply(ctx, nil, rpcErrorf(CodeInternalError, "internal error: encoding the %s result: %v", method, merr))
		return
	}
	if werr := reply(ctx, json.RawMessage(data), nil); werr != nil {
		s.log.Debug("lsp: reply not sent", "method", method, "error", werr)
	}
}

func (s *server) handleNotification(ctx context.Context, n *jsonrpc2.Notification) {
	method, params := n.Method(), json.RawMessage(n.Params())
	if method == "exit" {
		s.exit()
		return
	}
	state := s.getState()
	switch {
	case state == stateUninitialized, state == stateShutdown:
		s.log.Debug("lsp: dropping notification", "method", method, "state", state)
		return
	case state == stateInitializing && method != "$/cancelRequest":
		s.log.Debug("lsp: dropping notification during initialize", "method", method)
		return
	}
	h, ok := notifications[method]
	if !ok {
		// No reply is possible; "$/" notifications may be ignored by definition.
		s.log.Debug("lsp: ignoring notification", "method", method)
		return
	}
	if err := h(s, ctx, params); err != nil {
		s.log.Error("lsp: notification failed", "method", method, "error", err)
	}
}

// decodeParams decodes params into v; failures are -32602.
func decodeParams(method string, params json.RawMessage, v any) error {
	if len(params) == 0 {
		return rpcErrorf(CodeInvalidParams, "%s: params are missing", method)
	}
	if err := json.Unmarshal(params, v); err != nil {
		return rpcErrorf(CodeInvalidParams, "%s: invalid params: %v", method, err)
	}
	return nil
}
