package lsp

// Text synchronization: textDocument/didOpen, didChange (full and incremental) and didClose.
// https://microsoft.github.io/language-server-protocol/specifications/lsp/3.17/specification/#textDocument_synchronization
//
// These run on the reader goroutine, so every request that arrives after a change sees it.
// A change whose range does not fit the document is an error (logged and sent as
// window/logMessage); the document's text is then unknown, the engine is told to forget it
// (DidClose), and requests on it get empty results until a full-text change or didOpen: the
// server never completes against text it knows to be wrong.

import (
	"context"
	"encoding/json"

	"go.lsp.dev/protocol"
)

func (s *server) didOpen(ctx context.Context, params json.RawMessage) error {
	var p protocol.DidOpenTextDocumentParams
	if err := decodeParams("textDocument/didOpen", params, &p); err != nil {
		return err
	}
	d := p.TextDocument
	if s.docs.open(string(d.URI), string(d.LanguageID), d.Version, d.Text) {
		s.log.Warn("lsp: didOpen of a document already open; replacing its text", "uri", d.URI)
	}
	s.engine.DidOpen(string(d.URI), string(d.LanguageID), d.Version, d.Text)
	return nil
}

func (s *server) didChange(ctx context.Context, params json.RawMessage) error {
	var p struct {
		TextDocument   protocol.VersionedTextDocumentIdentifier `json:"textDocument"`
		ContentChanges []contentChange                          `json:"contentChanges"`
	}
	if err := decodeParams("textDocument/didChange", params, &p); err != nil {
		return err
	}
	uri := string(p.TextDocument.URI)
	res, err := s.docs.change(uri, p.TextDocument.Version, p.ContentChanges)
	switch {
	case res.snap.Mapper == nil: // not open
	case res.known && res.broken:
		s.engine.DidOpen(uri, res.snap.LanguageID, res.snap.Version, res.snap.Text())
	case res.known:
		s.engine.DidChange(uri, res.snap.Version, res.snap.Text(), res.edits)
	case res.wasKnown:
		s.engine.DidClose(uri)
	}
	if err != nil {
		return withCode(CodeInvalidParams, err)
	}
	return nil
}

func (s *server) didClose(ctx context.Context, params json.RawMessage) error {
	var p protocol.DidCloseTextDocumentParams
	if err := decodeParams("textDocument/didClose", params, &p); err != nil {
		return err
	}
	uri := string(p.TextDocument.URI)
	if err := s.docs.close(uri); err != nil {
		return err
	}
	s.engine.DidClose(uri)
	return nil
}
