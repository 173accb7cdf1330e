package codectx_test

import (
	"context"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	codectx "github.com/llmls/llmls/context"
)

func TestScratchPaced(t *testing.T) {
	runtime.LockOSThread()
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
	var ch, cx []time.Duration
	type rec struct {
		d     time.Duration
		what  string
		stale bool
	}
	var worst []rec
	for pi := 0; pi < len(places); pi += len(places) / 12 {
		at := places[pi]
		typed := "\n\t" + codectx.BenchText
		for j := 0; j < len(typed); j++ {
			ws.WaitParsed(context.Background(), "u.go")
			e := codectx.Edit{Start: at + j, End: at + j, Text: typed[j : j+1]}
			nt := text[:e.Start] + e.Text + text[e.End:]
			v++
			c0, _ := codectx.ThreadCPU()
			ws.Change("u.go", v, nt, []codectx.Edit{e})
			c1, _ := codectx.ThreadCPU()
			snap, _ := ws.Snapshot("u.go")
			ws.Context(snap, at+j+1, codectx.ContextOptions{})
			c2, _ := codectx.ThreadCPU()
			ch = append(ch, c1-c0)
			cx = append(cx, c2-c1)
			if !snap.HasTree() {
				t.Log("NO TREE", snap.ParseErr())
			}
			if c2-c0 > 4*time.Millisecond {
				worst = append(worst, rec{c2 - c0, "change " + (c1 - c0).String() + " ctx " + (c2 - c1).String() + " " + typed[:j+1], snap.Stale()})
			}
			text = nt
		}
		v++
		ws.Change("u.go", v, src, []codectx.Edit{{Start: at, End: at + len(typed)}})
		text = src
	}
	p := func(name string, d []time.Duration) {
		slices.Sort(d)
		t.Logf("%s n=%d p50=%v p90=%v p99=%v max=%v", name, len(d), d[len(d)/2], d[len(d)*9/10], d[len(d)*99/100], d[len(d)-1])
	}
	p("change cpu", ch)
	p("ctx cpu", cx)
	for _, w := range worst {
		t.Log(w)
	}
}
