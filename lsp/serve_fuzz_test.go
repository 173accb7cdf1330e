package lsp_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/llmls/llmls/lsp"
	"github.com/llmls/llmls/lsp/lsptest"
)

// FuzzServe sends one arbitrary, correctly framed body to an initialized server holding an
// open document, then a completion request. The server must not panic or hang, must write
// nothing but well-formed protocol messages, and must still answer the request unless the
// body made it exit.
func FuzzServe(f *testing.F) {
	for _, seed := range []string{
		`{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":"file:///f.go","version":2},"contentChanges":[{"range":{"start":{"line":0,"character":1},"end":{"line":1,"character":99}},"text":"😀\r\n"}]}}`,
		`{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":"file:///f.go","version":2},"contentChanges":[{"range":{"start":{"line":4294967295,"character":0},"end":{"line":0,"character":0}},"text":""}]}}`,
		`{"jsonrpc":"2.0","id":5,"method":"textDocument/inlineCompletion","params":{"textDocument":{"uri":"file:///f.go"},"position":{"line":1,"character":3},"context":{"triggerKind":2,"selectedCompletionInfo":{"range":{"start":{"line":0,"character":0},"end":{"line":0,"character":0}},"text":"x"}}}}`,
		`{"jsonrpc":"2.0","id":6,"method":"codeAction/resolve","params":{"title":"x","data":{"uri":"file:///f.go","version":1}}}`,
		`{"jsonrpc":"2.0","id":7,"method":"workspace/executeCommand","params":{"command":"llmls.accept","arguments":[null]}}`,
		`{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":"final"}}`,
		`{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"file:///f.go","languageId":"go","version":-1,"text":"\u0000"}}}`,
		`{"jsonrpc":"2.0","id":8,"method":"llm-ls/getCompletions","params":{"textDocument":{"uri":"file:///f.go"},"position":{"line":0,"character":0}}}`,
		`{"jsonrpc":"2.0","id":9,"method":"shutdown"}`,
		`{"jsonrpc":"2.0","method":"workspace/didChangeConfiguration","params":{"settings":null}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		c, wait := lsptest.ServeInProcess(t, newFakeEngine(), lsp.Options{Logger: slog.New(slog.DiscardHandler)})
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := c.Initialize(ctx, lsptest.InitializeParams(nil)); err != nil {
			t.Fatal(err)
		}
		c.DidOpen(ctx, "file:///f.go", "go", 1, "package f\r\nfunc F() {}\n")
		c.WriteMessage(body)
		p, err := c.Go(ctx, lsp.MethodInlineCompletion, lsptest.InlineCompletionParams("file:///f.go", 1, 4, 1))
		if err != nil {
			t.Fatal(err)
		}
		_, err = p.Wait(ctx)
		select {
		case <-c.Done(): // the body was exit
		default:
			if err != nil {
				t.Fatalf("no answer after the body: %v", err)
			}
		}
		c.Close()
		wait()
		<-c.Done()
		if v := c.Violations(); len(v) > 0 {
			t.Fatalf("server output broke the protocol: %v", v)
		}
	})
}
