//go:build live

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"netsql/tables/tablestest"
)

// TestLiveREADMEFirstCommand runs the README's first command, the one a
// newcomer tries, on this machine and finds a listener the test opened.
func TestLiveREADMEFirstCommand(t *testing.T) {
	const prefix = `    go run . -e "`
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	var query string
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, prefix); ok {
			end := strings.LastIndexByte(rest, '"')
			if end < 0 {
				t.Fatalf("README.md: no closing quote in %q", line)
			}
			query = rest[:end]
			break
		}
	}
	if query == "" {
		t.Fatalf("README.md has no line starting with %q", prefix)
	}

	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port

	code, out, errOut := runCLI(t, "", "-o", "json", "-e", query)
	if code != exitOK {
		t.Fatalf("%s: exit %d, stderr:\n%s", query, code, errOut)
	}
	for _, line := range strings.Split(strings.TrimSuffix(errOut, "\n"), "\n") {
		if line != "" && !strings.HasPrefix(line, "warning: ") {
			t.Errorf("stderr has more than warnings: %q", line)
		}
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	var found []map[string]any
	for _, r := range rows {
		if r["local_addr"] == "127.0.0.1" && r["local_port"] == float64(port) {
			found = append(found, r)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d rows for the listener on 127.0.0.1:%d, want 1; output:\n%s", len(found), port, out)
	}
	got := found[0]
	want := map[string]any{"pid": float64(os.Getpid()), "process": selfComm(t)}
	if _, ok := got["cmdline"]; ok { // the README's query joins processes for it
		want["cmdline"] = strings.Join(os.Args, " ")
	}
	pick := map[string]any{}
	for k := range want {
		pick[k] = got[k]
	}
	if diff := cmp.Diff(want, pick); diff != "" {
		t.Errorf("the listener's row %v (-want +got):\n%s", got, diff)
	}
}

// TestLiveOutputClosedPipe runs `netsql ... | head -1` with a statement that
// would print for a long time: netsql must stop as soon as head exits, with
// exit 0 and nothing on stderr.
func TestLiveOutputClosedPipe(t *testing.T) {
	t.Parallel()
	tablestest.RequireTool(t, "head")
	bin := tablestest.Netsql(t)
	// Endless rows: a netsql that ignored the closed pipe would run into the
	// deadline below.
	const q = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n) SELECT i FROM n"
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	netsql := exec.Command(bin, "-e", q)
	var stderr bytes.Buffer
	netsql.Stdout, netsql.Stderr = w, &stderr
	head := exec.Command("head", "-1")
	var headOut bytes.Buffer
	head.Stdin, head.Stdout = r, &headOut
	if err := head.Start(); err != nil {
		t.Fatal(err)
	}
	if err := netsql.Start(); err != nil {
		t.Fatal(err)
	}
	// Only the two children hold the pipe now.
	r.Close()
	w.Close()
	start := time.Now()
	defer func() { t.Logf("netsql | head -1 ended in %v", time.Since(start).Round(time.Millisecond)) }()
	if err := waitWithin(t, head, 10*time.Second); err != nil {
		t.Errorf("head: %v", err)
	}
	if err := waitWithin(t, netsql, 10*time.Second); err != nil {
		t.Errorf("netsql | head -1: %v (want exit 0); stderr %q", err, stderr.String())
	} else if stderr.Len() != 0 {
		t.Errorf("netsql | head -1: stderr %q, want nothing", stderr.String())
	}
	if got := headOut.String(); got != "i\n" {
		t.Errorf("head -1 printed %q, want the header %q", got, "i\n")
	}
}

// TestLiveSignals interrupts and terminates a runaway statement: the exit
// codes are 130 for SIGINT and 143 for SIGTERM (ARCHITECTURE.md, "Parts").
func TestLiveSignals(t *testing.T) {
	t.Parallel()
	bin := tablestest.Netsql(t)
	// The first statement's row says run has set up its signal handling and
	// the runaway second statement has begun.
	const script = "SELECT 'started' AS s; WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n) SELECT count(*) FROM n"
	for _, c := range []struct {
		sig  syscall.Signal
		want int
	}{{syscall.SIGINT, exitInterrupted}, {syscall.SIGTERM, exitTerminated}} {
		t.Run(c.sig.String(), func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(bin, "-e", script)
			out := &lineWaiter{want: "started", seen: make(chan struct{})}
			var stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = out, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			var waitErr error
			exited := make(chan struct{})
			go func() {
				waitErr = cmd.Wait()
				close(exited)
			}()
			defer func() {
				cmd.Process.Kill()
				<-exited
			}()
			select {
			case <-out.seen:
			case <-exited:
				t.Fatalf("netsql exited before the runaway statement: %v\nstdout %q\nstderr %q", waitErr, out.String(), stderr.String())
			case <-time.After(10 * time.Second):
				t.Fatalf("timed out waiting for netsql's first row; stdout %q", out.String())
			}
			tablestest.WaitFor(t, 10*time.Second, "netsql running the runaway statement", func() bool {
				return anyThreadRunning(cmd.Process.Pid)
			})
			if err := cmd.Process.Signal(c.sig); err != nil {
				t.Fatal(err)
			}
			select {
			case <-exited:
				if code := cmd.ProcessState.ExitCode(); code != c.want {
					t.Errorf("after %v: exit %d (%v), want %d; stderr %q", c.sig, code, waitErr, c.want, stderr.String())
				}
			case <-time.After(10 * time.Second):
				t.Errorf("netsql did not exit within 10s of %v; stderr %q", c.sig, stderr.String())
			}
		})
	}
}

// waitWithin waits for cmd, killing it and reporting a timeout when it
// runs past the deadline.
func waitWithin(t *testing.T, cmd *exec.Cmd, within time.Duration) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(within):
		cmd.Process.Kill()
		<-done
		return fmt.Errorf("still running after %v; killed", within)
	}
}

// anyThreadRunning reports whether a thread of process pid is running
// ("R" in /proc/PID/task/TID/stat). The main thread's state alone says
// little: the Go scheduler may run the statement on another thread.
func anyThreadRunning(pid int) bool {
	tasks, err := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/stat")
	if err != nil {
		return false
	}
	for _, task := range tasks {
		data, err := os.ReadFile(task)
		if err != nil {
			continue
		}
		// comm may hold spaces and parentheses; the state follows the last ')'.
		i := bytes.LastIndexByte(data, ')')
		if f := strings.Fields(string(data[i+1:])); i >= 0 && len(f) > 0 && f[0] == "R" {
			return true
		}
	}
	return false
}

// lineWaiter collects a child's stdout and closes seen once a whole line
// equal to want has arrived.
type lineWaiter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	want string
	seen chan struct{}
	done bool
}

func (w *lineWaiter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if !w.done && strings.Contains("\n"+w.buf.String(), "\n"+w.want+"\n") {
		w.done = true
		close(w.seen)
	}
	return len(p), nil
}

func (w *lineWaiter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// selfComm is this test binary's comm, as the kernel truncated it.
func selfComm(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("/proc/self/comm")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(string(data), "\n")
}
