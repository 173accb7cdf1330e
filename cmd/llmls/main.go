// Command llmls is a language server for local AI code completion.
//
//	llmls --stdio                       serve LSP over stdin/stdout (what editors start)
//	llmls complete [flags] FILE:LINE:COL print the completion at a position (1-based)
//	llmls prompt [flags] FILE:LINE:COL   print the prompt a completion there would send
//	llmls generate [flags] PROMPT        continue a prompt (plain text generation; --lora, --draft, --lookup)
//	llmls tokenize [flags] [TEXT | -]    print token ids (and pieces)
//	llmls inspect [--model BASE] MODEL|ADAPTER describe a GGUF model or LoRA adapter
//	llmls bench [flags]                  benchmarks (replay a recorded editing session, ...)
//	llmls version
//
// Every subcommand runs the same package code as the server: a `complete` bug is an LSP bug.
// Logs go to stderr; in --stdio mode stdout carries only protocol messages.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// command is one subcommand.
type command struct {
	name, usage, summary string
	run                  func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error
}

var commands []command

func init() {
	commands = []command{
		{"serve", "llmls [serve] --stdio [--model PATH]", "serve LSP over stdin/stdout", runServe},
		{"complete", "llmls complete [--model PATH] [--max-tokens N] FILE:LINE:COL", "print the completion at a position (line and column 1-based, column in characters)", runComplete},
		{"prompt", "llmls prompt [--model PATH] FILE:LINE:COL", "print the exact prompt a completion at that position sends, and its token count", runPrompt},
		{"generate", "llmls generate [--model PATH] [--max-tokens N] [--temperature T] [--lora PATH[:SCALE]] [--draft MODEL] [--lookup] PROMPT", "continue a prompt (--lora repeatable; --draft, --lookup: speculative decoding); prints tokens/s and speculation statistics on stderr", runGenerate},
		{"tokenize", "llmls tokenize [--model PATH] [--specials] [--pieces] [TEXT | -]", "print the token ids of TEXT (or stdin)", runTokenize},
		{"inspect", "llmls inspect [--model BASE.gguf] MODEL.gguf|ADAPTER", "print a model's architecture, sizes, tensor types, tokenizer and FIM tokens, or a LoRA adapter's rank, alpha and targets (with --model, whether it fits that base model)", runInspect},
		{"bench", "llmls bench --replay SESSION [--model PATH] [--speed X]", "replay a recorded editing session; print latency, ghost-text coverage and cache figures", runBench},
		{"version", "llmls version", "print the version", func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
			fmt.Fprintln(stdout, "llmls", version)
			return nil
		}},
	}
}

// errUsage is returned by subcommands for bad arguments; run prints the usage.
var errUsage = errors.New("usage")

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 && (args[0] == "help" || args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
		usage(stdout)
		return 0
	}
	name := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	for _, c := range commands {
		if c.name != name {
			continue
		}
		err := c.run(ctx, args, stdin, stdout, stderr)
		var help flagHelp
		switch {
		case err == nil:
			return 0
		case errors.As(err, &help):
			fmt.Fprintf(stdout, "usage: %s\n%s\n\nflags:\n", c.usage, c.summary)
			help.fs.SetOutput(stdout)
			help.fs.PrintDefaults()
			return 0
		case errors.Is(err, errUsage):
			fmt.Fprintf(stderr, "usage: %s\n", c.usage)
			if msg := strings.TrimPrefix(err.Error(), errUsage.Error()); msg != "" {
				fmt.Fprintf(stderr, "%s\n", strings.TrimPrefix(msg, ": "))
			}
			return 2
		default:
			fmt.Fprintf(stderr, "llmls %s: %v\n", name, err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "llmls: unknown command %q\n", name)
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "llmls: a language server for local AI code completion")
	fmt.Fprintln(w)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-70s %s\n", c.usage, c.summary)
	}
	fmt.Fprintln(w, "\nThe model: --model PATH, or LLMLS_MODEL, or initializationOptions.model; default: the embedded model.")
}

// flagHelp is returned by parseFlags for -h or --help: run prints the command's usage and fs's
// flags on stdout, and exits 0.
type flagHelp struct{ fs *flag.FlagSet }

func (h flagHelp) Error() string { return "help requested" }

// parseFlags parses a subcommand's flags. The flag package's own output (its error, then every
// flag) is silenced, so that a bad flag reads as one usage error, printed once by run; -h and
// --help return flagHelp.
func parseFlags(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return flagHelp{fs}
	case err != nil:
		return usageErr("%v", err)
	}
	return nil
}

func usageErr(format string, a ...any) error {
	return fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, a...))
}
