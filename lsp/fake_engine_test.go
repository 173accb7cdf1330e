package lsp_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/llmls/llmls/completion"
	"github.com/llmls/llmls/lsp"
	"github.com/llmls/llmls/lsp/lsptest"
)

// fakeEngine records every call and answers deterministically. It keeps its own copy of each
// document, built only from DidOpen and the byte-offset edits of DidChange, and records a
// mismatch when applying the edits does not give the newText the server sent: that checks
// the edits independently of the server's own text.
type fakeEngine struct {
	mu         sync.Mutex
	calls      []string             // "Configure <json>", "DidOpen uri v", ...
	texts      map[string]string    // uri -> text rebuilt from edits
	versions   map[string]int32     // uri -> version
	mismatches []string             // edits that did not rebuild newText
	requests   []completion.Request // InlineCompletion calls
	accepted   []string             // Accepted ids
	settings   []json.RawMessage    // Configure calls
	complete   func(ctx context.Context, req completion.Request) ([]completion.Item, error)
	configure  func(ctx context.Context, settings json.RawMessage) error
	entered    chan completion.Request // if not nil, each InlineCompletion call is sent here first
}

func newFakeEngine() *fakeEngine {
	return &fakeEngine{texts: map[string]string{}, versions: map[string]int32{}}
}

func (e *fakeEngine) record(format string, args ...any) {
	e.calls = append(e.calls, fmt.Sprintf(format, args...))
}

func (e *fakeEngine) Configure(ctx context.Context, settings json.RawMessage) error {
	e.mu.Lock()
	e.settings = append(e.settings, settings)
	e.record("Configure %s", settings)
	f := e.configure
	e.mu.Unlock()
	if f != nil {
		return f(ctx, settings)
	}
	return nil
}

func (e *fakeEngine) DidOpen(uri, languageID string, version int32, text string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.record("DidOpen %s %s %d", uri, languageID, version)
	e.texts[uri] = text
	e.versions[uri] = version
}

func (e *fakeEngine) DidChange(uri string, version int32, newText string, edits []completion.Edit) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.record("DidChange %s %d", uri, version)
	text, ok := e.texts[uri]
	if !ok {
		e.mismatches = append(e.mismatches, "DidChange of a document the engine does not have: "+uri)
	}
	for _, ed := range edits {
		if ed.Start < 0 || ed.Start > ed.End || ed.End > len(text) {
			e.mismatches = append(e.mismatches, fmt.Sprintf("edit [%d,%d) outside text of %d bytes", ed.Start, ed.End, len(text)))
			return
		}
		text = text[:ed.Start] + ed.Text + text[ed.End:]
	}
	if text != newText {
		e.mismatches = append(e.mismatches, fmt.Sprintf("edits give %q, newText is %q", text, newText))
	}
	e.texts[uri] = newText
	e.versions[uri] = version
}

func (e *fakeEngine) DidClose(uri string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.record("DidClose %s", uri)
	delete(e.texts, uri)
}

func (e *fakeEngine) InlineCompletion(ctx context.Context, req completion.Request) ([]completion.Item, error) {
	e.mu.Lock()
	e.requests = append(e.requests, req)
	e.record("InlineCompletion %s v%d @%d", req.URI, req.Version, req.Offset)
	f, entered := e.complete, e.entered
	e.mu.Unlock()
	if entered != nil {
		entered <- req
	}
	if f != nil {
		return f(ctx, req)
	}
	return []completion.Item{{Text: "/*fake*/", Start: req.Offset, End: req.Offset, ID: fmt.Sprintf("v%d@%d", req.Version, req.Offset)}}, nil
}

func (e *fakeEngine) Accepted(id string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.accepted = append(e.accepted, id)
	e.record("Accepted %s", id)
}

func (e *fakeEngine) snapshot() (calls, mismatches []string, requests []completion.Request, accepted []string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.calls...), append([]string(nil), e.mismatches...),
		append([]completion.Request(nil), e.requests...), append([]string(nil), e.accepted...)
}

func (e *fakeEngine) text(uri string) (string, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	t, ok := e.texts[uri]
	return t, ok
}

// fakeActionEngine adds code actions: one "Write docstring" action for any selection, whose
// edit inserts "// doc\n" at the start of the selection's line.
type fakeActionEngine struct {
	*fakeEngine
	resolve func(ctx context.Context, doc completion.Request, a lsp.CodeAction) ([]completion.Edit, error)
}

func (e *fakeActionEngine) CodeActions(ctx context.Context, doc completion.Request, start, end int) ([]lsp.CodeAction, error) {
	e.mu.Lock()
	e.record("CodeActions %s [%d,%d)", doc.URI, start, end)
	e.mu.Unlock()
	data, _ := json.Marshal(map[string]int{"start": start})
	return []lsp.CodeAction{{Title: "Write docstring", Kind: "refactor.rewrite", Data: data}}, nil
}

func (e *fakeActionEngine) ResolveCodeAction(ctx context.Context, doc completion.Request, a lsp.CodeAction) ([]completion.Edit, error) {
	e.mu.Lock()
	e.record("ResolveCodeAction %s %s %s", doc.URI, a.Title, a.Data)
	e.mu.Unlock()
	if e.resolve != nil {
		return e.resolve(ctx, doc, a)
	}
	var d struct{ Start int }
	if err := json.Unmarshal(a.Data, &d); err != nil {
		return nil, err
	}
	lineStart := d.Start
	for lineStart > 0 && doc.Text[lineStart-1] != '\n' {
		lineStart--
	}
	return []completion.Edit{{Start: lineStart, End: lineStart, Text: "// doc\n"}}, nil
}

type (
	lsptestChange = lsptest.ContentChange
	pendingCall   = lsptest.Pending
)
