package completion

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	codectx "github.com/llmls/llmls/context"
)

// Engine is the completion engine behind the language server (it implements lsp.Engine).
//
// One model serves every document, so generations run one at a time: a newer request
// cancels the generation of an older one (within one token) unless it can reuse it — when
// the user typed the start of what is being generated (see flight). Finished completions go
// into a typed-ahead cache.
type Engine struct {
	log *slog.Logger
	ws  *codectx.Workspace

	// base are the settings from the command line, environment and config file; the
	// client's settings are merged over them.
	base Settings
	// load opens a backend for settings (the real one loads models; tests fake it).
	load BackendLoader

	cfgMu    sync.RWMutex // guards the fields below
	settings Settings
	backend  Backend
	model    *modelInfo
	partial  bool // backend was loaded with an error (see BackendLoader): reload next time

	// gen is held (a token in it) while a generation runs on the backend. A channel rather
	// than a mutex so a waiting request can give up when its context is cancelled.
	gen chan struct{}

	flightMu sync.Mutex
	flight   *flight // the newest generation, running or finished

	cache   *aheadCache
	anchors anchors // per document, the prompt window to keep (see anchor.go)
	stats   Stats

	nextID atomic.Uint64
	now    func() time.Time
}

// BackendLoader opens the backend that settings ask for. The Engine calls it at Configure
// when the model, backend or endpoint changed, and closes the previous backend.
//
// A loader may return a usable backend together with an error when part of the settings
// could not be applied (a LoRA adapter that does not load: *LoRAError): the engine then
// serves with that backend, Configure returns the error so the user sees it, and the next
// Configure loads again even when the settings did not change (the file may be fixed).
type BackendLoader func(ctx context.Context, s Settings, log *slog.Logger) (Backend, error)

// ErrPartlyApplied wraps the error Configure returns after such a partial load: the settings
// are in use and the engine serves, without the parts the error names. A caller tells it from
// a failed Configure (nothing applied) with errors.Is.
var ErrPartlyApplied = errors.New("completion: settings partly applied")

// modelInfo is what prompt building needs of the current backend.
type modelInfo struct {
	vocab  Vocab
	layout Layout
	stops  []string // stop strings (template stops and markers)
	stopID []int32
	budget Budget
	nCtx   int
}

// EngineOptions configure NewEngine.
type EngineOptions struct {
	// Logger receives the engine's logs (nil: slog.Default()).
	Logger *slog.Logger
	// Base settings (command line, environment, config file); client settings override.
	Base Settings
	// Load opens backends; required.
	Load BackendLoader
	// Workspace holds the documents' syntax trees; nil makes a new one.
	Workspace *codectx.Workspace
}

// NewEngine returns an engine without a model; Configure loads one.
func NewEngine(opts EngineOptions) *Engine {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	ws := opts.Workspace
	if ws == nil {
		ws = codectx.NewWorkspace(codectx.Options{})
	}
	return &Engine{
		log: log, ws: ws, base: opts.Base, load: opts.Load,
		cache: newAheadCache(64), now: time.Now, gen: make(chan struct{}, 1),
	}
}

// Configure applies client settings (raw JSON from initializationOptions or
// workspace/didChangeConfiguration) over the base settings and loads the backend they name
// when it changed. On error the previous backend stays in use, except for an error wrapping
// ErrPartlyApplied (see BackendLoader).
func (e *Engine) Configure(ctx context.Context, raw json.RawMessage) error {
	client, err := ParseSettings(raw)
	if err != nil {
		return err
	}
	s := e.base.Merge(client).WithDefaults()

	e.cfgMu.RLock()
	old, oldBackend, partial := e.settings, e.backend, e.partial
	e.cfgMu.RUnlock()
	needLoad := oldBackend == nil || partial || s.Model != old.Model || s.Backend != old.Backend ||
		s.Endpoint != old.Endpoint || s.RemoteModel != old.RemoteModel || s.Threads != old.Threads ||
		s.DraftModel != old.DraftModel || !equalLookup(s.Lookup, old.Lookup) || !equalLoRA(s.LoRA, old.LoRA) ||
		s.Device != old.Device
	backend := oldBackend
	var loadErr error // a partial load's error (see BackendLoader)
	if needLoad {
		start := e.now()
		b, err := e.load(ctx, s, e.log)
		if b == nil {
			if err == nil {
				err = errors.New("completion: backend loader returned no backend")
			}
			return err
		}
		backend, loadErr = b, err
		e.log.Info("model loaded", "backend", b.Name(), "ms", e.now().Sub(start).Milliseconds())
		if loadErr != nil {
			e.log.Warn("settings partly applied", "err", loadErr)
		}
	}
	info, err := newModelInfo(backend, s)
	if err != nil {
		if backend != oldBackend {
			backend.Close()
		}
		return errors.Join(err, loadErr)
	}
	e.cfgMu.Lock()
	e.settings, e.backend, e.model = s, backend, info
	if needLoad {
		e.partial = loadErr != nil
	}
	e.cfgMu.Unlock()
	if oldBackend != nil && oldBackend != backend {
		// Wait for a running generation on the old backend to end before closing it.
		e.cancelFlight()
		e.gen <- struct{}{}
		oldBackend.Close()
		<-e.gen
		// Completions of the old model (or adapters, or settings) must not be served.
		e.cache.clear()
	}
	e.anchors.forget("") // the budget or the model's vocabulary may have changed
	e.log.Info("configured", "template", info.layout.Template.Family, "order", info.layout.Order.String(),
		"budget", fmt.Sprintf("%d+%d+%d", info.budget.Prefix, info.budget.Suffix, info.budget.Snippets))
	if loadErr != nil {
		return fmt.Errorf("%w: %w", ErrPartlyApplied, loadErr)
	}
	return nil
}

// newModelInfo chooses the FIM template and budget for a backend.
func newModelInfo(b Backend, s Settings) (*modelInfo, error) {
	v := b.Vocab()
	var tpl Template
	var err error
	if s.FIMFamily != "" {
		var ok bool
		if tpl, ok = TemplateByFamily(s.FIMFamily); !ok {
			return nil, fmt.Errorf("completion: unknown fimFamily %q", s.FIMFamily)
		}
		err = tpl.Check(v)
	} else {
		tpl, err = DetectTemplate(v)
	}
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", b.Name(), err)
	}
	order := tpl.Order
	if o, ok := b.(interface{ NativeOrder() (Order, bool) }); ok {
		if n, ok := o.NativeOrder(); ok {
			order = n
		}
	}
	switch s.FIMOrder {
	case "psm":
		order = PSM
	case "spm":
		order = SPM
	case "":
	default:
		return nil, fmt.Errorf("completion: fimOrder %q: want psm or spm", s.FIMOrder)
	}
	bos := int32(-1)
	if bv, ok := v.(interface {
		AddBOS() bool
		BOS() int32
	}); ok && bv.AddBOS() {
		bos = bv.BOS()
	}
	nCtx := b.ContextLength()
	budget := DefaultBudget(nCtx, s.MaxTokens)
	if s.ContextTokens > 0 {
		budget = DefaultBudget(s.ContextTokens+s.MaxTokens+32, s.MaxTokens)
	}
	stops := append([]string(nil), tpl.Stop...)
	for _, m := range []string{tpl.Prefix, tpl.Suffix, tpl.Middle, tpl.FileSep, tpl.RepoName} {
		if m != "" {
			stops = append(stops, m)
		}
	}
	return &modelInfo{
		vocab:  v,
		layout: Layout{Template: tpl, Order: order, BOS: bos},
		stops:  stops, stopID: tpl.StopIDs(v), budget: budget, nCtx: nCtx,
	}, nil
}

// DidOpen implements lsp.Engine.
func (e *Engine) DidOpen(uri, languageID string, version int32, text string) {
	if err := e.ws.Open(uri, languageID, version, text); err != nil {
		e.log.Debug("open", "uri", uri, "err", err)
	}
}

// DidChange implements lsp.Engine.
func (e *Engine) DidChange(uri string, version int32, newText string, edits []Edit) {
	ce := make([]codectx.Edit, len(edits))
	for i, ed := range edits {
		ce[i] = codectx.Edit{Start: ed.Start, End: ed.End, Text: ed.Text}
	}
	if err := e.ws.Change(uri, version, newText, ce); err != nil {
		e.log.Warn("change", "uri", uri, "err", err)
	}
}

// DidClose implements lsp.Engine.
func (e *Engine) DidClose(uri string) {
	e.ws.Close(uri)
	e.cache.forget(uri)
	e.anchors.forget(uri)
}

// Accepted implements lsp.Engine: the user accepted the item with this ID.
func (e *Engine) Accepted(id string) {
	e.stats.Accepted.Add(1)
	e.log.Debug("accepted", "id", id)
}

// Close releases the backend.
func (e *Engine) Close() error {
	e.cancelFlight()
	e.cfgMu.Lock()
	b := e.backend
	e.backend = nil
	e.cfgMu.Unlock()
	if b != nil {
		e.gen <- struct{}{}
		defer func() { <-e.gen }()
		return b.Close()
	}
	return nil
}

// current returns the settings and model in use, or an error when none is loaded.
func (e *Engine) current() (Settings, Backend, *modelInfo, error) {
	e.cfgMu.RLock()
	defer e.cfgMu.RUnlock()
	if e.backend == nil {
		return e.settings, nil, nil, errNoModel
	}
	return e.settings, e.backend, e.model, nil
}

var errNoModel = errors.New("completion: no model loaded (Configure was not called or failed)")

func equalLookup(a, b *bool) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}

func equalLoRA(a, b []LoRASetting) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// Stats are counters of the engine's work since it started, for `llmls bench` and logs.
type Stats struct {
	Requests        atomic.Int64 // inline completion requests
	Answered        atomic.Int64 // requests answered with at least one item
	CacheHits       atomic.Int64 // answered from the typed-ahead cache
	FlightReuses    atomic.Int64 // answered by joining a generation already running
	ModelCalls      atomic.Int64 // generations started
	Cancelled       atomic.Int64 // generations cancelled
	PromptTokens    atomic.Int64 // prompt tokens of all generations
	EvaluatedTokens atomic.Int64 // prompt tokens evaluated (not reused from the KV cache)
	GeneratedTokens atomic.Int64
	Accepted        atomic.Int64 // items the user accepted
	// Speculative decoding: draft tokens the model verified, and those it accepted.
	DraftedTokens, DraftAccepted atomic.Int64
}

// DraftAcceptance returns DraftAccepted / DraftedTokens (0 when nothing was drafted).
func (s *Stats) DraftAcceptance() float64 {
	d := s.DraftedTokens.Load()
	if d == 0 {
		return 0
	}
	return float64(s.DraftAccepted.Load()) / float64(d)
}

// Stats returns the engine's counters.
func (e *Engine) Stats() *Stats { return &e.stats }

// StatsSnapshot implements lsp.StatsEngine: the counters as plain numbers, plus the process's
// goroutine count and live heap (bytes, after a GC) so that tests can check for leaks.
// Speculative decoding: "draftedTokens", "draftAccepted" and the acceptance rate in
// thousandths, "draftAcceptancePermille" (every value is an integer, so clients can decode
// the snapshot as a map of int64).
func (e *Engine) StatsSnapshot() any {
	s := &e.stats
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return map[string]int64{
		"goroutines": int64(runtime.NumGoroutine()), "heapBytes": int64(ms.HeapAlloc),
		"requests": s.Requests.Load(), "answered": s.Answered.Load(), "cacheHits": s.CacheHits.Load(),
		"flightReuses": s.FlightReuses.Load(), "modelCalls": s.ModelCalls.Load(), "cancelled": s.Cancelled.Load(),
		"promptTokens": s.PromptTokens.Load(), "evaluatedTokens": s.EvaluatedTokens.Load(),
		"generatedTokens": s.GeneratedTokens.Load(), "accepted": s.Accepted.Load(),
		"draftedTokens": s.DraftedTokens.Load(), "draftAccepted": s.DraftAccepted.Load(),
		"draftAcceptancePermille": int64(math.Round(1000 * s.DraftAcceptance())),
	}
}
