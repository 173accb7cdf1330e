// Package lsp is llmls's Language Server Protocol layer: JSON-RPC 2.0 over a byte stream, the
// LSP lifecycle, the store of open documents, position conversion, and one handler per LSP
// method. It turns editor requests into calls to an [Engine] expressed in byte offsets, and the
// engine's answers back into LSP.
//
// # Layers
//
//	stream.go            transport: base protocol framing under go.lsp.dev/jsonrpc2; answers
//	                     malformed input itself (-32700, -32600) and keeps reading
//	serve.go             dispatch: lifecycle gate, sync/async handlers, replies, cancellation
//	general.go ...       one file per feature (general, text_synchronization,
//	                     inline_completion, code_action, execute_command, configuration,
//	                     cancel, llm_ls, unimplemented), each handler short
//	documents.go         the document store and its immutable snapshots
//	mapper.go            [Mapper]: LSP positions (UTF-16 or UTF-8 code units) <-> byte offsets
//	engine.go            [Engine], [CodeActionEngine]: the completion engine as lsp sees it
//
// Imports point down: lsp imports completion (for Request, Item, Edit), go.lsp.dev/protocol
// and go.lsp.dev/jsonrpc2 v0.10.0; nothing of ours imports lsp but cmd/llmls and tests.
// [Serve] is the entry point; lsp/lsptest is a client for tests.
//
// # Methods
//
// initialize (negotiates positionEncoding: utf-8 when the client offers it, else utf-16;
// advertises incremental textDocumentSync with openClose, inlineCompletionProvider,
// executeCommandProvider, and codeActionProvider when the engine is a [CodeActionEngine]),
// initialized, shutdown, exit, textDocument/didOpen|didChange|didClose,
// textDocument/inlineCompletion (LSP 3.18, types in protocol_inline_completion.go),
// textDocument/codeAction, codeAction/resolve, workspace/executeCommand (llmls.accept,
// llmls.applyCodeAction), workspace/didChangeConfiguration, $/cancelRequest, and llm-ls's
// llm-ls/getCompletions, llm-ls/acceptCompletion, llm-ls/rejectCompletion.
//
// # Ordering and concurrency
//
// Messages are handled on the connection's reader goroutine in arrival order. Notifications
// (didOpen, didChange, didClose, didChangeConfiguration, $/cancelRequest) take effect before
// the next message is read. A request that needs the engine takes an immutable snapshot of
// its document and converts its positions there, then runs on its own goroutine, so that
// $/cancelRequest (or a newer completion request for the same document, or shutdown) can
// cancel it; it then answers -32800 RequestCancelled. Engine.Configure (a model load, maybe)
// runs on its own goroutine too; requests that arrive after a configuration change wait for
// it before they call the engine.
//
// # Staleness
//
// A completion computed for a document version that is no longer current is dropped (the
// answer is an empty list), never remapped: its byte offsets refer to a text the client no
// longer has and could point past the end of the current one, and the client asks again for
// the current text anyway.
//
// # Errors
//
// Per method (cf. gopls doc/design/integrating.md § Errors), so that the editor never shows
// an error popup per keystroke:
//
//   - textDocument/inlineCompletion, llm-ls/getCompletions: an unknown document, a position
//     outside the document, an engine error, an invalid engine item and a stale result are
//     logged and answered with an empty result. Errors only for params that do not decode
//     (-32602, e.g. a triggerKind other than 1 or 2) and for cancellation (-32800).
//   - textDocument/codeAction: like completion (the client asks on every cursor move).
//   - codeAction/resolve, workspace/executeCommand: the user asked for this one thing, so
//     failures are errors: -32602 for bad params or an unknown command, -32801
//     ContentModified when the document changed since the action was offered, -32803
//     RequestFailed when the engine fails, -32800 on cancellation.
//   - Notifications cannot be answered: a bad didChange range, an unknown document or bad
//     params are logged at Error level (so also sent as window/logMessage). After a bad
//     didChange the document's text counts as unknown until a full-text change (see
//     text_synchronization.go).
//   - Lifecycle: a request before the initialize answer gets -32002 ServerNotInitialized
//     (notifications are dropped, exit excepted); a request after shutdown gets -32600
//     InvalidRequest; an unknown method -32601; a panic in a handler -32603 and an Error log.
//   - Transport: a body that is not JSON gets -32700 with id null; JSON that is not a
//     JSON-RPC 2.0 request gets -32600; both keep the connection open.
//
// Logs go to [Options].Logger (stderr for llmls --stdio) and, from Info up by default, to the
// client as window/logMessage. Nothing but protocol messages is written to the stream.
package lsp
