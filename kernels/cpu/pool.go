package cpu

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Pool runs data-parallel loops on a fixed set of worker goroutines: Threads()−1 workers plus the
// goroutine that calls For. Between loops a worker spins for a short while (a decode step issues
// a loop every few microseconds, and waking a parked goroutine costs more than that), then parks
// until the next loop, so an idle Pool uses no CPU.
//
// A Pool is safe for concurrent use; concurrent loops run one after another. Close stops the
// workers; a closed Pool runs loops on the caller alone.
type Pool struct {
	threads int

	mu      sync.Mutex // serializes loops and owns scratch
	scratch acts       // activation buffers reused by MatMul

	job    atomic.Pointer[job] // the current (or last) loop
	gen    atomic.Uint64       // bumped when job changes and on Close
	closed atomic.Bool

	workers []*worker
	wg      sync.WaitGroup
}

type worker struct {
	parked atomic.Bool
	wake   chan struct{}
	_      [40]byte // keep workers' flags on separate cache lines
}

// spinFor is how long an idle worker polls for the next loop before parking.
const spinFor = 200 * time.Microsecond

// NewPool starts a pool of threads workers (counting the caller); threads <= 0 means
// runtime.NumCPU().
func NewPool(threads int) *Pool {
	if threads <= 0 {
		threads = runtime.NumCPU()
	}
	p := &Pool{threads: threads}
	for i := 1; i < threads; i++ {
		w := &worker{wake: make(chan struct{}, 1)}
		p.workers = append(p.workers, w)
		p.wg.Add(1)
		go p.work(w)
	}
	return p
}

// Threads returns the number of goroutines a loop runs on, the caller's included.
func (p *Pool) Threads() int { return p.threads }

// Close stops the workers and waits for them to exit. Later loops run on the caller only.
// Close is idempotent.
func (p *Pool) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed.Swap(true) {
		return
	}
	p.gen.Add(1)
	for _, w := range p.workers {
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
	p.wg.Wait()
}

// For calls fn on disjoint chunks [lo, hi) that together cover [0, n), in parallel on the pool's
// goroutines (the caller's included), and returns when all calls have returned. Chunks are
// claimed dynamically, so a thread slowed by other load does less of the work. fn must not call
// For on the same Pool.
func (p *Pool) For(n int, fn func(lo, hi int)) {
	p.ForChunk(n, 0, fn)
}

// ForChunk is For with a chunk size: chunks are multiples of grain elements (the last one
// shorter); grain <= 0 picks one so that each thread gets about four chunks.
func (p *Pool) ForChunk(n, grain int, fn func(lo, hi int)) {
	if n <= 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.forLocked(n, grain, fn)
}

func (p *Pool) forLocked(n, grain int, fn func(lo, hi int)) {
	if p.threads == 1 || p.closed.Load() || n == 1 {
		fn(0, n)
		return
	}
	if grain <= 0 {
		grain = max(1, (n+4*p.threads-1)/(4*p.threads))
	}
	if grain >= n {
		fn(0, n)
		return
	}
	j := &job{fn: fn, n: n, chunk: grain, chunks: int64((n + grain - 1) / grain)}
	p.job.Store(j)
	p.gen.Add(1)
	for _, w := range p.workers {
		if w.parked.Load() && w.parked.CompareAndSwap(true, false) {
			w.wake <- struct{}{}
		}
	}
	j.run()
	// Wait for chunks other threads claimed. A worker that has not woken yet claims nothing and
	// is not waited for.
	for i := 0; j.done.Load() != j.chunks; i++ {
		if i > 1000 {
			runtime.Gosched()
		}
	}
}

// job is one loop of For. Threads claim chunks with next and count finished ones in done.
type job struct {
	fn     func(lo, hi int)
	n      int
	chunk  int
	chunks int64
	next   atomic.Int64
	done   atomic.Int64
}

// run claims and runs chunks until none are left.
func (j *job) run() {
	for {
		c := j.next.Add(1) - 1
		if c >= j.chunks {
			return
		}
		lo := int(c) * j.chunk
		j.fn(lo, min(lo+j.chunk, j.n))
		j.done.Add(1)
	}
}

func (p *Pool) work(w *worker) {
	defer p.wg.Done()
	seen := p.gen.Load()
	for {
		// Wait for a new loop: spin, then park.
		deadline := time.Now().Add(spinFor)
		for i := 0; p.gen.Load() == seen; i++ {
			if i&255 == 255 && time.Now().After(deadline) {
				w.parked.Store(true)
				if p.gen.Load() != seen {
					// A loop started while we were deciding to park. If its starter already
					// cleared parked, it has sent (or will send) a wake token: consume it.
					if !w.parked.CompareAndSwap(true, false) {
						<-w.wake
					}
					break
				}
				<-w.wake
				break
			}
		}
		seen = p.gen.Load()
		if p.closed.Load() {
			return
		}
		if j := p.job.Load(); j != nil {
			j.run()
		}
	}
}
