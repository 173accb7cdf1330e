package codectx_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	codectx "github.com/llmls/llmls/context"
)

// TestConcurrentSnapshots edits one document while other goroutines take snapshots and use
// them, and open and close other documents. Run with -race. Every snapshot must stay what
// it was when it was taken.
func TestConcurrentSnapshots(t *testing.T) {
	src := readSample(t, "lru.go")
	// A tiny keystroke budget sends some reparses to the background parse, so that it runs
	// concurrently with everything else too.
	ws := codectx.NewWorkspace(codectx.Options{KeystrokeBudget: 50 * time.Microsecond, BackgroundDelay: time.Millisecond})
	const uri = "file:///lru.go"
	if err := ws.Open(uri, "go", 1, src); err != nil {
		t.Fatal(err)
	}
	for _, sm := range samples[1:] {
		if err := ws.Open("file:///"+sm.file, sm.lang, 1, readSample(t, sm.file)); err != nil {
			t.Fatal(err)
		}
	}
	texts := sync.Map{} // version → text
	texts.Store(int32(1), src)

	steps := 300
	if testing.Short() {
		steps = 60
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	fail := func(err error) {
		select {
		case errs <- err:
		default:
		}
	}

	wg.Add(1)
	go func() { // the editor
		defer wg.Done()
		defer close(done)
		r := rand.New(rand.NewPCG(7, 7))
		text := src
		for i := range steps {
			edits, next := randomEdits(r, text)
			v := int32(i + 2)
			texts.Store(v, next)
			if err := ws.Change(uri, v, next, edits); err != nil {
				fail(fmt.Errorf("change %d: %w", v, err))
				return
			}
			text = next
		}
	}()

	for g := range 3 {
		wg.Add(1)
		go func() { // readers
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(g), 1))
			type held struct {
				snap  *codectx.Snapshot
				text  string
				sexpr string
			}
			var kept []held
			for {
				select {
				case <-done:
					for _, h := range kept {
						if h.snap.Text() != h.text || h.snap.SExpr() != h.sexpr {
							fail(fmt.Errorf("snapshot of version %d changed after it was taken", h.snap.Version()))
						}
					}
					return
				default:
				}
				snap, ok := ws.Snapshot(uri)
				if !ok {
					fail(fmt.Errorf("document closed"))
					return
				}
				want, _ := texts.Load(snap.Version())
				if snap.Text() != want.(string) {
					fail(fmt.Errorf("version %d has the wrong text", snap.Version()))
					return
				}
				off := r.IntN(len(snap.Text()) + 1)
				if _, err := ws.Context(snap, off, codectx.ContextOptions{SameFileSnippets: true}); err != nil {
					fail(err)
					return
				}
				codectx.CompletionTypeAt(snap, off)
				if n, _ := codectx.TruncateCompletion(snap, off, "x := 1\n}\nfunc g() {}\n", true); n < 0 || n > 21 {
					fail(fmt.Errorf("cut %d", n))
				}
				if len(kept) < 20 && r.IntN(10) == 0 {
					kept = append(kept, held{snap, snap.Text(), snap.SExpr()})
				}
			}
		}()
	}

	wg.Add(1)
	go func() { // another editor opens and closes documents
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			default:
			}
			name := fmt.Sprintf("file:///tmp%d.go", i%3)
			if err := ws.Open(name, "go", 1, "package p\n\nfunc F() {}\n"); err != nil {
				fail(err)
				return
			}
			_ = ws.Snapshots("")
			ws.Close(name)
		}
	}()

	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	last, err := ws.WaitParsed(ctx, uri)
	if err != nil {
		t.Fatal(err)
	}
	if last.Version() != int32(steps+1) {
		t.Fatalf("last version %d, want %d", last.Version(), steps+1)
	}
	if last.HasTree() {
		if msg, broken := sameTree(last, "go"); msg != "" && !broken {
			t.Fatal("final tree: " + msg)
		}
	} else if !strings.Contains(fmt.Sprint(last.ParseErr()), "budget") {
		t.Fatalf("no tree and no budget error: %v", last.ParseErr())
	}
}
