package lsp_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/llmls/llmls/lsp"
	"github.com/llmls/llmls/lsp/lsptest"
)

func TestDidChange(t *testing.T) {
	const uri = "file:///doc.go"
	tests := []struct {
		name    string
		enc     lsp.PositionEncoding
		initial string
		batches [][]lsptest.ContentChange // one didChange per batch
		want    string
	}{
		{"insert", lsp.UTF16, "ab\ncd", [][]lsptest.ContentChange{{lsptest.Replace(1, 1, 1, 1, "X")}}, "ab\ncXd"},
		{"delete across lines", lsp.UTF16, "ab\ncd\nef", [][]lsptest.ContentChange{{lsptest.Replace(0, 1, 2, 1, "")}}, "af"},
		{"full text", lsp.UTF16, "old", [][]lsptest.ContentChange{{{Text: "new\ntext"}}}, "new\ntext"},
		{"multi-edit batch applies in order", lsp.UTF16, "one\ntwo\nthree", [][]lsptest.ContentChange{{
			lsptest.Replace(0, 0, 0, 3, "1"),  // "1\ntwo\nthree"
			lsptest.Replace(1, 0, 1, 0, "> "), // "1\n> two\nthree"
			lsptest.Replace(1, 5, 2, 0, ""),   // "1\n> twothree"
		}}, "1\n> twothree"},
		{"edit after a full change in one batch", lsp.UTF16, "x", [][]lsptest.ContentChange{{
			{Text: "hello"}, lsptest.Replace(0, 5, 0, 5, " world"),
		}}, "hello world"},
		{"CRLF line ends", lsp.UTF16, "a\r\nb\r\nc", [][]lsptest.ContentChange{
			{lsptest.Replace(1, 1, 1, 1, "!")},      // end of line 1, before its CRLF
			{lsptest.Replace(2, 0, 2, 1, "C\r\nD")}, // new CRLF inside the edit
			{lsptest.Replace(3, 1, 3, 1, "?")},      // line 3 exists only after the previous edit
		}, "a\r\nb!\r\nC\r\nD?"},
		{"lone CR line ends", lsp.UTF16, "a\rb", [][]lsptest.ContentChange{{lsptest.Replace(1, 0, 1, 0, ">")}}, "a\r>b"},
		{"join CR and LF into CRLF", lsp.UTF16, "a\rX\nb", [][]lsptest.ContentChange{
			{lsptest.Replace(1, 0, 1, 1, "")}, // delete X: "a\r\nb", now 2 lines
			{lsptest.Replace(1, 0, 1, 0, "+")},
		}, "a\r\n+b"},
		{"utf-16 after astral character", lsp.UTF16, "😀x\n中y", [][]lsptest.ContentChange{
			{lsptest.Replace(0, 2, 0, 3, "Z")}, // replace x (after 2 UTF-16 units)
			{lsptest.Replace(1, 1, 1, 1, "文")},
		}, "😀Z\n中文y"},
		{"utf-8 after astral character", lsp.UTF8, "😀x\n中y", [][]lsptest.ContentChange{
			{lsptest.Replace(0, 4, 0, 5, "Z")},
			{lsptest.Replace(1, 3, 1, 3, "文")},
		}, "😀Z\n中文y"},
		{"character past line end clamps", lsp.UTF16, "ab\ncd", [][]lsptest.ContentChange{{lsptest.Replace(0, 50, 0, 50, "!")}}, "ab!\ncd"},
		{"insert at end of document", lsp.UTF16, "ab\n", [][]lsptest.ContentChange{{lsptest.Replace(1, 0, 1, 0, "c")}}, "ab\nc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newFakeEngine()
			s := startInitialized(t, e, tt.enc)
			if err := s.c.DidOpen(s.ctx, uri, "go", 1, tt.initial); err != nil {
				t.Fatal(err)
			}
			for i, b := range tt.batches {
				if err := s.c.DidChange(s.ctx, uri, int32(i+2), b...); err != nil {
					t.Fatal(err)
				}
			}
			// A request after the changes sees them (ordering) and reaches the engine with
			// the text; its position is the end of the document.
			m := lsp.NewMapper(tt.want, tt.enc)
			end, _ := m.OffsetPosition(len(tt.want))
			if _, err := s.c.InlineCompletion(s.ctx, uri, end.Line, end.Character, 1); err != nil {
				t.Fatal(err)
			}
			_, mismatches, reqs, _ := e.snapshot()
			if len(reqs) != 1 || reqs[0].Text != tt.want || reqs[0].Offset != len(tt.want) || reqs[0].Version != int32(len(tt.batches)+1) {
				t.Fatalf("engine request %+v, want text %q offset %d", reqs, tt.want, len(tt.want))
			}
			if got, _ := e.text(uri); got != tt.want {
				t.Errorf("engine's text from byte-offset edits = %q, want %q", got, tt.want)
			}
			if len(mismatches) > 0 {
				t.Errorf("edits did not rebuild newText: %v", mismatches)
			}
			s.finish(t)
		})
	}
}

func TestDidChangeBadRange(t *testing.T) {
	const uri = "file:///bad.go"
	e := newFakeEngine()
	s := startInitialized(t, e)
	c, ctx := s.c, s.ctx
	c.DidOpen(ctx, uri, "go", 1, "ab\ncd")
	tests := []struct {
		name   string
		change lsptest.ContentChange
		reason string
	}{
		{"line past the end", lsptest.Replace(5, 0, 5, 0, "x"), "line out of range: the document has lines 0 to 1"},
		{"reversed range", lsptest.Replace(1, 1, 0, 0, "x"), "range start is after its end"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Reopen so that each case starts from a known text.
			c.DidOpen(ctx, uri, "go", 1, "ab\ncd")
			c.DidChange(ctx, uri, 2, tt.change, lsptest.Replace(0, 0, 0, 0, "never applied"))
			n, err := c.WaitNotification(ctx, "window/logMessage")
			for err == nil && !strings.Contains(string(n.Params), tt.reason) {
				n, err = c.WaitNotification(ctx, "window/logMessage")
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(n.Params), tt.reason) || !strings.Contains(string(n.Params), `"type":1`) {
				t.Errorf("logMessage %s, want an error naming %q", n.Params, tt.reason)
			}
			// The text is unknown now: no completion, and the engine forgot the document.
			items, err := c.InlineCompletion(ctx, uri, 0, 0, 1)
			if err != nil || len(items) != 0 {
				t.Errorf("completion on a lost document = %v, %v; want none", items, err)
			}
			if _, ok := e.text(uri); ok {
				t.Error("engine still has the document after a failed change")
			}
			// Incremental changes stay ignored; a full-text change restores the document.
			c.DidChange(ctx, uri, 3, lsptest.Replace(0, 0, 0, 0, "ignored"))
			c.DidChange(ctx, uri, 4, lsptest.ContentChange{Text: fmt.Sprintf("restored %d", i)})
			items, err = c.InlineCompletion(ctx, uri, 0, 3, 1)
			if err != nil || len(items) != 1 {
				t.Fatalf("completion after a full-text change = %v, %v", items, err)
			}
			if got, _ := e.text(uri); got != fmt.Sprintf("restored %d", i) {
				t.Errorf("engine text %q after restore", got)
			}
		})
	}
	calls, mismatches, _, _ := e.snapshot()
	if len(mismatches) > 0 {
		t.Errorf("mismatches: %v", mismatches)
	}
	if !strings.Contains(strings.Join(calls, "\n"), "DidClose "+uri) {
		t.Errorf("engine calls %q lack DidClose", calls)
	}
	s.finish(t)
}

func TestDidCloseForgets(t *testing.T) {
	const uri = "file:///c.go"
	e := newFakeEngine()
	s := startInitialized(t, e)
	s.c.DidOpen(s.ctx, uri, "go", 1, "abc")
	s.c.DidClose(s.ctx, uri)
	items, err := s.c.InlineCompletion(s.ctx, uri, 0, 1, 1)
	if err != nil || len(items) != 0 {
		t.Errorf("completion on a closed document = %v, %v", items, err)
	}
	calls, _, reqs, _ := e.snapshot()
	if len(reqs) != 0 {
		t.Errorf("engine asked for a closed document: %v", reqs)
	}
	if want := "DidOpen file:///c.go go 1|DidClose file:///c.go"; !strings.Contains(strings.Join(calls, "|"), want) {
		t.Errorf("calls %q, want %q", calls, want)
	}
	s.finish(t)
}
