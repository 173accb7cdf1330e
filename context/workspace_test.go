package codectx_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	codectx "github.com/llmls/llmls/context"
)

// samples are the files of testdata/samples with their languageIds.
var samples = []struct{ file, lang string }{
	{"lru.go", "go"},
	{"tokenize.py", "python"},
	{"queue.ts", "typescript"},
	{"matrix.rs", "rust"},
	{"ring.c", "c"},
}

func readSample(t testing.TB, file string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "samples", file))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// pieces are inserted by the random edits: brackets, quotes and comment markers (which
// make tree-sitter recover from errors), newlines, words, and multi-byte UTF-8.
var pieces = []string{"{", "}", "(", ")", "[", "]", "\n", "\n\t", "    ", " ", "x", "foo", "return ",
	"\"", "'", "/*", "*/", "//", "#", ":", ";", ",", "end", "é", "日本", "🙂", "def ", "func ", "if ", `"""`}

// randomEdits returns 1 to 3 edits for text, each relative to the text before it, and the
// text after all of them.
func randomEdits(r *rand.Rand, text string) ([]codectx.Edit, string) {
	var edits []codectx.Edit
	for range 1 + r.IntN(3) {
		start := r.IntN(len(text) + 1)
		end := start
		if r.IntN(3) > 0 {
			end = min(len(text), start+r.IntN(12))
		}
		ins := ""
		if r.IntN(4) > 0 {
			for range 1 + r.IntN(3) {
				ins += pieces[r.IntN(len(pieces))]
			}
		}
		if r.IntN(8) == 0 {
			// Move a line: cut here, paste elsewhere later (a common editor action).
			ins = strings.Repeat(ins, 3)
		}
		edits = append(edits, codectx.Edit{Start: start, End: end, Text: ins})
		text = text[:start] + ins + text[end:]
	}
	return edits, text
}

// checkSameTree fails when the workspace's snapshot of uri differs from a fresh parse of its
// text (see sameTree). It returns whether the text has syntax errors and the trees differed
// there, which tree-sitter does not rule out.
func checkSameTree(t *testing.T, ws *codectx.Workspace, uri, lang, step string) (brokenDiff bool) {
	t.Helper()
	snap, ok := ws.Snapshot(uri)
	if !ok {
		t.Fatalf("%s: %s not open", step, uri)
	}
	if snap.Stale() {
		t.Fatalf("%s: stale snapshot with KeystrokeBudget < 0", step)
	}
	msg, broken := sameTree(snap, lang)
	switch {
	case msg == "":
		return false
	case broken:
		t.Logf("%s: text with syntax errors, error recovery differs: %s", step, strings.SplitN(msg, "\n", 2)[0])
		return true
	}
	t.Fatalf("%s: %s", step, msg)
	return false
}

// sameTree compares snap with a fresh parse of its text and describes the first difference,
// or returns "". The S-expressions must be equal, and every named node's type, byte range
// and row/column points. Anonymous tokens are not compared: where a grammar is ambiguous the
// two parses may differ in them (Go's final "\n" is a terminator token in a fresh parse and
// trailing whitespace after an incremental one). broken reports that the text has syntax
// errors: tree-sitter's error recovery is a heuristic search, and an incremental parse of
// broken text can settle on a different (equally costly) tree than a fresh parse does — the
// fuzzer found such texts (testdata/fuzz/FuzzIncrementalEdits/07bbaace2171d211). For
// error-free text the trees must agree. Either way every node must lie in the text.
func sameTree(snap *codectx.Snapshot, lang string) (msg string, broken bool) {
	fresh, err := codectx.NewSnapshot(snap.URI(), lang, 0, snap.Text(), 0)
	if err != nil {
		return fmt.Sprintf("fresh parse: %v", err), false
	}
	broken = strings.Contains(fresh.SExpr(), "ERROR") || strings.Contains(fresh.SExpr(), "MISSING")
	if !codectx.NodesWithin(snap) {
		return "a node lies outside the text", false
	}
	if got, want := snap.SExpr(), fresh.SExpr(); got != want {
		return "S-expressions differ\n" + firstDiff(got, want), broken
	}
	if got, want := codectx.NamedNodes(snap), codectx.NamedNodes(fresh); got != want {
		return "incremental tree differs from a fresh parse\n" + firstDiff(got, want), broken
	}
	return "", broken
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) && i < len(bl); i++ {
		if al[i] != bl[i] {
			return fmt.Sprintf("line %d:\n incremental %s\n fresh       %s", i, al[i], bl[i])
		}
	}
	return fmt.Sprintf("lengths %d and %d lines", len(al), len(bl))
}

// TestIncrementalEqualsFullParse applies random edit sequences and checks after each change
// that the incrementally updated tree equals a fresh parse, node for node, points included.
func TestIncrementalEqualsFullParse(t *testing.T) {
	steps := 150
	if testing.Short() {
		steps = 30
	}
	for _, sm := range samples {
		t.Run(sm.lang, func(t *testing.T) {
			ws := codectx.NewWorkspace(codectx.Options{KeystrokeBudget: -1})
			text := readSample(t, sm.file)
			uri := "file:///" + sm.file
			if err := ws.Open(uri, sm.lang, 1, text); err != nil {
				t.Fatal(err)
			}
			r := rand.New(rand.NewPCG(1, uint64(len(sm.file))))
			orig := text
			for i := range steps {
				edits, next := randomEdits(r, text)
				if err := ws.Change(uri, int32(i+2), next, edits); err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
				text = next
				checkSameTree(t, ws, uri, sm.lang, fmt.Sprintf("step %d", i))
			}
			// Back to the error-free original (one incremental edit): identical again.
			if err := ws.Change(uri, int32(steps+2), orig, nil); err != nil {
				t.Fatal(err)
			}
			if checkSameTree(t, ws, uri, sm.lang, "restored") {
				t.Fatal("the restored, error-free text has a different tree")
			}
		})
	}
}

// TestIncrementalIndexEqualsFull types a file into a workspace (deleting and retyping
// random lines, one byte per keystroke, so the tree is broken most of the time) and checks
// that whenever the tree is clean again the incrementally maintained definition index
// equals a full one.
func TestIncrementalIndexEqualsFull(t *testing.T) {
	for _, sm := range samples {
		t.Run(sm.lang, func(t *testing.T) {
			src := readSample(t, sm.file)
			ws := codectx.NewWorkspace(codectx.Options{KeystrokeBudget: -1})
			uri := "file:///" + sm.file
			if err := ws.Open(uri, sm.lang, 1, src); err != nil {
				t.Fatal(err)
			}
			lines := strings.SplitAfter(src, "\n")
			r := rand.New(rand.NewPCG(2, uint64(len(sm.file))))
			version := int32(1)
			text := src
			checked := 0
			rounds := 12
			if os.Getenv("CODECTX_STRESS") != "" {
				rounds = 80
			}
			if testing.Short() {
				rounds = 3
			}
			for range rounds {
				// Delete a random line in one edit, then type it back byte by byte.
				li := r.IntN(len(lines))
				at := len(strings.Join(lines[:li], ""))
				line := lines[li]
				version++
				text = text[:at] + text[at+len(line):]
				if err := ws.Change(uri, version, text, []codectx.Edit{{Start: at, End: at + len(line)}}); err != nil {
					t.Fatal(err)
				}
				for j := range len(line) {
					version++
					text = text[:at+j] + line[j:j+1] + text[at+j:]
					if err := ws.Change(uri, version, text, []codectx.Edit{{Start: at + j, End: at + j, Text: line[j : j+1]}}); err != nil {
						t.Fatal(err)
					}
					snap, _ := ws.Snapshot(uri)
					defs := codectx.Defs(snap)
					if strings.Contains(snap.SExpr(), "ERROR") || strings.Contains(snap.SExpr(), "MISSING") {
						continue
					}
					checked++
					if full := codectx.FullDefs(snap); strings.Join(defs, "\n") != strings.Join(full, "\n") {
						t.Fatalf("line %d byte %d: incremental index\n%s\nfull index\n%s", li, j, strings.Join(defs, "\n"), strings.Join(full, "\n"))
					}
					if got, want := codectx.IndexImports(snap), codectx.FullImports(snap); strings.Join(got, "\n") != strings.Join(want, "\n") {
						t.Fatalf("line %d byte %d: incremental imports %q, full %q", li, j, got, want)
					}
				}
			}
			if text != src {
				t.Fatal("text not restored")
			}
			if checked == 0 {
				t.Fatal("the tree was never clean: nothing checked")
			}
		})
	}
}

func TestChangeErrors(t *testing.T) {
	src := readSample(t, "lru.go")
	tests := []struct {
		name    string
		edits   func(text string) ([]codectx.Edit, string)
		wantErr error
	}{
		{
			name: "range past the end",
			edits: func(text string) ([]codectx.Edit, string) {
				return []codectx.Edit{{Start: len(text) - 1, End: len(text) + 5, Text: "x"}}, text[:len(text)-1] + "x"
			},
			wantErr: codectx.ErrBadEdit,
		},
		{
			name: "reversed range",
			edits: func(text string) ([]codectx.Edit, string) {
				return []codectx.Edit{{Start: 10, End: 5}}, text
			},
			wantErr: codectx.ErrBadEdit,
		},
		{
			name: "negative start",
			edits: func(text string) ([]codectx.Edit, string) {
				return []codectx.Edit{{Start: -1, End: 0, Text: "x"}}, "x" + text
			},
			wantErr: codectx.ErrBadEdit,
		},
		{
			name: "edit does not give the new text",
			edits: func(text string) ([]codectx.Edit, string) {
				return []codectx.Edit{{Start: 0, End: 0, Text: "// a\n"}}, "// b\n" + text
			},
			wantErr: codectx.ErrBadEdit,
		},
		{
			name: "second edit relative to the wrong text",
			edits: func(text string) ([]codectx.Edit, string) {
				// Both offsets are taken from the original text, not from the text after
				// the first edit: the result is not newText.
				e1 := codectx.Edit{Start: 0, End: 0, Text: "// head\n"}
				e2 := codectx.Edit{Start: 8, End: 15, Text: "package"}
				t1 := e1.Text + text
				return []codectx.Edit{e1, e2}, t1[:8] + "Package" + t1[15:]
			},
			wantErr: codectx.ErrBadEdit,
		},
		{
			name: "two valid edits",
			edits: func(text string) ([]codectx.Edit, string) {
				e1 := codectx.Edit{Start: 0, End: 0, Text: "// head\n"}
				t1 := e1.Text + text
				e2 := codectx.Edit{Start: len(t1), End: len(t1), Text: "\n// tail\n"}
				return []codectx.Edit{e1, e2}, t1 + e2.Text
			},
		},
		{
			name: "full sync, no edits",
			edits: func(text string) ([]codectx.Edit, string) {
				return nil, strings.Replace(text, "defaultSize = 128", "defaultSize = 256", 1)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws := codectx.NewWorkspace(codectx.Options{KeystrokeBudget: -1})
			if err := ws.Open("u.go", "go", 1, src); err != nil {
				t.Fatal(err)
			}
			edits, next := tt.edits(src)
			err := ws.Change("u.go", 2, next, edits)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("Change error %v, want %v", err, tt.wantErr)
			}
			var ee *codectx.EditError
			if tt.wantErr != nil && (!errors.As(err, &ee) || ee.URI != "u.go" || ee.Version != 2) {
				t.Errorf("error %v is not an *EditError naming u.go version 2", err)
			}
			snap, _ := ws.Snapshot("u.go")
			if snap.Text() != next || snap.Version() != 2 {
				t.Fatalf("snapshot has version %d and %d bytes, want 2 and %d", snap.Version(), len(snap.Text()), len(next))
			}
			checkSameTree(t, ws, "u.go", "go", tt.name)
		})
	}
	t.Run("not open", func(t *testing.T) {
		ws := codectx.NewWorkspace(codectx.Options{})
		if err := ws.Change("nope.go", 2, "x", nil); !errors.Is(err, codectx.ErrNotOpen) {
			t.Fatalf("got %v, want ErrNotOpen", err)
		}
	})
}

// pathological is C++ that tree-sitter parses in time quadratic in its length
// (~0.9 s for 40 KB here): nested template-argument ambiguity.
func pathological(n int) string { return strings.Repeat("a<", n) }

func TestParseBudget(t *testing.T) {
	const budget = 50 * time.Millisecond
	ws := codectx.NewWorkspace(codectx.Options{ParseBudget: budget})
	text := pathological(40000)
	start := time.Now()
	err := ws.Open("file:///p.cc", "cpp", 1, text)
	took := time.Since(start)
	var pe *codectx.ParseError
	if !errors.As(err, &pe) || !errors.Is(err, codectx.ErrParseBudget) {
		t.Fatalf("Open error %v, want a *ParseError wrapping ErrParseBudget", err)
	}
	if pe.URI != "file:///p.cc" || pe.Bytes != len(text) || pe.Budget != budget {
		t.Errorf("ParseError %+v does not say what and where", pe)
	}
	// The parse stops at the budget; the slack is for a loaded two-core machine.
	if took > budget+750*time.Millisecond {
		t.Errorf("Open took %v with a %v budget", took, budget)
	}
	snap, _ := ws.Snapshot("file:///p.cc")
	if snap.HasTree() || snap.ParseErr() == nil {
		t.Fatalf("snapshot after a failed parse: HasTree %v, ParseErr %v", snap.HasTree(), snap.ParseErr())
	}
	// Typing into it stays cheap (no parse per keystroke) and every feature degrades to text.
	start = time.Now()
	for i := range 20 {
		text += "a"
		if err := ws.Change("file:///p.cc", int32(i+2), text, []codectx.Edit{{Start: len(text) - 1, End: len(text) - 1, Text: "a"}}); err != nil {
			t.Fatal(err)
		}
	}
	if took := time.Since(start); took > 500*time.Millisecond {
		t.Errorf("20 keystrokes on a plain-text document took %v", took)
	}
	snap, _ = ws.Snapshot("file:///p.cc")
	if _, err := ws.Context(snap, len(text), codectx.ContextOptions{}); err != nil {
		t.Fatal(err)
	}
	if ct, _ := codectx.CompletionTypeAt(snap, len(text)); ct != codectx.CompletionSingleLine {
		t.Errorf("completion type %v on plain text", ct)
	}
	if n, _ := codectx.TruncateCompletion(snap, len(text), "b\nc", false); n != 1 {
		t.Errorf("TruncateCompletion kept %d bytes of a plain-text single line", n)
	}

	t.Run("NewSnapshot", func(t *testing.T) {
		s, err := codectx.NewSnapshot("p.cc", "", 1, text, budget)
		if !errors.Is(err, codectx.ErrParseBudget) || s == nil || s.HasTree() {
			t.Fatalf("NewSnapshot: %v", err)
		}
	})
	t.Run("too large", func(t *testing.T) {
		ws := codectx.NewWorkspace(codectx.Options{MaxParseBytes: 1000})
		err := ws.Open("big.go", "go", 1, "package p\n"+strings.Repeat("// x\n", 500))
		if !errors.Is(err, codectx.ErrTooLarge) {
			t.Fatalf("Open: %v, want ErrTooLarge", err)
		}
	})
}

// TestStaleThenBackground makes the keystroke reparse run out of its budget and checks the
// stale snapshot (right offsets, usable) and the tree the background parse publishes.
func TestStaleThenBackground(t *testing.T) {
	src := strings.Repeat(readSample(t, "lru.go"), 4) // ~8 KB
	ws := codectx.NewWorkspace(codectx.Options{KeystrokeBudget: time.Microsecond, BackgroundDelay: -1})
	if err := ws.Open("u.go", "go", 1, src); err != nil {
		t.Fatal(err)
	}
	// An unclosed call near the top: error recovery reparses the rest of the file, far more
	// than the 1 µs budget allows.
	at := strings.Index(src, "\treturn &Cache")
	const typed = "\tfoo(bar(\n"
	text := src[:at] + typed + src[at:]
	if err := ws.Change("u.go", 2, text, []codectx.Edit{{Start: at, End: at, Text: typed}}); err != nil {
		t.Fatal(err)
	}
	snap, _ := ws.Snapshot("u.go")
	if !snap.Stale() {
		t.Fatal("the reparse fit in 1 µs: no stale snapshot")
	}
	if !codectx.NodesWithin(snap) {
		t.Fatal("stale tree has nodes outside the text")
	}
	cursor := at + len(typed) - 1
	cc, err := ws.Context(snap, cursor, codectx.ContextOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cc.Scopes) == 0 || cc.Scopes[0].Name != "New" {
		t.Errorf("scopes in the stale snapshot: %+v", cc.Scopes)
	}
	// Truncation parses the stale snapshot's text first. The candidate closes both calls
	// (the document left them open), then the function (which the suffix closes), then
	// writes another function.
	cand := "x))\n\tfoo()\n}\n\nfunc z() {}\n"
	n, reason := codectx.TruncateCompletion(snap, cursor, cand, true)
	if got := cand[:n]; got != "x))\n\tfoo()" {
		t.Errorf("TruncateCompletion on a stale snapshot kept %q (%s), want %q", got, reason, "x))\n\tfoo()")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	fresh, err := ws.WaitParsed(ctx, "u.go")
	if err != nil {
		t.Fatal(err)
	}
	if fresh.Stale() || fresh.Version() != 2 || fresh.Text() != text {
		t.Fatalf("WaitParsed: stale %v version %d", fresh.Stale(), fresh.Version())
	}
	if msg, broken := sameTree(fresh, "go"); msg != "" && !broken {
		t.Fatal("background tree: " + msg)
	}
	if _, err := ws.WaitParsed(ctx, "nope"); !errors.Is(err, codectx.ErrNotOpen) {
		t.Errorf("WaitParsed on a closed URI: %v", err)
	}
}

func TestCloseKeepsRecent(t *testing.T) {
	ws := codectx.NewWorkspace(codectx.Options{KeepClosed: 2})
	for i, name := range []string{"a.go", "b.go", "c.go", "d.go"} {
		if err := ws.Open(name, "go", 1, fmt.Sprintf("package p\n\nfunc F%d() {}\n", i)); err != nil {
			t.Fatal(err)
		}
	}
	ws.Close("a.go")
	ws.Close("b.go")
	ws.Close("c.go")
	ws.Close("nope.go") // not open: nothing happens
	if _, ok := ws.Snapshot("a.go"); ok {
		t.Fatal("a.go still open after Close")
	}
	var uris []string
	for _, s := range ws.Snapshots("") {
		uris = append(uris, s.URI())
	}
	// d.go is open; c.go and b.go are the two most recently closed.
	if got := strings.Join(uris, " "); got != "d.go c.go b.go" {
		t.Errorf("Snapshots = %s, want d.go c.go b.go", got)
	}
	if err := ws.Open("c.go", "go", 2, "package p\n"); err != nil {
		t.Fatal(err)
	}
	uris = uris[:0]
	for _, s := range ws.Snapshots("d.go") {
		uris = append(uris, s.URI())
	}
	if got := strings.Join(uris, " "); got != "c.go b.go" {
		t.Errorf("Snapshots(d.go) after reopening c.go = %s, want c.go b.go", got)
	}
	if err := ws.Change("a.go", 3, "x", nil); !errors.Is(err, codectx.ErrNotOpen) {
		t.Errorf("Change on a closed document: %v", err)
	}
}
