package lsp

// Work done progress for slow engine calls.
// https://microsoft.github.io/language-server-protocol/specifications/lsp/3.17/specification/#workDoneProgress

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"
)

// progressReporter reports one piece of work as $/progress begin ... end, on the client's
// token or on one the server asks the client to create. begin and end may race (begin runs
// from a timer); end before begin cancels the report.
type progressReporter struct {
	s      *server
	create bool // ask the client for a token (window/workDoneProgress/create) if token is nil

	mu    sync.Mutex // guards the fields below
	token json.RawMessage
	begun bool
	ended bool
}

// begin sends the begin report. It must not run on the reader goroutine: creating a token is
// a request whose reply that goroutine reads.
func (p *progressReporter) begin(ctx context.Context, message string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ended || p.begun {
		return
	}
	if p.token == nil {
		if !p.create {
			return
		}
		p.s.mu.Lock()
		p.s.progressID++
		t := json.RawMessage(fmt.Sprintf(`"llmls/%d"`, p.s.progressID))
		p.s.mu.Unlock()
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if _, err := p.s.conn.Call(cctx, "window/workDoneProgress/create", map[string]json.RawMessage{"token": t}, nil); err != nil {
			p.s.log.Debug("lsp: client did not create a progress token", "error", err)
			return
		}
		p.token = t
	}
	p.begun = true
	p.s.notify("$/progress", map[string]any{"token": p.token, "value": map[string]any{
		"kind": "begin", "title": "llmls", "message": message,
	}})
}

// end sends the end report if begin sent one, and stops a later begin.
func (p *progressReporter) end(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ended = true
	if !p.begun {
		return
	}
	msg := "ready"
	if err != nil {
		msg = "failed: " + err.Error()
	}
	p.s.notify("$/progress", map[string]any{"token": p.token, "value": map[string]any{"kind": "end", "message": msg}})
}
