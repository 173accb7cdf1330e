package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/llmls/llmls/completion"
	codectx "github.com/llmls/llmls/context"
)

// position is a FILE:LINE:COL argument, read into a completion request.
type position struct {
	path      string
	line, col int // 1-based; col counts characters (Unicode code points)
}

// parsePosition parses FILE:LINE:COL. The path may itself contain colons.
func parsePosition(arg string) (position, error) {
	i := strings.LastIndexByte(arg, ':')
	j := -1
	if i > 0 {
		j = strings.LastIndexByte(arg[:i], ':')
	}
	if i < 0 || j <= 0 {
		return position{}, usageErr("want FILE:LINE:COL, got %q", arg)
	}
	line, err1 := strconv.Atoi(arg[j+1 : i])
	col, err2 := strconv.Atoi(arg[i+1:])
	if err1 != nil || err2 != nil || line < 1 || col < 1 {
		return position{}, usageErr("want FILE:LINE:COL with LINE and COL numbers from 1, got %q", arg)
	}
	return position{path: arg[:j], line: line, col: col}, nil
}

// request reads the file and turns the position into a byte offset. A column past the end of
// the line means the end of the line (as LSP clamps it); a line past the end is an error.
func (p position) request() (completion.Request, error) {
	data, err := os.ReadFile(p.path)
	if err != nil {
		return completion.Request{}, err
	}
	if !utf8.Valid(data) {
		return completion.Request{}, fmt.Errorf("%s: not UTF-8 text", p.path)
	}
	text := string(data)
	off := 0
	for l := 1; l < p.line; l++ {
		nl := strings.IndexByte(text[off:], '\n')
		if nl < 0 {
			return completion.Request{}, fmt.Errorf("%s: line %d is past the end (the file has %d lines)", p.path, p.line, l)
		}
		off += nl + 1
	}
	end := strings.IndexByte(text[off:], '\n')
	if end < 0 {
		end = len(text) - off
	}
	lineText := strings.TrimSuffix(text[off:off+end], "\r")
	col := 1
	i := 0
	for i < len(lineText) && col < p.col {
		_, n := utf8.DecodeRuneInString(lineText[i:])
		i += n
		col++
	}
	abs, err := filepath.Abs(p.path)
	if err != nil {
		abs = p.path
	}
	lang := codectx.LanguageByPath(p.path).Name
	return completion.Request{
		URI: "file://" + filepath.ToSlash(abs), LanguageID: lang, Version: 1,
		Text: text, Offset: off + i, Trigger: completion.Invoked,
	}, nil
}

// newCLIEngine makes an engine configured like the server's, for one-shot subcommands.
func newCLIEngine(ctx context.Context, mf *modelFlags, stderr io.Writer, verbose bool, client completion.Settings) (*completion.Engine, error) {
	level := slog.LevelWarn
	if verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	base, err := mf.settings()
	if err != nil {
		return nil, err
	}
	eng := completion.NewEngine(completion.EngineOptions{Logger: log, Base: base, Load: loadBackend})
	raw, _ := json.Marshal(client)
	if err := eng.Configure(ctx, raw); err != nil {
		return nil, err
	}
	return eng, nil
}

func runComplete(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("complete", flag.ContinueOnError)
	var mf modelFlags
	mf.register(fs)
	maxTokens := fs.Int("max-tokens", 0, "most tokens to generate (default 64)")
	n := fs.Int("n", 1, "number of suggestions")
	verbose := fs.Bool("v", false, "debug logs on stderr")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErr("want one FILE:LINE:COL")
	}
	if *maxTokens < 0 || *n < 0 {
		return usageErr("--max-tokens and --n count from 0 (0: the default), got --max-tokens %d --n %d", *maxTokens, *n)
	}
	pos, err := parsePosition(fs.Arg(0))
	if err != nil {
		return err
	}
	req, err := pos.request()
	if err != nil {
		return err
	}
	eng, err := newCLIEngine(ctx, &mf, stderr, *verbose, completion.Settings{MaxTokens: *maxTokens, InvokedItems: *n})
	if err != nil {
		return err
	}
	defer eng.Close()
	eng.DidOpen(req.URI, req.LanguageID, req.Version, req.Text)
	items, err := eng.InlineCompletion(ctx, req)
	if err != nil {
		return err
	}
	if len(items) == 0 {
		fmt.Fprintln(stderr, "llmls complete: no completion at this position")
		return nil
	}
	for i, it := range items {
		if i > 0 {
			fmt.Fprintln(stdout, "\n---")
		}
		fmt.Fprint(stdout, it.Text)
	}
	fmt.Fprintln(stdout)
	return nil
}

func runPrompt(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("prompt", flag.ContinueOnError)
	var mf modelFlags
	mf.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErr("want one FILE:LINE:COL")
	}
	pos, err := parsePosition(fs.Arg(0))
	if err != nil {
		return err
	}
	req, err := pos.request()
	if err != nil {
		return err
	}
	eng, err := newCLIEngine(ctx, &mf, stderr, false, completion.Settings{})
	if err != nil {
		return err
	}
	defer eng.Close()
	eng.DidOpen(req.URI, req.LanguageID, req.Version, req.Text)
	p, ctype, err := eng.PromptFor(ctx, req)
	if err != nil {
		return err
	}
	fmt.Fprint(stdout, p.Text)
	fmt.Fprintf(stderr, "\n[%d tokens; completion type %s; tokens from %d on change while typing on this line]\n", len(p.Tokens), ctype, p.MiddleStart)
	return nil
}
