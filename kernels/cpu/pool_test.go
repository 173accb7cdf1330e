package cpu_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llmls/llmls/kernels/cpu"
)

func TestPoolForCoversOnce(t *testing.T) {
	tests := []struct {
		name    string
		threads int
		n       int
		grain   int
	}{
		{"one thread", 1, 100, 0},
		{"n=0", 4, 0, 0},
		{"n=1", 4, 1, 0},
		{"n < threads", 8, 3, 0},
		{"odd n", 3, 1001, 0},
		{"grain 7", 2, 100, 7},
		{"grain larger than n", 2, 5, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := cpu.NewPool(tt.threads)
			defer p.Close()
			if p.Threads() != tt.threads {
				t.Fatalf("Threads() = %d, want %d", p.Threads(), tt.threads)
			}
			for rep := 0; rep < 50; rep++ {
				hits := make([]int32, tt.n)
				p.ForChunk(tt.n, tt.grain, func(lo, hi int) {
					if lo >= hi || lo < 0 || hi > tt.n {
						t.Errorf("bad chunk [%d, %d) of %d", lo, hi, tt.n)
					}
					if tt.grain > 0 && lo%tt.grain != 0 {
						t.Errorf("chunk start %d not a multiple of grain %d", lo, tt.grain)
					}
					for i := lo; i < hi; i++ {
						atomic.AddInt32(&hits[i], 1)
					}
				})
				for i, h := range hits {
					if h != 1 {
						t.Fatalf("rep %d: index %d visited %d times", rep, i, h)
					}
				}
			}
		})
	}
}

// TestPoolParkAndWake lets workers park between loops, then checks loops still run in parallel
// and complete.
func TestPoolParkAndWake(t *testing.T) {
	p := cpu.NewPool(3)
	defer p.Close()
	for rep := 0; rep < 3; rep++ {
		var total atomic.Int64
		p.For(3000, func(lo, hi int) { total.Add(int64(hi - lo)) })
		if total.Load() != 3000 {
			t.Fatalf("covered %d of 3000", total.Load())
		}
		time.Sleep(2 * time.Millisecond) // past the spin window: workers park
	}
}

func TestPoolConcurrentCallers(t *testing.T) {
	p := cpu.NewPool(2)
	defer p.Close()
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for rep := 0; rep < 200; rep++ {
				var total atomic.Int64
				p.For(64, func(lo, hi int) { total.Add(int64(hi - lo)) })
				if total.Load() != 64 {
					t.Errorf("covered %d of 64", total.Load())
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestPoolClosed(t *testing.T) {
	p := cpu.NewPool(4)
	p.Close()
	p.Close() // idempotent
	n := 0
	p.For(10, func(lo, hi int) { n += hi - lo }) // runs on the caller alone: no race on n
	if n != 10 {
		t.Fatalf("closed pool covered %d of 10", n)
	}
}

func BenchmarkPoolFor(b *testing.B) {
	p := cpu.NewPool(2)
	defer p.Close()
	var sink atomic.Int64
	for b.Loop() {
		p.ForChunk(2, 1, func(lo, hi int) { sink.Add(1) })
	}
}
