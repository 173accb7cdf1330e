package lsp_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"go.lsp.dev/protocol"

	"github.com/llmls/llmls/completion"
	"github.com/llmls/llmls/lsp"
)

func TestInlineCompletionItems(t *testing.T) {
	const uri = "file:///x.go"
	// Line 1 is "\t😀 := f(" (tab 1 byte, emoji 4 bytes): the cursor after "f(" is at byte
	// offset 3+1+4+6 = 14 of the text, UTF-16 column 1+2+6 = 9, UTF-8 column 11.
	const text = "a\r\n\t😀 := f(\n}"
	const cursor = 14
	items := []completion.Item{
		{Text: "x)", Start: cursor, End: cursor, ID: "plain"},
		{Text: " := g(y)", Start: 8, End: cursor, ID: ""},              // replaces " := f(" before the cursor
		{Text: "bad", Start: cursor, End: cursor + 2, ID: "two-lines"}, // spans "\n}": dropped
		{Text: "bad", Start: 0, End: 1, ID: "no-cursor"},               // does not contain the cursor: dropped
		{Text: "bad", Start: 6, End: cursor, ID: "split"},              // starts inside the emoji: dropped
	}
	tests := []struct {
		name       string
		enc        lsp.PositionEncoding
		col        uint32
		replaceCol uint32 // column of byte offset 8
	}{
		{"utf-16", lsp.UTF16, 9, 3},
		{"utf-8", lsp.UTF8, 11, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newFakeEngine()
			e.complete = func(ctx context.Context, req completion.Request) ([]completion.Item, error) { return items, nil }
			s := startInitialized(t, e, tt.enc)
			s.c.DidOpen(s.ctx, uri, "go", 7, text)
			got, err := s.c.InlineCompletion(s.ctx, uri, 1, tt.col, completion.Automatic)
			if err != nil {
				t.Fatal(err)
			}
			_, _, reqs, _ := e.snapshot()
			want := completion.Request{URI: uri, LanguageID: "go", Version: 7, Text: text, Offset: cursor, Trigger: completion.Automatic}
			if len(reqs) != 1 || reqs[0] != want {
				t.Fatalf("engine got %+v, want %+v", reqs, want)
			}
			if len(got) != 2 {
				t.Fatalf("got %d items %+v, want the 2 valid ones", len(got), got)
			}
			r0 := protocol.Range{Start: pos(1, tt.col), End: pos(1, tt.col)}
			if got[0].InsertText.Text != "x)" || *got[0].Range != r0 || got[0].Command == nil ||
				got[0].Command.Command != lsp.CommandAccept || got[0].Command.Arguments[0] != "plain" {
				t.Errorf("item 0 = %+v (range %v, command %+v)", got[0], got[0].Range, got[0].Command)
			}
			r1 := protocol.Range{Start: pos(1, tt.replaceCol), End: pos(1, tt.col)}
			if got[1].InsertText.Text != " := g(y)" || *got[1].Range != r1 || got[1].Command != nil {
				t.Errorf("item 1 = %+v (range %v)", got[1], got[1].Range)
			}
			s.finish(t)
		})
	}
}

func TestInlineCompletionEngineErrorIsEmpty(t *testing.T) {
	e := newFakeEngine()
	e.complete = func(ctx context.Context, req completion.Request) ([]completion.Item, error) {
		return nil, errors.New("decoder: out of memory")
	}
	s := startInitialized(t, e)
	s.c.DidOpen(s.ctx, "file:///e.go", "go", 1, "x")
	items, err := s.c.InlineCompletion(s.ctx, "file:///e.go", 0, 1, completion.Invoked)
	if err != nil || len(items) != 0 {
		t.Errorf("engine error gave %v, %v; want an empty list and no error", items, err)
	}
	// Position past the last line: also empty, not an error.
	items, err = s.c.InlineCompletion(s.ctx, "file:///e.go", 9, 0, completion.Invoked)
	if err != nil || len(items) != 0 {
		t.Errorf("bad position gave %v, %v; want an empty list and no error", items, err)
	}
	if !strings.Contains(s.logs.String(), "decoder: out of memory") {
		t.Error("the engine error was not logged")
	}
	s.finish(t)
}

// blockingEngine returns an engine whose InlineCompletion reports each call on entered and
// then blocks until its ctx is cancelled.
func blockingEngine() (*fakeEngine, chan completion.Request) {
	e := newFakeEngine()
	entered := make(chan completion.Request, 16)
	e.entered = entered
	e.complete = func(ctx context.Context, req completion.Request) ([]completion.Item, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return e, entered
}

func TestCancelInFlight(t *testing.T) {
	e, entered := blockingEngine()
	s := startInitialized(t, e)
	s.c.DidOpen(s.ctx, "file:///c.go", "go", 1, "abc")
	p, err := s.c.StartInlineCompletion(s.ctx, "file:///c.go", 0, 3, completion.Invoked)
	if err != nil {
		t.Fatal(err)
	}
	<-entered
	if err := s.c.Cancel(s.ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	err = p.Result(s.ctx, nil)
	wantCode(t, "cancelled request", err, -32800)
	if !strings.Contains(err.Error(), "$/cancelRequest") {
		t.Errorf("error %q does not say why", err)
	}
	// Cancelling an answered or unknown request is harmless.
	s.c.Cancel(s.ctx, p.ID)
	s.c.Cancel(s.ctx, json.RawMessage(`"never-sent"`))
	s.finish(t)
}

func TestNewerRequestSupersedes(t *testing.T) {
	e, entered := blockingEngine()
	s := startInitialized(t, e)
	s.c.DidOpen(s.ctx, "file:///a.go", "go", 1, "abc")
	s.c.DidOpen(s.ctx, "file:///b.go", "go", 1, "abc")
	first, _ := s.c.StartInlineCompletion(s.ctx, "file:///a.go", 0, 1, completion.Automatic)
	other, _ := s.c.StartInlineCompletion(s.ctx, "file:///b.go", 0, 1, completion.Automatic)
	<-entered
	<-entered
	second, _ := s.c.StartInlineCompletion(s.ctx, "file:///a.go", 0, 2, completion.Automatic)
	err := first.Result(s.ctx, nil)
	wantCode(t, "superseded request", err, -32800)
	if !strings.Contains(err.Error(), "superseded") {
		t.Errorf("error %q does not say superseded", err)
	}
	// The request for another document and the newer one are still running.
	<-entered
	s.c.Cancel(s.ctx, other.ID)
	s.c.Cancel(s.ctx, second.ID)
	wantCode(t, "other document", other.Result(s.ctx, nil), -32800)
	wantCode(t, "newer request", second.Result(s.ctx, nil), -32800)
	s.finish(t)
}

func TestShutdownCancelsInFlight(t *testing.T) {
	e, entered := blockingEngine()
	s := startInitialized(t, e)
	s.c.DidOpen(s.ctx, "file:///s.go", "go", 1, "abc")
	p, _ := s.c.StartInlineCompletion(s.ctx, "file:///s.go", 0, 1, completion.Invoked)
	<-entered
	if err := s.c.Shutdown(s.ctx); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "request in flight at shutdown", p.Result(s.ctx, nil), -32800)
	s.c.Exit(s.ctx)
	if err := s.wait(); err != nil {
		t.Error(err)
	}
}

func TestStaleResultDropped(t *testing.T) {
	const uri = "file:///stale.go"
	e := newFakeEngine()
	entered := make(chan completion.Request, 1)
	release := make(chan struct{})
	e.entered = entered
	e.complete = func(ctx context.Context, req completion.Request) ([]completion.Item, error) {
		<-release
		// An item at the end of the old, longer text: past the end of the new one.
		return []completion.Item{{Text: "x", Start: req.Offset, End: len(req.Text)}}, nil
	}
	s := startInitialized(t, e)
	s.c.DidOpen(s.ctx, uri, "go", 1, "0123456789")
	p, _ := s.c.StartInlineCompletion(s.ctx, uri, 0, 5, completion.Automatic)
	<-entered
	s.c.DidChange(s.ctx, uri, 2, lspReplaceAll("012"))
	// A request after the change is ordered after it: once answered, the change is applied.
	if err := s.c.ExecuteCommand(s.ctx, lsp.CommandAccept, "sync"); err != nil {
		t.Fatal(err)
	}
	close(release)
	var raw json.RawMessage
	if err := p.Result(s.ctx, &raw); err != nil {
		t.Fatal(err)
	}
	if string(raw) != `{"items":[]}` {
		t.Errorf("stale result %s, want an empty list", raw)
	}
	s.finish(t)
}

func TestAcceptCommand(t *testing.T) {
	e := newFakeEngine()
	s := startInitialized(t, e)
	s.c.DidOpen(s.ctx, "file:///a.go", "go", 3, "ab")
	items, err := s.c.InlineCompletion(s.ctx, "file:///a.go", 0, 2, completion.Invoked)
	if err != nil || len(items) != 1 || items[0].Command == nil {
		t.Fatalf("items %+v, %v", items, err)
	}
	cmd := items[0].Command
	if err := s.c.ExecuteCommand(s.ctx, cmd.Command, cmd.Arguments...); err != nil {
		t.Fatal(err)
	}
	_, _, _, accepted := e.snapshot()
	if len(accepted) != 1 || accepted[0] != "v3@2" {
		t.Errorf("accepted %q, want [v3@2]", accepted)
	}
	wantCode(t, "accept without id", s.c.ExecuteCommand(s.ctx, lsp.CommandAccept), -32602)
	wantCode(t, "accept with a number", s.c.ExecuteCommand(s.ctx, lsp.CommandAccept, 5), -32602)
	s.finish(t)
}

func TestEnginePanicIsContained(t *testing.T) {
	e := newFakeEngine()
	e.complete = func(ctx context.Context, req completion.Request) ([]completion.Item, error) { panic("boom") }
	s := startInitialized(t, e)
	s.c.DidOpen(s.ctx, "file:///p.go", "go", 1, "x")
	err := s.c.Call(s.ctx, lsp.MethodInlineCompletion, map[string]any{
		"textDocument": map[string]string{"uri": "file:///p.go"}, "position": pos(0, 0), "context": map[string]int{"triggerKind": 1}}, nil)
	wantCode(t, "engine panic", err, -32603)
	// The server survives.
	e.mu.Lock()
	e.complete = nil
	e.mu.Unlock()
	if items, err := s.c.InlineCompletion(s.ctx, "file:///p.go", 0, 0, 1); err != nil || len(items) != 1 {
		t.Errorf("after a panic: %v, %v", items, err)
	}
	s.finish(t)
}

// lspReplaceAll is a full-text change.
func lspReplaceAll(text string) lsptestChange { return lsptestChange{Text: text} }

func TestManyCancellations(t *testing.T) {
	// Every request answers exactly once, cancelled or not, and nothing leaks into the next.
	e := newFakeEngine()
	e.complete = func(ctx context.Context, req completion.Request) ([]completion.Item, error) {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Duration(req.Offset%3) * time.Millisecond):
			return []completion.Item{{Text: "y", Start: req.Offset, End: req.Offset}}, nil
		}
	}
	s := startInitialized(t, e)
	s.c.DidOpen(s.ctx, "file:///m.go", "go", 1, strings.Repeat("x", 100))
	var results []error
	pendings := make([]*pendingCall, 0, 200)
	for i := range 200 {
		p, err := s.c.StartInlineCompletion(s.ctx, "file:///m.go", 0, uint32(i%100), completion.Automatic)
		if err != nil {
			t.Fatal(err)
		}
		if i%3 == 0 {
			s.c.Cancel(s.ctx, p.ID)
		}
		pendings = append(pendings, p)
	}
	cancelled := 0
	for _, p := range pendings {
		err := p.Result(s.ctx, nil)
		results = append(results, err)
		if err != nil {
			wantCode(t, "storm", err, -32800)
			cancelled++
		}
	}
	if cancelled == len(pendings) {
		t.Error("every request was cancelled; the last one should have completed")
	}
	if err := results[len(results)-1]; err != nil {
		t.Errorf("the last request (not cancelled, not superseded) failed: %v", err)
	}
	s.finish(t)
}
