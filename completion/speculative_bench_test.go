package completion_test

import (
	"context"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/llmls/llmls/completion"
	"github.com/llmls/llmls/decoder"
	"github.com/llmls/llmls/decoder/embedded"
)

// Completion tasks for BenchmarkLocalSpeculative: a repetitive one (the next cases of a
// switch, which prompt lookup should find in the prefix) and an ordinary one. "‸" marks the
// cursor.
var specTasks = []struct{ name, doc string }{
	{"repetitive", `package token

// Kind is a token kind.
type Kind int

const (
	Illegal Kind = iota
	EOF
	Ident
	Int
	Float
	String
	Char
)

var names = [...]string{
	Illegal: "Illegal",
	EOF:     "EOF",
	Ident:   "Ident",
	Int:     "Int",
}

// String returns the name of k.
func (k Kind) String() string {
	switch k {
	case Illegal:
		return "Illegal"
	case EOF:
		return "EOF"
	case Ident:
		return "Ident"
	case ‸
	}
	return "?"
}
`},
	{"ordinary", `package server

import (
	"encoding/json"
	"net/http"
)

type status struct {
	OK      bool   ` + "`json:\"ok\"`" + `
	Version string ` + "`json:\"version\"`" + `
}

// handleStatus writes the server's status as JSON.
func handleStatus(w http.ResponseWriter, r *http.Request) {
	‸
}
`},
}

// BenchmarkLocalSpeculative measures greedy completion with the embedded model, without and
// with speculative decoding (prompt lookup, the embedded draft model, both), on the tasks of
// specTasks: generated tokens per second and the draft acceptance rate. The output is the
// same in every configuration (checked).
func BenchmarkLocalSpeculative(b *testing.B) {
	threads := decoder.WithThreads(runtime.NumCPU())
	configs := []struct {
		name          string
		lookup, draft bool
	}{
		{"off", false, false},
		{"lookup", true, false},
		{"draft", false, true},
		{"lookup+draft", true, true},
	}
	for _, task := range specTasks {
		want := ""
		for _, cfg := range configs {
			b.Run(task.name+"/"+cfg.name, func(b *testing.B) {
				m, err := embedded.Base(threads)
				if err != nil {
					b.Fatal(err)
				}
				opts := completion.LocalOptions{Lookup: cfg.lookup}
				if cfg.draft {
					if opts.Draft, err = embedded.Draft(threads); err != nil {
						b.Fatal(err)
					}
				}
				be, err := completion.NewLocalBackend(m, "embedded", opts)
				if err != nil {
					m.Close()
					b.Fatal(err)
				}
				defer be.Close()
				tpl, _ := completion.TemplateByFamily("qwen2.5-coder")
				order, _ := be.NativeOrder()
				cursor := strings.Index(task.doc, "‸")
				doc := task.doc[:cursor] + task.doc[cursor+len("‸"):]
				prompt, err := completion.Build(be.Vocab(), completion.Layout{Template: tpl, Order: order, BOS: -1},
					completion.Parts{Path: "token/kind.go", Prefix: doc[:cursor], Suffix: doc[cursor:]})
				if err != nil {
					b.Fatal(err)
				}
				req := completion.GenRequest{Prompt: prompt, MaxTokens: 64, StopIDs: tpl.StopIDs(be.Vocab())}
				var gen, drafted, accepted int
				var ms float64
				for b.Loop() {
					var out strings.Builder
					st, err := be.Generate(context.Background(), req, func(p string) bool { out.WriteString(p); return true })
					if err != nil {
						b.Fatal(err)
					}
					if want == "" {
						want = out.String()
					} else if out.String() != want {
						b.Fatalf("output %q, want %q (as without speculation)", out.String(), want)
					}
					if os.Getenv("SPEC_DEBUG") != "" {
						b.Logf("%q", out.String())
					}
					gen += st.GeneratedTokens
					drafted += st.Drafted
					accepted += st.Accepted
					ms += st.TotalMs - st.PromptMs
				}
				b.ReportMetric(float64(gen)/ms*1000, "tokens/s")
				b.ReportMetric(float64(gen)/float64(b.N), "tokens/op")
				if drafted > 0 {
					b.ReportMetric(100*float64(accepted)/float64(drafted), "accept%")
				}
			})
		}
	}
}
