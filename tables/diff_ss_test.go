//go:build live

package tables_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"netsql/tables/tablestest"
)

// holdSocketsEnv turns TestHelperHoldSockets into the socket holder of
// TestLiveSocketsMatchSS; its value is a directory for the unix paths.
const holdSocketsEnv = "NETSQL_TEST_HOLD_SOCKETS"

// holdSocketsLimit bounds the holder's life, should its parent never close
// its standard input.
const holdSocketsLimit = 60 * time.Second

// TestHelperHoldSockets is not a test of its own: run by
// TestLiveSocketsMatchSS inside a network namespace with holdSocketsEnv set,
// it opens a known mix of sockets, prints "ready pid=PID inodes=I,J,..." and
// holds them until its standard input closes. Without the variable it does
// nothing (CI forbids skips).
func TestHelperHoldSockets(t *testing.T) {
	dir := os.Getenv(holdSocketsEnv)
	if dir == "" {
		return
	}
	inodes, held, err := holdSockets(dir)
	if err != nil {
		t.Fatalf("socket holder: %v", err) // the parent shows our stdout
	}
	fmt.Printf("ready pid=%d inodes=%s\n", os.Getpid(), joinInts(inodes))
	eof := make(chan struct{})
	go func() {
		io.Copy(io.Discard, os.Stdin)
		close(eof)
	}()
	select {
	case <-eof:
	case <-time.After(holdSocketsLimit):
	}
	runtime.KeepAlive(held) // unreferenced, the sockets' finalizers would close them
}

// holdSockets opens the holder's sockets and returns their inodes, and what
// the caller must keep referenced while it holds them.
func holdSockets(dir string) (inodes []int64, held []any, err error) {
	keep := func(s any, err error) error {
		if err != nil {
			return err
		}
		held = append(held, s)
		ino, err := inodeOf(s)
		inodes = append(inodes, ino)
		return err
	}
	tcpPair := func(network, addr string) error {
		ln, err := net.Listen(network, addr)
		if err := keep(ln, err); err != nil {
			return err
		}
		client, err := net.Dial(network, ln.Addr().String())
		if err := keep(client, err); err != nil {
			return err
		}
		return keep(ln.Accept())
	}
	if err := tcpPair("tcp4", "127.0.0.1:0"); err != nil {
		return nil, nil, err
	}
	if err := tcpPair("tcp6", "[::1]:0"); err != nil {
		return nil, nil, err
	}
	// Two more listeners, never connected; the first shared with a child
	// process, so it has two owners.
	shared, err := net.Listen("tcp4", "127.0.0.1:0")
	if err := keep(shared, err); err != nil {
		return nil, nil, err
	}
	pipe, err := shareWithChild(shared.(*net.TCPListener))
	if err != nil {
		return nil, nil, err
	}
	held = append(held, pipe)
	if err := keep(net.Listen("tcp6", "[::1]:0")); err != nil {
		return nil, nil, err
	}
	udp, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err := keep(udp, err); err != nil {
		return nil, nil, err
	}
	if err := keep(net.ListenUDP("udp6", &net.UDPAddr{IP: net.IPv6loopback})); err != nil {
		return nil, nil, err
	}
	if err := keep(net.DialUDP("udp4", nil, udp.LocalAddr().(*net.UDPAddr))); err != nil {
		return nil, nil, err
	}

	// A unix stream listener with a path, a client of it and the accepted
	// side (which inherits the path), an abstract listener, an unconnected
	// datagram socket with a path, and datagram and seqpacket pairs.
	unixLn, err := net.ListenUnix("unix", &net.UnixAddr{Name: filepath.Join(dir, "held.sock"), Net: "unix"})
	if err := keep(unixLn, err); err != nil {
		return nil, nil, err
	}
	if err := keep(net.DialUnix("unix", nil, unixLn.Addr().(*net.UnixAddr))); err != nil {
		return nil, nil, err
	}
	if err := keep(unixLn.Accept()); err != nil {
		return nil, nil, err
	}
	abstract := fmt.Sprintf("@netsql-test-held-%d", os.Getpid())
	if err := keep(net.ListenUnix("unix", &net.UnixAddr{Name: abstract, Net: "unix"})); err != nil {
		return nil, nil, err
	}
	if err := keep(net.ListenUnixgram("unixgram", &net.UnixAddr{Name: filepath.Join(dir, "held.dgram"), Net: "unixgram"})); err != nil {
		return nil, nil, err
	}
	for _, typ := range []int{syscall.SOCK_DGRAM, syscall.SOCK_SEQPACKET} {
		pair, err := syscall.Socketpair(syscall.AF_UNIX, typ|syscall.SOCK_CLOEXEC, 0)
		if err != nil {
			return nil, nil, fmt.Errorf("socketpair: %w", err)
		}
		for _, fd := range pair {
			if err := keep(fd, nil); err != nil {
				return nil, nil, err
			}
		}
	}
	return inodes, held, nil
}

// shareWithChild starts `cat` holding a copy of the listener's descriptor.
// cat reads a pipe whose write end (returned) only this process holds, so
// it exits with this process.
func shareWithChild(ln *net.TCPListener) (*os.File, error) {
	f, err := ln.File()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	cmd := exec.Command("cat")
	cmd.Stdin, cmd.ExtraFiles = r, []*os.File{f}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		w.Close()
		return nil, err
	}
	return w, nil
}

// inodeOf returns the inode of a socket: a net.Conn, a listener or a descriptor.
func inodeOf(s any) (int64, error) {
	var st syscall.Stat_t
	switch c := s.(type) {
	case int:
		if err := syscall.Fstat(c, &st); err != nil {
			return 0, fmt.Errorf("fstat %d: %w", c, err)
		}
	case syscall.Conn:
		rc, err := c.SyscallConn()
		if err != nil {
			return 0, err
		}
		var serr error
		if err := rc.Control(func(fd uintptr) { serr = syscall.Fstat(int(fd), &st) }); err != nil {
			return 0, err
		}
		if serr != nil {
			return 0, fmt.Errorf("fstat: %w", serr)
		}
	default:
		return 0, fmt.Errorf("%T is not a socket", s)
	}
	return int64(st.Ino), nil
}

func joinInts(list []int64) string {
	s := make([]string, len(list))
	for i, n := range list {
		s[i] = strconv.FormatInt(n, 10)
	}
	return strings.Join(s, ",")
}

// ssSocket is one socket as netsql names it, from either netsql or ss.
type ssSocket struct {
	Proto, Type string
	LocalAddr   string // "" for unix
	LocalPort   int64
	RemoteAddr  string
	RemotePort  int64
	State       string
	Inode       int64
	Path        string // unix only; "" when unbound
	Owners      []int64
}

// TestLiveSocketsMatchSS compares netsql's sockets and owners with ss's, row
// for row, in a network namespace the test made, for the sockets a child
// process opened there and holds.
func TestLiveSocketsMatchSS(t *testing.T) {
	tablestest.RequireRoot(t)
	tablestest.RequireTool(t, "ss")
	t.Parallel()
	bin := tablestest.Netsql(t)
	dir := t.TempDir() // removed after the holder exited (cleanups run last-in first-out)
	ns := tablestest.NewNetns(t, "ss")
	holder, want := startSocketHolder(t, ns, dir)

	netsqlRows := netsqlSockets(t, ns, bin)
	ssRows := ssSockets(t, ns)

	pick := func(rows []ssSocket) []ssSocket {
		var out []ssSocket
		for _, r := range rows {
			if slices.Contains(r.Owners, holder) {
				out = append(out, r)
			}
		}
		slices.SortFunc(out, func(a, b ssSocket) int {
			switch {
			case a.Inode < b.Inode:
				return -1
			case a.Inode > b.Inode:
				return 1
			}
			return 0
		})
		return out
	}
	got, wantRows := pick(netsqlRows), pick(ssRows)
	for name, rows := range map[string][]ssSocket{"netsql": got, "ss": wantRows} {
		var inodes []int64
		for _, r := range rows {
			inodes = append(inodes, r.Inode)
		}
		if !slices.Equal(inodes, want) {
			t.Errorf("%s: inodes of the holder's sockets are %v, want %v (what the holder opened)", name, inodes, want)
		}
	}
	if diff := cmp.Diff(wantRows, got); diff != "" {
		t.Errorf("sockets of pid %d, ss (-want) and netsql (+got):\n%s", holder, diff)
	}
}

// startSocketHolder runs this test binary's TestHelperHoldSockets inside ns
// and waits for it to be ready. It returns the holder's pid and the inodes
// it holds, sorted. The holder exits at the end of the test.
func startSocketHolder(t *testing.T, ns *tablestest.Netns, dir string) (pid int64, inodes []int64) {
	t.Helper()
	// Not /proc/self/exe: ip would resolve that to itself.
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := ns.Command(exe, "-test.run=^TestHelperHoldSockets$", "-test.count=1")
	cmd.Env = append(os.Environ(), holdSocketsEnv+"="+dir)
	// The holder also dies with us (the stdin pipe closes) or after holdSocketsLimit.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out := &readyWatcher{ready: make(chan string, 1)}
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = out, &stderr
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		stdin.Close()
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
			t.Errorf("the socket holder did not exit when its stdin closed; killed it")
		}
	})

	var line string
	select {
	case line = <-out.ready:
	case err := <-exited:
		t.Fatalf("the socket holder exited before it was ready: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), stderr.String())
	case <-time.After(15 * time.Second):
		t.Fatalf("timed out waiting for the socket holder to be ready\nstdout:\n%s\nstderr:\n%s", out.String(), stderr.String())
	}
	var list string
	if _, err := fmt.Sscanf(line, "ready pid=%d inodes=%s", &pid, &list); err != nil {
		t.Fatalf("socket holder said %q: %v", line, err)
	}
	for _, f := range strings.Split(list, ",") {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			t.Fatalf("socket holder said %q: %v", line, err)
		}
		inodes = append(inodes, n)
	}
	slices.Sort(inodes)
	return pid, inodes
}

// readyWatcher collects a child's stdout and sends its first line that
// starts with "ready " on ready.
type readyWatcher struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	ready chan string
	sent  bool
}

func (w *readyWatcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if !w.sent {
		lines := strings.Split(w.buf.String(), "\n")
		for _, line := range lines[:len(lines)-1] { // the last is not complete yet
			if strings.HasPrefix(line, "ready ") {
				w.ready <- line
				w.sent = true
				break
			}
		}
	}
	return len(p), nil
}

func (w *readyWatcher) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// netsqlSockets lists the namespace's tcp, udp and unix sockets with every
// owner, running the netsql binary inside ns.
func netsqlSockets(t *testing.T, ns *tablestest.Netns, bin string) []ssSocket {
	t.Helper()
	const q = `SELECT s.proto, s.type, s.local_addr, s.local_port, s.remote_addr, s.remote_port, s.state, s.inode, s.path,
		group_concat(DISTINCT ps.pid) AS owners
		FROM sockets s LEFT JOIN process_sockets ps ON ps.inode = s.inode
		WHERE s.proto IN ('tcp', 'tcp6', 'udp', 'udp6', 'unix')
		GROUP BY s.proto, s.type, s.local_addr, s.local_port, s.remote_addr, s.remote_port, s.state, s.inode, s.path`
	cmd := ns.Command(bin, "-o", "json", "-e", q)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("netsql in %s: %v\nstderr:\n%s", ns.Name, err, stderr.String())
	}
	for _, line := range strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n") {
		if line != "" && !strings.HasPrefix(line, "warning: ") {
			t.Errorf("netsql stderr: %q", line)
		}
	}
	var rows []struct {
		Proto      string  `json:"proto"`
		Type       string  `json:"type"`
		LocalAddr  *string `json:"local_addr"`
		LocalPort  *int64  `json:"local_port"`
		RemoteAddr *string `json:"remote_addr"`
		RemotePort *int64  `json:"remote_port"`
		State      string  `json:"state"`
		Inode      int64   `json:"inode"`
		Path       *string `json:"path"`
		Owners     *string `json:"owners"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &rows); err != nil {
		t.Fatalf("netsql output is not the JSON expected: %v\n%s", err, stdout.String())
	}
	str := func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	}
	num := func(n *int64) int64 {
		if n == nil {
			return 0
		}
		return *n
	}
	out := make([]ssSocket, len(rows))
	for i, r := range rows {
		out[i] = ssSocket{Proto: r.Proto, Type: r.Type, LocalAddr: str(r.LocalAddr), LocalPort: num(r.LocalPort),
			RemoteAddr: str(r.RemoteAddr), RemotePort: num(r.RemotePort), State: r.State, Inode: r.Inode, Path: str(r.Path)}
		if r.Owners != nil {
			for _, f := range strings.Split(*r.Owners, ",") {
				pid, err := strconv.ParseInt(f, 10, 64)
				if err != nil {
					t.Fatalf("netsql owners %q: %v", *r.Owners, err)
				}
				out[i].Owners = append(out[i].Owners, pid)
			}
			slices.Sort(out[i].Owners)
		}
	}
	return out
}

// ssStates maps ss's state names to netsql's, for inet and unix sockets.
var ssStates = map[string][2]string{
	"ESTAB":      {"ESTABLISHED", "CONNECTED"},
	"UNCONN":     {"UNCONN", "UNCONNECTED"},
	"LISTEN":     {"LISTEN", "LISTENING"},
	"SYN-SENT":   {"SYN_SENT", "CONNECTING"},
	"SYN-RECV":   {"SYN_RECV", ""},
	"FIN-WAIT-1": {"FIN_WAIT1", ""},
	"FIN-WAIT-2": {"FIN_WAIT2", ""},
	"TIME-WAIT":  {"TIME_WAIT", ""},
	"CLOSE-WAIT": {"CLOSE_WAIT", ""},
	"LAST-ACK":   {"LAST_ACK", ""},
	"CLOSING":    {"CLOSING", "DISCONNECTING"},
}

// ssUnixTypes maps ss's unix netids to socket types.
var ssUnixTypes = map[string]string{"u_str": "stream", "u_dgr": "dgram", "u_seq": "seqpacket"}

var ssPIDs = regexp.MustCompile(`pid=(\d+)`)

// ssSockets lists the namespace's tcp, udp and unix sockets with `ss -tuaxnpe`,
// in netsql's names.
func ssSockets(t *testing.T, ns *tablestest.Netns) []ssSocket {
	t.Helper()
	text := ns.MustRun(t, "ss", "-H", "-tuanxpe")
	var out []ssSocket
	for _, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		s, err := parseSSLine(line)
		if err != nil {
			t.Fatalf("ss line %q: %v", line, err)
		}
		out = append(out, s)
	}
	return out
}

// parseSSLine reads one line of `ss -H -tuanxpe`: Netid State Recv-Q Send-Q
// Local:Port Peer:Port, where a unix socket's "Port" is its inode, then
// extras (users:(("name",pid=N,fd=M),...), ino:N). Unix paths with blanks
// are not handled; the holder's have none.
func parseSSLine(line string) (ssSocket, error) {
	f := strings.Fields(line)
	if len(f) < 6 {
		return ssSocket{}, fmt.Errorf("too few fields")
	}
	var s ssSocket
	netid, state := f[0], f[1]
	if users := strings.Index(line, "users:(("); users >= 0 {
		end := strings.Index(line[users:], "))")
		if end < 0 {
			return s, fmt.Errorf("unterminated users")
		}
		for _, m := range ssPIDs.FindAllStringSubmatch(line[users:users+end], -1) {
			pid, _ := strconv.ParseInt(m[1], 10, 64)
			if !slices.Contains(s.Owners, pid) {
				s.Owners = append(s.Owners, pid)
			}
		}
		slices.Sort(s.Owners)
	}
	names, ok := ssStates[state]
	if typ, unix := ssUnixTypes[netid]; unix {
		if len(f) < 8 {
			return s, fmt.Errorf("too few fields for unix")
		}
		s.Proto, s.Type, s.State = "unix", typ, names[1]
		if f[4] != "*" {
			s.Path = f[4]
		}
		inode, err := strconv.ParseInt(f[5], 10, 64)
		if err != nil {
			return s, fmt.Errorf("unix inode %q", f[5])
		}
		s.Inode = inode
	} else {
		switch netid {
		case "tcp":
			s.Type = "stream"
		case "udp":
			s.Type = "dgram"
		default:
			return s, fmt.Errorf("netid %q", netid)
		}
		s.State = names[0]
		var v6 bool
		var err error
		if s.LocalAddr, s.LocalPort, v6, err = ssAddr(f[4]); err != nil {
			return s, err
		}
		if s.RemoteAddr, s.RemotePort, _, err = ssAddr(f[5]); err != nil {
			return s, err
		}
		s.Proto = netid
		if v6 {
			s.Proto += "6"
		}
		for _, x := range f[6:] {
			if ino, found := strings.CutPrefix(x, "ino:"); found {
				if s.Inode, err = strconv.ParseInt(ino, 10, 64); err != nil {
					return s, fmt.Errorf("inode %q", x)
				}
			}
		}
	}
	if !ok || s.State == "" {
		return s, fmt.Errorf("state %q of %s has no netsql name", state, netid)
	}
	return s, nil
}

// ssAddr splits ss's "ADDR:PORT" ("[::1]:80", "0.0.0.0:*", "*:22"). v6 is
// true for a bracketed address; "*" is the wildcard of a dual-stack socket.
func ssAddr(s string) (addr string, port int64, v6 bool, err error) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return "", 0, false, fmt.Errorf("address %q has no port", s)
	}
	addr, p := s[:i], s[i+1:]
	if p != "*" {
		if port, err = strconv.ParseInt(p, 10, 64); err != nil {
			return "", 0, false, fmt.Errorf("address %q: port", s)
		}
	}
	switch {
	case strings.HasPrefix(addr, "[") && strings.HasSuffix(addr, "]"):
		addr, v6 = addr[1:len(addr)-1], true
	case addr == "*":
		addr, v6 = "::", true
	}
	return addr, port, v6, nil
}
