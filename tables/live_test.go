//go:build live

package tables_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"netsql/tables"
	"netsql/tables/engine"
	"netsql/tables/kernel"
	"netsql/tables/tablestest"
)

// ownSocket is a socket this test opened and the sockets row it must have.
type ownSocket struct {
	name  string
	fd    int64
	inode int64
	want  []any // liveSocketColumns, in order
}

// liveSocketColumns are the sockets columns checked for each own socket.
const liveSocketColumns = "proto, family, type, local_addr, local_port, remote_addr, remote_port, state, uid, user, pid, process, path, netns"

// The positions of uid and user in liveSocketColumns.
const liveUIDCol, liveUserCol = 8, 9

// TestLiveSocketsFindsOwnSockets opens sockets of every kind in this process
// and finds each through the engine on the live system: its sockets row, its
// process_sockets row and this process's processes row. Other tests and
// programs have sockets too, so it looks only for its own, by inode and port.
func TestLiveSocketsFindsOwnSockets(t *testing.T) {
	tablestest.RequireRoot(t) // the raw ICMP socket needs CAP_NET_RAW
	// Not parallel: a child another test of this process forks holds copies
	// of our descriptors until it execs, and once pids wrap it may have a
	// lower pid than ours and so be the socket's sockets.pid for a moment.
	ctx := context.Background()
	pid := int64(os.Getpid())
	comm := selfComm(t)
	netns := selfNetnsInode(t)
	N := any(nil)

	ln4, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln4.Close() })
	port4 := int64(ln4.Addr().(*net.TCPAddr).Port)
	client, err := net.Dial("tcp4", ln4.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	accepted, err := ln4.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { accepted.Close() })
	clientPort := int64(client.LocalAddr().(*net.TCPAddr).Port)

	ln6, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Fatalf("listen on [::1] (is IPv6 on lo disabled?): %v", err)
	}
	t.Cleanup(func() { ln6.Close() })
	port6 := int64(ln6.Addr().(*net.TCPAddr).Port)

	udp, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { udp.Close() })
	udpPort := int64(udp.LocalAddr().(*net.UDPAddr).Port)
	udpConn, err := net.DialUDP("udp4", nil, udp.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { udpConn.Close() })
	udpConnPort := int64(udpConn.LocalAddr().(*net.UDPAddr).Port)

	rawFD, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_RAW|syscall.SOCK_CLOEXEC, syscall.IPPROTO_ICMP)
	if err != nil {
		t.Fatalf("raw ICMP socket: %v", err)
	}
	t.Cleanup(func() { syscall.Close(rawFD) })

	// A space in the path: /proc/net/unix prints paths raw.
	unixPath := filepath.Join(t.TempDir(), "live sock")
	unixLn, err := net.ListenUnix("unix", &net.UnixAddr{Name: unixPath, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unixLn.Close() })

	inet := func(proto, family, typ, laddr string, lport int64, raddr string, rport int64, state string) []any {
		return []any{proto, family, typ, laddr, lport, raddr, rport, state, int64(0), "root", pid, comm, N, netns}
	}
	own := []ownSocket{
		{name: "tcp listener 127.0.0.1", want: inet("tcp", "inet", "stream", "127.0.0.1", port4, "0.0.0.0", 0, "LISTEN")},
		{name: "tcp client", want: inet("tcp", "inet", "stream", "127.0.0.1", clientPort, "127.0.0.1", port4, "ESTABLISHED")},
		{name: "tcp accepted", want: inet("tcp", "inet", "stream", "127.0.0.1", port4, "127.0.0.1", clientPort, "ESTABLISHED")},
		{name: "tcp6 listener ::1", want: inet("tcp6", "inet6", "stream", "::1", port6, "::", 0, "LISTEN")},
		{name: "udp 127.0.0.1", want: inet("udp", "inet", "dgram", "127.0.0.1", udpPort, "0.0.0.0", 0, "UNCONN")},
		{name: "udp connected", want: inet("udp", "inet", "dgram", "127.0.0.1", udpConnPort, "127.0.0.1", udpPort, "ESTABLISHED")},
		{name: "raw icmp", want: inet("raw", "inet", "raw", "0.0.0.0", syscall.IPPROTO_ICMP, "0.0.0.0", 0, "UNCONN")},
		{name: "unix listener", want: []any{"unix", "unix", "stream", N, N, N, N, "LISTENING", int64(0), "root", pid, comm, unixPath, netns}},
	}
	for i, c := range []any{ln4, client, accepted, ln6, udp, udpConn, rawFD, unixLn} {
		own[i].fd, own[i].inode = socketFD(t, c)
	}

	e, err := tables.Open(ctx, kernel.LiveSource(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })

	// Every socket by inode in one statement, bound as text: each lookup
	// converts it by the column's affinity, and one snapshot serves them all.
	marks := make([]string, len(own))
	args := make([]any, len(own))
	for i, s := range own {
		marks[i], args[i] = "?", strconv.FormatInt(s.inode, 10)
	}
	byInode := map[int64][][]any{}
	d := statsDelta(e, func() {
		q := "SELECT inode, " + liveSocketColumns + " FROM sockets WHERE inode IN (" + strings.Join(marks, ", ") + ")"
		for _, r := range liveQuery(t, e, q, args...) {
			byInode[r[0].(int64)] = append(byInode[r[0].(int64)], r[1:])
		}
	})
	if d.Collections["sockets"] != 1 {
		t.Errorf("sockets WHERE inode IN (%d values): %d whole collections, want 1", len(own), d.Collections["sockets"])
	}
	for _, s := range own {
		rows := byInode[s.inode]
		if len(rows) != 1 {
			t.Errorf("%s (inode %d): %d rows, want 1: %v", s.name, s.inode, len(rows), rows)
			continue
		}
		got, want := rows[0], slices.Clone(s.want)
		if s.want[0] == "unix" && got[liveUIDCol] == nil && got[liveUserCol] == nil {
			want[liveUIDCol], want[liveUserCol] = nil, nil // /proc/net/unix has no uid; unix_diag has
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (inode %d): sockets row (-want +got):\n%s", s.name, s.inode, diff)
		}
	}

	// Narrowed by proto (a key column), the port re-checked by SQLite.
	var rows [][]any
	d = statsDelta(e, func() {
		rows = liveQuery(t, e, "SELECT inode, local_addr, state FROM sockets WHERE proto = 'tcp6' AND local_port = ?", port6)
	})
	if diff := cmp.Diff([][]any{{own[3].inode, "::1", "LISTEN"}}, rows); diff != "" {
		t.Errorf("sockets WHERE proto = 'tcp6' AND local_port = %d (-want +got):\n%s", port6, diff)
	}
	if d.Collections["sockets"] != 0 || d.Narrowed["sockets"] != 1 {
		t.Errorf("WHERE proto = 'tcp6': %d whole collections, %d narrowed; want 0 and 1", d.Collections["sockets"], d.Narrowed["sockets"])
	}

	rows = liveQuery(t, e, "SELECT inode, path FROM sockets WHERE family = 'unix' AND path = ?", unixPath)
	if diff := cmp.Diff([][]any{{own[7].inode, unixPath}}, rows); diff != "" {
		t.Errorf("sockets WHERE family = 'unix' AND path = %q (-want +got):\n%s", unixPath, diff)
	}

	// The owner columns served from the statement's index.
	owned := map[int64]bool{}
	for _, r := range liveQuery(t, e, "SELECT inode FROM sockets WHERE pid = ?", pid) {
		owned[r[0].(int64)] = true
	}
	for _, s := range own {
		if !owned[s.inode] {
			t.Errorf("sockets WHERE pid = %d lacks %s (inode %d)", pid, s.name, s.inode)
		}
	}

	// process_sockets narrowed to this process, the pid bound as text.
	byFD := map[int64][]any{}
	d = statsDelta(e, func() {
		for _, r := range liveQuery(t, e, "SELECT fd, inode, netns FROM process_sockets WHERE pid = ?", strconv.FormatInt(pid, 10)) {
			byFD[r[0].(int64)] = r
		}
	})
	for _, s := range own {
		if diff := cmp.Diff([]any{s.fd, s.inode, netns}, byFD[s.fd]); diff != "" {
			t.Errorf("%s: process_sockets row of fd %d (-want +got):\n%s", s.name, s.fd, diff)
		}
	}
	if d.Collections["process_sockets"] != 0 || d.Narrowed["process_sockets"] != 1 {
		t.Errorf("process_sockets WHERE pid: %d whole collections, %d narrowed; want 0 and 1",
			d.Collections["process_sockets"], d.Narrowed["process_sockets"])
	}

	// The join every owner query makes.
	joined := map[int64][]any{}
	for _, r := range liveQuery(t, e, `SELECT ps.fd, s.proto, s.state FROM process_sockets ps JOIN sockets s USING (inode)
		WHERE ps.pid = ? AND s.proto IN ('tcp', 'tcp6', 'udp', 'raw', 'unix')`, pid) {
		joined[r[0].(int64)] = r
	}
	for _, s := range own {
		if diff := cmp.Diff([]any{s.fd, s.want[0], s.want[7]}, joined[s.fd]); diff != "" {
			t.Errorf("%s: process_sockets JOIN sockets row of fd %d (-want +got):\n%s", s.name, s.fd, diff)
		}
	}

	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	d = statsDelta(e, func() {
		rows = liveQuery(t, e, "SELECT pid, ppid, name, uid, user, exe, netns, threads > 0, start_time FROM processes WHERE pid = ?", pid)
	})
	if len(rows) != 1 {
		t.Fatalf("processes WHERE pid = %d: %d rows, want 1", pid, len(rows))
	}
	start, _ := rows[0][8].(int64)
	if now := time.Now().Unix(); start < now-3600 || start > now+1 {
		t.Errorf("start_time %v is not within the last hour (now %d)", rows[0][8], now)
	}
	want := []any{pid, int64(os.Getppid()), comm, int64(0), "root", exe, netns, int64(1)}
	if diff := cmp.Diff(want, rows[0][:8]); diff != "" {
		t.Errorf("processes row of this test (-want +got):\n%s", diff)
	}
	if d.Collections["processes"] != 0 || d.Narrowed["processes"] != 1 {
		t.Errorf("processes WHERE pid: %d whole collections, %d narrowed; want 0 and 1", d.Collections["processes"], d.Narrowed["processes"])
	}
}

// liveQuery runs one statement on the engine, failing the test on an error;
// warnings are logged, since other users' processes may come and go.
func liveQuery(t *testing.T, e *engine.Engine, q string, args ...any) [][]any {
	t.Helper()
	_, rows, warnings, err := e.Query(context.Background(), q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	for _, w := range warnings {
		t.Logf("%s: %s", q, w)
	}
	return rows
}

// statsDelta returns how much the engine's collection counters moved across fn.
func statsDelta(e *engine.Engine, fn func()) engine.Stats {
	before := e.Stats()
	fn()
	after := e.Stats()
	d := engine.Stats{Collections: map[string]int{}, Narrowed: map[string]int{}}
	for k, v := range after.Collections {
		d.Collections[k] = v - before.Collections[k]
	}
	for k, v := range after.Narrowed {
		d.Narrowed[k] = v - before.Narrowed[k]
	}
	return d
}

// socketFD returns the descriptor of a socket (a net.Conn, a listener or a
// raw descriptor) and its inode, from fstat.
func socketFD(t *testing.T, s any) (fd, inode int64) {
	t.Helper()
	stat := func(raw uintptr) {
		var st syscall.Stat_t
		if err := syscall.Fstat(int(raw), &st); err != nil {
			t.Fatalf("fstat %d: %v", raw, err)
		}
		fd, inode = int64(raw), int64(st.Ino)
	}
	switch c := s.(type) {
	case int:
		stat(uintptr(c))
	case syscall.Conn:
		rc, err := c.SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		if err := rc.Control(stat); err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatalf("socketFD: %T is not a socket", s)
	}
	return fd, inode
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

// selfNetnsInode is the inode of this process's network namespace.
func selfNetnsInode(t *testing.T) int64 {
	t.Helper()
	link, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	var ns int64
	if _, err := fmt.Sscanf(link, "net:[%d]", &ns); err != nil {
		t.Fatalf("/proc/self/ns/net -> %q: %v", link, err)
	}
	return ns
}
