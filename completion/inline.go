package completion

import (
	"context"
	"fmt"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	codectx "github.com/llmls/llmls/context"
)

// InlineCompletion answers one request. The pipeline, in order: completion type from the
// syntax → typed-ahead cache → join a running generation → debounce (automatic triggers) →
// context → prompt → generate → post-process → cache.
func (e *Engine) InlineCompletion(ctx context.Context, req Request) ([]Item, error) {
	e.stats.Requests.Add(1)
	settings, backend, model, err := e.current()
	if err != nil {
		return nil, err
	}
	if !*settings.Enabled {
		return nil, nil
	}
	if req.Offset < 0 || req.Offset > len(req.Text) {
		return nil, fmt.Errorf("completion: cursor %d outside the document (%d bytes)", req.Offset, len(req.Text))
	}
	snap := e.snapshot(req)
	ctype, why := codectx.CompletionTypeAt(snap, req.Offset)
	if ctype == codectx.CompletionNone {
		e.log.Debug("no completion here", "reason", why)
		return nil, nil
	}
	multiLine := ctype == codectx.CompletionMultiLine

	// The LoRA adapters this document generates with: part of the cache and flight keys.
	lora := loraKey(settings.LoRA, req.LanguageID, req.URI)
	if rest, ok := e.cache.get(req.URI, lora, req.Text, req.Offset); ok {
		e.stats.CacheHits.Add(1)
		return e.items(req, rest), nil
	}

	f, joined := e.startOrJoin(req, lora)
	if joined {
		// wait drops our interest when it returns.
		texts, err := f.wait(ctx, req)
		if err == nil && len(texts) > 0 {
			e.stats.FlightReuses.Add(1)
			return e.items(req, texts), nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		// The generation ended without an answer for us: start our own.
		f, _ = e.startOrJoin(req, lora)
	}
	// Our interest in f ends when we return or our request is cancelled, whichever is first.
	stop := context.AfterFunc(ctx, f.release)
	defer func() {
		if stop() {
			f.release()
		}
	}()
	if req.Trigger != Invoked {
		// Debounce only what needs the model: answers from the cache or a running
		// generation above are immediate.
		if err := sleep(ctx, time.Duration(*settings.DebounceMs)*time.Millisecond); err != nil {
			f.finish(nil, err)
			return nil, err
		}
	}

	n := 1
	if req.Trigger == Invoked {
		n = settings.InvokedItems
	}
	texts, err := e.generate(f.ctx, req, snap, multiLine, settings, backend, model, n, f)
	f.finish(texts, err)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	e.cache.put(req.URI, lora, req.Text, req.Offset, texts)
	if len(texts) > 0 {
		e.stats.Answered.Add(1)
	}
	return e.items(req, texts), nil
}

// snapshot returns the workspace's syntax snapshot of the request's document when it is at
// the request's version, or parses the request's text.
func (e *Engine) snapshot(req Request) *codectx.Snapshot {
	if s, ok := e.ws.Snapshot(req.URI); ok && s.Version() == req.Version && s.Text() == req.Text {
		return s
	}
	s, _ := codectx.NewSnapshot(req.URI, req.LanguageID, req.Version, req.Text, codectx.DefaultParseBudget)
	return s
}

// items turns completion texts into items inserted at the cursor.
func (e *Engine) items(req Request, texts []string) []Item {
	out := make([]Item, 0, len(texts))
	for _, t := range texts {
		out = append(out, Item{Text: t, Start: req.Offset, End: req.Offset, ID: strconv.FormatUint(e.nextID.Add(1), 36)})
	}
	return out
}

// generate builds the prompt and runs n generations (the first greedy, the others sampled),
// post-processing each. Duplicates are dropped.
func (e *Engine) generate(ctx context.Context, req Request, snap *codectx.Snapshot, multiLine bool,
	s Settings, b Backend, m *modelInfo, n int, f *flight) ([]string, error) {
	// Everything inside works on "\n" line ends; CRLF documents give the same prompt.
	doc, cursor, eol := normalizeEOL(req.Text, req.Offset)

	parts := e.promptParts(ctx, req, snap, doc, cursor, m)
	prompt, err := Build(m.vocab, m.layout, parts)
	if err != nil {
		return nil, err
	}
	sur := surroundingsOf(doc, cursor, eol)

	select {
	case e.gen <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-e.gen }()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []string
	seen := map[string]bool{}
	for i := 0; i < n; i++ {
		gr := GenRequest{Prompt: prompt, Parts: parts, MaxTokens: s.MaxTokens, StopIDs: m.stopID, StopStrings: m.stops,
			LanguageID: req.LanguageID, URI: req.URI}
		if i > 0 {
			gr.Temperature = *s.Temperature
			gr.Seed = uint64(i)
		}
		var raw strings.Builder
		e.stats.ModelCalls.Add(1)
		st, err := b.Generate(ctx, gr, func(piece string) bool {
			raw.WriteString(piece)
			if i == 0 {
				f.progress(raw.String())
			}
			return !e.enough(snap, req, raw.String(), piece, multiLine, eol)
		})
		e.stats.PromptTokens.Add(int64(st.PromptTokens))
		e.stats.EvaluatedTokens.Add(int64(st.EvaluatedTokens))
		e.stats.GeneratedTokens.Add(int64(st.GeneratedTokens))
		e.stats.DraftedTokens.Add(int64(st.Drafted))
		e.stats.DraftAccepted.Add(int64(st.Accepted))
		if err != nil {
			if ctx.Err() != nil {
				e.stats.Cancelled.Add(1)
			}
			return nil, err
		}
		text := e.finishText(snap, req, raw.String(), multiLine, m, sur)
		e.log.Debug("generated", "prompt", st.PromptTokens, "evaluated", st.EvaluatedTokens,
			"generated", st.GeneratedTokens, "drafted", st.Drafted, "draftAccepted", st.Accepted,
			"ms", int(st.TotalMs), "text", text)
		if text != "" && !seen[text] {
			seen[text] = true
			out = append(out, text)
		}
	}
	return out, nil
}

// enough reports whether generation can stop early: a single-line completion at its first
// line break; a multi-line one after maxLines lines, or when a line ends and the syntax says
// the block being completed is already closed (the rest would be cut anyway).
func (e *Engine) enough(snap *codectx.Snapshot, req Request, raw, piece string, multiLine bool, eol string) bool {
	if !multiLine {
		return strings.ContainsRune(raw, '\n')
	}
	if !strings.ContainsRune(piece, '\n') {
		return false
	}
	if strings.Count(raw, "\n") >= maxLines {
		return true
	}
	cand := raw
	if eol == "\r\n" {
		cand = strings.ReplaceAll(raw, "\n", "\r\n")
	}
	cut, _ := codectx.TruncateCompletion(snap, req.Offset, cand, true)
	return cut < len(strings.TrimRight(cand, " \t\r\n"))
}

// maxLines caps a multi-line completion.
const maxLines = 16

// finishText post-processes raw model output: the syntax-aware cut (codectx), then the text
// steps of PostProcess.
func (e *Engine) finishText(snap *codectx.Snapshot, req Request, raw string, multiLine bool, m *modelInfo, sur Surroundings) string {
	raw = CutAtStop(raw, m.stops)
	cand := raw
	if sur.EOL == "\r\n" {
		cand = strings.ReplaceAll(raw, "\n", "\r\n")
	}
	cut, reason := codectx.TruncateCompletion(snap, req.Offset, cand, multiLine)
	if cut < len(cand) {
		e.log.Debug("cut", "reason", reason, "at", cut, "of", len(cand))
		cand = cand[:cut]
	}
	return PostProcess(cand, m.stops, multiLine, sur)
}

// promptParts gathers the context and cuts the windows for the prompt.
func (e *Engine) promptParts(ctx context.Context, req Request, snap *codectx.Snapshot, doc string, cursor int, m *modelInfo) Parts {
	p := Parts{Path: displayPath(req.URI, ""), RepoName: repoName(req.URI), Language: req.LanguageID}
	if w, snippets, ok := e.anchors.window(req.URI, doc, cursor); ok {
		p.Prefix, p.Typed, p.Suffix = w.Parts(doc)
		p.Snippets = snippets
		return dropBOM(p)
	}
	count := func(s string) int { return len(m.vocab.Encode(s)) }
	w := ChooseWindow(doc, cursor, m.budget, count)
	p.Prefix, p.Typed, p.Suffix = w.Parts(doc)
	if m.budget.Snippets > 0 {
		if cc, err := e.ws.Context(snap, req.Offset, codectx.ContextOptions{}); err == nil {
			p.Snippets = packSnippets(cc, req.URI, m.budget.Snippets, count)
		}
	}
	e.anchors.set(req.URI, doc, w, p.Snippets)
	return dropBOM(p)
}

// dropBOM removes a UTF-8 byte order mark at the start of the document from the prompt: it is
// an encoding marker, not text the model was trained on.
func dropBOM(p Parts) Parts {
	const bom = "\ufeff"
	if strings.HasPrefix(p.Prefix, bom) {
		p.Prefix = p.Prefix[len(bom):]
	} else if p.Prefix == "" {
		p.Typed = strings.TrimPrefix(p.Typed, bom)
	}
	return p
}

// packSnippets takes definitions and ranked snippets of other files until the budget is
// spent, and orders them so that the most relevant sits nearest the cursor (last).
func packSnippets(cc *codectx.CursorContext, uri string, budget int, count TokenCounter) []Snippet {
	var picked []Snippet
	seen := map[string]bool{}
	used := 0
	add := func(u, text string) {
		if text == "" || seen[u+"\x00"+text] {
			return
		}
		n := count(text) + 8
		if used+n > budget {
			return
		}
		used += n
		seen[u+"\x00"+text] = true
		picked = append(picked, Snippet{Path: displayPath(u, uri), Text: text})
	}
	for _, d := range cc.Definitions {
		if d.URI != uri {
			add(d.URI, d.Text)
		}
	}
	for _, s := range cc.Snippets {
		add(s.URI, s.Text)
	}
	// Most relevant last: reverse.
	for i, j := 0, len(picked)-1; i < j; i, j = i+1, j-1 {
		picked[i], picked[j] = picked[j], picked[i]
	}
	return picked
}

// displayPath turns a URI into the path shown to the model: relative to the directory of
// rel's document when rel is given and they share it, else the last two path elements.
func displayPath(uri, rel string) string {
	p := strings.TrimPrefix(uri, "file://")
	if rel != "" {
		dir := path.Dir(strings.TrimPrefix(rel, "file://")) + "/"
		if r, ok := strings.CutPrefix(p, dir); ok {
			return r
		}
	}
	d, f := path.Split(p)
	if d == "" || d == "/" {
		return f
	}
	return path.Join(path.Base(d), f)
}

// repoName guesses a repository name: the directory of the document.
func repoName(uri string) string {
	p := strings.TrimPrefix(uri, "file://")
	return path.Base(path.Dir(p))
}

// normalizeEOL returns text with "\r\n" replaced by "\n", the cursor moved accordingly, and
// the document's line ending.
func normalizeEOL(text string, cursor int) (string, int, string) {
	if !strings.Contains(text, "\r\n") {
		return text, cursor, "\n"
	}
	cursor -= strings.Count(text[:cursor], "\r\n")
	if cursor > 0 && strings.HasSuffix(text[:min(len(text), cursor+strings.Count(text[:cursor], "\r\n"))], "\r") {
		// The cursor sat between \r and \n; put it before the line break.
		cursor--
	}
	return strings.ReplaceAll(text, "\r\n", "\n"), cursor, "\r\n"
}

// surroundingsOf describes the cursor's neighbourhood in an LF document for PostProcess.
func surroundingsOf(doc string, cursor int, eol string) Surroundings {
	lineStart := strings.LastIndexByte(doc[:cursor], '\n') + 1
	lineSuffix, rest, _ := strings.Cut(doc[cursor:], "\n")
	next := strings.SplitN(rest, "\n", 9)
	if len(next) > 8 {
		next = next[:8]
	}
	// The indentation unit from the lines around the cursor (at most ~200 lines).
	lo := lineStart
	for i := 0; i < 100 && lo > 0; i++ {
		lo = strings.LastIndexByte(doc[:lo-1], '\n') + 1
	}
	hi := cursor
	for i := 0; i < 100 && hi < len(doc); i++ {
		j := strings.IndexByte(doc[hi:], '\n')
		if j < 0 {
			hi = len(doc)
			break
		}
		hi += j + 1
	}
	return Surroundings{
		LinePrefix: doc[lineStart:cursor], LineSuffix: lineSuffix, NextLines: next,
		Indent: DetectIndent(doc[lo:hi]), EOL: eol,
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// flight is one generation, shared by the request that started it and the later requests
// that joined it because their user typed what it was generating.
type flight struct {
	uri    string
	lora   string // loraKey of its adapters
	text   string // the document it was started for
	cursor int
	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex
	partial string // raw text generated so far (first item)
	waiters int    // requests still interested
	done    chan struct{}
	result  []string
	err     error
}

// startOrJoin joins the running generation when req's document is that generation's
// document with a prefix of what it generated so far typed at its cursor, and its LoRA
// adapters (lora, see loraKey) are the same; otherwise it cancels the running generation and
// starts a new flight for req.
func (e *Engine) startOrJoin(req Request, lora string) (*flight, bool) {
	e.flightMu.Lock()
	defer e.flightMu.Unlock()
	if f := e.flight; f != nil && f.uri == req.URI && f.lora == lora && f.canServe(req) {
		f.mu.Lock()
		f.waiters++
		f.mu.Unlock()
		return f, true
	}
	if e.flight != nil {
		e.flight.cancel()
	}
	ctx, cancel := context.WithCancel(context.Background())
	f := &flight{uri: req.URI, lora: lora, text: req.Text, cursor: req.Offset, ctx: ctx, cancel: cancel, waiters: 1, done: make(chan struct{})}
	e.flight = f
	return f, false
}

func (e *Engine) cancelFlight() {
	e.flightMu.Lock()
	defer e.flightMu.Unlock()
	if e.flight != nil {
		e.flight.cancel()
	}
}

// canServe reports whether req is f's document with text typed at f's cursor that agrees
// with what f generated so far (or will: a running generation is given the benefit of the
// doubt while what was typed extends its output so far).
func (f *flight) canServe(req Request) bool {
	if req.Offset < f.cursor || len(req.Text)-req.Offset != len(f.text)-f.cursor {
		return false
	}
	if req.Text[:f.cursor] != f.text[:f.cursor] || req.Text[req.Offset:] != f.text[f.cursor:] {
		return false
	}
	typed := req.Text[f.cursor:req.Offset]
	f.mu.Lock()
	defer f.mu.Unlock()
	select {
	case <-f.done:
		if f.err != nil {
			return false
		}
		for _, r := range f.result {
			if strings.HasPrefix(r, typed) && len(r) > len(typed) {
				return true
			}
		}
		return false
	default:
	}
	if f.ctx.Err() != nil {
		return false
	}
	return strings.HasPrefix(f.partial, typed) || strings.HasPrefix(typed, f.partial)
}

// wait waits for f to finish and returns its results with what req typed removed.
func (f *flight) wait(ctx context.Context, req Request) ([]string, error) {
	defer f.release()
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-f.done:
	}
	if f.err != nil {
		return nil, f.err
	}
	typed := req.Text[f.cursor:req.Offset]
	var out []string
	for _, r := range f.result {
		if rest, ok := strings.CutPrefix(r, typed); ok && strings.TrimSpace(rest) != "" {
			out = append(out, rest)
		}
	}
	return out, nil
}

// orphanGrace is how long a generation nobody waits for keeps running. The lsp layer cancels
// a request as soon as a newer one for the same document arrives, a moment before the newer
// one can join the generation; without the grace the generation it wants would be gone.
const orphanGrace = 150 * time.Millisecond

// release drops one waiter; the generation is cancelled when nobody has waited for it for
// orphanGrace.
func (f *flight) release() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.waiters--
	if f.waiters > 0 {
		return
	}
	time.AfterFunc(orphanGrace, func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.waiters <= 0 {
			f.cancel()
		}
	})
}

func (f *flight) progress(partial string) {
	f.mu.Lock()
	f.partial = partial
	f.mu.Unlock()
}

func (f *flight) finish(result []string, err error) {
	f.mu.Lock()
	f.result, f.err = result, err
	f.mu.Unlock()
	close(f.done)
}

// PromptFor returns the prompt that a completion request would send to the model, and the
// completion type the syntax chose (for `llmls prompt`).
func (e *Engine) PromptFor(ctx context.Context, req Request) (Prompt, codectx.CompletionType, error) {
	_, _, model, err := e.current()
	if err != nil {
		return Prompt{}, codectx.CompletionNone, err
	}
	if req.Offset < 0 || req.Offset > len(req.Text) {
		return Prompt{}, codectx.CompletionNone, fmt.Errorf("completion: cursor %d outside the document (%d bytes)", req.Offset, len(req.Text))
	}
	snap := e.snapshot(req)
	ctype, _ := codectx.CompletionTypeAt(snap, req.Offset)
	doc, cursor, _ := normalizeEOL(req.Text, req.Offset)
	p, err := Build(model.vocab, model.layout, e.promptParts(ctx, req, snap, doc, cursor, model))
	return p, ctype, err
}
