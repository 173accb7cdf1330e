package lsp

// textDocument/codeAction and codeAction/resolve: actions such as "Write docstring" from a
// CodeActionEngine. Listing is cheap; the edit (a model call) is computed only when the user
// picks the action: by codeAction/resolve where the client supports it, else by the
// llmls.applyCodeAction command, which applies the edit with workspace/applyEdit.
// https://microsoft.github.io/language-server-protocol/specifications/lsp/3.17/specification/#textDocument_codeAction
//
// Error policy: listing failures are logged and answered with no actions (the client asks on
// every cursor move); resolve failures are errors (-32803; -32801 when the document changed
// since the action was listed), since the user asked for this one action.

import (
	"context"
	"encoding/json"
	"fmt"

	"go.lsp.dev/protocol"

	"github.com/llmls/llmls/completion"
)

// codeActionData travels in CodeAction.data (or the command's argument) from the listing to
// the resolve.
type codeActionData struct {
	URI     string          `json:"uri"`
	Version int32           `json:"version"`
	Start   int             `json:"start"` // selection, byte offsets into that version
	End     int             `json:"end"`
	Title   string          `json:"title"`
	Kind    string          `json:"kind"`
	Engine  json.RawMessage `json:"engine,omitempty"` // CodeAction.Data
}

func (s *server) codeAction(ctx context.Context, params json.RawMessage) (*asyncCall, error) {
	var p struct {
		TextDocument protocol.TextDocumentIdentifier `json:"textDocument"`
		Range        protocol.Range                  `json:"range"`
	}
	if err := decodeParams("textDocument/codeAction", params, &p); err != nil {
		return nil, err
	}
	none := []protocol.CodeAction{}
	if s.actions == nil {
		return answer(none), nil
	}
	snap, err := s.docs.get(string(p.TextDocument.URI))
	if err == nil {
		var start, end int
		if start, end, err = snap.RangeOffsets(p.Range); err == nil {
			doc := completion.Request{URI: snap.URI, LanguageID: snap.LanguageID, Version: snap.Version,
				Text: snap.Text(), Offset: start, Trigger: completion.Invoked}
			return &asyncCall{noWait: true, run: func(ctx context.Context) (any, error) {
				return s.listCodeActions(ctx, doc, start, end), nil
			}}, nil
		}
	}
	s.log.Warn("lsp: no code actions", "error", err)
	return answer(none), nil
}

func (s *server) listCodeActions(ctx context.Context, doc completion.Request, start, end int) []protocol.CodeAction {
	actions, err := s.actions.CodeActions(ctx, doc, start, end)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("lsp: engine failed to list code actions", "uri", doc.URI, "error", err)
		}
		return []protocol.CodeAction{}
	}
	s.mu.Lock()
	resolve := s.caps.resolvesCodeActionEdits()
	s.mu.Unlock()
	out := make([]protocol.CodeAction, 0, len(actions))
	for _, a := range actions {
		data := codeActionData{URI: doc.URI, Version: doc.Version, Start: start, End: end, Title: a.Title, Kind: a.Kind, Engine: a.Data}
		ca := protocol.CodeAction{Title: a.Title, Kind: protocol.CodeActionKind(a.Kind)}
		if resolve {
			ca.Data = data
		} else {
			ca.Command = &protocol.Command{Title: a.Title, Command: CommandApplyCodeAction, Arguments: []any{data}}
		}
		out = append(out, ca)
	}
	return out
}

// resolveCodeAction fills in the edit of an action that codeAction listed.
func (s *server) resolveCodeAction(ctx context.Context, params json.RawMessage) (*asyncCall, error) {
	var p struct {
		Title string          `json:"title"`
		Kind  string          `json:"kind"`
		Data  json.RawMessage `json:"data"`
	}
	if err := decodeParams("codeAction/resolve", params, &p); err != nil {
		return nil, err
	}
	data, doc, snap, err := s.codeActionTarget(p.Data)
	if err != nil {
		return nil, err
	}
	return &asyncCall{run: func(ctx context.Context) (any, error) {
		edit, err := s.codeActionEdit(ctx, data, doc, snap)
		if err != nil {
			return nil, err
		}
		var action map[string]json.RawMessage
		if err := json.Unmarshal(params, &action); err != nil {
			return nil, rpcErrorf(CodeInvalidParams, "codeAction/resolve: %v", err)
		}
		action["edit"], _ = json.Marshal(edit)
		return action, nil
	}}, nil
}

// applyCodeActionCommand computes an action's edit and asks the client to apply it.
func (s *server) applyCodeActionCommand(ctx context.Context, arg json.RawMessage) (*asyncCall, error) {
	data, doc, snap, err := s.codeActionTarget(arg)
	if err != nil {
		return nil, err
	}
	return &asyncCall{run: func(ctx context.Context) (any, error) {
		edit, err := s.codeActionEdit(ctx, data, doc, snap)
		if err != nil {
			return nil, err
		}
		var res protocol.ApplyWorkspaceEditResponse
		if _, err := s.conn.Call(ctx, "workspace/applyEdit", map[string]any{"label": data.Title, "edit": edit}, &res); err != nil {
			return nil, fmt.Errorf("lsp: workspace/applyEdit: %w", err)
		}
		if !res.Applied {
			return nil, fmt.Errorf("lsp: the client did not apply %q: %s", data.Title, res.FailureReason)
		}
		return nil, nil
	}}, nil
}

// codeActionTarget decodes an action's data and checks that its document version is current.
func (s *server) codeActionTarget(raw json.RawMessage) (codeActionData, completion.Request, snapshot, error) {
	var data codeActionData
	if len(raw) == 0 || json.Unmarshal(raw, &data) != nil || data.URI == "" {
		return data, completion.Request{}, snapshot{}, rpcErrorf(CodeInvalidParams, "code action data is missing or not from this server: %s", truncate(string(raw), 80))
	}
	snap, err := s.docs.get(data.URI)
	if err != nil {
		return data, completion.Request{}, snapshot{}, withCode(CodeRequestFailed, err)
	}
	if snap.Version != data.Version {
		return data, completion.Request{}, snapshot{}, rpcErrorf(CodeContentModified, "%s changed since the action was offered (version %d, now %d)", data.URI, data.Version, snap.Version)
	}
	doc := completion.Request{URI: snap.URI, LanguageID: snap.LanguageID, Version: snap.Version,
		Text: snap.Text(), Offset: data.Start, Trigger: completion.Invoked}
	return data, doc, snap, nil
}

// codeActionEdit runs the engine and converts its edits to a WorkspaceEdit that carries the
// document version, so that a client whose text moved on rejects it instead of applying it
// to the wrong text.
func (s *server) codeActionEdit(ctx context.Context, data codeActionData, doc completion.Request, snap snapshot) (*protocol.WorkspaceEdit, error) {
	if s.actions == nil {
		return nil, rpcErrorf(CodeInvalidRequest, "this server offers no code actions")
	}
	edits, err := s.actions.ResolveCodeAction(ctx, doc, CodeAction{Title: data.Title, Kind: data.Kind, Data: data.Engine})
	if err != nil {
		return nil, withCode(CodeRequestFailed, fmt.Errorf("%s: %w", data.Title, err))
	}
	textEdits := make([]protocol.TextEdit, 0, len(edits))
	for _, e := range edits {
		r, err := snap.OffsetsRange(e.Start, e.End)
		if err != nil {
			return nil, rpcErrorf(CodeInternalError, "engine returned an invalid edit for %q: %v", data.Title, err)
		}
		textEdits = append(textEdits, protocol.TextEdit{Range: r, NewText: e.Text})
	}
	s.mu.Lock()
	versioned := s.caps.Workspace.WorkspaceEdit.DocumentChanges
	s.mu.Unlock()
	uri := protocol.DocumentURI(data.URI)
	if !versioned {
		return &protocol.WorkspaceEdit{Changes: map[protocol.DocumentURI][]protocol.TextEdit{uri: textEdits}}, nil
	}
	version := snap.Version
	return &protocol.WorkspaceEdit{DocumentChanges: []protocol.TextDocumentEdit{{
		TextDocument: protocol.OptionalVersionedTextDocumentIdentifier{
			TextDocumentIdentifier: protocol.TextDocumentIdentifier{URI: uri}, Version: &version},
		Edits: textEdits,
	}}}, nil
}
