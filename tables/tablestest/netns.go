package tablestest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Live tests that compare netsql with ss or ip run inside a network
// namespace they create (STYLE.md §10), so sockets of other tests and
// programs on the machine cannot race with them.

// RequireRoot fails the test (never skips) when not root: CI runs as root,
// and a live test that cannot run must say so loudly.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("this live test needs root (network namespaces); run the tests as root, as CI does")
	}
}

// RequireTool fails the test when a command is missing; .ci/run installs them.
func RequireTool(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is not installed (apt-get install -y iproute2 net-tools); .ci/run installs it", name)
	}
	return path
}

// Netns is a network namespace made for one test and removed at its end.
type Netns struct {
	Name string
}

var nsSeq struct {
	sync.Mutex
	n int
}

// NewNetns creates a namespace named netsqltest-PREFIX-PID-N with lo up,
// after removing stale ones of the same PREFIX left by killed runs. It is
// deleted at the end of the test, also on failure.
func NewNetns(t testing.TB, prefix string) *Netns {
	t.Helper()
	RequireRoot(t)
	RequireTool(t, "ip")
	base := "netsqltest-" + prefix + "-"
	if out, err := exec.Command("ip", "netns", "list").Output(); err == nil {
		for _, line := range strings.Split(string(out), "\n") {
			name := strings.Fields(line + " x")[0]
			if stale(base, name) {
				exec.Command("ip", "netns", "delete", name).Run()
			}
		}
	}
	nsSeq.Lock()
	nsSeq.n++
	name := fmt.Sprintf("%s%d-%d", base, os.Getpid(), nsSeq.n)
	nsSeq.Unlock()
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add %s: %v: %s", name, err, out)
	}
	ns := &Netns{Name: name}
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "delete", name).CombinedOutput(); err != nil {
			t.Errorf("ip netns delete %s: %v: %s", name, err, out)
		}
	})
	ns.MustRun(t, "ip", "link", "set", "lo", "up")
	return ns
}

// stale reports whether a namespace named base+PID-N was left by a test
// process that no longer runs; one of a live process (a concurrent test
// run) is left alone.
func stale(base, name string) bool {
	rest, ok := strings.CutPrefix(name, base)
	if !ok {
		return false
	}
	pidText, _, _ := strings.Cut(rest, "-")
	pid, err := strconv.Atoi(pidText)
	if err != nil || pid == os.Getpid() {
		return false
	}
	_, err = os.Stat(fmt.Sprintf("/proc/%d", pid))
	return err != nil
}

// Command returns a command that runs inside the namespace.
func (ns *Netns) Command(name string, args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", ns.Name, name}, args...)...)
}

// MustRun runs a command inside the namespace and returns its stdout,
// failing the test with its stderr when it fails.
func (ns *Netns) MustRun(t testing.TB, name string, args ...string) string {
	t.Helper()
	cmd := ns.Command(name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("in %s: %s %s: %v: %s", ns.Name, name, strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

var build struct {
	sync.Mutex
	path string
	err  error
}

// Netsql builds the netsql binary once per test process and returns its
// path, in a directory every user can read (tests run it as nobody too).
func Netsql(t testing.TB) string {
	t.Helper()
	build.Lock()
	defer build.Unlock()
	if build.path == "" && build.err == nil {
		_, file, _, _ := runtime.Caller(0)
		repo := filepath.Join(filepath.Dir(file), "..", "..")
		dir, err := os.MkdirTemp("", "netsql-bin-")
		if err == nil {
			err = os.Chmod(dir, 0o755)
		}
		if err != nil {
			build.err = err
		} else {
			bin := filepath.Join(dir, "netsql")
			cmd := exec.Command("go", "build", "-o", bin, ".")
			cmd.Dir = repo
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
			if out, err := cmd.CombinedOutput(); err != nil {
				build.err = fmt.Errorf("go build: %v: %s", err, out)
				os.RemoveAll(dir) // RemoveBuilt knows only a built binary's directory
			} else {
				build.path = bin
			}
		}
	}
	if build.err != nil {
		t.Fatal(build.err)
	}
	return build.path
}

// WaitFor polls cond until it is true or the deadline passes; tests wait
// for a state with a deadline, never with a fixed sleep.
func WaitFor(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", within, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// RemoveBuilt deletes the binary Netsql built; call it from TestMain after
// m.Run so test runs leave nothing in the temp directory.
func RemoveBuilt() {
	build.Lock()
	defer build.Unlock()
	if build.path != "" {
		os.RemoveAll(filepath.Dir(build.path))
		build.path = ""
	}
}
