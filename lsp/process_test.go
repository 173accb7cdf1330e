package lsp_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/llmls/llmls/completion"
	"github.com/llmls/llmls/lsp"
	"github.com/llmls/llmls/lsp/lsptest"
)

// serverEnv makes the test binary act as an LSP server on its stdin and stdout (like
// llmls --stdio, with the fake engine), so that tests can drive a real subprocess.
const serverEnv = "LLMLS_LSP_TEST_SERVER"

func TestMain(m *testing.M) {
	if os.Getenv(serverEnv) == "1" {
		os.Exit(serveStdio())
	}
	os.Exit(m.Run())
}

type stdio struct {
	io.Reader
	io.Writer
}

func (stdio) Close() error { return errors.Join(os.Stdin.Close(), os.Stdout.Close()) }

// serveStdio is what cmd/llmls does with --stdio: logs to stderr, protocol on stdout, exit
// code 0 after shutdown+exit, else 1.
func serveStdio() int {
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	slog.SetDefault(logger)
	err := lsp.Serve(context.Background(), stdio{os.Stdin, os.Stdout}, newFakeEngine(), lsp.Options{Logger: logger})
	if err != nil {
		logger.Error("serve", "error", err)
		return 1
	}
	return 0
}

func startProcess(t *testing.T) (*lsptest.Client, *lsptest.Process, context.Context) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	c, p, err := lsptest.StartProcess(ctx, os.Args[0], []string{"-test.run=^$"}, append(os.Environ(), serverEnv+"=1"))
	if err != nil {
		t.Fatal(err)
	}
	c.Attach(t)
	return c, p, ctx
}

func TestSubprocess(t *testing.T) {
	tests := []struct {
		name     string
		shutdown bool
		wantCode int
	}{
		{"shutdown then exit", true, 0},
		{"exit without shutdown", false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, p, ctx := startProcess(t)
			if _, err := c.Initialize(ctx, lsptest.InitializeParams(nil, lsp.UTF8)); err != nil {
				t.Fatal(err)
			}
			c.DidOpen(ctx, "file:///a.go", "go", 1, "package a\n\nfunc F() {\n\t\n}\n")
			c.DidChange(ctx, "file:///a.go", 2, lsptest.Replace(3, 1, 3, 1, "return"))
			c.WriteMessage([]byte("{not json"))
			if r, err := c.WaitUnmatched(ctx); err != nil || r.Error == nil || r.Error.Code != -32700 || string(r.ID) != "null" {
				t.Fatalf("malformed JSON answer %+v, %v", r, err)
			}
			items, err := c.InlineCompletion(ctx, "file:///a.go", 3, 7, completion.Invoked)
			if err != nil || len(items) != 1 || items[0].Range.Start != pos(3, 7) {
				t.Fatalf("completion %+v, %v", items, err)
			}
			if tt.shutdown {
				if err := c.Shutdown(ctx); err != nil {
					t.Fatal(err)
				}
			}
			c.Exit(ctx)
			code, err := p.Wait()
			if err != nil || code != tt.wantCode {
				t.Errorf("exit code %d, %v; want %d", code, err, tt.wantCode)
			}
			<-c.Done()
			if v := c.Violations(); len(v) > 0 || c.Err() != nil {
				t.Errorf("stdout was not only protocol: %v %v", v, c.Err())
			}
			if !strings.Contains(p.Stderr(), "lsp: bad message from the client") {
				t.Errorf("stderr lacks the server's logs:\n%s", p.Stderr())
			}
		})
	}
}
