package lsp

// Cancellation: $/cancelRequest, a newer completion request for the same document, and
// shutdown cancel a request's ctx (context.WithCancelCause); the request then answers -32800
// RequestCancelled, sent on a context.WithoutCancel ctx (startAsync).
// https://microsoft.github.io/language-server-protocol/specifications/lsp/3.17/specification/#cancelRequest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"go.lsp.dev/jsonrpc2"
)

// Cancellation causes, reported in the -32800 message.
var (
	errCancelledByClient = errors.New("cancelled by the client ($/cancelRequest)")
	errShutdown          = errors.New("server shutting down")
)

// inflight tracks the requests whose async part is running.
type inflight struct {
	mu    sync.Mutex // guards the fields below
	calls map[jsonrpc2.ID]inflightCall
	byKey map[string]jsonrpc2.ID // supersede key -> the newest request with that key
}

type inflightCall struct {
	cancel context.CancelCauseFunc
	key    string
}

func newInflight() *inflight {
	return &inflight{calls: make(map[jsonrpc2.ID]inflightCall), byKey: make(map[string]jsonrpc2.ID)}
}

// add registers a request; false if its id is already in flight.
func (f *inflight) add(id jsonrpc2.ID, cancel context.CancelCauseFunc) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, dup := f.calls[id]; dup {
		return false
	}
	f.calls[id] = inflightCall{cancel: cancel}
	return true
}

// supersede gives id the key and cancels the older request with the same key, if any.
func (f *inflight) supersede(id jsonrpc2.ID, key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if old, ok := f.byKey[key]; ok && old != id {
		if c, ok := f.calls[old]; ok {
			c.cancel(fmt.Errorf("superseded by request %v for the same document", id))
		}
	}
	f.byKey[key] = id
	c := f.calls[id]
	c.key = key
	f.calls[id] = c
}

// remove forgets a finished request.
func (f *inflight) remove(id jsonrpc2.ID) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.calls[id]
	if !ok {
		return
	}
	delete(f.calls, id)
	if c.key != "" && f.byKey[c.key] == id {
		delete(f.byKey, c.key)
	}
}

// cancel cancels one request; false if it is not in flight (already answered, or unknown).
func (f *inflight) cancel(id jsonrpc2.ID, cause error) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.calls[id]
	if ok {
		c.cancel(cause)
	}
	return ok
}

// cancelAll cancels every request in flight.
func (f *inflight) cancelAll(cause error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.calls {
		c.cancel(cause)
	}
}

// cancelRequest handles $/cancelRequest. An id not in flight is ignored: its answer is
// already on the way (LSP 3.17 § Cancellation Support).
func (s *server) cancelRequest(ctx context.Context, params json.RawMessage) error {
	var p struct {
		ID json.RawMessage `json:"id"`
	}
	if err := decodeParams("$/cancelRequest", params, &p); err != nil {
		return err
	}
	id, ok := parseID(p.ID)
	if !ok {
		return rpcErrorf(CodeInvalidParams, "$/cancelRequest: id %s is not an integer or string", truncate(string(p.ID), 40))
	}
	if !s.inflight.cancel(id, errCancelledByClient) {
		s.log.Debug("lsp: $/cancelRequest for a request not in flight", "id", id)
	}
	return nil
}
