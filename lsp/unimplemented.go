package lsp

// Methods of LSP 3.17/3.18 this server does not serve. A request for any of them, or for any
// other method it does not know, is answered -32601 MethodNotFound; the list only makes the
// message say whether the method exists at all. The server does not advertise these
// capabilities, so a conforming client does not send them.

import (
	"strings"

	"go.lsp.dev/jsonrpc2"
)

var unimplemented = map[string]bool{
	"textDocument/completion": true, "completionItem/resolve": true, "textDocument/hover": true,
	"textDocument/signatureHelp": true, "textDocument/declaration": true,
	"textDocument/definition": true, "textDocument/typeDefinition": true,
	"textDocument/implementation": true, "textDocument/references": true,
	"textDocument/documentHighlight": true, "textDocument/documentSymbol": true,
	"textDocument/codeLens": true, "codeLens/resolve": true, "textDocument/documentLink": true,
	"documentLink/resolve": true, "textDocument/documentColor": true,
	"textDocument/colorPresentation": true, "textDocument/formatting": true,
	"textDocument/rangeFormatting": true, "textDocument/onTypeFormatting": true,
	"textDocument/rename": true, "textDocument/prepareRename": true,
	"textDocument/foldingRange": true, "textDocument/selectionRange": true,
	"textDocument/prepareCallHierarchy": true, "callHierarchy/incomingCalls": true,
	"callHierarchy/outgoingCalls": true, "textDocument/prepareTypeHierarchy": true,
	"typeHierarchy/supertypes": true, "typeHierarchy/subtypes": true,
	"textDocument/semanticTokens/full": true, "textDocument/semanticTokens/full/delta": true,
	"textDocument/semanticTokens/range": true, "textDocument/linkedEditingRange": true,
	"textDocument/moniker": true, "textDocument/inlayHint": true, "inlayHint/resolve": true,
	"textDocument/inlineValue": true, "textDocument/diagnostic": true,
	"workspace/diagnostic": true, "workspace/symbol": true, "workspaceSymbol/resolve": true,
	"workspace/willCreateFiles": true, "workspace/willRenameFiles": true,
	"workspace/willDeleteFiles": true, "textDocument/willSaveWaitUntil": true,
}

// methodNotFound is the -32601 reply for method.
func methodNotFound(method string) *jsonrpc2.Error {
	switch {
	case unimplemented[method]:
		return rpcErrorf(CodeMethodNotFound, "method not found: llmls does not implement %s", method)
	case strings.HasPrefix(method, "$/"):
		return rpcErrorf(CodeMethodNotFound, "method not found: %s (implementation-dependent)", method)
	}
	return rpcErrorf(CodeMethodNotFound, "method not found: %s", method)
}
