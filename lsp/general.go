package lsp

// Lifecycle: initialize, initialized, shutdown, exit.
// https://microsoft.github.io/language-server-protocol/specifications/lsp/3.17/specification/#lifeCycleMessages

import (
	"context"
	"encoding/json"
	"errors"
	"slices"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"

	"github.com/llmls/llmls/completion"
)

// Commands the server handles in workspace/executeCommand.
const (
	// CommandAccept is attached to every inline completion item that has an ID; the client
	// runs it when the user accepts the item. Arguments: [itemID string].
	CommandAccept = "llmls.accept"
	// CommandApplyCodeAction computes a code action's edit and applies it with
	// workspace/applyEdit, for clients that cannot resolve code actions. Arguments: [data].
	CommandApplyCodeAction = "llmls.applyCodeAction"
)

// initializeParams is the part of InitializeParams the server reads. It is decoded here rather
// than with go.lsp.dev/protocol, which predates positionEncodings and whose older field types
// would reject some current clients' capabilities.
type initializeParams struct {
	ProcessID  *int32 `json:"processId"`
	ClientInfo *struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	} `json:"clientInfo"`
	InitializationOptions json.RawMessage    `json:"initializationOptions"`
	Capabilities          clientCapabilities `json:"capabilities"`
	WorkDoneToken         json.RawMessage    `json:"workDoneToken"`
}

// clientCapabilities is the part of ClientCapabilities the server reads.
type clientCapabilities struct {
	General struct {
		PositionEncodings []PositionEncoding `json:"positionEncodings"`
	} `json:"general"`
	Window struct {
		WorkDoneProgress bool `json:"workDoneProgress"`
	} `json:"window"`
	Workspace struct {
		ApplyEdit     bool `json:"applyEdit"`
		WorkspaceEdit struct {
			DocumentChanges bool `json:"documentChanges"`
		} `json:"workspaceEdit"`
	} `json:"workspace"`
	TextDocument struct {
		CodeAction struct {
			DataSupport    bool `json:"dataSupport"`
			ResolveSupport *struct {
				Properties []string `json:"properties"`
			} `json:"resolveSupport"`
		} `json:"codeAction"`
	} `json:"textDocument"`
}

// resolvesCodeActionEdits reports whether the client keeps code action data and resolves the
// edit property lazily (codeAction/resolve).
func (c *clientCapabilities) resolvesCodeActionEdits() bool {
	ca := c.TextDocument.CodeAction
	return ca.DataSupport && ca.ResolveSupport != nil && slices.Contains(ca.ResolveSupport.Properties, "edit")
}

// initializeResult is InitializeResult with the 3.17/3.18 capabilities go.lsp.dev/protocol lacks.
type initializeResult struct {
	Capabilities serverCapabilities `json:"capabilities"`
	ServerInfo   serverInfo         `json:"serverInfo"`
}

type serverInfo struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
}

type serverCapabilities struct {
	PositionEncoding         PositionEncoding                 `json:"positionEncoding"`
	TextDocumentSync         protocol.TextDocumentSyncOptions `json:"textDocumentSync"`
	InlineCompletionProvider *InlineCompletionOptions         `json:"inlineCompletionProvider,omitempty"`
	CodeActionProvider       *protocol.CodeActionOptions      `json:"codeActionProvider,omitempty"`
	ExecuteCommandProvider   *protocol.ExecuteCommandOptions  `json:"executeCommandProvider,omitempty"`
}

// negotiateEncoding picks UTF8 when the client offers it, else UTF16 (which every client must
// support, LSP 3.17 § positionEncodings).
func negotiateEncoding(offered []PositionEncoding) PositionEncoding {
	if slices.Contains(offered, UTF8) {
		return UTF8
	}
	return UTF16
}

// initialize answers the initialize request once the engine has applied
// initializationOptions (Configure may load a model, so it runs off the reader goroutine).
func (s *server) initialize(ctx context.Context, reply jsonrpc2.Replier, id jsonrpc2.ID, params json.RawMessage) {
	s.mu.Lock()
	state := s.state
	s.mu.Unlock()
	if state != stateUninitialized {
		s.reply(ctx, reply, "initialize", nil, rpcErrorf(CodeInvalidRequest, "initialize sent twice"))
		return
	}
	var p initializeParams
	if len(params) == 0 {
		params = json.RawMessage("{}")
	}
	if err := decodeParams("initialize", params, &p); err != nil {
		s.reply(ctx, reply, "initialize", nil, err)
		return
	}
	enc := negotiateEncoding(p.Capabilities.General.PositionEncodings)
	s.mu.Lock()
	s.state = stateInitializing
	s.caps = p.Capabilities
	s.encoding = enc
	s.mu.Unlock()
	s.docs.setEncoding(enc)
	if p.ClientInfo != nil {
		s.log.Info("lsp: initialize", "client", p.ClientInfo.Name, "clientVersion", p.ClientInfo.Version, "positionEncoding", enc)
	}

	result := s.capabilities(enc)
	s.startAsync(ctx, reply, id, "initialize", params, func(s *server, ctx context.Context, _ json.RawMessage) (*asyncCall, error) {
		run := s.configure(p.InitializationOptions, p.WorkDoneToken, false)
		return &asyncCall{noWait: true, run: func(ctx context.Context) (any, error) {
			select {
			case <-run.done:
			case <-ctx.Done():
				run.cancel(context.Cause(ctx))
				<-run.done
			}
			partly := run.err != nil && errors.Is(run.err, completion.ErrPartlyApplied)
			s.mu.Lock()
			if run.err != nil && !partly || ctx.Err() != nil {
				s.state = stateUninitialized
				s.mu.Unlock()
				if run.err != nil {
					return nil, withCode(CodeRequestFailed, run.err)
				}
				return nil, ctx.Err()
			}
			s.state = stateInitialized
			s.mu.Unlock()
			if partly {
				// The engine serves without the part that did not load (an adapter, a draft
				// model): failing initialize would leave the user with nothing at all.
				s.showMessage(protocol.MessageTypeWarning, "llmls: "+run.err.Error())
			}
			return result, nil
		}}, nil
	})
}

// capabilities is what the server advertises.
func (s *server) capabilities(enc PositionEncoding) initializeResult {
	caps := serverCapabilities{
		PositionEncoding: enc,
		TextDocumentSync: protocol.TextDocumentSyncOptions{
			OpenClose: true,
			Change:    protocol.TextDocumentSyncKindIncremental,
		},
		InlineCompletionProvider: &InlineCompletionOptions{},
		ExecuteCommandProvider:   &protocol.ExecuteCommandOptions{Commands: s.commands()},
	}
	if s.actions != nil {
		caps.CodeActionProvider = &protocol.CodeActionOptions{
			CodeActionKinds: []protocol.CodeActionKind{protocol.RefactorRewrite, protocol.Source},
			ResolveProvider: true,
		}
	}
	return initializeResult{Capabilities: caps, ServerInfo: serverInfo{Name: s.opts.ServerName, Version: s.opts.ServerVersion}}
}

// commands are the workspace/executeCommand commands this server runs.
func (s *server) commands() []string {
	if s.actions != nil {
		return []string{CommandAccept, CommandApplyCodeAction}
	}
	return []string{CommandAccept}
}

func (s *server) initialized(ctx context.Context, params json.RawMessage) error {
	s.log.Debug("lsp: client initialized")
	return nil
}

// shutdown cancels everything in flight (each answers -32800) and refuses later requests.
func (s *server) shutdown() any {
	s.mu.Lock()
	s.state = stateShutdown
	config := s.config
	s.mu.Unlock()
	config.cancel(errShutdown)
	s.inflight.cancelAll(errShutdown)
	return nil
}

// exit closes the connection; Serve then returns.
func (s *server) exit() {
	s.mu.Lock()
	s.exited = true
	s.mu.Unlock()
	s.stop(errServerExit)
	s.conn.Close()
}
