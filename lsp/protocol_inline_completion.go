package lsp

// LSP 3.18 inline completion types. go.lsp.dev/protocol v0.12.0 predates LSP 3.18, so they are
// defined here, field for field as the specification spells them.
// https://microsoft.github.io/language-server-protocol/specifications/lsp/3.18/specification/#textDocument_inlineCompletion

import (
	"bytes"
	"encoding/json"
	"errors"

	"go.lsp.dev/protocol"

	"github.com/llmls/llmls/completion"
)

// MethodInlineCompletion is the method name of the inline completion request.
const MethodInlineCompletion = "textDocument/inlineCompletion"

// InlineCompletionOptions is the server capability inlineCompletionProvider.
//
// @since 3.18.0 https://microsoft.github.io/language-server-protocol/specifications/lsp/3.18/specification/#inlineCompletionOptions
type InlineCompletionOptions struct {
	WorkDoneProgress bool `json:"workDoneProgress,omitempty"`
}

// InlineCompletionParams are the params of textDocument/inlineCompletion. Position counts
// characters in the negotiated position encoding.
//
// @since 3.18.0 https://microsoft.github.io/language-server-protocol/specifications/lsp/3.18/specification/#inlineCompletionParams
type InlineCompletionParams struct {
	protocol.TextDocumentPositionParams
	// WorkDoneToken is an optional token (integer | string) for work done progress.
	WorkDoneToken json.RawMessage `json:"workDoneToken,omitempty"`
	// Context says how the request was triggered.
	Context InlineCompletionContext `json:"context"`
}

// InlineCompletionTriggerKind says how an inline completion was triggered: Invoked (1) or
// Automatic (2). It is the engine's completion.TriggerKind, whose values are the spec's.
//
// @since 3.18.0 https://microsoft.github.io/language-server-protocol/specifications/lsp/3.18/specification/#inlineCompletionTriggerKind
type InlineCompletionTriggerKind = completion.TriggerKind

// InlineCompletionContext says in which context an inline completion was requested.
//
// @since 3.18.0 https://microsoft.github.io/language-server-protocol/specifications/lsp/3.18/specification/#inlineCompletionContext
type InlineCompletionContext struct {
	TriggerKind InlineCompletionTriggerKind `json:"triggerKind"`
	// SelectedCompletionInfo describes the item selected in the completion widget, if one is
	// visible; inline completions must then extend its text and use its range.
	SelectedCompletionInfo *SelectedCompletionInfo `json:"selectedCompletionInfo,omitempty"`
}

// SelectedCompletionInfo describes the currently selected completion item.
//
// @since 3.18.0 https://microsoft.github.io/language-server-protocol/specifications/lsp/3.18/specification/#selectedCompletionInfo
type SelectedCompletionInfo struct {
	// Range will be replaced if this completion item is accepted.
	Range protocol.Range `json:"range"`
	// Text replaces Range if this completion item is accepted.
	Text string `json:"text"`
}

// InlineCompletionList is the result of textDocument/inlineCompletion (the spec also allows
// InlineCompletionItem[] and null; this server always answers with a list).
//
// @since 3.18.0 https://microsoft.github.io/language-server-protocol/specifications/lsp/3.18/specification/#inlineCompletionList
type InlineCompletionList struct {
	Items []InlineCompletionItem `json:"items"`
}

// InlineCompletionItem is one suggestion shown as ghost text.
//
// @since 3.18.0 https://microsoft.github.io/language-server-protocol/specifications/lsp/3.18/specification/#inlineCompletionItem
type InlineCompletionItem struct {
	// InsertText replaces Range (string | StringValue).
	InsertText InlineCompletionInsertText `json:"insertText"`
	// FilterText decides whether the item is still shown while the user types; when empty
	// InsertText is used.
	FilterText string `json:"filterText,omitempty"`
	// Range is replaced by InsertText; it must begin and end on the same line. When nil the
	// client inserts at the cursor.
	Range *protocol.Range `json:"range,omitempty"`
	// Command runs after the item is inserted (this server: llmls.accept with the item ID).
	Command *protocol.Command `json:"command,omitempty"`
}

// InlineCompletionInsertText is the union string | StringValue of
// InlineCompletionItem.insertText: exactly one of Text and Snippet is used, Snippet when it is
// not nil.
//
// @since 3.18.0 https://microsoft.github.io/language-server-protocol/specifications/lsp/3.18/specification/#inlineCompletionItem
type InlineCompletionInsertText struct {
	Text    string
	Snippet *StringValue
}

// MarshalJSON writes a JSON string, or a StringValue object when Snippet is set.
func (t InlineCompletionInsertText) MarshalJSON() ([]byte, error) {
	if t.Snippet != nil {
		return json.Marshal(t.Snippet)
	}
	return json.Marshal(t.Text)
}

// UnmarshalJSON reads either member of the union.
func (t *InlineCompletionInsertText) UnmarshalJSON(data []byte) error {
	if c := firstByte(data); c == '"' {
		*t = InlineCompletionInsertText{}
		return json.Unmarshal(data, &t.Text)
	} else if c == '{' {
		var v StringValue
		dec := json.NewDecoder(bytes.NewReader(data))
		if err := dec.Decode(&v); err != nil {
			return err
		}
		*t = InlineCompletionInsertText{Snippet: &v}
		return nil
	}
	return errors.New("lsp: insertText is neither a string nor a StringValue")
}

// StringValue is a snippet string: a template with tab stops ($1, ${2:default}) and
// placeholders, as in completion snippets.
//
// @since 3.18.0 https://microsoft.github.io/language-server-protocol/specifications/lsp/3.18/specification/#stringValue
type StringValue struct {
	// Kind is always "snippet".
	Kind string `json:"kind"`
	// Value is the snippet string.
	Value string `json:"value"`
}
