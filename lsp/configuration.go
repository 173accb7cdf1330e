package lsp

// Settings: initializationOptions and workspace/didChangeConfiguration, both handed to
// Engine.Configure, which may load a model. Configure runs off the reader goroutine so that
// $/cancelRequest and exit stay responsive; requests that arrive after a configuration
// change wait for it (asyncCall), so settings still apply in message order.
// https://microsoft.github.io/language-server-protocol/specifications/lsp/3.17/specification/#workspace_didChangeConfiguration

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.lsp.dev/protocol"

	"github.com/llmls/llmls/completion"
)

// progressDelay is how long Configure may run before the client is shown progress: applying
// settings that do not load a model takes microseconds and would only flash in the status bar.
var progressDelay = 300 * time.Millisecond

// configRun is one Configure call.
type configRun struct {
	done   chan struct{}           // closed when Configure returned
	cancel context.CancelCauseFunc // cancels Configure's ctx
	err    error                   // Configure's error; read after done is closed
}

// configure starts Engine.Configure with settings after the previous call has returned (the
// previous call is cancelled: its settings are superseded). token is the client's work done
// token (initialize's workDoneToken) or nil; with create, the server asks the client for a
// token (window/workDoneProgress/create) if the client supports it.
func (s *server) configure(settings, token json.RawMessage, create bool) *configRun {
	ctx, cancel := context.WithCancelCause(s.ctx)
	run := &configRun{done: make(chan struct{}), cancel: cancel}
	s.mu.Lock()
	prev := s.config
	s.config = run
	create = create && s.caps.Window.WorkDoneProgress
	s.mu.Unlock()
	prev.cancel(errors.New("lsp: superseded by a newer configuration"))

	s.async.Add(1)
	go func() {
		defer s.async.Done()
		defer cancel(nil)
		<-prev.done
		progress := &progressReporter{s: s, token: token, create: create}
		timer := time.AfterFunc(progressDelay, func() { progress.begin(ctx, "applying settings (loading the model)") })
		run.err = s.callConfigure(ctx, settings)
		timer.Stop()
		switch {
		case run.err == nil || ctx.Err() != nil:
		case errors.Is(run.err, completion.ErrPartlyApplied):
			s.log.Warn("lsp: settings applied in part", "error", run.err)
		default:
			s.log.Error("lsp: settings not applied", "error", run.err)
		}
		close(run.done) // before the progress report, which may wait for the client
		progress.end(run.err)
	}()
	return run
}

// callConfigure calls the engine; a panic becomes an error.
func (s *server) callConfigure(ctx context.Context, settings json.RawMessage) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("lsp: bug: panic in Engine.Configure", "panic", r)
			err = fmt.Errorf("lsp: internal error applying settings: %v", r)
		}
	}()
	return s.engine.Configure(ctx, settings)
}

// didChangeConfiguration hands the new settings to the engine. A failure is shown to the user
// with window/showMessage (the settings came from the user's own configuration).
func (s *server) didChangeConfiguration(ctx context.Context, params json.RawMessage) error {
	var p struct {
		Settings json.RawMessage `json:"settings"`
	}
	if err := decodeParams("workspace/didChangeConfiguration", params, &p); err != nil {
		return err
	}
	run := s.configure(p.Settings, nil, true)
	go func() {
		<-run.done
		switch {
		case run.err == nil || errors.Is(run.err, context.Canceled):
		case errors.Is(run.err, completion.ErrPartlyApplied):
			s.showMessage(protocol.MessageTypeWarning, "llmls: "+run.err.Error())
		default:
			s.showMessage(protocol.MessageTypeError, "llmls: settings not applied: "+run.err.Error())
		}
	}()
	return nil
}
