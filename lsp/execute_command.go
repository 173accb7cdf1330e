package lsp

// workspace/executeCommand: llmls.accept (accept bookkeeping) and llmls.applyCodeAction (code
// actions for clients without codeAction/resolve).
// https://microsoft.github.io/language-server-protocol/specifications/lsp/3.17/specification/#workspace_executeCommand

import (
	"context"
	"encoding/json"
	"slices"
)

func (s *server) executeCommand(ctx context.Context, params json.RawMessage) (*asyncCall, error) {
	const method = "workspace/executeCommand"
	var p struct {
		Command   string            `json:"command"`
		Arguments []json.RawMessage `json:"arguments"`
	}
	if err := decodeParams(method, params, &p); err != nil {
		return nil, err
	}
	commands := s.commands()
	if !slices.Contains(commands, p.Command) {
		return nil, rpcErrorf(CodeInvalidParams, "%s: unknown command %q; this server runs %q", method, p.Command, commands)
	}
	if len(p.Arguments) != 1 {
		return nil, rpcErrorf(CodeInvalidParams, "%s: %s takes 1 argument, got %d", method, p.Command, len(p.Arguments))
	}
	switch p.Command {
	case CommandAccept:
		var id string
		if err := json.Unmarshal(p.Arguments[0], &id); err != nil {
			return nil, rpcErrorf(CodeInvalidParams, "%s: %s: the argument must be the item id string: %v", method, p.Command, err)
		}
		s.engine.Accepted(id)
		return answer(nil), nil
	default: // CommandApplyCodeAction
		return s.applyCodeActionCommand(ctx, p.Arguments[0])
	}
}
