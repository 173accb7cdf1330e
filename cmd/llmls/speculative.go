package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/llmls/llmls/decoder"
)

// specFlags are the speculative decoding flags of `llmls generate`.
type specFlags struct {
	draft    string
	lookup   bool
	maxDraft int
	minProb  float64
	fixed    bool
}

func (f *specFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.draft, "draft", "", "speculative decoding with this GGUF draft model (same vocabulary as the model; \"none\": off)")
	fs.BoolVar(&f.lookup, "lookup", false, "speculative decoding with prompt lookup (n-grams of the prompt and output); with --draft, lookup is tried first")
	fs.IntVar(&f.maxDraft, "draft-max", decoder.DefaultMaxDraft, "most tokens drafted per forward pass")
	fs.Float64Var(&f.minProb, "draft-min-prob", decoder.DefaultDraftMinProb, "end a draft model's draft where its top probability is below this (negative: never)")
	fs.BoolVar(&f.fixed, "draft-fixed", false, "always draft --draft-max tokens (no adaptive length or drafter choice)")
}

// speculator returns the Speculator the flags ask for (nil: none) and a function that closes
// the draft model. Errors: the draft model does not load or has another vocabulary.
func (f *specFlags) speculator(target *decoder.Model, ctxLen, threads int) (*decoder.Speculator, func(), error) {
	var ds []decoder.Drafter
	if f.lookup {
		ds = append(ds, &decoder.LookupDrafter{})
	}
	closeFn := func() {}
	if f.draft != "" && f.draft != "none" {
		dm, _, err := loadModel(f.draft, threads)
		if err != nil {
			return nil, nil, fmt.Errorf("draft model: %w", err)
		}
		minProb := float32(f.minProb)
		if minProb == 0 {
			minProb = -1 // the flag's 0 means "never stop", as its help says for negatives
		}
		d, err := decoder.NewModelDrafter(target, dm, decoder.ModelDrafterOptions{ContextLength: ctxLen, MinProb: minProb})
		if err != nil {
			dm.Close()
			return nil, nil, err
		}
		ds = append(ds, d)
		closeFn = func() { dm.Close() }
	}
	if len(ds) == 0 {
		return nil, closeFn, nil
	}
	return decoder.NewSpeculator(decoder.SpecOptions{MaxDraft: f.maxDraft, FixedLength: f.fixed}, ds...), closeFn, nil
}

// printSpecStats writes the speculative decoding statistics of st to w, one line.
func printSpecStats(w io.Writer, st decoder.Stats) {
	var pos []string
	for i := range st.DraftedAt {
		pos = append(pos, fmt.Sprintf("%d:%.2f", i+1, st.AcceptanceAt(i)))
	}
	var by []string
	for _, d := range st.Drafters {
		by = append(by, fmt.Sprintf("%s %d/%d in %d drafts, %.1f ms", d.Name, d.Accepted, d.Drafted, d.Drafts, d.MS))
	}
	fmt.Fprintf(w, "speculative: %d drafted, %d accepted (%.1f%%), %.2f tokens per pass (%d passes); acceptance by position %s; %s\n",
		st.Drafted, st.Accepted, 100*st.AcceptanceRate(), st.TokensPerPass(), st.Passes, strings.Join(pos, " "), strings.Join(by, "; "))
}
