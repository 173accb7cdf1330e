// Package codectx gives the completion engine the syntax around the cursor: it keeps a
// tree-sitter syntax tree for each open document, updated incrementally from the edits of
// textDocument/didChange, and answers questions about a cursor position from that tree.
//
// The folder is named context, as the design card requires; the package is named codectx so
// that it does not shadow the standard library's context. It imports nothing of ours.
//
// Principal types:
//   - [Language]: the registry entry of a grammar (LSP languageId and file extensions →
//     tree-sitter grammar and its embedded queries, queries/<grammar>/<purpose>.scm);
//     [PlainText] for everything else.
//   - [Workspace]: the concurrency-safe set of open (and recently closed) documents, fed by
//     [Workspace.Open], [Workspace.Change] and [Workspace.Close].
//   - [Snapshot]: one immutable version of one document (text, version, language, tree),
//     safe to use from any goroutine while edits continue.
//   - [CursorContext]: what [Workspace.Context] gathers for a cursor: enclosing [Scope]s,
//     [Import]s, [Definition]s of identifiers used near the cursor, and cross-file
//     [Snippet]s ranked by Jaccard similarity.
//   - [CompletionType]: whether a completion at the cursor should be none, one line or
//     several lines ([CompletionTypeAt]).
//   - [TruncateCompletion]: where a model's candidate should be cut, decided by parsing the
//     document with the candidate inserted.
//   - [DocTarget]: the declaration at a selection that can take a docstring, what the
//     docstring must name and exactly where it goes in the language's convention
//     ([FindDocTarget]).
//
// Time budgets. Change reparses incrementally within [Options.KeystrokeBudget] (2 ms). When
// tree-sitter needs longer — its error recovery after an unclosed bracket reparses the rest
// of a large file, hundreds of milliseconds — the snapshot keeps the previous tree edited to
// the new text ([Snapshot.Stale]: offsets right, syntax at the edit approximate) and a
// background goroutine finishes the parse ([Workspace.WaitParsed]). A parse that runs out of
// [Options.ParseBudget] leaves the document as plain text, retried with backoff. No
// keystroke parses a document from scratch.
//
// The definition index (definitions and imports) is maintained incrementally too: only the
// text that changed since the last index, and the ranges whose syntax changed, are queried
// again; while the tree is broken, definitions of unchanged text are carried over.
//
// Positions are byte offsets into the UTF-8 text, and tree-sitter rows/columns count bytes;
// UTF-16 never enters this package (the lsp package converts once, at the edge).
//
// The tree-sitter binding is github.com/smacker/go-tree-sitter; a small cgo shim
// (treeedit.go) calls the few C functions it does not expose or gets wrong
// (ts_tree_edit with the new end point, ts_tree_get_changed_ranges,
// ts_query_cursor_set_max_start_depth).
package codectx
