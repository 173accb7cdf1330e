package lsptest

// Typed helpers for the methods llmls serves.

import (
	"context"
	"encoding/json"
	"fmt"

	"go.lsp.dev/protocol"

	"github.com/llmls/llmls/completion"
	"github.com/llmls/llmls/lsp"
)

// InitializeParams returns minimal initialize params: the client offers these position
// encodings (none: the LSP default, UTF-16 only) and passes initializationOptions (nil: none).
func InitializeParams(initializationOptions any, encodings ...lsp.PositionEncoding) map[string]any {
	caps := map[string]any{
		"window": map[string]any{"workDoneProgress": true},
		"workspace": map[string]any{
			"applyEdit":     true,
			"workspaceEdit": map[string]any{"documentChanges": true},
		},
		"textDocument": map[string]any{
			"codeAction": map[string]any{
				"dataSupport":    true,
				"resolveSupport": map[string]any{"properties": []string{"edit"}},
			},
		},
	}
	if len(encodings) > 0 {
		caps["general"] = map[string]any{"positionEncodings": encodings}
	}
	p := map[string]any{
		"processId":    nil,
		"rootUri":      nil,
		"capabilities": caps,
		"clientInfo":   map[string]any{"name": "lsptest"},
	}
	if initializationOptions != nil {
		p["initializationOptions"] = initializationOptions
	}
	return p
}

// InitializeResult is the part of the initialize result tests look at; Raw has all of it.
type InitializeResult struct {
	Capabilities struct {
		PositionEncoding         lsp.PositionEncoding             `json:"positionEncoding"`
		TextDocumentSync         protocol.TextDocumentSyncOptions `json:"textDocumentSync"`
		InlineCompletionProvider json.RawMessage                  `json:"inlineCompletionProvider"`
		CodeActionProvider       json.RawMessage                  `json:"codeActionProvider"`
		ExecuteCommandProvider   *protocol.ExecuteCommandOptions  `json:"executeCommandProvider"`
	} `json:"capabilities"`
	ServerInfo struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	} `json:"serverInfo"`
	Raw json.RawMessage `json:"-"`
}

// Initialize sends initialize with params (e.g. from InitializeParams) and, once answered,
// the initialized notification.
func (c *Client) Initialize(ctx context.Context, params any) (*InitializeResult, error) {
	var raw json.RawMessage
	if err := c.Call(ctx, "initialize", params, &raw); err != nil {
		return nil, err
	}
	res := &InitializeResult{Raw: raw}
	if err := json.Unmarshal(raw, res); err != nil {
		return nil, fmt.Errorf("lsptest: decoding initialize result: %w", err)
	}
	return res, c.Notify(ctx, "initialized", struct{}{})
}

// DidOpen sends textDocument/didOpen.
func (c *Client) DidOpen(ctx context.Context, uri, languageID string, version int32, text string) error {
	return c.Notify(ctx, "textDocument/didOpen", map[string]any{"textDocument": map[string]any{
		"uri": uri, "languageId": languageID, "version": version, "text": text}})
}

// ContentChange is one TextDocumentContentChangeEvent: a full-text change when Range is nil.
type ContentChange struct {
	Range *protocol.Range `json:"range,omitempty"`
	Text  string          `json:"text"`
}

// Replace is an incremental change of the range (startLine:startChar)-(endLine:endChar).
func Replace(startLine, startChar, endLine, endChar uint32, text string) ContentChange {
	return ContentChange{Range: &protocol.Range{
		Start: protocol.Position{Line: startLine, Character: startChar},
		End:   protocol.Position{Line: endLine, Character: endChar}}, Text: text}
}

// DidChange sends textDocument/didChange with the changes in order.
func (c *Client) DidChange(ctx context.Context, uri string, version int32, changes ...ContentChange) error {
	return c.Notify(ctx, "textDocument/didChange", map[string]any{
		"textDocument":   map[string]any{"uri": uri, "version": version},
		"contentChanges": changes})
}

// DidClose sends textDocument/didClose.
func (c *Client) DidClose(ctx context.Context, uri string) error {
	return c.Notify(ctx, "textDocument/didClose", map[string]any{"textDocument": map[string]any{"uri": uri}})
}

// InlineCompletionParams builds the params of textDocument/inlineCompletion.
func InlineCompletionParams(uri string, line, character uint32, trigger completion.TriggerKind) lsp.InlineCompletionParams {
	var p lsp.InlineCompletionParams
	p.TextDocument.URI = protocol.DocumentURI(uri)
	p.Position = protocol.Position{Line: line, Character: character}
	p.Context.TriggerKind = trigger
	return p
}

// StartInlineCompletion sends textDocument/inlineCompletion without waiting; see
// DecodeInlineCompletion for the answer.
func (c *Client) StartInlineCompletion(ctx context.Context, uri string, line, character uint32, trigger completion.TriggerKind) (*Pending, error) {
	return c.Go(ctx, lsp.MethodInlineCompletion, InlineCompletionParams(uri, line, character, trigger))
}

// InlineCompletion sends textDocument/inlineCompletion and returns the items, whichever of
// the spec's result forms (InlineCompletionList, InlineCompletionItem[], null) the server used.
func (c *Client) InlineCompletion(ctx context.Context, uri string, line, character uint32, trigger completion.TriggerKind) ([]lsp.InlineCompletionItem, error) {
	p, err := c.StartInlineCompletion(ctx, uri, line, character, trigger)
	if err != nil {
		return nil, err
	}
	var raw json.RawMessage
	if err := p.Result(ctx, &raw); err != nil {
		return nil, err
	}
	return DecodeInlineCompletion(raw)
}

// DecodeInlineCompletion decodes an inline completion result in any of its three forms.
func DecodeInlineCompletion(raw json.RawMessage) ([]lsp.InlineCompletionItem, error) {
	switch s := string(raw); {
	case s == "null":
		return nil, nil
	case len(s) > 0 && s[0] == '[':
		var items []lsp.InlineCompletionItem
		err := json.Unmarshal(raw, &items)
		return items, err
	}
	var list lsp.InlineCompletionList
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, fmt.Errorf("lsptest: inline completion result: %w", err)
	}
	if list.Items == nil {
		return nil, fmt.Errorf("lsptest: inline completion list without items: %s", truncate(string(raw), 200))
	}
	return list.Items, nil
}

// ExecuteCommand sends workspace/executeCommand.
func (c *Client) ExecuteCommand(ctx context.Context, command string, args ...any) error {
	return c.Call(ctx, "workspace/executeCommand", map[string]any{"command": command, "arguments": args}, nil)
}

// Configure sends workspace/didChangeConfiguration with settings.
func (c *Client) Configure(ctx context.Context, settings any) error {
	return c.Notify(ctx, "workspace/didChangeConfiguration", map[string]any{"settings": settings})
}

// Shutdown sends shutdown and waits for its answer.
func (c *Client) Shutdown(ctx context.Context) error {
	return c.Call(ctx, "shutdown", nil, nil)
}

// Exit sends exit. The server then closes the stream (see Done).
func (c *Client) Exit(ctx context.Context) error {
	return c.Notify(ctx, "exit", nil)
}
