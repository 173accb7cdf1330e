package lsp_test

import (
	"context"
	"regexp"
	"testing"

	"github.com/llmls/llmls/completion"
)

func TestLLMLSGetCompletions(t *testing.T) {
	const uri = "file:///l.py"
	const text = "def f(x):\n    return x +\n"
	const cursor = 10 + 14 // after "    return x +" on line 1
	e := newFakeEngine()
	e.complete = func(ctx context.Context, req completion.Request) ([]completion.Item, error) {
		return []completion.Item{
			{Text: " 1", Start: cursor, End: cursor, ID: "a"},
			{Text: "x + 2", Start: cursor - 3, End: cursor, ID: "b"}, // replaces "x +": insertion " 2"
			{Text: "y", Start: cursor - 3, End: cursor, ID: "c"},     // not an insertion: dropped
		}, nil
	}
	s := startInitialized(t, e)
	s.c.DidOpen(s.ctx, uri, "python", 1, text)
	params := map[string]any{
		"textDocument": map[string]string{"uri": uri}, "position": pos(1, 14),
		// llm.nvim's own backend settings, ignored by llmls.
		"model": "bigcode/starcoder", "backend": "huggingface", "url": nil, "tokensToClear": []string{"<|endoftext|>"},
		"fim":           map[string]any{"enabled": true, "prefix": "<fim_prefix>", "middle": "<fim_middle>", "suffix": "<fim_suffix>"},
		"contextWindow": 8192, "tlsSkipVerifyInsecure": false, "ide": "neovim",
	}
	var res struct {
		RequestID   string `json:"request_id"`
		Completions []struct {
			GeneratedText string `json:"generated_text"`
		} `json:"completions"`
	}
	if err := s.c.Call(s.ctx, "llm-ls/getCompletions", params, &res); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(res.RequestID) {
		t.Errorf("request_id %q is not a UUID v4", res.RequestID)
	}
	if len(res.Completions) != 2 || res.Completions[0].GeneratedText != " 1" || res.Completions[1].GeneratedText != " 2" {
		t.Fatalf("completions %+v", res.Completions)
	}
	_, _, reqs, _ := e.snapshot()
	if len(reqs) != 1 || reqs[0].Offset != cursor || reqs[0].Trigger != completion.Automatic {
		t.Errorf("engine request %+v", reqs)
	}
	accept := map[string]any{"requestId": res.RequestID, "acceptedCompletion": 1, "shownCompletions": []int{0, 1}}
	if err := s.c.Call(s.ctx, "llm-ls/acceptCompletion", accept, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.c.Call(s.ctx, "llm-ls/rejectCompletion", map[string]any{"requestId": res.RequestID, "shownCompletions": []int{0}}, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, _, accepted := e.snapshot(); len(accepted) != 1 || accepted[0] != "b" {
		t.Errorf("accepted %q, want [b]", accepted)
	}
	// An unknown document: empty completions, no error.
	params["textDocument"] = map[string]string{"uri": "file:///none.py"}
	if err := s.c.Call(s.ctx, "llm-ls/getCompletions", params, &res); err != nil || len(res.Completions) != 0 {
		t.Errorf("unknown document: %+v, %v", res, err)
	}
	s.finish(t)
}
