package completion

// TriggerKind says why the editor asked for an inline completion.
// Values match LSP 3.18 InlineCompletionTriggerKind.
// https://microsoft.github.io/language-server-protocol/specifications/lsp/3.18/specification/#inlineCompletionTriggerKind
type TriggerKind int

const (
	// Invoked: the user asked explicitly (a key binding or a command). No debounce; several items.
	Invoked TriggerKind = 1
	// Automatic: the editor asked while the user typed. Debounced; one item.
	Automatic TriggerKind = 2
)

// Request is one inline completion request, expressed in byte offsets into the UTF-8 document
// text. The lsp package converts LSP positions (UTF-16 or UTF-8 code units) to byte offsets
// once, at the edge; nothing in completion sees UTF-16.
type Request struct {
	URI        string      // document URI as the client sent it
	LanguageID string      // LSP language identifier ("go", "python", ...)
	Version    int32       // document version the request was made against
	Text       string      // the whole document, UTF-8, as of Version
	Offset     int         // cursor, byte offset into Text, 0 <= Offset <= len(Text)
	Trigger    TriggerKind // Invoked or Automatic
}

// Item is one suggestion. Text replaces Text[Start:End] of the request's document
// (byte offsets, Start <= Offset <= End); for a plain insertion Start == End == Offset.
type Item struct {
	Text  string
	Start int // byte offset, inclusive
	End   int // byte offset, exclusive
	// ID identifies the item for accept/reject bookkeeping (workspace/executeCommand); may be empty.
	ID string
}

// Edit is one text change in byte offsets: Text replaces [Start, End) of the document as it was
// just before this edit. A didChange notification becomes a list of Edits applied in order.
type Edit struct {
	Start int // byte offset, inclusive
	End   int // byte offset, exclusive
	Text  string
}
