package codectx

import (
	"syscall"
	"time"
	"unsafe"
)

// threadCPU returns the CPU time consumed so far by the calling OS thread
// (clock_gettime(CLOCK_THREAD_CPUTIME_ID)), and true. The caller has locked its goroutine to
// the thread (runtime.LockOSThread); cgo calls run on that same thread.
func threadCPU() (time.Duration, bool) {
	const clockThreadCPUTimeID = 3 // CLOCK_THREAD_CPUTIME_ID, linux/time.h
	var ts syscall.Timespec
	_, _, errno := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTimeID, uintptr(unsafe.Pointer(&ts)), 0)
	if errno != 0 {
		return 0, false
	}
	return time.Duration(ts.Nano()), true
}
