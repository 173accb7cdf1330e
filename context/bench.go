package codectx

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"
)

// KeystrokeStats are the per-keystroke timings of [BenchKeystrokes].
type KeystrokeStats struct {
	Lines      int  // lines of the document typed into
	Keystrokes int  // keystrokes timed
	Paced      bool // each keystroke waited (untimed) for the previous one's background parse
	// Stale counts the keystrokes whose reparse ran past Options.KeystrokeBudget (their
	// snapshot was Stale and a background parse finished the work).
	Stale int
	// Plain counts the keystrokes whose snapshot had no tree (a parse had failed).
	Plain int
	// P50, P99 and Max of the time from the edit to a gathered CursorContext: Change
	// (ts_tree_edit + incremental reparse), Snapshot, Context (completion type, scopes,
	// imports, definitions, snippets).
	P50, P99, Max time.Duration
	// ChangeP50 and ChangeP99 are the same percentiles of the Change call alone.
	ChangeP50, ChangeP99 time.Duration
	// CPUP50 and CPUP99 are percentiles of the CPU time the keystroke path used on its own
	// thread (Linux only; 0 elsewhere): on a shared, loaded machine wall time also counts
	// the time other processes held the CPU.
	CPUP50, CPUP99 time.Duration
}

func (s KeystrokeStats) String() string {
	mode := "burst (back to back)"
	if s.Paced {
		mode = "paced (after the background parse)"
	}
	r := func(d time.Duration) time.Duration { return d.Round(time.Microsecond) }
	return fmt.Sprintf("%d keystrokes, %s, on a %d-line Go file: edit+reparse+context wall p50 %v p99 %v max %v, thread CPU p50 %v p99 %v (edit+reparse alone wall p50 %v p99 %v; %d over the keystroke budget, %d without a tree)",
		s.Keystrokes, mode, s.Lines, r(s.P50), r(s.P99), r(s.Max), r(s.CPUP50), r(s.CPUP99),
		r(s.ChangeP50), r(s.ChangeP99), s.Stale, s.Plain)
}

// BenchText is typed, one byte per keystroke, on a new line at each place BenchKeystrokes
// visits, then deleted again with as many backspaces.
const BenchText = "n, err := io.Copy(w, strings.NewReader(req.URL.Path))"

// BenchKeystrokes opens src (Go source) in a fresh workspace with options opts, with others
// as further open documents, and types BenchText at places spread over the file, one byte
// per keystroke (no auto-closed brackets, so most of the line is unbalanced), then deletes
// it; every keystroke is one Change with one Edit followed by a Context gathering at the
// new cursor. When paced, each keystroke first waits, untimed, until the previous one's
// background parse is done (WaitParsed): a typist slower than a full parse of the file.
// It returns the timings of at most keystrokes keystrokes. log, when not nil, gets one line
// per place.
func BenchKeystrokes(src string, others map[string]string, keystrokes int, paced bool, opts Options, log io.Writer) (KeystrokeStats, error) {
	ws := NewWorkspace(opts)
	const uri = "file:///bench/main.go"
	if err := ws.Open(uri, "go", 1, src); err != nil {
		return KeystrokeStats{}, err
	}
	names := make([]string, 0, len(others))
	for n := range others {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := ws.Open(n, "", 1, others[n]); err != nil {
			return KeystrokeStats{}, err
		}
	}
	// Places: ends of indented lines inside function bodies, spread evenly.
	var places []int
	for off := 0; off < len(src); {
		e := strings.IndexByte(src[off:], '\n')
		if e < 0 {
			break
		}
		line := src[off : off+e]
		if strings.HasPrefix(line, "\t") && strings.HasSuffix(line, ")") && !strings.HasPrefix(strings.TrimSpace(line), "//") {
			places = append(places, off+e)
		}
		off += e + 1
	}
	perPlace := 2 * (len(BenchText) + 2)
	nPlaces := max(1, keystrokes/perPlace)
	if len(places) == 0 {
		return KeystrokeStats{}, fmt.Errorf("codectx: bench: no place to type in the source")
	}
	step := max(1, len(places)/nPlaces)

	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var total, change, cpu []time.Duration
	text := src
	version := int32(1)
	stale, plain := 0, 0
	var plainErr error
	keystroke := func(e Edit) error {
		if paced {
			if _, err := ws.WaitParsed(context.Background(), uri); err != nil {
				return err
			}
		}
		newText := text[:e.Start] + e.Text + text[e.End:]
		version++
		c0, cpuOK := threadCPU()
		t0 := time.Now()
		if err := ws.Change(uri, version, newText, []Edit{e}); err != nil {
			return err
		}
		t1 := time.Now()
		snap, _ := ws.Snapshot(uri)
		if snap.Stale() {
			stale++
		}
		if !snap.HasTree() {
			plain++
			if plainErr == nil {
				plainErr = snap.ParseErr()
			}
		}
		cursor := e.Start + len(e.Text)
		if _, err := ws.Context(snap, cursor, ContextOptions{}); err != nil {
			return err
		}
		t2 := time.Now()
		if c1, ok := threadCPU(); ok && cpuOK {
			cpu = append(cpu, c1-c0)
		}
		total = append(total, t2.Sub(t0))
		change = append(change, t1.Sub(t0))
		text = newText
		return nil
	}
	for i := 0; i < len(places) && len(total) < keystrokes; i += step {
		// Places were found in src; earlier places are restored, so offsets still hold.
		at := places[i]
		typed := "\n\t" + BenchText
		for j := 0; j < len(typed) && len(total) < keystrokes; j++ {
			if err := keystroke(Edit{Start: at + j, End: at + j, Text: typed[j : j+1]}); err != nil {
				return KeystrokeStats{}, err
			}
		}
		for j := len(typed); j > 0 && text != src && len(total) < keystrokes; j-- {
			if err := keystroke(Edit{Start: at + j - 1, End: at + j}); err != nil {
				return KeystrokeStats{}, err
			}
		}
		if text != src {
			// Stopped half way: restore in one edit so later places stay valid.
			if err := keystroke(Edit{Start: at, End: at + len(text) - len(src)}); err != nil {
				return KeystrokeStats{}, err
			}
		}
		if log != nil {
			fmt.Fprintf(log, "place %d (line %d): %d keystrokes so far\n", i, strings.Count(src[:at], "\n")+1, len(total))
		}
	}
	st := KeystrokeStats{Lines: strings.Count(src, "\n"), Keystrokes: len(total), Paced: paced, Stale: stale, Plain: plain}
	if log != nil && plainErr != nil {
		fmt.Fprintf(log, "%d keystrokes without a tree, first because: %v\n", plain, plainErr)
	}
	st.P50, st.P99, st.Max = percentile(total, 50), percentile(total, 99), slices.Max(total)
	st.ChangeP50, st.ChangeP99 = percentile(change, 50), percentile(change, 99)
	st.CPUP50, st.CPUP99 = percentile(cpu, 50), percentile(cpu, 99)
	return st, nil
}

// BenchReport is what `llmls bench` prints for this package: BenchKeystrokes on src (Go
// source; when empty, a 5,000-line file from NetHTTPSource), paced and then burst, one line
// each to w, with the default Options. Errors: no source, or a failed keystroke.
func BenchReport(w io.Writer, src string, keystrokes int) error {
	if src == "" {
		var err error
		if src, err = NetHTTPSource(5000); err != nil {
			return err
		}
	}
	for _, paced := range []bool{true, false} {
		st, err := BenchKeystrokes(src, nil, keystrokes, paced, Options{}, nil)
		if err != nil {
			return err
		}
		fmt.Fprintln(w, "codectx:", st)
	}
	return nil
}

// percentile returns the p-th percentile (nearest rank) of ds; ds is sorted in place.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	i := int(float64(len(ds))*p/100+0.5) - 1
	return ds[min(max(i, 0), len(ds)-1)]
}

// NetHTTPSource builds a Go file of about lines lines by concatenating the non-test files of
// $(go env GOROOT)/src/net/http in name order, cut at the end of a top-level declaration.
// Errors: the Go tree cannot be found or read.
func NetHTTPSource(lines int) (string, error) {
	root := os.Getenv("GOROOT")
	if root == "" {
		out, err := exec.Command("go", "env", "GOROOT").Output()
		if err != nil {
			return "", fmt.Errorf("codectx: go env GOROOT: %w", err)
		}
		root = strings.TrimSpace(string(out))
	}
	dir := filepath.Join(root, "src", "net", "http")
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil || len(files) == 0 {
		return "", fmt.Errorf("codectx: no Go files in %s", dir)
	}
	sort.Strings(files)
	var b strings.Builder
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			return "", fmt.Errorf("codectx: %w", err)
		}
		for _, line := range strings.SplitAfter(string(data), "\n") {
			b.WriteString(line)
			if strings.HasSuffix(line, "\n") {
				n++
			}
			if n >= lines && line == "}\n" {
				return b.String(), nil
			}
		}
	}
	return b.String(), nil
}
