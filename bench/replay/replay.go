// Package replay replays a recorded editing session against a running `llmls --stdio` the way
// an editor with automatic inline completion drives it, and measures what the user would see:
// keystroke-to-completion latency, how often ghost text is on screen when the user pauses,
// prompt tokens evaluated per model call, and the work the engine's caches saved.
//
// Session files have the format llmls-replay-session/1 (../shared/testdata/sessions/README.md):
// the document before the first key, then timed key events, each deleting some code points
// before the cursor and inserting text.
//
// The editor model: every key sends textDocument/didChange (incremental) and, for keys marked
// `request`, a textDocument/inlineCompletion with triggerKind Automatic, cancelling the
// previous one still in flight ($/cancelRequest), as VS Code does. Ghost text is "on screen"
// from the arrival of a non-empty answer to the latest request until the next key.
package replay

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/llmls/llmls/completion"
	"github.com/llmls/llmls/lsp"
	"github.com/llmls/llmls/lsp/lsptest"
)

// Session is a recorded editing session.
type Session struct {
	Format     string `json:"format"`
	URI        string `json:"uri"`
	LanguageID string `json:"language_id"`
	Initial    struct {
		Text string `json:"text"`
	} `json:"initial"`
	Events []Event `json:"events"`
}

// Event is one key: at TMs (ms since the session start) with the cursor at Line (0-based) and
// Character (UTF-16 code units), delete Delete code points before the cursor, then insert Text.
type Event struct {
	I         int     `json:"i"`
	TMs       float64 `json:"t_ms"`
	Key       string  `json:"key"`
	Line      int     `json:"line"`
	Character int     `json:"character"`
	Delete    int     `json:"delete"`
	Text      string  `json:"text"`
	Request   bool    `json:"request"`
}

// Load reads a session file.
func Load(path string) (*Session, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s Session
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("replay: %s: %w", path, err)
	}
	if s.Format != "llmls-replay-session/1" {
		return nil, fmt.Errorf("replay: %s: format %q, want llmls-replay-session/1", path, s.Format)
	}
	return &s, nil
}

// Options configure Run.
type Options struct {
	// Server is the llmls binary; Args its arguments after --stdio (e.g. --model PATH).
	Server string
	Args   []string
	// Settings are sent as initializationOptions.
	Settings map[string]any
	// Speed multiplies the session's pace (1: real time; 2: twice as fast).
	Speed float64
	// PauseMs: a gap to the next key of at least this many ms is a pause. Default 500.
	PauseMs float64
	// Log, when set, receives a line per request.
	Log io.Writer
}

// Result is what a replay measured. Latencies are in ms.
type Result struct {
	Keys, Requests int
	Answered       int       // requests answered before the next key (not cancelled)
	NonEmpty       int       // of those, with ghost text
	Latencies      []float64 // request → non-empty answer, for NonEmpty requests
	// AnswerLatencies is request → answer for every request the server answered with a
	// result (not cancelled), on time or not, empty or not: the server's speed apart from
	// what the model wrote (a model with random weights writes nothing worth showing).
	AnswerLatencies []float64
	Pauses          int // keys followed by a gap of PauseMs or more
	GhostAtPauses   int // pauses during which ghost text appeared
	LineStarts      int // Enter keys followed by a pause
	GhostAtLines    int // of those, with ghost text during the pause
	KeysWithGhost   int // keys after which ghost text appeared before the next key
	Server          map[string]int64
	WallMs          float64
}

// Percentile returns the p-th percentile (0..100) of xs by nearest rank; NaN-free, 0 if empty.
func Percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	i := int(p/100*float64(len(s))+0.5) - 1
	return s[max(0, min(i, len(s)-1))]
}

// request is one inline completion request in flight or answered.
type request struct {
	key     int // index of the event that sent it
	sent    time.Time
	pending *lsptest.Pending
}

// Run replays s against a new server process and returns what it measured.
func Run(ctx context.Context, s *Session, o Options) (*Result, error) {
	if o.Speed <= 0 {
		o.Speed = 1
	}
	if o.PauseMs <= 0 {
		o.PauseMs = 500
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c, proc, err := lsptest.StartProcess(ctx, o.Server, append([]string{"--stdio"}, o.Args...), nil)
	if err != nil {
		return nil, err
	}
	defer func() {
		c.Shutdown(context.Background())
		c.Exit(context.Background())
		proc.Wait()
	}()
	if _, err := c.Initialize(ctx, lsptest.InitializeParams(o.Settings)); err != nil {
		return nil, fmt.Errorf("replay: initialize: %w\n%s", err, proc.Stderr())
	}
	doc := s.Initial.Text
	if err := c.DidOpen(ctx, s.URI, s.LanguageID, 1, doc); err != nil {
		return nil, err
	}

	res := &Result{Keys: len(s.Events)}
	var mu sync.Mutex // guards ghostAt
	ghostAt := make([]bool, len(s.Events))
	var inflight *request
	var wg sync.WaitGroup
	start := time.Now()
	version := int32(1)
	for i, ev := range s.Events {
		at := start.Add(time.Duration(ev.TMs / o.Speed * float64(time.Millisecond)))
		if d := time.Until(at); d > 0 {
			select {
			case <-time.After(d):
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		// The edit: ev.Delete code points before the cursor, then ev.Text.
		cur, err := offsetOf(doc, ev.Line, ev.Character)
		if err != nil {
			return nil, fmt.Errorf("replay: event %d: %w", i, err)
		}
		del := cur
		for n := 0; n < ev.Delete && del > 0; n++ {
			_, size := utf8.DecodeLastRuneInString(doc[:del])
			del -= size
		}
		delUnits := utf16Len(doc[del:cur])
		doc = doc[:del] + ev.Text + doc[cur:]
		version++
		ch := lsptest.Replace(uint32(ev.Line), uint32(ev.Character-delUnits), uint32(ev.Line), uint32(ev.Character), ev.Text)
		if err := c.DidChange(ctx, s.URI, version, ch); err != nil {
			return nil, err
		}
		if inflight != nil {
			c.Cancel(ctx, inflight.pending.ID)
			inflight = nil
		}
		if !ev.Request {
			continue
		}
		line, char := positionOf(doc, del+len(ev.Text))
		p, err := c.StartInlineCompletion(ctx, s.URI, uint32(line), uint32(char), completion.Automatic)
		if err != nil {
			return nil, err
		}
		res.Requests++
		r := &request{key: i, sent: time.Now(), pending: p}
		inflight = r
		var next time.Time // when the next key comes; zero for the last key
		if i+1 < len(s.Events) {
			next = start.Add(time.Duration(s.Events[i+1].TMs / o.Speed * float64(time.Millisecond)))
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := r.pending.Wait(ctx)
			if err != nil || resp.Error != nil {
				return
			}
			arrived := time.Now()
			items, err := lsptest.DecodeInlineCompletion(resp.Result)
			if err != nil {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			res.AnswerLatencies = append(res.AnswerLatencies, float64(arrived.Sub(r.sent).Microseconds())/1000)
			if o.Log != nil && (len(items) == 0 || !next.IsZero() && arrived.After(next)) {
				fmt.Fprintf(o.Log, "key %4d %-5q %7.1f ms  (%d items, late %v)\n", r.key, s.Events[r.key].Key,
					float64(arrived.Sub(r.sent).Microseconds())/1000, len(items), !next.IsZero() && arrived.After(next))
			}
			if !next.IsZero() && arrived.After(next) {
				return // the user had typed on: this answer is stale
			}
			res.Answered++
			if len(items) == 0 || strings.TrimSpace(items[0].InsertText.Text) == "" {
				return
			}
			res.NonEmpty++
			lat := float64(arrived.Sub(r.sent).Microseconds()) / 1000
			res.Latencies = append(res.Latencies, lat)
			ghostAt[r.key] = true
			if o.Log != nil {
				fmt.Fprintf(o.Log, "key %4d %-5q %7.1f ms  %q\n", r.key, s.Events[r.key].Key, lat, items[0].InsertText.Text)
			}
		}()
	}
	// Let the last request finish (the user stopped typing).
	wg.Wait()
	res.WallMs = float64(time.Since(start).Microseconds()) / 1000

	mu.Lock()
	for i, ev := range s.Events {
		gap := 1e18
		if i+1 < len(s.Events) {
			gap = s.Events[i+1].TMs - ev.TMs
		}
		if ghostAt[i] {
			res.KeysWithGhost++
		}
		if gap >= o.PauseMs {
			res.Pauses++
			if ghostAt[i] {
				res.GhostAtPauses++
			}
			if strings.HasPrefix(ev.Text, "\n") {
				res.LineStarts++
				if ghostAt[i] {
					res.GhostAtLines++
				}
			}
		}
	}
	mu.Unlock()
	var st map[string]int64
	if err := c.Call(ctx, lsp.MethodStats, nil, &st); err == nil {
		res.Server = st
	}
	return res, nil
}

// Report writes the result as a table.
func (r *Result) Report(w io.Writer) {
	fmt.Fprintf(w, "keys %d, requests %d, answered before the next key %d, with ghost text %d (wall %.1f s)\n",
		r.Keys, r.Requests, r.Answered, r.NonEmpty, r.WallMs/1000)
	fmt.Fprintf(w, "keystroke → ghost text latency: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms\n",
		Percentile(r.Latencies, 50), Percentile(r.Latencies, 90), Percentile(r.Latencies, 99))
	fmt.Fprintf(w, "request → answer (%d answered, on time or late, empty or not): p50 %.1f ms, p90 %.1f ms, p99 %.1f ms\n",
		len(r.AnswerLatencies), Percentile(r.AnswerLatencies, 50), Percentile(r.AnswerLatencies, 90), Percentile(r.AnswerLatencies, 99))
	fmt.Fprintf(w, "ghost text on screen after %d of %d keys; at %d of %d pauses; at %d of %d line starts\n",
		r.KeysWithGhost, r.Keys, r.GhostAtPauses, r.Pauses, r.GhostAtLines, r.LineStarts)
	if s := r.Server; s != nil {
		calls := max(1, s["modelCalls"])
		fmt.Fprintf(w, "model calls %d for %d requests (%.0f%% saved: %d typed-ahead cache hits, %d joined a running generation)\n",
			s["modelCalls"], s["requests"], 100*(1-float64(s["modelCalls"])/float64(max(1, s["requests"]))), s["cacheHits"], s["flightReuses"])
		fmt.Fprintf(w, "prompt tokens evaluated per model call: %.1f (of %.1f in the prompt: %.0f%% reused from the KV cache); generated per call %.1f\n",
			float64(s["evaluatedTokens"])/float64(calls), float64(s["promptTokens"])/float64(calls),
			100*(1-float64(s["evaluatedTokens"])/float64(max(1, s["promptTokens"]))), float64(s["generatedTokens"])/float64(calls))
	}
}

// offsetOf returns the byte offset of (line, UTF-16 character) in text.
func offsetOf(text string, line, char int) (int, error) {
	off := 0
	for l := 0; l < line; l++ {
		i := strings.IndexByte(text[off:], '\n')
		if i < 0 {
			return 0, fmt.Errorf("line %d past the end", line)
		}
		off += i + 1
	}
	for units := 0; units < char; {
		if off >= len(text) || text[off] == '\n' {
			return 0, fmt.Errorf("character %d past the end of line %d", char, line)
		}
		r, size := utf8.DecodeRuneInString(text[off:])
		units += utf16.RuneLen(r)
		off += size
	}
	return off, nil
}

// positionOf returns the (line, UTF-16 character) of byte offset off.
func positionOf(text string, off int) (int, int) {
	line := strings.Count(text[:off], "\n")
	start := strings.LastIndexByte(text[:off], '\n') + 1
	return line, utf16Len(text[start:off])
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}
