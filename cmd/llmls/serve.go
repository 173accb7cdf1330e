package main

import (
	"context"
	"flag"
	"io"
	"log/slog"

	"github.com/llmls/llmls/completion"
	"github.com/llmls/llmls/lsp"
)

func runServe(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	var mf modelFlags
	mf.register(fs)
	stdio := fs.Bool("stdio", false, "speak LSP over stdin/stdout (the only transport)")
	verbose := fs.Bool("v", false, "debug logs on stderr")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if !*stdio {
		return usageErr("--stdio is required (llmls speaks LSP over stdin/stdout; `llmls help` lists the other commands)")
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	base, err := mf.settings()
	if err != nil {
		return err
	}
	eng := completion.NewEngine(completion.EngineOptions{Logger: log, Base: base, Load: loadBackend})
	defer eng.Close()
	return lsp.Serve(ctx, stdioConn{stdin, stdout}, actionEngine{eng}, lsp.Options{Logger: log, ServerName: "llmls", ServerVersion: version})
}

// stdioConn joins stdin and stdout into the connection lsp.Serve speaks over.
type stdioConn struct {
	io.Reader
	io.Writer
}

func (c stdioConn) Close() error {
	if cl, ok := c.Reader.(io.Closer); ok {
		cl.Close()
	}
	if cl, ok := c.Writer.(io.Closer); ok {
		return cl.Close()
	}
	return nil
}
