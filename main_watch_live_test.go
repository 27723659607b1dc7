//go:build live

package main

import (
	"bufio"
	"fmt"
	"net"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"netsql/tables/tablestest"
)

// netsql --watch 1 --count 3, piped, reports a connection opened between
// its runs, once, as added rows.
func TestLiveWatchSeesANewConnection(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	q := fmt.Sprintf("SELECT local_port, remote_port, state FROM sockets WHERE proto = 'tcp' AND state = 'ESTABLISHED' AND (local_port = %d OR remote_port = %d)", port, port)
	w := startWatch(t, 3, q)
	if !strings.HasPrefix(w.header, "time\tchange\tlocal_port") {
		t.Fatalf("no header: %q, stderr %q", w.header, w.stderr.String())
	}
	// After the first run (its header came; it has no rows) a connection opens.
	client, err := net.Dial("tcp4", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	got := w.rest(t)
	cport := client.LocalAddr().(*net.TCPAddr).Port
	want := []string{fmt.Sprintf("+\t%d\t%d\tESTABLISHED", cport, port), fmt.Sprintf("+\t%d\t%d\tESTABLISHED", port, cport)}
	if len(got) != 2 || !(got[0] == want[0] && got[1] == want[1] || got[0] == want[1] && got[1] == want[0]) {
		t.Errorf("the later runs printed %q; want the two ends added, once", got)
	}
	runtime.KeepAlive(ln)
}

// closed_sockets, in watch mode, lists a connection that opened and
// closed between two runs — one no moment would show — with its bytes.
func TestLiveWatchClosedSockets(t *testing.T) {
	tablestest.RequireRoot(t)
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	q := fmt.Sprintf("SELECT proto, remote_port, state, bytes_sent, bytes_received FROM closed_sockets WHERE local_port = %d AND remote_port != 0", port)
	w := startWatch(t, 2, q)
	// Between the runs: connect, send 5 bytes, close both ends.
	client, err := net.Dial("tcp4", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 5)
	if _, err := server.Read(buf); err != nil {
		t.Fatal(err)
	}
	cport := client.LocalAddr().(*net.TCPAddr).Port
	client.Close()
	server.Close()
	got := w.rest(t)
	// The server end: sent nothing, received the 5 bytes and the FIN
	// (tcp_info counts the FIN's sequence number).
	want := fmt.Sprintf("+\ttcp\t%d\tCLOSE\t0\t6", cport)
	if len(got) != 1 || got[0] != want {
		t.Errorf("closed_sockets printed %q; want %q", got, want)
	}
}

// watchRun is a running netsql --watch 1 --count N -o tsv, its header read.
type watchRun struct {
	cmd    *exec.Cmd
	lines  *bufio.Scanner
	stderr *strings.Builder
	header string
	count  int
}

func startWatch(t *testing.T, count int, q string) *watchRun {
	t.Helper()
	w := &watchRun{cmd: exec.Command(tablestest.Netsql(t), "--watch", "1", "--count", fmt.Sprint(count), "-o", "tsv", q),
		stderr: &strings.Builder{}, count: count}
	stdout, err := w.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	w.cmd.Stderr = w.stderr
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.lines = bufio.NewScanner(stdout)
	if !w.lines.Scan() {
		w.cmd.Process.Kill()
		t.Fatalf("no header; stderr %q", w.stderr.String())
	}
	w.header = w.lines.Text()
	return w
}

// rest returns the lines of the later runs without their time column,
// once netsql has ended by itself.
func (w *watchRun) rest(t *testing.T) []string {
	t.Helper()
	var got []string
	for w.lines.Scan() {
		_, rest, _ := strings.Cut(w.lines.Text(), "\t")
		got = append(got, rest)
	}
	done := make(chan error, 1)
	go func() { done <- w.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("netsql: %v, stderr %q", err, w.stderr.String())
		}
	case <-time.After(30 * time.Second):
		w.cmd.Process.Kill()
		t.Fatalf("--count %d did not end", w.count)
	}
	return got
}
