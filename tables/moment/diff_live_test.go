//go:build live

package moment

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"netsql/tables/tablestest"
)

// listenIn opens a TCP listener on 127.0.0.1 inside ns, from an OS thread
// switched there and back (a socket stays in the namespace it was made
// in); the thread is thrown away if it cannot switch back.
func listenIn(t *testing.T, ns *tablestest.Netns) net.Listener {
	t.Helper()
	type result struct {
		ln  net.Listener
		err error
	}
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		self, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			done <- result{err: err}
			return
		}
		defer self.Close()
		target, err := os.Open("/run/netns/" + ns.Name)
		if err != nil {
			done <- result{err: err}
			return
		}
		defer target.Close()
		if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
			done <- result{err: fmt.Errorf("setns %s: %w", ns.Name, err)}
			return
		}
		ln, err := net.Listen("tcp4", "127.0.0.1:0")
		if rerr := unix.Setns(int(self.Fd()), unix.CLONE_NEWNET); rerr == nil {
			runtime.UnlockOSThread()
		} else if err == nil {
			ln.Close()
			err = fmt.Errorf("setns back: %w", rerr)
		}
		done <- result{ln, err}
	}()
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	t.Cleanup(func() { r.ln.Close() })
	return r.ln
}

// In a namespace of its own, a listener open when a moment is saved and
// closed after it is removed, one opened after is added: so says --diff
// against now (the live tables, read at one moment) and against a second
// saved moment (both files read, the old one on its own connection).
func TestLiveDiffListeners(t *testing.T) {
	tablestest.RequireRoot(t)
	t.Parallel()
	ns := tablestest.NewNetns(t, "diff")
	bin := tablestest.Netsql(t)
	dir := t.TempDir()
	oldPath, newPath := filepath.Join(dir, "old.db"), filepath.Join(dir, "new.db")

	closed := listenIn(t, ns)
	ns.MustRun(t, bin, "--save", oldPath, "--quiet")
	closed.Close()
	opened := listenIn(t, ns)
	want := []string{"added 127.0.0.1:" + fmt.Sprint(opened.Addr().(*net.TCPAddr).Port),
		"removed 127.0.0.1:" + fmt.Sprint(closed.Addr().(*net.TCPAddr).Port)}

	tcpChanges := func(out string) []string {
		var changes []Change
		if err := json.Unmarshal([]byte(out), &changes); err != nil {
			t.Fatalf("--diff -o json is not JSON: %v\n%s", err, out)
		}
		var got []string
		for _, c := range changes {
			// netsql's own netlink socket (its port the pid) comes and goes.
			if c.Table == "sockets" && c.Key["proto"] == "tcp" {
				got = append(got, fmt.Sprintf("%s %v:%v", c.Change, c.Key["local_addr"], c.Key["local_port"]))
			}
		}
		slices.Sort(got)
		return got
	}
	now := ns.MustRun(t, bin, "--diff", oldPath, "-o", "json")
	if diff := cmp.Diff(want, tcpChanges(now)); diff != "" {
		t.Errorf("--diff OLD against now, TCP sockets (-want +got):\n%s\n%s", diff, now)
	}
	ns.MustRun(t, bin, "--save", newPath, "--quiet")
	files := ns.MustRun(t, bin, "--diff", oldPath, newPath, "-o", "json")
	if diff := cmp.Diff(want, tcpChanges(files)); diff != "" {
		t.Errorf("--diff OLD NEW, TCP sockets (-want +got):\n%s\n%s", diff, files)
	}
}
