package codectx_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	codectx "github.com/llmls/llmls/context"
)

func TestScratchTyping(t *testing.T) {
	src, _ := codectx.NetHTTPSource(5000)
	ws := codectx.NewWorkspace(codectx.Options{})
	ws.Open("u.go", "go", 1, src)
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
	text := src
	v := int32(1)
	var ch, cxStale, cxFresh []time.Duration
	for pi := 0; pi < len(places); pi += len(places) / 25 {
		at := places[pi]
		typed := "\n\t" + codectx.BenchText
		for j := 0; j < len(typed); j++ {
			e := codectx.Edit{Start: at + j, End: at + j, Text: typed[j : j+1]}
			nt := text[:e.Start] + e.Text + text[e.End:]
			v++
			t0 := time.Now()
			ws.Change("u.go", v, nt, []codectx.Edit{e})
			t1 := time.Now()
			snap, _ := ws.Snapshot("u.go")
			ws.Context(snap, at+j+1, codectx.ContextOptions{})
			t2 := time.Now()
			ch = append(ch, t1.Sub(t0))
			if snap.Stale() {
				cxStale = append(cxStale, t2.Sub(t1))
			} else {
				cxFresh = append(cxFresh, t2.Sub(t1))
			}
			text = nt
		}
		v++
		ws.Change("u.go", v, src, []codectx.Edit{{Start: at, End: at + len(typed)}})
		text = src
	}
	p := func(name string, d []time.Duration) {
		slices.Sort(d)
		if len(d) == 0 {
			return
		}
		t.Logf("%s n=%d p50=%v p90=%v p99=%v max=%v", name, len(d), d[len(d)/2], d[len(d)*9/10], d[len(d)*99/100], d[len(d)-1])
	}
	p("change", ch)
	p("ctx stale", cxStale)
	p("ctx fresh", cxFresh)
}
