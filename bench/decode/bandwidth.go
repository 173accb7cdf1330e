package main

import (
	"runtime"
	"sync"
	"time"
	"unsafe"
)

// bandwidthGBs measures the memory read bandwidth in GB/s (1e9 bytes/s) that threads goroutines
// reach together, each summing its share of a buffer of size bytes (make it several times the
// last-level cache so that the reads come from DRAM), reps times; it returns the best rep, as
// STREAM does. The sum is 64-bit integer adds over 4 independent accumulators: cheap enough
// that a core issues loads faster than DRAM delivers them.
func bandwidthGBs(size, threads, reps int) float64 {
	buf := make([]uint64, size/8)
	for i := range buf {
		buf[i] = uint64(i) // touch every page so no page faults are timed
	}
	best := 0.0
	var sink uint64
	var mu sync.Mutex
	for r := 0; r < reps; r++ {
		var wg sync.WaitGroup
		start := time.Now()
		per := len(buf) / threads
		for t := 0; t < threads; t++ {
			wg.Add(1)
			go func(part []uint64) {
				defer wg.Done()
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				s := sumWords(part)
				mu.Lock()
				sink += s
				mu.Unlock()
			}(buf[t*per : (t+1)*per])
		}
		wg.Wait()
		el := time.Since(start).Seconds()
		if gbs := float64(per*threads*8) / el / 1e9; gbs > best {
			best = gbs
		}
	}
	runtime.KeepAlive(unsafe.Pointer(&sink))
	return best
}

func sumWords(p []uint64) uint64 {
	var s0, s1, s2, s3 uint64
	i := 0
	for ; i+8 <= len(p); i += 8 {
		q := p[i : i+8 : i+8]
		s0 += q[0] + q[4]
		s1 += q[1] + q[5]
		s2 += q[2] + q[6]
		s3 += q[3] + q[7]
	}
	for ; i < len(p); i++ {
		s0 += p[i]
	}
	return s0 + s1 + s2 + s3
}
