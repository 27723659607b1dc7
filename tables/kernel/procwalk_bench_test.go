//go:build live

package kernel

import (
	"context"
	"os"
	"syscall"
	"testing"
)

// BenchmarkOwnerWalk reads this process's /proc/PID/fd holding 10,000
// socket descriptors (5,000 unix socket pairs it opens), as the owner walk
// reads every process: getdents, then one readlinkat per descriptor.
func BenchmarkOwnerWalk(b *testing.B) {
	const pairs = 5000
	for range pairs {
		fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
		if err != nil {
			b.Fatalf("socketpair: %v", err)
		}
		b.Cleanup(func() {
			syscall.Close(fds[0])
			syscall.Close(fds[1])
		})
	}
	c := NewCollector(context.Background(), LiveSource())
	pid := int64(os.Getpid())
	b.ReportAllocs()
	for b.Loop() {
		w := &ownerWalk{proc: c.Source().Proc, pids: []int64{pid}}
		w.run(c.Context(), 1)
		o, err := w.finish(c)
		if err != nil {
			b.Fatal(err)
		}
		if len(o.fds) < 2*pairs {
			b.Fatalf("found %d socket descriptors, want at least %d", len(o.fds), 2*pairs)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/(2*pairs), "ns/fd")
}
