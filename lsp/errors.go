package lsp

import (
	"errors"
	"fmt"

	"go.lsp.dev/jsonrpc2"
)

// JSON-RPC 2.0 and LSP error codes the server replies with.
// https://www.jsonrpc.org/specification#error_object and
// https://microsoft.github.io/language-server-protocol/specifications/lsp/3.17/specification/#errorCodes
const (
	CodeParseError           jsonrpc2.Code = -32700 // the body is not JSON; the reply's id is null
	CodeInvalidRequest       jsonrpc2.Code = -32600 // not a JSON-RPC request, or a request after shutdown
	CodeMethodNotFound       jsonrpc2.Code = -32601 // a method this server does not serve
	CodeInvalidParams        jsonrpc2.Code = -32602 // params that do not decode to the method's type
	CodeInternalError        jsonrpc2.Code = -32603 // a bug in this server (logged)
	CodeServerNotInitialized jsonrpc2.Code = -32002 // a request before the initialize reply
	CodeRequestFailed        jsonrpc2.Code = -32803 // the request was valid but the engine failed (LSP 3.17)
	CodeRequestCancelled     jsonrpc2.Code = -32800 // $/cancelRequest, a newer request, or shutdown cancelled it
	CodeContentModified      jsonrpc2.Code = -32801 // the document changed under a code action being resolved
)

// rpcErrorf returns a JSON-RPC error object with code and a formatted message.
// The message goes to the client verbatim; jsonrpc2 v0.10.0 would otherwise drop the
// message of an error that merely wraps a *jsonrpc2.Error.
func rpcErrorf(code jsonrpc2.Code, format string, args ...any) *jsonrpc2.Error {
	return &jsonrpc2.Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// toRPCError turns a handler error into the error object sent to the client: an error that
// is or wraps a *jsonrpc2.Error keeps its code and gets the full message; anything else is
// RequestFailed.
func toRPCError(err error) *jsonrpc2.Error {
	var rpcErr *jsonrpc2.Error
	if errors.As(err, &rpcErr) {
		return &jsonrpc2.Error{Code: rpcErr.Code, Message: err.Error(), Data: rpcErr.Data}
	}
	return &jsonrpc2.Error{Code: CodeRequestFailed, Message: err.Error()}
}

// codeError lets an error carry a JSON-RPC code while keeping its own message and chain:
// errors.As finds the *jsonrpc2.Error, errors.Is/As still reach err.
type codeError struct {
	code jsonrpc2.Code
	err  error
}

func (e *codeError) Error() string { return e.err.Error() }

func (e *codeError) Unwrap() []error {
	return []error{e.err, &jsonrpc2.Error{Code: e.code, Message: e.err.Error()}}
}

// withCode attaches a JSON-RPC code to err.
func withCode(code jsonrpc2.Code, err error) error {
	if err == nil {
		return nil
	}
	return &codeError{code: code, err: err}
}
