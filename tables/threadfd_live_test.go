//go:build live

package tables_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"netsql/tables"
	"netsql/tables/kernel"
	"netsql/tables/tablestest"
)

// TestLiveOwnerInAThreadsOwnTable finds the owner of a socket that only
// one thread holds: the thread unshared its descriptor table
// (unshare(CLONE_FILES)) and then opened a listener, which is in
// /proc/PID/task/TID/fd and not in /proc/PID/fd.
func TestLiveOwnerInAThreadsOwnTable(t *testing.T) {
	tablestest.RequireRoot(t)
	type opened struct {
		fd, tid int
		inode   int64
		port    int
		err     error
	}
	ready := make(chan opened, 1)
	release := make(chan struct{})
	ended := make(chan struct{})
	work := func() {
		// Never unlocked: the thread, with its table of its own, ends with
		// the goroutine instead of going back to the scheduler.
		runtime.LockOSThread()
		defer close(ended)
		fail := func(what string, err error) { ready <- opened{err: fmt.Errorf("%s: %w", what, err)} }
		if err := unix.Unshare(unix.CLONE_FILES); err != nil {
			fail("unshare(CLONE_FILES)", err)
			return
		}
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			fail("socket", err)
			return
		}
		defer unix.Close(fd)
		if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
			fail("bind", err)
			return
		}
		if err := unix.Listen(fd, 1); err != nil {
			fail("listen", err)
			return
		}
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			fail("fstat", err)
			return
		}
		sa, err := unix.Getsockname(fd)
		if err != nil {
			fail("getsockname", err)
			return
		}
		ready <- opened{fd: fd, tid: unix.Gettid(), inode: int64(st.Ino), port: sa.(*unix.SockaddrInet4).Port}
		<-release
	}
	go func() {
		// The thread must not be the process's first (its table is what
		// /proc/PID/fd shows): pin this goroutine to its thread, and when
		// that is the first, work on another, which cannot be it.
		runtime.LockOSThread()
		if unix.Gettid() != os.Getpid() {
			work() // and the goroutine ends locked: its thread exits
			return
		}
		go work()
		<-ended
		runtime.UnlockOSThread() // the first thread, its table the process's
	}()
	o := <-ready
	if o.err != nil {
		t.Fatal(o.err)
	}
	defer func() { close(release); <-ended }()

	pid := os.Getpid()
	link := func(path string) string { l, _ := os.Readlink(path); return l }
	want := "socket:[" + strconv.FormatInt(o.inode, 10) + "]"
	if link(fmt.Sprintf("/proc/%d/fd/%d", pid, o.fd)) == want {
		t.Fatal("the process's own table holds the socket: the test shows nothing")
	}
	if got := link(fmt.Sprintf("/proc/%d/task/%d/fd/%d", pid, o.tid, o.fd)); got != want {
		t.Fatalf("the thread's table: fd %d is %q, want %q", o.fd, got, want)
	}

	e, err := tables.Open(context.Background(), kernel.LiveSource(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	got := liveQuery(t, e, "SELECT local_port, pid FROM sockets WHERE inode = ?", o.inode)
	if diff := cmp.Diff([][]any{{int64(o.port), int64(pid)}}, got); diff != "" {
		t.Errorf("sockets row of the thread's listener (-want +got):\n%s", diff)
	}
	got = liveQuery(t, e, "SELECT pid, fd FROM process_sockets WHERE inode = ?", o.inode)
	if diff := cmp.Diff([][]any{{int64(pid), int64(o.fd)}}, got); diff != "" {
		t.Errorf("process_sockets of the thread's listener (-want +got):\n%s", diff)
	}
	// The narrowed walk of one process finds it too.
	got = liveQuery(t, e, "SELECT fd FROM process_sockets WHERE pid = ? AND inode = ?", pid, o.inode)
	if diff := cmp.Diff([][]any{{int64(o.fd)}}, got); diff != "" {
		t.Errorf("process_sockets WHERE pid = ours (-want +got):\n%s", diff)
	}
}
