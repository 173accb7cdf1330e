package lsptest

// Starting a server to talk to: in this process over pipes, or as a subprocess.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/llmls/llmls/lsp"
)

// pipeConn joins a reader and a writer into an io.ReadWriteCloser; Close closes both.
type pipeConn struct {
	io.Reader
	io.Writer
	closers []io.Closer
}

func (p *pipeConn) Close() error {
	var errs []error
	for _, c := range p.closers {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}

// ServeInProcess runs lsp.Serve with engine on in-memory pipes and returns a client attached
// to t (session log on failure) and a function that waits for Serve to return and gives its
// error. The client is closed when the test ends.
func ServeInProcess(t testing.TB, engine lsp.Engine, opts lsp.Options) (*Client, func() error) {
	t.Helper()
	toServer, fromClient := io.Pipe()
	toClient, fromServer := io.Pipe()
	serverConn := &pipeConn{Reader: toServer, Writer: fromServer, closers: []io.Closer{toServer, fromServer}}
	clientConn := &pipeConn{Reader: toClient, Writer: fromClient, closers: []io.Closer{toClient, fromClient}}
	done := make(chan error, 1)
	go func() { done <- lsp.Serve(context.Background(), serverConn, engine, opts) }()
	c := New(clientConn)
	c.Attach(t)
	var once sync.Once
	var serveErr error
	wait := func() error {
		once.Do(func() { serveErr = <-done })
		return serveErr
	}
	t.Cleanup(func() {
		c.Close()
		wait()
	})
	return c, wait
}

// Process is a server running as a subprocess.
type Process struct {
	Cmd *exec.Cmd

	mu     sync.Mutex // guards stderr
	stderr strings.Builder
	wg     sync.WaitGroup // the stderr reader
}

// StartProcess starts path with args and env (nil: the parent's environment) and returns a
// client on its stdin and stdout. Its stderr is copied into the session log (and Stderr).
// Cancelling ctx kills the process.
func StartProcess(ctx context.Context, path string, args, env []string) (*Client, *Process, error) {
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = env
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, nil, fmt.Errorf("lsptest: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, fmt.Errorf("lsptest: %w", err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, nil, fmt.Errorf("lsptest: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("lsptest: starting %s: %w", path, err)
	}
	c := New(&pipeConn{Reader: stdout, Writer: stdin, closers: []io.Closer{stdin}})
	p := &Process{Cmd: cmd}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			c.record("stderr", sc.Text())
			p.mu.Lock()
			p.stderr.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
		}
	}()
	return c, p, nil
}

// Wait waits for the process to exit and returns its exit code (-1 if it was killed by a
// signal) and any error other than a non-zero exit.
func (p *Process) Wait() (int, error) {
	p.wg.Wait() // cmd.Wait closes the stderr pipe; drain it first
	err := p.Cmd.Wait()
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		return exitErr.ExitCode(), nil
	}
	if err != nil {
		return -1, err
	}
	return 0, nil
}

// Stderr returns what the process wrote to stderr so far.
func (p *Process) Stderr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}
