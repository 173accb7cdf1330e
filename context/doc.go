// Package codectx gives the completion engine the syntax around the cursor: it keeps a
// tree-sitter syntax tree for each open document, updated incrementally from the edits of
// textDocument/didChange, and answers questions about a cursor position from that tree.
//
// The folder is named context, as the design card requires; the package is named codectx so
// that it does not shadow the standard library's context.
//
// Principal types:
//   - [Language]: the registry entry of a grammar (LSP languageId and file extensions →
//     tree-sitter grammar and its embedded queries); [PlainText] for everything else.
//   - [Workspace]: the concurrency-safe set of open (and recently closed) documents, fed by
//     [Workspace.Open], [Workspace.Change] and [Workspace.Close].
//   - [Snapshot]: one immutable version of one document (text, version, language, tree), safe
//     to use from any goroutine while edits continue.
//   - [CursorContext]: what [Workspace.Context] gathers for a cursor: enclosing [Scope]s,
//     [Import]s, [Definition]s of identifiers used near the cursor, and cross-file
//     [Snippet]s ranked by Jaccard similarity.
//   - [CompletionType]: whether a completion at the cursor should be none, one line or
//     several lines ([CompletionTypeAt]).
//   - [TruncateCompletion]: where a model's candidate should be cut, decided by parsing the
//     document with the candidate inserted.
//
// Positions are byte offsets into the UTF-8 text, and tree-sitter rows/columns count bytes;
// UTF-16 never enters this package (the lsp package converts once, at the edge).
//
// The tree-sitter binding is github.com/smacker/go-tree-sitter; grammars and query files are
// listed in language.go and queries/.
package codectx
