package lsp_test

import (
	"context"
	"encoding/json"
	"testing"

	"go.lsp.dev/protocol"

	"github.com/llmls/llmls/completion"
	"github.com/llmls/llmls/lsp"
	"github.com/llmls/llmls/lsp/lsptest"
)

const actionDoc = "package p\r\n\r\nfunc F() {}\r\n"

func codeActionParams(uri string, line uint32) map[string]any {
	return map[string]any{
		"textDocument": map[string]string{"uri": uri},
		"range":        protocol.Range{Start: pos(line, 2), End: pos(line, 2)},
		"context":      map[string]any{"diagnostics": []any{}},
	}
}

func TestCodeActionResolve(t *testing.T) {
	const uri = "file:///f.go"
	e := &fakeActionEngine{fakeEngine: newFakeEngine()}
	s := startInitialized(t, e)
	s.c.DidOpen(s.ctx, uri, "go", 4, actionDoc)
	var actions []map[string]json.RawMessage
	if err := s.c.Call(s.ctx, "textDocument/codeAction", codeActionParams(uri, 2), &actions); err != nil {
		t.Fatal(err)
	}
	if len(actions) != 1 || string(actions[0]["title"]) != `"Write docstring"` || string(actions[0]["kind"]) != `"refactor.rewrite"` ||
		actions[0]["data"] == nil || actions[0]["edit"] != nil {
		t.Fatalf("actions %v, want one unresolved Write docstring with data", actions)
	}
	var resolved struct {
		Title string                 `json:"title"`
		Edit  protocol.WorkspaceEdit `json:"edit"`
	}
	if err := s.c.Call(s.ctx, "codeAction/resolve", actions[0], &resolved); err != nil {
		t.Fatal(err)
	}
	// Line 2 starts at byte 13 ("package p\r\n\r\n"): the edit inserts there, at 2:0, and
	// carries version 4.
	dc := resolved.Edit.DocumentChanges
	if len(dc) != 1 || dc[0].TextDocument.Version == nil || *dc[0].TextDocument.Version != 4 || string(dc[0].TextDocument.URI) != uri {
		t.Fatalf("edit %+v, want one versioned document edit", resolved.Edit)
	}
	want := protocol.TextEdit{Range: protocol.Range{Start: pos(2, 0), End: pos(2, 0)}, NewText: "// doc\n"}
	if len(dc[0].Edits) != 1 || dc[0].Edits[0] != want {
		t.Errorf("edits %+v, want %+v", dc[0].Edits, want)
	}

	// After a change, resolving the old action is ContentModified.
	s.c.DidChange(s.ctx, uri, 5, lsptest.Replace(0, 0, 0, 0, "// x\r\n"))
	wantCode(t, "resolve after a change", s.c.Call(s.ctx, "codeAction/resolve", actions[0], nil), -32801)
	wantCode(t, "resolve of foreign data", s.c.Call(s.ctx, "codeAction/resolve", map[string]any{"title": "x", "data": 5}, nil), -32602)
	s.finish(t)
}

func TestCodeActionCommandFallback(t *testing.T) {
	const uri = "file:///f.go"
	e := &fakeActionEngine{fakeEngine: newFakeEngine()}
	s := start(t, e)
	params := lsptest.InitializeParams(nil)
	params["capabilities"].(map[string]any)["textDocument"] = map[string]any{} // no resolve support
	if _, err := s.c.Initialize(s.ctx, params); err != nil {
		t.Fatal(err)
	}
	applied := make(chan json.RawMessage, 1)
	s.c.HandleRequest("workspace/applyEdit", func(p json.RawMessage) (any, error) {
		applied <- p
		return map[string]bool{"applied": true}, nil
	})
	s.c.DidOpen(s.ctx, uri, "go", 1, actionDoc)
	var actions []protocol.CodeAction
	if err := s.c.Call(s.ctx, "textDocument/codeAction", codeActionParams(uri, 2), &actions); err != nil {
		t.Fatal(err)
	}
	if len(actions) != 1 || actions[0].Command == nil || actions[0].Command.Command != lsp.CommandApplyCodeAction {
		t.Fatalf("actions %+v, want one with the %s command", actions, lsp.CommandApplyCodeAction)
	}
	if err := s.c.ExecuteCommand(s.ctx, actions[0].Command.Command, actions[0].Command.Arguments...); err != nil {
		t.Fatal(err)
	}
	var p struct {
		Label string                 `json:"label"`
		Edit  protocol.WorkspaceEdit `json:"edit"`
	}
	if err := json.Unmarshal(<-applied, &p); err != nil {
		t.Fatal(err)
	}
	if p.Label != "Write docstring" || len(p.Edit.DocumentChanges) != 1 || p.Edit.DocumentChanges[0].Edits[0].NewText != "// doc\n" {
		t.Errorf("applyEdit %+v", p)
	}
	s.finish(t)
}

func TestCodeActionCancelResolve(t *testing.T) {
	const uri = "file:///f.go"
	entered := make(chan struct{})
	e := &fakeActionEngine{fakeEngine: newFakeEngine(), resolve: func(ctx context.Context, doc completion.Request, a lsp.CodeAction) ([]completion.Edit, error) {
		close(entered)
		<-ctx.Done()
		return nil, ctx.Err()
	}}
	s := startInitialized(t, e)
	s.c.DidOpen(s.ctx, uri, "go", 1, actionDoc)
	var actions []map[string]json.RawMessage
	if err := s.c.Call(s.ctx, "textDocument/codeAction", codeActionParams(uri, 2), &actions); err != nil {
		t.Fatal(err)
	}
	p, _ := s.c.Go(s.ctx, "codeAction/resolve", actions[0])
	<-entered
	s.c.Cancel(s.ctx, p.ID)
	wantCode(t, "cancelled resolve", p.Result(s.ctx, nil), -32800)
	s.finish(t)
}

func TestCodeActionWithoutEngineSupport(t *testing.T) {
	s := startInitialized(t, newFakeEngine())
	s.c.DidOpen(s.ctx, "file:///f.go", "go", 1, actionDoc)
	var actions []protocol.CodeAction
	if err := s.c.Call(s.ctx, "textDocument/codeAction", codeActionParams("file:///f.go", 2), &actions); err != nil || len(actions) != 0 {
		t.Errorf("actions %v, %v; want none", actions, err)
	}
	s.finish(t)
}
