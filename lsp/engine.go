package lsp

import (
	"context"
	"encoding/json"

	"github.com/llmls/llmls/completion"
)

// Engine is what the server asks for completions. The lsp package converts every LSP position
// to a byte offset before calling it, so an Engine sees UTF-8 byte offsets only.
//
// Concurrency: DidOpen, DidChange, DidClose and Accepted are called from one goroutine (the
// connection's reader), in the order the client sent the messages, and before any request
// the client sent after them; they must return quickly. Configure, InlineCompletion and the
// CodeActionEngine methods run on goroutines of their own, concurrently with those and with
// each other, so an Engine must be safe for concurrent use.
type Engine interface {
	// Configure applies the client's settings: initializationOptions of initialize, then the
	// settings of each workspace/didChangeConfiguration, as raw JSON (nil or "null" when the
	// client sent none). It may be slow (loading a model); requests that reach the engine
	// after a Configure call wait for it to return. ctx is cancelled when a newer
	// configuration supersedes this one or the server exits; return ctx.Err() then.
	// An error at initialize fails the initialize request (the client shows it); later it is
	// logged and shown to the user with window/showMessage. An error wrapping
	// completion.ErrPartlyApplied (the settings are in use without an adapter or draft model
	// that did not load) fails nothing: it is shown as a warning.
	Configure(ctx context.Context, settings json.RawMessage) error

	// DidOpen reports a document the client opened (textDocument/didOpen), or one whose text
	// became known again after a failed incremental change (see DidClose).
	DidOpen(uri, languageID string, version int32, text string)

	// DidChange reports the new text of a document and the edits that made it from the
	// previous text, in order, each in byte offsets into the text just before it.
	DidChange(uri string, version int32, newText string, edits []completion.Edit)

	// DidClose reports a document the client closed. The server also calls it when an
	// incremental change cannot be applied (a range outside the document): the server no
	// longer knows the text, so the engine must forget it until DidOpen.
	DidClose(uri string)

	// InlineCompletion returns suggestions for req, in byte offsets into req.Text.
	// Each item's [Start, End) must contain req.Offset and lie on the cursor's line (LSP 3.18
	// InlineCompletionItem.range "must begin and end on the same line"); items that break
	// this are dropped and logged. ctx is cancelled by $/cancelRequest, by a newer inline
	// completion request for the same document, or at shutdown; return promptly (ctx.Err()).
	// Results are dropped when the document changed while the engine worked (see the
	// package doc, Staleness).
	InlineCompletion(ctx context.Context, req completion.Request) ([]completion.Item, error)

	// Accepted records that the user accepted the item with this ID (completion.Item.ID): the
	// client ran the item's llmls.accept command, or llm-ls/acceptCompletion. It is called on
	// the reader goroutine, in order with the document notifications, so it must not block.
	Accepted(id string)
}

// CodeAction is one action an engine offers for a selection, such as "Write docstring".
// It is computed cheaply; its edit comes later from ResolveCodeAction.
type CodeAction struct {
	// Title is shown in the editor's menu, e.g. "Write docstring".
	Title string
	// Kind is the LSP CodeActionKind, e.g. "refactor.rewrite" or "source".
	Kind string
	// Data is opaque to the server: it is handed back to ResolveCodeAction unchanged.
	// It must be valid JSON (or nil).
	Data json.RawMessage
}

// CodeActionEngine is implemented by an Engine that offers code actions (the docstring
// writer, issue 10). It is optional: the server advertises codeActionProvider only when the
// Engine implements it.
type CodeActionEngine interface {
	// CodeActions lists the actions for the selection [start, end) of doc.Text (byte offsets;
	// start == end == doc.Offset for a bare cursor). It must be fast: no model call.
	// doc.Trigger is Invoked.
	CodeActions(ctx context.Context, doc completion.Request, start, end int) ([]CodeAction, error)

	// ResolveCodeAction computes the edits of action, which CodeActions returned for the same
	// document version. The edits are in byte offsets into doc.Text, non-overlapping, and all
	// refer to doc.Text as it is (LSP TextEdit semantics, not applied one after another).
	// It may run the model; ctx is cancelled when the client cancels the request.
	ResolveCodeAction(ctx context.Context, doc completion.Request, action CodeAction) ([]completion.Edit, error)
}
