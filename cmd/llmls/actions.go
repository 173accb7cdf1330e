package main

import (
	"context"

	"github.com/llmls/llmls/completion"
	"github.com/llmls/llmls/lsp"
)

// actionEngine is the completion engine as the lsp package sees it, with its code actions
// (the docstring writer) converted to lsp's types: completion cannot import lsp, which
// imports completion. Every other method is the engine's own.
type actionEngine struct{ *completion.Engine }

var (
	_ lsp.Engine           = actionEngine{}
	_ lsp.CodeActionEngine = actionEngine{}
	_ lsp.StatsEngine      = actionEngine{}
)

// CodeActions implements lsp.CodeActionEngine.
func (a actionEngine) CodeActions(ctx context.Context, doc completion.Request, start, end int) ([]lsp.CodeAction, error) {
	actions, err := a.Engine.CodeActions(ctx, doc, start, end)
	if err != nil {
		return nil, err
	}
	out := make([]lsp.CodeAction, len(actions))
	for i, x := range actions {
		out[i] = lsp.CodeAction{Title: x.Title, Kind: x.Kind, Data: x.Data}
	}
	return out, nil
}

// ResolveCodeAction implements lsp.CodeActionEngine.
func (a actionEngine) ResolveCodeAction(ctx context.Context, doc completion.Request, action lsp.CodeAction) ([]completion.Edit, error) {
	return a.Engine.ResolveCodeAction(ctx, doc, completion.CodeAction{Title: action.Title, Kind: action.Kind, Data: action.Data})
}
