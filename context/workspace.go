package codectx

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	sitter "github.com/smacker/go-tree-sitter"
)

// Options configure a [Workspace]. The zero value gives the defaults.
type Options struct {
	// KeystrokeBudget is the wall-time limit of the incremental reparse that Change does
	// before it returns. A reparse that needs longer (tree-sitter's error recovery after an
	// unclosed bracket can take hundreds of milliseconds on a large file) is finished in the
	// background, and meanwhile the document's snapshots carry the previous tree edited to
	// the new text (Snapshot.Stale). 0 means DefaultKeystrokeBudget; negative means no
	// limit (Change always returns a fresh tree).
	KeystrokeBudget time.Duration
	// BackgroundDelay is how long the background parse waits for the document to stop
	// changing before it starts (and, when the document changed while it parsed, before it
	// starts over), so that a burst of keystrokes costs one parse, not one each. 0 means
	// DefaultBackgroundDelay; negative means no wait.
	BackgroundDelay time.Duration
	// ParseBudget is the wall-time limit of a full parse that blocks a caller (Open, a bad
	// edit); the background parse gets ten times as much. A document whose parse runs out
	// of it is plain text until a retry succeeds.
	// 0 means DefaultParseBudget; negative means no limit.
	ParseBudget time.Duration
	// MaxParseBytes: documents longer than this many bytes are not parsed. 0 means
	// DefaultMaxParseBytes; negative means no limit.
	MaxParseBytes int
	// KeepClosed is how many recently closed documents are kept as snippet and definition
	// sources. 0 means DefaultKeepClosed; negative means none.
	KeepClosed int
}

// Defaults of [Options].
const (
	// DefaultKeystrokeBudget: an incremental reparse after a keystroke in a 5,000-line Go
	// file takes about 1 ms of CPU here when the text stays parsable; 2 ms keeps edit +
	// reparse + context gathering under the 5 ms target even when the reparse runs out of
	// budget (BenchKeystrokes).
	DefaultKeystrokeBudget = 2 * time.Millisecond
	// DefaultBackgroundDelay: shorter than the gap between keystrokes of a fast typist
	// (~60 ms), so the tree is fresh again right after a pause.
	DefaultBackgroundDelay = 20 * time.Millisecond
	// DefaultParseBudget: a full parse of 5,000 lines of Go takes 20–110 ms here (the high
	// end with unclosed brackets); 500 ms leaves room for a loaded machine and larger files.
	DefaultParseBudget = 500 * time.Millisecond
	// DefaultMaxParseBytes: 8 MiB; a file this large is data, not code being typed.
	DefaultMaxParseBytes = 8 << 20
	// DefaultKeepClosed documents stay available after didClose.
	DefaultKeepClosed = 16
)

// Retry backoff after a failed parse: the first retry waits minRetry, each further failure
// doubles the wait up to maxRetry, so a pathological file costs one ParseBudget per wait.
const (
	minRetry = time.Second
	maxRetry = time.Minute
)

// Edit is one text change in byte offsets: Text replaces [Start, End) of the document as it
// was just before this edit. A didChange notification becomes a list of Edits applied in
// order (LSP TextDocumentContentChangeEvent, converted to bytes by the lsp package).
type Edit struct {
	Start int // byte offset, inclusive
	End   int // byte offset, exclusive
	Text  string
}

// EditError says which edit of a Change was invalid and why. The document is still updated
// (to the Change's newText, with a full parse).
type EditError struct {
	URI     string
	Version int32
	Index   int // index of the bad edit in the list, or -1 when the list as a whole is wrong
	Start   int // the edit's range, bytes
	End     int
	Len     int // length of the text the edit applied to, bytes
	Reason  string
}

func (e *EditError) Error() string {
	if e.Index < 0 {
		return fmt.Sprintf("codectx: %s version %d: %s; reparsed in full", e.URI, e.Version, e.Reason)
	}
	return fmt.Sprintf("codectx: %s version %d: edit %d [%d, %d) on %d bytes: %s; reparsed in full",
		e.URI, e.Version, e.Index, e.Start, e.End, e.Len, e.Reason)
}

func (e *EditError) Unwrap() error { return ErrBadEdit }

// Workspace holds the open documents: their current text and syntax tree, updated
// incrementally from the editor's changes, and a few recently closed ones. All methods are
// safe for concurrent use. Changes to one document are serialized; snapshots are read
// without waiting for a parse in progress.
type Workspace struct {
	opts Options

	mu     sync.RWMutex
	docs   map[string]*document // by URI
	closed []*Snapshot          // recently closed, oldest first
}

// document is the workspace's record of one open document.
type document struct {
	snap atomic.Pointer[Snapshot] // current version; read without mu

	mu sync.Mutex // serializes changes; guards the fields below
	// bgCancel is set while a background parse runs for this document.
	bgCancel context.CancelFunc
	// After a failed parse the document is plain text until retryAt; failures counts the
	// consecutive failures (for the backoff).
	retryAt  time.Time
	failures int
	// published is closed (and replaced) whenever a snapshot is stored: WaitParsed waits
	// on it.
	published chan struct{}
	cache     *indexCache
	closed    bool
}

// NewWorkspace returns an empty workspace.
func NewWorkspace(opts Options) *Workspace {
	if opts.KeystrokeBudget == 0 {
		opts.KeystrokeBudget = DefaultKeystrokeBudget
	}
	if opts.ParseBudget == 0 {
		opts.ParseBudget = DefaultParseBudget
	}
	if opts.BackgroundDelay == 0 {
		opts.BackgroundDelay = DefaultBackgroundDelay
	}
	if opts.MaxParseBytes == 0 {
		opts.MaxParseBytes = DefaultMaxParseBytes
	}
	if opts.KeepClosed == 0 {
		opts.KeepClosed = DefaultKeepClosed
	}
	return &Workspace{opts: opts, docs: map[string]*document{}}
}

// backgroundBudget is the budget of the background full parse. Nobody waits for it, so it
// gets ten times ParseBudget: on a loaded machine (two cores shared with other work) a
// wall-time budget is easily eaten by others.
func (w *Workspace) backgroundBudget() time.Duration { return 10 * w.budget() }

func (w *Workspace) budget() time.Duration          { return max(w.opts.ParseBudget, 0) }
func (w *Workspace) keystrokeBudget() time.Duration { return max(w.opts.KeystrokeBudget, 0) }

func (w *Workspace) maxBytes() int {
	if w.opts.MaxParseBytes < 0 {
		return int(^uint(0) >> 1)
	}
	return w.opts.MaxParseBytes
}

// Open records a document (textDocument/didOpen) and parses it in full, within
// Options.ParseBudget. The language comes from languageID, or from the URI's extension when
// languageID names no grammar. Opening a URI that is already open replaces it. The returned
// error is informational (a *ParseError when the document could not be parsed and is used
// as plain text); the document is open either way.
func (w *Workspace) Open(uri, languageID string, version int32, text string) error {
	lang := DetectLanguage(languageID, uri)
	d := &document{cache: &indexCache{}, published: make(chan struct{})}
	snap, perr := w.fullParse(d, uri, languageID, version, text, lang)
	d.snap.Store(snap)

	w.mu.Lock()
	if old := w.docs[uri]; old != nil {
		old.mu.Lock()
		old.shutdownLocked()
		old.mu.Unlock()
	}
	w.docs[uri] = d
	w.dropClosedLocked(uri)
	w.mu.Unlock()
	return perr
}

// Change applies a textDocument/didChange: newText is the full text after all edits (the
// caller has applied them), and edits are the changes in byte offsets, each relative to the
// text just before it, in order. The tree is edited (ts_tree_edit, with byte offsets and
// row/column points) and reparsed incrementally from the previous one, within
// Options.KeystrokeBudget; past that budget the reparse finishes in the background (see
// Snapshot.Stale and WaitParsed). With no edits (full document sync) the single edit is
// derived from the common prefix and suffix of the old and new text, so that the parse is
// still incremental.
//
// Errors: ErrNotOpen (wrapped) when the URI is not open (nothing changes); an *EditError when
// an edit's range is invalid or the edits do not produce newText — the document is then
// updated to newText with a full parse, never left with a wrong tree; a *ParseError when
// that full parse failed and the document is now plain text.
func (w *Workspace) Change(uri string, version int32, newText string, edits []Edit) error {
	w.mu.RLock()
	d := w.docs[uri]
	w.mu.RUnlock()
	if d == nil {
		return fmt.Errorf("%w: %s", ErrNotOpen, uri)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return fmt.Errorf("%w: %s", ErrNotOpen, uri)
	}

	old := d.snap.Load()
	lang := old.lang
	next := &Snapshot{uri: uri, languageID: old.languageID, version: version, text: newText, lang: lang, cache: d.cache}
	switch {
	case !lang.HasGrammar():
		d.publishLocked(next)
		return nil
	case len(newText) > w.maxBytes():
		d.stopBackgroundLocked()
		next.parseErr = &ParseError{URI: uri, Language: lang.Name, Bytes: len(newText), Budget: w.budget(), Err: ErrTooLarge}
		d.publishLocked(next)
		return nil
	case old.tree == nil:
		// Plain text after a failed parse: retry in the background once the backoff is over.
		next.parseErr = old.parseErr
		d.publishLocked(next)
		if d.bgCancel == nil && !time.Now().Before(d.retryAt) {
			w.startBackgroundLocked(d)
		}
		return nil
	}

	if len(edits) == 0 {
		edits = diffEdits(old.text, newText)
	}
	t := old.tree.Copy()
	if editErr := applyEdits(t, old.text, newText, edits); editErr != nil {
		t.Close()
		d.stopBackgroundLocked()
		editErr.URI, editErr.Version = uri, version
		snap, perr := w.fullParse(d, uri, old.languageID, version, newText, lang)
		d.publishLocked(snap)
		if perr != nil {
			return fmt.Errorf("%w; then %w", editErr, perr)
		}
		return editErr
	}
	if d.bgCancel != nil {
		// A background parse is catching up: hand it the edited tree.
		next.tree, next.stale = t, true
		d.publishLocked(next)
		return nil
	}
	nt, err := parseText(context.Background(), lang, newText, t, w.keystrokeBudget())
	if err != nil {
		next.tree, next.stale = t, true
		d.publishLocked(next)
		w.startBackgroundLocked(d)
		return nil
	}
	t.Close()
	next.tree = nt
	d.publishLocked(next)
	return nil
}

// fullParse makes a snapshot of text parsed from scratch within ParseBudget. d.mu is held or
// d is not yet shared.
func (w *Workspace) fullParse(d *document, uri, languageID string, version int32, text string, lang *Language) (*Snapshot, error) {
	snap := &Snapshot{uri: uri, languageID: languageID, version: version, text: text, lang: lang, cache: d.cache}
	if !lang.HasGrammar() {
		return snap, nil
	}
	if len(text) > w.maxBytes() {
		snap.parseErr = &ParseError{URI: uri, Language: lang.Name, Bytes: len(text), Budget: w.budget(), Err: ErrTooLarge}
		return snap, snap.parseErr
	}
	t, err := parseText(context.Background(), lang, text, nil, w.budget())
	if err != nil {
		d.failedLocked()
		snap.parseErr = &ParseError{URI: uri, Language: lang.Name, Bytes: len(text), Budget: w.budget(), Err: err}
		return snap, snap.parseErr
	}
	d.failures = 0
	snap.tree = t
	return snap, nil
}

// failedLocked starts or extends the plain-text backoff.
func (d *document) failedLocked() {
	wait := minRetry << min(d.failures, 6)
	d.retryAt = time.Now().Add(min(wait, maxRetry))
	d.failures++
}

// publishLocked makes snap the current snapshot and wakes WaitParsed callers.
func (d *document) publishLocked(snap *Snapshot) {
	d.snap.Store(snap)
	close(d.published)
	d.published = make(chan struct{})
}

// startBackgroundLocked starts the goroutine that brings the document's tree up to date.
func (w *Workspace) startBackgroundLocked(d *document) {
	ctx, cancel := context.WithCancel(context.Background())
	d.bgCancel = cancel
	go w.background(ctx, d)
}

// stopBackgroundLocked cancels a background parse (its result is dropped).
func (d *document) stopBackgroundLocked() {
	if d.bgCancel != nil {
		d.bgCancel()
		d.bgCancel = nil
	}
}

func (d *document) shutdownLocked() {
	d.stopBackgroundLocked()
	d.closed = true
	close(d.published)
	d.published = make(chan struct{})
}

// background parses the latest text of d until the result is still current when it is
// done, then publishes it. It first tries an incremental reparse from the current (stale)
// tree — fast again once the text is balanced — and then a full parse, which tree-sitter's
// error recovery handles far faster than an incremental one on a large file (90 ms against
// 530 ms for an unclosed call in the 5,000-line benchmark file).
func (w *Workspace) background(ctx context.Context, d *document) {
	for {
		if !w.quiet(ctx, d) {
			return
		}
		d.mu.Lock()
		if ctx.Err() != nil {
			// Stopped: whoever cancelled owns bgCancel now.
			d.mu.Unlock()
			return
		}
		target := d.snap.Load()
		if target.tree != nil && !target.stale {
			// A keystroke reparse (or a bad edit's full parse) caught up.
			d.bgCancel = nil
			d.mu.Unlock()
			return
		}
		d.mu.Unlock()
		var nt *sitter.Tree
		var err error
		if target.tree != nil {
			base := target.tree.Copy()
			nt, err = parseText(ctx, target.lang, target.text, base, min(w.budget(), 4*w.keystrokeBudget()+10*time.Millisecond))
			base.Close()
		}
		if nt == nil {
			nt, err = parseText(ctx, target.lang, target.text, nil, w.backgroundBudget())
		}
		d.mu.Lock()
		if ctx.Err() != nil || d.closed {
			d.mu.Unlock()
			if nt != nil {
				nt.Close()
			}
			return
		}
		if d.snap.Load() != target {
			// The document moved on while we parsed: start over from its latest text.
			d.mu.Unlock()
			if nt != nil {
				nt.Close()
			}
			continue
		}
		fresh := &Snapshot{uri: target.uri, languageID: target.languageID, version: target.version,
			text: target.text, lang: target.lang, cache: d.cache}
		if err != nil {
			d.failedLocked()
			fresh.parseErr = &ParseError{URI: target.uri, Language: target.lang.Name, Bytes: len(target.text), Budget: w.backgroundBudget(), Err: err}
		} else {
			d.failures = 0
			fresh.tree = nt
		}
		d.publishLocked(fresh)
		d.bgCancel = nil
		d.mu.Unlock()
		return
	}
}

// quiet waits until d has not changed for Options.BackgroundDelay. It returns false when
// ctx is done.
func (w *Workspace) quiet(ctx context.Context, d *document) bool {
	delay := w.opts.BackgroundDelay
	if delay <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(delay)
	defer timer.Stop()
	for {
		d.mu.Lock()
		ch := d.published
		d.mu.Unlock()
		select {
		case <-ctx.Done():
			return false
		case <-ch:
			// Changed: wait a full delay again.
			if !timer.Stop() {
				<-timer.C
			}
			timer.Reset(delay)
		case <-timer.C:
			return true
		}
	}
}

// WaitParsed waits until the current snapshot of uri is not Stale (its tree was parsed from
// its text, or the document is plain text) or ctx is done, and returns the current snapshot.
// Errors: ErrNotOpen (wrapped); ctx.Err() together with the current, stale, snapshot.
func (w *Workspace) WaitParsed(ctx context.Context, uri string) (*Snapshot, error) {
	w.mu.RLock()
	d := w.docs[uri]
	w.mu.RUnlock()
	if d == nil {
		return nil, fmt.Errorf("%w: %s", ErrNotOpen, uri)
	}
	for {
		d.mu.Lock()
		snap, ch, closed := d.snap.Load(), d.published, d.closed
		d.mu.Unlock()
		if !snap.stale {
			return snap, nil
		}
		if closed {
			return snap, fmt.Errorf("%w: %s", ErrNotOpen, uri)
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return snap, ctx.Err()
		}
	}
}

// Close forgets an open document (textDocument/didClose) and stops its background parse.
// Its last snapshot stays available as a source of snippets and definitions among the
// Options.KeepClosed most recently closed. Closing a URI that is not open does nothing.
func (w *Workspace) Close(uri string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	d := w.docs[uri]
	if d == nil {
		return
	}
	d.mu.Lock()
	d.shutdownLocked()
	d.mu.Unlock()
	delete(w.docs, uri)
	w.dropClosedLocked(uri)
	if w.opts.KeepClosed > 0 {
		w.closed = append(w.closed, d.snap.Load())
		if n := len(w.closed) - w.opts.KeepClosed; n > 0 {
			w.closed = append(w.closed[:0], w.closed[n:]...)
		}
	}
}

// dropClosedLocked removes uri from the closed list. w.mu is held for writing.
func (w *Workspace) dropClosedLocked(uri string) {
	kept := w.closed[:0]
	for _, s := range w.closed {
		if s.uri != uri {
			kept = append(kept, s)
		}
	}
	clear(w.closed[len(kept):])
	w.closed = kept
}

// Snapshot returns the current snapshot of an open document, or false when it is not open.
func (w *Workspace) Snapshot(uri string) (*Snapshot, bool) {
	w.mu.RLock()
	d := w.docs[uri]
	w.mu.RUnlock()
	if d == nil {
		return nil, false
	}
	return d.snap.Load(), true
}

// Snapshots returns the current snapshots of all open documents (by URI) followed by the
// recently closed ones (most recently closed first), excluding the URI exclude ("" excludes
// nothing).
func (w *Workspace) Snapshots(exclude string) []*Snapshot {
	w.mu.RLock()
	defer w.mu.RUnlock()
	out := make([]*Snapshot, 0, len(w.docs)+len(w.closed))
	for uri, d := range w.docs {
		if uri != exclude {
			out = append(out, d.snap.Load())
		}
	}
	sortSnapshots(out)
	for i := len(w.closed) - 1; i >= 0; i-- {
		if s := w.closed[i]; s.uri != exclude {
			out = append(out, s)
		}
	}
	return out
}

// applyEdits checks edits against old and newText and applies them to t. It returns nil
// when every edit is in range and applying them in order to old gives newText; t is then
// edited to describe newText. Otherwise it returns the first problem (t is then garbage).
func applyEdits(t *sitter.Tree, old, newText string, edits []Edit) *EditError {
	cur := old
	for i, e := range edits {
		if e.Start < 0 || e.End < e.Start || e.End > len(cur) {
			return &EditError{Index: i, Start: e.Start, End: e.End, Len: len(cur), Reason: "range outside the text or reversed"}
		}
		if len(cur)-(e.End-e.Start)+len(e.Text) > 1<<31 {
			return &EditError{Index: i, Start: e.Start, End: e.End, Len: len(cur), Reason: "text longer than 2 GiB"}
		}
		sp := pointAt(cur, e.Start)
		editTree(t, inputEdit{
			startByte:   uint32(e.Start),
			oldEndByte:  uint32(e.End),
			newEndByte:  uint32(e.Start + len(e.Text)),
			startPoint:  sp,
			oldEndPoint: pointAt(cur, e.End),
			newEndPoint: advancePoint(sp, e.Text),
		})
		if len(edits) == 1 {
			// One edit (a keystroke): check it against newText without building the result.
			if len(newText) != len(cur)-(e.End-e.Start)+len(e.Text) ||
				newText[:e.Start] != cur[:e.Start] ||
				newText[e.Start:e.Start+len(e.Text)] != e.Text ||
				newText[e.Start+len(e.Text):] != cur[e.End:] {
				return &EditError{Index: -1, Len: len(cur), Reason: "the edit does not produce the new text"}
			}
			return nil
		}
		cur = cur[:e.Start] + e.Text + cur[e.End:]
	}
	if cur != newText {
		return &EditError{Index: -1, Len: len(old), Reason: "the edits do not produce the new text"}
	}
	return nil
}

// diffEdits returns the single edit that turns old into new (common prefix and suffix), or
// none when they are equal.
func diffEdits(old, new string) []Edit {
	if old == new {
		return nil
	}
	p := 0
	for p < len(old) && p < len(new) && old[p] == new[p] {
		p++
	}
	s := 0
	for s < len(old)-p && s < len(new)-p && old[len(old)-1-s] == new[len(new)-1-s] {
		s++
	}
	return []Edit{{Start: p, End: len(old) - s, Text: new[p : len(new)-s]}}
}
