package completion_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/llmls/llmls/completion"
)

// tokenTime is how long the fake backend takes per generated token (virtual time).
const tokenTime = 10 * time.Millisecond

// fakeBackend "generates" a scripted completion one byte per token, tokenTime apart, and
// records what it was asked. It answers greedy requests with Output and sampled ones with
// Output with its first "+" made a "-", so invoked requests get distinct items.
type fakeBackend struct {
	Output func(p completion.Prompt) string

	mu      sync.Mutex
	calls   int
	prompts []completion.Prompt
}

func (b *fakeBackend) Vocab() completion.Vocab { return vocabFor("qwen2.5-coder") }
func (b *fakeBackend) ContextLength() int      { return 4096 }
func (b *fakeBackend) Name() string            { return "fake" }
func (b *fakeBackend) Close() error            { return nil }

func (b *fakeBackend) Generate(ctx context.Context, req completion.GenRequest, emit func(string) bool) (completion.GenStats, error) {
	b.mu.Lock()
	b.calls++
	b.prompts = append(b.prompts, req.Prompt)
	b.mu.Unlock()
	out := b.Output(req.Prompt)
	if req.Temperature > 0 {
		out = strings.Replace(out, "+", "-", 1)
	}
	st := completion.GenStats{PromptTokens: len(req.Prompt.Tokens), EvaluatedTokens: len(req.Prompt.Tokens)}
	for i := 0; i < len(out); i++ {
		time.Sleep(tokenTime)
		if err := ctx.Err(); err != nil {
			return st, err
		}
		st.GeneratedTokens++
		if !emit(out[i : i+1]) {
			break
		}
	}
	return st, nil
}

func (b *fakeBackend) Calls() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.calls
}

func newTestEngine(t *testing.T, b *fakeBackend, settings string) *completion.Engine {
	t.Helper()
	e := completion.NewEngine(completion.EngineOptions{
		Logger: slog.New(slog.DiscardHandler),
		Load: func(ctx context.Context, s completion.Settings, log *slog.Logger) (completion.Backend, error) {
			return b, nil
		},
	})
	if err := e.Configure(context.Background(), json.RawMessage(settings)); err != nil {
		t.Fatal(err)
	}
	return e
}

const goDoc = "package calc\n\nfunc add(a, b int) int {\n\treturn \n}\n"

// request returns a request for doc with the cursor at the first occurrence of mark
// (removed from the text).
func request(doc, mark string, trigger completion.TriggerKind) completion.Request {
	off := strings.Index(doc, mark)
	text := doc[:off] + doc[off+len(mark):]
	return completion.Request{URI: "file:///w/calc.go", LanguageID: "go", Version: 1, Text: text, Offset: off, Trigger: trigger}
}

func TestEngineBasic(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := &fakeBackend{Output: func(completion.Prompt) string { return "a + b\n}\n\nfunc sub(" }}
		e := newTestEngine(t, b, `{"debounceMs": 0}`)
		req := request("package calc\n\nfunc add(a, b int) int {\n\treturn ‸\n}\n", "‸", completion.Automatic)
		e.DidOpen(req.URI, "go", 1, req.Text)
		items, err := e.InlineCompletion(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		if len(items) != 1 || items[0].Text != "a + b" || items[0].Start != req.Offset || items[0].End != req.Offset {
			t.Fatalf("items = %+v, want one \"a + b\" at %d", items, req.Offset)
		}
		p := b.prompts[0]
		if !strings.Contains(p.Text, "<|fim_suffix|>") || !strings.HasSuffix(p.Text, "\treturn <|fim_middle|>") && !strings.HasSuffix(p.Text, "<|fim_middle|>\treturn ") {
			t.Errorf("unexpected prompt %q", p.Text)
		}
	})
}

func TestEngineTypedAheadCache(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := &fakeBackend{Output: func(completion.Prompt) string { return "a + b" }}
		e := newTestEngine(t, b, `{"debounceMs": 0}`)
		doc := "package calc\n\nfunc add(a, b int) int {\n\treturn ‸\n}\n"
		if _, err := e.InlineCompletion(context.Background(), request(doc, "‸", completion.Automatic)); err != nil {
			t.Fatal(err)
		}
		// The user types "a +": the rest comes from the cache, without a model call.
		items, err := e.InlineCompletion(context.Background(), request(strings.Replace(doc, "‸", "a +‸", 1), "‸", completion.Automatic))
		if err != nil {
			t.Fatal(err)
		}
		if len(items) != 1 || items[0].Text != " b" {
			t.Fatalf("items = %+v, want \" b\"", items)
		}
		if b.Calls() != 1 || e.Stats().CacheHits.Load() != 1 {
			t.Errorf("model calls %d, cache hits %d; want 1 and 1", b.Calls(), e.Stats().CacheHits.Load())
		}
		// Typing something else needs the model again.
		e.InlineCompletion(context.Background(), request(strings.Replace(doc, "‸", "b‸", 1), "‸", completion.Automatic))
		if b.Calls() != 2 {
			t.Errorf("model calls %d after a diverging keystroke, want 2", b.Calls())
		}
	})
}

func TestEngineNewerRequestCancelsOlder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := &fakeBackend{Output: func(p completion.Prompt) string { return strings.Repeat("x", 40) }}
		e := newTestEngine(t, b, `{"debounceMs": 0}`)
		doc := "package calc\n\nfunc add(a, b int) int {\n\treturn ‸\n}\n"
		var errA error
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errA = e.InlineCompletion(context.Background(), request(doc, "‸", completion.Automatic))
		}()
		time.Sleep(5 * tokenTime) // A is generating
		start := time.Now()
		// B: a different document state (the user moved on) — A must stop within one token.
		itemsB, errB := e.InlineCompletion(context.Background(), request(strings.Replace(doc, "return ‸", "x := 1\n\treturn ‸", 1), "‸", completion.Automatic))
		wg.Wait()
		if !errors.Is(errA, context.Canceled) {
			t.Errorf("older request: err %v, want context.Canceled", errA)
		}
		if errB != nil || len(itemsB) != 1 {
			t.Errorf("newer request: %v, %v", itemsB, errB)
		}
		// B waited at most one token of A before its own 40 tokens.
		if d := time.Since(start); d > 41*tokenTime+tokenTime {
			t.Errorf("newer request took %v, want ≤ %v", d, 42*tokenTime)
		}
	})
}

func TestEngineJoinsRunningGeneration(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := &fakeBackend{Output: func(completion.Prompt) string { return "a + b" }}
		e := newTestEngine(t, b, `{"debounceMs": 0}`)
		doc := "package calc\n\nfunc add(a, b int) int {\n\treturn ‸\n}\n"
		var itemsA []completion.Item
		ctxA, cancelA := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			itemsA, _ = e.InlineCompletion(ctxA, request(doc, "‸", completion.Automatic))
		}()
		time.Sleep(2*tokenTime + tokenTime/2) // "a " generated
		// The lsp layer cancels A when B arrives; B typed "a", what A already produced.
		cancelA()
		itemsB, err := e.InlineCompletion(context.Background(), request(strings.Replace(doc, "‸", "a‸", 1), "‸", completion.Automatic))
		<-done
		if err != nil || len(itemsB) != 1 || itemsB[0].Text != " + b" {
			t.Fatalf("B = %+v, %v; want \" + b\"", itemsB, err)
		}
		if b.Calls() != 1 || e.Stats().FlightReuses.Load() != 1 {
			t.Errorf("model calls %d, reuses %d; want 1 and 1", b.Calls(), e.Stats().FlightReuses.Load())
		}
		_ = itemsA
	})
}

func TestEngineDebounce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := &fakeBackend{Output: func(completion.Prompt) string { return "a + b" }}
		e := newTestEngine(t, b, `{"debounceMs": 50}`)
		doc := "package calc\n\nfunc add(a, b int) int {\n\treturn ‸\n}\n"
		ctxA, cancelA := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() {
			_, err := e.InlineCompletion(ctxA, request(doc, "‸", completion.Automatic))
			errc <- err
		}()
		time.Sleep(20 * time.Millisecond)
		cancelA() // the next keystroke came within the debounce
		if err := <-errc; !errors.Is(err, context.Canceled) {
			t.Errorf("err %v, want context.Canceled", err)
		}
		if b.Calls() != 0 {
			t.Errorf("model called %d times during the debounce, want 0", b.Calls())
		}
		// An invoked request is not debounced.
		start := time.Now()
		if _, err := e.InlineCompletion(context.Background(), request(doc, "‸", completion.Invoked)); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d >= 50*time.Millisecond+time.Duration(len("a + b")*3)*tokenTime {
			t.Errorf("invoked request took %v: debounced?", d)
		}
	})
}

func TestEngineInvokedItems(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := &fakeBackend{Output: func(completion.Prompt) string { return "a + b" }}
		e := newTestEngine(t, b, `{"invokedItems": 3}`)
		items, err := e.InlineCompletion(context.Background(), request(goDoc[:strings.Index(goDoc, "return ")+7]+"‸"+goDoc[strings.Index(goDoc, "return ")+7:], "‸", completion.Invoked))
		if err != nil {
			t.Fatal(err)
		}
		// Greedy plus two sampled generations; the two sampled ones are equal here and deduplicated.
		if len(items) != 2 || items[0].Text != "a + b" || items[1].Text != "a - b" {
			t.Fatalf("items = %+v", items)
		}
		auto, _ := e.InlineCompletion(context.Background(), request("package calc\nvar x = ‸\n", "‸", completion.Automatic))
		if len(auto) != 1 {
			t.Errorf("automatic trigger gave %d items, want 1", len(auto))
		}
	})
}

func TestEngineNoCompletionInsideWord(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := &fakeBackend{Output: func(completion.Prompt) string { return "xyz" }}
		e := newTestEngine(t, b, `{"debounceMs": 0}`)
		items, err := e.InlineCompletion(context.Background(), request("package calc\nvar re‸sult = 1\n", "‸", completion.Automatic))
		if err != nil || len(items) != 0 || b.Calls() != 0 {
			t.Fatalf("items %v err %v calls %d; want none and no model call", items, err, b.Calls())
		}
	})
}

func TestEngineCRLF(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := &fakeBackend{Output: func(completion.Prompt) string { return "sum := a + b\n\treturn sum" }}
		e := newTestEngine(t, b, `{"debounceMs": 0}`)
		lf := request("package calc\n\nfunc add(a, b int) int {\n\t‸\n}\n", "‸", completion.Invoked)
		crlf := request(strings.ReplaceAll("package calc\n\nfunc add(a, b int) int {\n\t‸\n}\n", "\n", "\r\n"), "‸", completion.Invoked)
		itemsLF, _ := e.InlineCompletion(context.Background(), lf)
		itemsCRLF, _ := e.InlineCompletion(context.Background(), crlf)
		if b.prompts[0].Text != b.prompts[len(b.prompts)-1].Text {
			t.Errorf("CRLF prompt differs from LF:\n%q\n%q", b.prompts[0].Text, b.prompts[len(b.prompts)-1].Text)
		}
		if len(itemsLF) == 0 || len(itemsCRLF) == 0 || strings.ReplaceAll(itemsLF[0].Text, "\n", "\r\n") != itemsCRLF[0].Text {
			t.Errorf("LF items %+v, CRLF items %+v", itemsLF, itemsCRLF)
		}
	})
}
