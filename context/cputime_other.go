//go:build !linux

package codectx

import "time"

// threadCPU is unavailable off Linux: BenchKeystrokes then reports wall time only.
func threadCPU() (time.Duration, bool) { return 0, false }
