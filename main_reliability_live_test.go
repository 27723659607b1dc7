//go:build live

package main

import (
	"bytes"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"netsql/tables/tablestest"
)

// Rows stream: a result far larger than the memory used is written as it
// comes in every streaming mode.
func TestLargeResultStreamsInBoundedMemory(t *testing.T) {
	bin := tablestest.Netsql(t)
	const rows = 800_000
	q := "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < " + strconv.Itoa(rows) + ") " +
		"SELECT i, 'row number ' || i || ' with some padding to make it longer' AS label FROM n"
	for _, mode := range []string{"tsv", "csv", "json", "jsonl", "line"} {
		written, peak := streamAndWatch(t, exec.Command(bin, "-o", mode, q))
		t.Logf("-o %s: %d MB written, peak RSS while streaming %d MB", mode, written>>20, peak>>20)
		if written < 40<<20 {
			t.Fatalf("-o %s wrote only %d bytes; the test needs a result larger than the bound", mode, written)
		}
		if peak > 35<<20 {
			t.Errorf("-o %s: peak RSS %d MB for %d MB of output; rows are gathered, not streamed", mode, peak>>20, written>>20)
		}
	}
}

// streamAndWatch runs cmd, reading its stdout, and samples the process's
// peak RSS (VmHWM, which starts afresh at exec) every few megabytes read.
// The rusage of the child is no use here: a child forked from this large
// test process inherits its high-water mark.
func streamAndWatch(t *testing.T, cmd *exec.Cmd) (written, peak int64) {
	t.Helper()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	status := "/proc/" + strconv.Itoa(cmd.Process.Pid) + "/status"
	buf := make([]byte, 256<<10)
	next := int64(0)
	for {
		n, err := stdout.Read(buf)
		written += int64(n)
		if written >= next {
			next = written + 4<<20
			if data, err := os.ReadFile(status); err == nil {
				for _, line := range strings.Split(string(data), "\n") {
					if kb, ok := strings.CutPrefix(line, "VmHWM:"); ok {
						v, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(kb), "kB")), 10, 64)
						peak = max(peak, v<<10)
					}
				}
			}
		}
		if err != nil {
			break
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("%v: %v: %s", cmd.Args, err, stderr.String())
	}
	if peak == 0 {
		t.Fatal("never sampled the peak RSS: the test measured nothing")
	}
	return written, peak
}

// Run as an unprivileged user, the same queries succeed: sockets of other
// users' processes have NULL owners, one warning says so, stdout holds only
// results, exit 0.
func TestWithoutRoot(t *testing.T) {
	tablestest.RequireRoot(t)
	setpriv := tablestest.RequireTool(t, "setpriv")
	bin := tablestest.Netsql(t)
	// A root-owned listener whose owner nobody cannot see.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	// Marked: the kernel gives a socket's mark to CAP_NET_ADMIN readers only.
	raw, err := ln.(*net.TCPListener).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var markErr error
	if err := raw.Control(func(fd uintptr) { markErr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_MARK, 0x2a) }); err != nil || markErr != nil {
		t.Fatalf("SO_MARK: %v %v", err, markErr)
	}
	asNobody := func(args ...string) (string, string, int) {
		cmd := exec.Command(setpriv, append([]string{"--reuid=nobody", "--regid=nogroup", "--clear-groups", bin}, args...)...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return stdout.String(), stderr.String(), code
	}
	owners := "SELECT s.local_port, s.pid, s.process, s.fwmark, p.name FROM sockets s LEFT JOIN processes p USING (pid) WHERE s.local_port = " + strconv.Itoa(port)
	if out, err := exec.Command(bin, "-o", "json", owners).Output(); err != nil || !strings.Contains(string(out), `"fwmark":42`) {
		t.Errorf("as root, the marked listener: %s (%v); want fwmark 42", out, err)
	}
	out, errOut, code := asNobody("-o", "json", owners)
	if code != 0 {
		t.Fatalf("as nobody: exit %d, stderr %q", code, errOut)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("stdout is not only results: %v\n%s", err, out)
	}
	if len(rows) != 1 || rows[0]["pid"] != nil || rows[0]["process"] != nil || rows[0]["fwmark"] != nil {
		t.Errorf("as nobody, root's listener = %v; want one row with NULL owner and NULL fwmark", rows)
	}
	// One line says root sees every owner; other processes may exit while
	// being read (that is one more warning line, never an error).
	denied := 0
	for _, line := range strings.Split(strings.TrimSuffix(errOut, "\n"), "\n") {
		if !strings.HasPrefix(line, "warning: ") {
			t.Errorf("stderr line %q is not a warning", line)
		}
		if strings.Contains(line, "processes not readable (permission denied): run as root to see every owner") {
			denied++
		}
	}
	if denied != 1 {
		t.Errorf("stderr %q, want one warning line saying root sees every owner", errOut)
	}
	// The other datasets answer too.
	for _, q := range []string{"SELECT count(*) FROM processes", "SELECT count(*) FROM process_sockets", "SELECT count(*) FROM sockets"} {
		if out, errOut, code := asNobody("--no-header", q); code != 0 || strings.TrimSpace(out) == "" {
			t.Errorf("as nobody, %s: exit %d, stdout %q, stderr %q", q, code, out, errOut)
		}
	}
	// Settings only root may read (tcp_fastopen_key is 0600) are counted,
	// not silently left out; write-only ones (route/flush) are not.
	out, errOut, code = asNobody("--no-header", "SELECT count(*) FROM sysctls WHERE +name = 'net.ipv4.route.flush'")
	if code != 0 || strings.TrimSpace(out) != "0" || !strings.Contains(errOut, "net settings not readable (permission denied)") {
		t.Errorf("as nobody, sysctls: exit %d, stdout %q, stderr %q; want no flush row and the warning", code, out, errOut)
	}
}
