package main_test

import (
	"context"

	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/llmls/llmls/completion"
	"github.com/llmls/llmls/lsp"
	"github.com/llmls/llmls/lsp/lsptest"
)

// binary is the llmls built once for the end-to-end tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "llmls-e2e")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "llmls")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		os.Stderr.Write(out)
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// repoRoot is the module root (two levels up from this package).
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// modelArgs returns the server arguments that choose the test model: LLMLS_TEST_MODEL when
// set, else none (the embedded model).
func modelArgs() []string {
	if p := os.Getenv("LLMLS_TEST_MODEL"); p != "" {
		return []string{"--model", p}
	}
	return nil
}

func startServer(t *testing.T, ctx context.Context, args ...string) (*lsptest.Client, *lsptest.Process) {
	t.Helper()
	c, p, err := lsptest.StartProcess(ctx, binary, append([]string{"--stdio"}, args...), nil)
	if err != nil {
		t.Fatal(err)
	}
	c.Attach(t)
	return c, p
}

// TestEndToEnd drives `llmls --stdio` like an editor: initialize, open a real multi-function
// Go file, edit it, ask for a completion, cancel one, shut down.
func TestEndToEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, proc := startServer(t, ctx, modelArgs()...)

	// A request before initialize is refused.
	err := c.Call(ctx, "textDocument/inlineCompletion", lsptest.InlineCompletionParams("file:///x.go", 0, 0, completion.Invoked), nil)
	if code := errCode(err); code != -32002 {
		t.Errorf("request before initialize: %v, want code -32002", err)
	}

	init, err := c.Initialize(ctx, lsptest.InitializeParams(map[string]any{"debounceMs": 40}))
	if err != nil {
		t.Fatal(err)
	}
	if init.Capabilities.PositionEncoding != lsp.UTF16 {
		t.Errorf("positionEncoding %q, want utf-16 for a client that offers none", init.Capabilities.PositionEncoding)
	}
	if len(init.Capabilities.InlineCompletionProvider) == 0 || string(init.Capabilities.InlineCompletionProvider) == "false" {
		t.Errorf("inlineCompletionProvider not advertised: %s", init.Raw)
	}
	if init.Capabilities.TextDocumentSync.Change != 2 || !init.Capabilities.TextDocumentSync.OpenClose {
		t.Errorf("textDocumentSync = %+v, want incremental with open/close", init.Capabilities.TextDocumentSync)
	}
	if init.ServerInfo.Name != "llmls" {
		t.Errorf("serverInfo %+v", init.ServerInfo)
	}

	src, err := os.ReadFile(filepath.Join(repoRoot(), "testdata", "demo", "stack.go"))
	if err != nil {
		t.Fatal(err)
	}
	uri := "file:///work/demo/stack.go"
	if err := c.DidOpen(ctx, uri, "go", 1, string(src)); err != nil {
		t.Fatal(err)
	}
	// Type "\treturn " into the empty body of Len (the empty line after its header).
	lines := strings.Split(string(src), "\n")
	lenLine := -1
	for i, l := range lines {
		if strings.HasPrefix(l, "func (s *Stack) Len() int {") {
			lenLine = i + 1
		}
	}
	if lenLine < 0 || lines[lenLine] != "" {
		t.Fatalf("test file changed: no empty Len body")
	}
	if err := c.DidChange(ctx, uri, 2, lsptest.Replace(uint32(lenLine), 0, uint32(lenLine), 0, "\treturn ")); err != nil {
		t.Fatal(err)
	}

	items, err := c.InlineCompletion(ctx, uri, uint32(lenLine), uint32(len("\treturn ")), completion.Invoked)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		r := it.Range
		if r == nil || r.Start.Line != uint32(lenLine) || r.Start.Character != 8 || r.End != r.Start {
			t.Errorf("item range %+v, want an insertion at %d:8", r, lenLine)
		}
		if strings.TrimSpace(it.InsertText.Text) == "" {
			t.Errorf("empty item %+v", it)
		}
	}
	t.Logf("completion items: %+v", items)

	// A cancelled request answers RequestCancelled (the 40 ms debounce leaves time to cancel).
	// It is for a new position: the answer for the old one is cached and would come back at once.
	if err := c.DidChange(ctx, uri, 3, lsptest.Replace(uint32(lenLine), 8, uint32(lenLine), 8, "len(")); err != nil {
		t.Fatal(err)
	}
	p, err := c.StartInlineCompletion(ctx, uri, uint32(lenLine), 12, completion.Automatic)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Cancel(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	if r, err := p.Wait(ctx); err != nil || r.Error == nil || r.Error.Code != -32800 {
		t.Errorf("cancelled request: %+v, %v; want code -32800", r, err)
	}

	// Unknown methods and malformed JSON get their error codes and the server keeps serving.
	if err := c.Call(ctx, "textDocument/noSuchMethod", map[string]any{}, nil); errCode(err) != -32601 {
		t.Errorf("unknown method: %v, want -32601", err)
	}
	if err := c.WriteMessage([]byte(`{"jsonrpc":"2.0","id":99,"method":`)); err != nil {
		t.Fatal(err)
	}
	if r, err := c.WaitUnmatched(ctx); err != nil || r.Error == nil || r.Error.Code != -32700 {
		t.Errorf("malformed JSON: %+v, %v; want -32700", r, err)
	}

	if err := c.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Exit(ctx); err != nil {
		t.Fatal(err)
	}
	if code, err := proc.Wait(); code != 0 {
		t.Errorf("exit code %d (%v) after shutdown+exit, want 0", code, err)
	}
	if v := c.Violations(); len(v) > 0 {
		t.Errorf("stdout carried non-protocol bytes: %q", v)
	}
}

// TestEndToEndUTF8 checks position encoding negotiation: a client that offers utf-8 gets it.
func TestEndToEndUTF8(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, proc := startServer(t, ctx, modelArgs()...)
	init, err := c.Initialize(ctx, lsptest.InitializeParams(nil, lsp.UTF8, lsp.UTF16))
	if err != nil {
		t.Fatal(err)
	}
	if init.Capabilities.PositionEncoding != lsp.UTF8 {
		t.Errorf("positionEncoding %q, want utf-8", init.Capabilities.PositionEncoding)
	}
	c.Shutdown(ctx)
	c.Exit(ctx)
	proc.Wait()
}

// TestBadModel: a missing or corrupt model file fails initialize with a message naming the
// file and what is wrong; the process does not crash.
func TestBadModel(t *testing.T) {
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "corrupt.gguf")
	os.WriteFile(corrupt, []byte("GGUF\x03\x00\x00\x00garbage"), 0o644)
	text := filepath.Join(dir, "notes.gguf")
	os.WriteFile(text, []byte("these are my notes, not a model"), 0o644)
	for _, tc := range []struct{ name, path, want string }{
		{"missing", filepath.Join(dir, "missing.gguf"), "no such file"},
		{"corrupt", corrupt, "corrupt.gguf"},
		{"not a model", text, "not a GGUF file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			c, proc := startServer(t, ctx)
			_, err := c.Initialize(ctx, lsptest.InitializeParams(map[string]any{"model": tc.path}))
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), filepath.Base(tc.path)) {
				t.Errorf("initialize error %v, want it to name %s and say %q", err, filepath.Base(tc.path), tc.want)
			}
			// Not initialized: shutdown is refused (-32002) and exit ends the process with
			// code 1 (LSP: exit without a prior shutdown), not a crash.
			if err := c.Shutdown(ctx); errCode(err) != -32002 {
				t.Errorf("shutdown after a failed initialize: %v, want -32002", err)
			}
			c.Exit(ctx)
			if code, err := proc.Wait(); code != 1 {
				t.Errorf("exit code %d (%v), want 1", code, err)
			}
		})
	}
}

func errCode(err error) int64 {
	var re *lsptest.ResponseError
	if errors.As(err, &re) {
		return re.Code
	}
	return 0
}
