package lsp

// textDocument/inlineCompletion (LSP 3.18): ghost text at the cursor.
// https://microsoft.github.io/language-server-protocol/specifications/lsp/3.18/specification/#textDocument_inlineCompletion

import (
	"context"
	"encoding/json"
	"fmt"

	"go.lsp.dev/protocol"

	"github.com/llmls/llmls/completion"
)

// inlineCompletion snapshots the document and converts the position on the reader goroutine,
// then asks the engine on its own goroutine. Error policy: only params that do not decode
// (-32602) and cancellation (-32800) are errors; everything else is logged and answered with
// an empty list, so the editor never shows an error per keystroke.
func (s *server) inlineCompletion(ctx context.Context, params json.RawMessage) (*asyncCall, error) {
	var p InlineCompletionParams
	if err := decodeParams(MethodInlineCompletion, params, &p); err != nil {
		return nil, err
	}
	if k := p.Context.TriggerKind; k != completion.Invoked && k != completion.Automatic {
		return nil, rpcErrorf(CodeInvalidParams, "%s: context.triggerKind is %d, want 1 (Invoked) or 2 (Automatic)", MethodInlineCompletion, k)
	}
	empty := InlineCompletionList{Items: []InlineCompletionItem{}}
	req, snap, err := s.completionRequest(string(p.TextDocument.URI), p.Position, p.Context.TriggerKind)
	if err != nil {
		s.log.Warn("lsp: no inline completion", "error", err)
		return answer(empty), nil
	}
	return &asyncCall{supersede: "complete " + snap.URI, run: func(ctx context.Context) (any, error) {
		items, err := s.engine.InlineCompletion(ctx, req)
		switch {
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case err != nil:
			s.log.Warn("lsp: engine failed; answering no inline completion", "uri", snap.URI, "error", err)
			return empty, nil
		case !s.docs.current(snap):
			// Staleness: the engine's byte offsets refer to a text the client no longer has, and
			// could point past the end of the current one. Drop rather than remap: the client
			// has moved on and asks again for the current text.
			s.log.Debug("lsp: dropping inline completions for an outdated version", "uri", snap.URI, "version", snap.Version)
			return empty, nil
		}
		return InlineCompletionList{Items: s.inlineItems(req, snap, items)}, nil
	}}, nil
}

// completionRequest builds the engine's request from a snapshot of uri, converting pos.
func (s *server) completionRequest(uri string, pos protocol.Position, trigger completion.TriggerKind) (completion.Request, snapshot, error) {
	snap, err := s.docs.get(uri)
	if err != nil {
		return completion.Request{}, snapshot{}, err
	}
	offset, err := snap.PositionOffset(pos)
	if err != nil {
		return completion.Request{}, snapshot{}, fmt.Errorf("%s version %d: %w", uri, snap.Version, err)
	}
	return completion.Request{URI: uri, LanguageID: snap.LanguageID, Version: snap.Version,
		Text: snap.Text(), Offset: offset, Trigger: trigger}, snap, nil
}

// inlineItems converts the engine's items; an item that breaks the Engine contract (a range
// that does not contain the cursor, is not on its line, or splits a character) is dropped and
// logged.
func (s *server) inlineItems(req completion.Request, snap snapshot, items []completion.Item) []InlineCompletionItem {
	out := make([]InlineCompletionItem, 0, len(items))
	for _, it := range items {
		r, err := itemRange(req, snap, it)
		if err != nil {
			s.log.Error("lsp: bug: engine returned an invalid item; dropped", "uri", snap.URI, "error", err)
			continue
		}
		item := InlineCompletionItem{InsertText: InlineCompletionInsertText{Text: it.Text}, Range: &r}
		if it.ID != "" {
			item.Command = &protocol.Command{Title: "Accept suggestion", Command: CommandAccept, Arguments: []any{it.ID}}
		}
		out = append(out, item)
	}
	return out
}

// itemRange converts an item's byte range, checking it against the Engine contract.
func itemRange(req completion.Request, snap snapshot, it completion.Item) (protocol.Range, error) {
	if it.Start < 0 || it.Start > req.Offset || req.Offset > it.End || it.End > len(req.Text) {
		return protocol.Range{}, fmt.Errorf("item range [%d, %d) must contain the cursor %d and lie in [0, %d]", it.Start, it.End, req.Offset, len(req.Text))
	}
	r, err := snap.OffsetsRange(it.Start, it.End)
	if err != nil {
		return protocol.Range{}, err
	}
	if r.Start.Line != r.End.Line {
		return protocol.Range{}, fmt.Errorf("item range spans lines %d to %d; LSP 3.18 requires one line", r.Start.Line, r.End.Line)
	}
	return r, nil
}
