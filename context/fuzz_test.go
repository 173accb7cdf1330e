package codectx_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	codectx "github.com/llmls/llmls/context"
)

// FuzzIncrementalEdits decodes a list of edits from the fuzzer's bytes (some of them out of
// range on purpose) and applies them to a sample document. Properties: Change never panics;
// a bad edit is an EditError; after every change the snapshot holds the new text and a tree
// equal to a fresh parse wherever the text is error-free (sameTree; with syntax errors,
// nodes within the text); the index and a cursor context can be built; restoring the sample
// brings back exactly its fresh tree.
//
//	go test ./context -run XXX -fuzz FuzzIncrementalEdits -fuzztime 60s
func FuzzIncrementalEdits(f *testing.F) {
	f.Add(byte(0), []byte{0, 10, 0, 3, 1, 40, 5, 0, 2, 200, 1, 7})
	f.Add(byte(1), []byte{0, 0, 0, 1, 0, 1, 0, 2, 0, 2, 0, 3})
	f.Add(byte(2), []byte{3, 255, 255, 9, 0, 5, 2, 29})
	f.Add(byte(3), []byte{1, 100, 30, 0, 0, 100, 0, 14})
	f.Add(byte(4), []byte{2, 7, 3, 11, 0x80, 250, 9, 1})
	texts := map[string]string{}
	for _, sm := range samples {
		b := readSample(f, sm.file)
		texts[sm.file] = b
	}
	f.Fuzz(func(t *testing.T, which byte, ops []byte) {
		sm := samples[int(which)%len(samples)]
		text := texts[sm.file]
		ws := codectx.NewWorkspace(codectx.Options{KeystrokeBudget: -1})
		uri := "file:///" + sm.file
		if err := ws.Open(uri, sm.lang, 1, text); err != nil {
			t.Fatal(err)
		}
		version := int32(1)
		for len(ops) >= 4 && version < 40 {
			// One change of one or two edits: [kind|count, position, length, piece].
			op := ops[:4]
			ops = ops[4:]
			var edits []codectx.Edit
			next := text
			valid := true
			for range 1 + int(op[0]&1) {
				start := int(op[1]) * len(next) / 256
				end := start + int(op[2]%16)
				if op[0]&0x80 == 0 {
					end = min(end, len(next))
				}
				ins := pieces[int(op[3])%len(pieces)]
				if op[0]&2 != 0 {
					ins = ""
				}
				edits = append(edits, codectx.Edit{Start: start, End: end, Text: ins})
				if end > len(next) {
					valid = false
					next = next[:start] + ins
				} else {
					next = next[:start] + ins + next[end:]
				}
			}
			version++
			err := ws.Change(uri, version, next, edits)
			if valid && err != nil {
				t.Fatalf("valid edits %+v: %v", edits, err)
			}
			if !valid && !errors.Is(err, codectx.ErrBadEdit) {
				t.Fatalf("invalid edits %+v: error %v, want ErrBadEdit", edits, err)
			}
			text = next
			snap, _ := ws.Snapshot(uri)
			if snap.Text() != text {
				t.Fatalf("snapshot text differs after %+v", edits)
			}
			if msg, broken := sameTree(snap, sm.lang); msg != "" && !broken {
				t.Fatalf("after %+v: %s", edits, msg)
			}
			codectx.Defs(snap)
			if _, err := ws.Context(snap, int(op[1])*len(text)/256, codectx.ContextOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		// Back to the error-free sample in one incremental edit: the tree converges.
		version++
		if err := ws.Change(uri, version, texts[sm.file], nil); err != nil {
			t.Fatal(err)
		}
		snap, _ := ws.Snapshot(uri)
		if msg, _ := sameTree(snap, sm.lang); msg != "" {
			t.Fatalf("restored sample: %s", msg)
		}
	})
}

// FuzzTruncateCompletion truncates arbitrary candidates at arbitrary places. Properties: the
// cut is within the candidate; a single-line result has no newline.
func FuzzTruncateCompletion(f *testing.F) {
	f.Add(byte(0), byte(100), "return 1\n}\n\nfunc g() {}\n", true)
	f.Add(byte(1), byte(30), "x = )(\n  y", false)
	f.Add(byte(2), byte(200), "}}}}\n{{{{", true)
	f.Add(byte(4), byte(0), "\xff\xfe🙂\n\t\"", true)
	snaps := map[string]*codectx.Snapshot{}
	for _, sm := range samples {
		s, err := codectx.NewSnapshot("file:///"+sm.file, sm.lang, 1, readSample(f, sm.file), 0)
		if err != nil {
			f.Fatal(err)
		}
		snaps[sm.file] = s
	}
	f.Fuzz(func(t *testing.T, which, at byte, candidate string, multi bool) {
		sm := samples[int(which)%len(samples)]
		s := snaps[sm.file]
		off := int(at) * len(s.Text()) / 256
		n, reason := codectx.TruncateCompletion(s, off, candidate, multi)
		if n < 0 || n > len(candidate) {
			t.Fatalf("cut %d outside [0, %d] (%s)", n, len(candidate), reason)
		}
		if !multi && strings.Contains(candidate[:n], "\n") {
			t.Fatalf("single-line result %q has a newline (%s)", candidate[:n], reason)
		}
		_ = fmt.Sprint(reason)
	})
}
