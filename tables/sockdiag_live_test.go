//go:build live

package tables

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"netsql/tables/engine"
	"netsql/tables/kernel"
	"netsql/tables/tablestest"
)

// inNetns runs fn on an OS thread moved into the network namespace ns,
// so the sockets fn opens, the netlink sockets the collection opens and
// /proc/thread-self/net all belong to ns. The thread is never unlocked:
// it ends with the goroutine instead of going back to the scheduler.
func inNetns(t *testing.T, ns *tablestest.Netns, fn func() error) {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		target, err := os.Open("/run/netns/" + ns.Name)
		if err != nil {
			done <- err
			return
		}
		defer target.Close()
		if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
			done <- fmt.Errorf("setns %s: %w", ns.Name, err)
			return
		}
		done <- fn()
	}()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// diagTestSockets is what the agreement test opened and must find.
type diagTestSockets struct {
	listener, listener6, keepalive, blocked, timeWaitPort int64 // inodes; a port for the TIME_WAIT socket
	unixA, unixB                                          int64 // the two ends of one unix connection
	backlog                                               int64
	inodes                                                []int64
	held                                                  []any // referenced, so no finalizer closes them
}

// openDiagTestSockets opens a mix of every kind the sockets table has,
// with queues and timers in use, in the calling thread's namespace. The
// sockets live as long as the process or the namespace.
func openDiagTestSockets(dir string) (*diagTestSockets, error) {
	s := &diagTestSockets{}
	keep := func(c any, err error) (int64, error) {
		if err != nil {
			return 0, err
		}
		s.held = append(s.held, c)
		inode, err := inodeOfSocket(c)
		if err == nil {
			s.inodes = append(s.inodes, inode)
		}
		return inode, err
	}
	ln, err := net.ListenTCP("tcp4", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if s.listener, err = keep(ln, err); err != nil {
		return nil, err
	}
	// Go listens with the kernel's limit: somaxconn of this namespace.
	backlog, err := os.ReadFile("/proc/sys/net/core/somaxconn")
	if err != nil {
		return nil, err
	}
	fmt.Sscan(string(backlog), &s.backlog)

	dial := func(hold bool) (*net.TCPConn, *net.TCPConn, error) {
		client, err := net.DialTCP("tcp4", nil, ln.Addr().(*net.TCPAddr))
		if err != nil {
			return nil, nil, err
		}
		server, err := ln.AcceptTCP()
		if err != nil {
			return nil, nil, err
		}
		if !hold {
			s.held = append(s.held, client, server)
			return client, server, nil
		}
		if _, err := keep(client, nil); err != nil {
			return nil, nil, err
		}
		_, err = keep(server, nil)
		return client, server, err
	}
	// 1000 bytes the server never reads: its recv_q.
	client, _, err := dial(true)
	if err != nil {
		return nil, err
	}
	if _, err := client.Write(make([]byte, 1000)); err != nil {
		return nil, err
	}
	// A keepalive timer.
	ka, _, err := dial(true)
	if err != nil {
		return nil, err
	}
	ka.SetKeepAliveConfig(net.KeepAliveConfig{Enable: true, Idle: 100 * time.Second, Interval: 10 * time.Second, Count: 3})
	s.keepalive, _ = inodeOfSocket(ka)
	// A sender whose peer never reads: a full send queue and the zero-window probe timer.
	blocked, _, err := dial(true)
	if err != nil {
		return nil, err
	}
	s.blocked, _ = inodeOfSocket(blocked)
	blocked.SetWriteDeadline(time.Now().Add(2 * time.Second))
	chunk := make([]byte, 1<<20)
	for {
		if _, err := blocked.Write(chunk); err != nil {
			break // the deadline: the queues are full
		}
	}
	// TIME_WAIT: the client closes first, then the server.
	tw, twServer, err := dial(false)
	if err != nil {
		return nil, err
	}
	s.timeWaitPort = int64(tw.LocalAddr().(*net.TCPAddr).Port)
	tw.Close()
	twServer.Close()

	ln6, err := net.ListenTCP("tcp6", &net.TCPAddr{IP: net.IPv6loopback})
	if s.listener6, err = keep(ln6, err); err != nil {
		return nil, err
	}
	udp, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if _, err := keep(udp, err); err != nil {
		return nil, err
	}
	if _, err := keep(net.DialUDP("udp4", nil, udp.LocalAddr().(*net.UDPAddr))); err != nil {
		return nil, err
	}
	if _, err := keep(net.ListenUDP("udp6", &net.UDPAddr{IP: net.IPv6loopback})); err != nil {
		return nil, err
	}
	raw, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_RAW|syscall.SOCK_CLOEXEC, syscall.IPPROTO_ICMP)
	if _, err := keep(raw, err); err != nil {
		return nil, err
	}
	packet, err := syscall.Socket(syscall.AF_PACKET, syscall.SOCK_RAW|syscall.SOCK_CLOEXEC, int(htons(syscall.ETH_P_ALL)))
	if _, err := keep(packet, err); err != nil {
		return nil, err
	}

	unixLn, err := net.ListenUnix("unix", &net.UnixAddr{Name: filepath.Join(dir, "diag sock"), Net: "unix"})
	if _, err := keep(unixLn, err); err != nil {
		return nil, err
	}
	uc, err := net.DialUnix("unix", nil, unixLn.Addr().(*net.UnixAddr))
	if s.unixA, err = keep(uc, err); err != nil {
		return nil, err
	}
	us, err := unixLn.AcceptUnix()
	if s.unixB, err = keep(us, err); err != nil {
		return nil, err
	}
	if _, err := keep(net.ListenUnix("unix", &net.UnixAddr{Name: "@netsql-diag-test", Net: "unix"})); err != nil {
		return nil, err
	}
	pair, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	for _, fd := range pair {
		if _, err := keep(fd, nil); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// inodeOfSocket returns the inode of a socket: a net.Conn, a listener or a descriptor.
func inodeOfSocket(s any) (int64, error) {
	var st syscall.Stat_t
	switch c := s.(type) {
	case int:
		if err := syscall.Fstat(c, &st); err != nil {
			return 0, err
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
			return 0, serr
		}
	default:
		return 0, fmt.Errorf("%T is not a socket", s)
	}
	return int64(st.Ino), nil
}

// agreedColumns are the columns both sources must agree on (the issue's
// list); timer_ms is compared separately, within /proc's resolution.
var agreedColumns = []string{"proto", "family", "type", "local_addr", "local_port", "remote_addr", "remote_port",
	"state", "inode", "uid", "timer", "recv_q", "send_q", "path"}

// netlinkOnlyColumns are NULL from /proc.
var netlinkOnlyColumns = []string{"peer_inode", "cookie", "interface", "fwmark", "v6only", "backlog"}

// TestLiveNetlinkAgreesWithProc lists the same sockets over netlink and
// from /proc, in a namespace holding only what this test opened, and
// compares them column by column.
func TestLiveNetlinkAgreesWithProc(t *testing.T) {
	tablestest.RequireRoot(t)
	t.Parallel()
	ns := tablestest.NewNetns(t, "diag")
	dir := t.TempDir()
	inNetns(t, ns, func() error {
		opened, err := openDiagTestSockets(dir)
		if err != nil {
			return fmt.Errorf("open the test's sockets: %w", err)
		}
		ctx := context.Background()
		live := kernel.LiveSource()
		// /proc/thread-self is this thread's view, in the namespace.
		proc := &kernel.Source{Proc: "/proc/thread-self", Etc: "/etc"}
		collect := func(src *kernel.Source) ([]engine.Row, time.Duration, error) {
			start := time.Now()
			rows, err := collectSockets(kernel.NewCollector(ctx, src), wantAll(allProtos))
			return rows, time.Since(start), err
		}
		// The TIME_WAIT socket appears once the server's close reached the client.
		var procRows, diagRows []engine.Row
		deadline := time.Now().Add(10 * time.Second)
		var elapsed time.Duration
		for {
			start := time.Now()
			if procRows, _, err = collect(proc); err != nil {
				return err
			}
			if diagRows, _, err = collect(live); err != nil {
				return err
			}
			elapsed = time.Since(start)
			if findTimeWait(procRows, opened.timeWaitPort) != nil && findTimeWait(diagRows, opened.timeWaitPort) != nil {
				break
			}
			if time.Now().After(deadline) {
				return errors.New("the TIME_WAIT socket did not appear within 10s")
			}
			time.Sleep(10 * time.Millisecond)
		}
		byInode := func(rows []engine.Row) map[int64]engine.Row {
			m := map[int64]engine.Row{}
			for _, r := range rows {
				if inode, _ := r[sockInode].(int64); inode != 0 {
					m[inode] = r
				}
			}
			return m
		}
		procBy, diagBy := byInode(procRows), byInode(diagRows)
		type pair struct {
			name       string
			proc, diag engine.Row
		}
		var pairs []pair
		for _, inode := range opened.inodes {
			p, d := procBy[inode], diagBy[inode]
			if p == nil || d == nil {
				t.Errorf("inode %d: in /proc %v, over netlink %v; want both", inode, p != nil, d != nil)
				continue
			}
			pairs = append(pairs, pair{fmt.Sprintf("%v inode %d", p[sockProtoCol], inode), p, d})
		}
		pairs = append(pairs, pair{"tcp TIME_WAIT", findTimeWait(procRows, opened.timeWaitPort), findTimeWait(diagRows, opened.timeWaitPort)})
		if len(pairs) != len(opened.inodes)+1 {
			t.Errorf("compared %d sockets, want the %d the test opened", len(pairs), len(opened.inodes)+1)
		}
		// The kernel's timers count down between the two reads; /proc has
		// 10 ms ticks.
		tolerance := int64(10) + elapsed.Milliseconds() + 1
		for _, pr := range pairs {
			want, got := pick(pr.proc, agreedColumns...), pick(pr.diag, agreedColumns...)
			proto := pr.proc[sockProtoCol]
			listener := pr.proc[sockState] == "LISTEN" || pr.proc[sockState] == "LISTENING"
			for i, col := range agreedColumns {
				switch {
				case proto == "unix" && (col == "uid" || col == "recv_q" || col == "send_q"):
					// Not in /proc/net/unix; netlink has them.
					if want[i] != nil || got[i] == nil {
						t.Errorf("%s: %s is %v in /proc and %v over netlink; want NULL and a value", pr.name, col, want[i], got[i])
					}
					want[i], got[i] = nil, nil
				case listener && col == "send_q":
					// A listener's send_q is its backlog over netlink, 0 in /proc.
					if want[i] != int64(0) || got[i] != pr.diag[sockBacklog] {
						t.Errorf("%s: listener send_q %v in /proc, %v over netlink; want 0 and the backlog %v", pr.name, want[i], got[i], pr.diag[sockBacklog])
					}
					want[i], got[i] = nil, nil
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s: /proc (-) and netlink (+) disagree on %v:\n%s", pr.name, agreedColumns, diff)
			}
			pt, _ := pr.proc[sockTimerMs].(int64)
			dt, _ := pr.diag[sockTimerMs].(int64)
			if d := dt - pt; d < -tolerance || d > tolerance {
				t.Errorf("%s: timer_ms %d in /proc, %d over netlink; want within %d ms", pr.name, pt, dt, tolerance)
			}
			for _, col := range netlinkOnlyColumns {
				if v := pr.proc[Sockets.ColumnIndex(col)]; v != nil {
					t.Errorf("%s: %s = %v from /proc, want NULL", pr.name, col, v)
				}
			}
			if proto != "raw" && pr.diag[sockCookie] == nil {
				t.Errorf("%s: no cookie over netlink", pr.name)
			}
		}

		// What only netlink knows, for the sockets that have it.
		checks := []struct {
			inode int64
			col   string
			want  any
		}{
			{opened.listener, "backlog", opened.backlog},
			{opened.listener6, "backlog", opened.backlog},
			{opened.listener6, "v6only", int64(1)}, // Go's "tcp6" sets IPV6_V6ONLY
			{opened.unixA, "peer_inode", opened.unixB},
			{opened.unixB, "peer_inode", opened.unixA},
			{opened.keepalive, "timer", "keepalive"},
			{opened.blocked, "timer", "probe"},
		}
		for _, c := range checks {
			r := diagBy[c.inode]
			if r == nil {
				continue // reported above
			}
			if got := r[Sockets.ColumnIndex(c.col)]; got != c.want {
				t.Errorf("inode %d (%v %v): %s = %v over netlink, want %v", c.inode, r[sockProtoCol], r[sockState], c.col, got, c.want)
			}
		}
		if r := diagBy[opened.keepalive]; r != nil {
			if ms, _ := r[sockTimerMs].(int64); ms < 90_000 || ms > 100_000 {
				t.Errorf("keepalive timer_ms %d, want within the 100 s idle time", ms)
			}
		}
		if r := diagBy[opened.blocked]; r != nil {
			if q, _ := r[sockSendQ].(int64); q == 0 {
				t.Error("the blocked sender's send_q is 0")
			}
		}
		runtime.KeepAlive(opened)
		return nil
	})
}

func findTimeWait(rows []engine.Row, port int64) engine.Row {
	for _, r := range rows {
		if r[sockState] == "TIME_WAIT" && r[sockLocalPort] == port {
			return r
		}
	}
	return nil
}

// TestLiveStateGoesIntoTheDiagRequest proves kernel-side filtering by
// counting: in a namespace with established connections and listeners,
// WHERE state = 'LISTEN' sends requests for listeners only, and the kernel
// answers with the listeners only.
func TestLiveStateGoesIntoTheDiagRequest(t *testing.T) {
	tablestest.RequireRoot(t)
	t.Parallel()
	ns := tablestest.NewNetns(t, "diagstate")
	inNetns(t, ns, func() error {
		// Two listeners (tcp, tcp6), 20 established connections (40 sockets).
		ln, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			return err
		}
		ln6, err := net.Listen("tcp6", "[::1]:0")
		if err != nil {
			return err
		}
		// Kept referenced to the end: an unreferenced listener or conn is
		// closed by its finalizer when the collector runs.
		var conns []net.Conn
		defer func() { runtime.KeepAlive(conns); runtime.KeepAlive(ln); runtime.KeepAlive(ln6) }()
		for range 20 {
			c, err := net.Dial("tcp4", ln.Addr().String())
			if err != nil {
				return err
			}
			a, err := ln.Accept()
			if err != nil {
				return err
			}
			conns = append(conns, c, a)
		}
		var dumps []kernel.DiagDump
		src := kernel.LiveSource()
		src.OnDiag = func(d kernel.DiagDump) { dumps = append(dumps, d) }
		c := kernel.NewCollector(context.Background(), src)

		rows, err := socketsWhere(c, [][]engine.KeyValue{{{Column: "state", Value: "listen"}}}) // as lookupKey folds it
		if err != nil {
			return err
		}
		decoded := 0
		for _, d := range dumps {
			if d.Protocol == unix.IPPROTO_TCP {
				if d.States != 1<<kernelListen {
					t.Errorf("tcp dump family %d asked for states %#x, want LISTEN only (%#x)", d.Family, d.States, 1<<kernelListen)
				}
				decoded += d.Rows
			}
			if d.Protocol == unix.IPPROTO_UDP || d.Protocol == unix.IPPROTO_UDPLITE || d.Family == unix.AF_PACKET {
				t.Errorf("a dump of family %d protocol %d was sent, though none of its sockets can be LISTEN", d.Family, d.Protocol)
			}
			if d.Family == unix.AF_UNIX && d.States != 1<<kernelListen {
				t.Errorf("unix dump asked for states %#x, want listening only", d.States)
			}
		}
		if decoded != 2 {
			t.Errorf("the kernel sent %d tcp sockets for WHERE state = 'LISTEN', want the 2 listeners (not the 40 established)", decoded)
		}
		for _, r := range rows {
			if r[sockState] != "LISTEN" && r[sockState] != "LISTENING" {
				t.Errorf("a %v row in state %v", r[sockProtoCol], r[sockState])
			}
		}

		// state AND proto: one dump, of tcp listeners.
		dumps = nil
		if _, err := socketsWhere(c, [][]engine.KeyValue{{{Column: "state", Value: "listen"}, {Column: "proto", Value: "tcp"}}}); err != nil {
			return err
		}
		want := []kernel.DiagDump{{Family: unix.AF_INET, Protocol: unix.IPPROTO_TCP, States: 1 << kernelListen, Rows: 1}}
		if diff := cmp.Diff(want, dumps); diff != "" {
			t.Errorf("state = 'LISTEN' AND proto = 'tcp' dumps (-want +got):\n%s", diff)
		}

		// Established only: the 40, no listener.
		dumps = nil
		if _, err := socketsWhere(c, [][]engine.KeyValue{{{Column: "state", Value: "established"}, {Column: "family", Value: "inet"}}}); err != nil {
			return err
		}
		for _, d := range dumps {
			if d.Protocol == unix.IPPROTO_TCP && (d.States != 1<<kernelEstablished || d.Rows != 40) {
				t.Errorf("established tcp dump: states %#x rows %d, want %#x and 40", d.States, d.Rows, 1<<kernelEstablished)
			}
		}
		return nil
	})
}

// TestLiveStatePushdownThroughTheEngine runs the SQL: equality on state
// (and proto) reaches the diag request through BestIndex and Filter.
func TestLiveStatePushdownThroughTheEngine(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	port := int64(ln.Addr().(*net.TCPAddr).Port)
	var dumps []kernel.DiagDump
	src := kernel.LiveSource()
	src.OnDiag = func(d kernel.DiagDump) { dumps = append(dumps, d) }
	e := openFixture(t, src)

	var rows [][]any
	d := delta(e, func() {
		rows = query(t, e, "SELECT proto, state, backlog IS NOT NULL FROM sockets WHERE state = 'LISTEN' AND proto = 'tcp' AND local_port = ?", port)
	})
	if diff := cmp.Diff([][]any{{"tcp", "LISTEN", int64(1)}}, rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	want := []kernel.DiagDump{{Family: unix.AF_INET, Protocol: unix.IPPROTO_TCP, States: 1 << kernelListen}}
	for i := range dumps {
		dumps[i].Rows = 0 // other programs listen too
	}
	if diff := cmp.Diff(want, dumps); diff != "" {
		t.Errorf("dumps (-want +got):\n%s", diff)
	}
	if d.Collections["sockets"] != 0 || d.Narrowed["sockets"] != 1 {
		t.Errorf("collections %d narrowed %d, want 0 and 1", d.Collections["sockets"], d.Narrowed["sockets"])
	}

	// state IN (...) of constants is one narrowed read asking for both states.
	dumps = nil
	query(t, e, "SELECT count(*) FROM sockets WHERE state IN ('LISTEN', 'SYN_SENT') AND family = 'inet'")
	var masks []uint32
	for _, d := range dumps {
		if d.Protocol == unix.IPPROTO_TCP {
			masks = append(masks, d.States)
		}
	}
	if !cmp.Equal(masks, []uint32{1<<kernelSynSent | 1<<kernelListen}) {
		t.Errorf("tcp dumps for state IN ('LISTEN', 'SYN_SENT'): masks %#x, want one asking for both", masks)
	}
}

// TestLiveNetlinkRefusedFallsBackToProc reads every socket from /proc when
// the kernel refuses sock_diag, and says so once per statement.
func TestLiveNetlinkRefusedFallsBackToProc(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	inode, err := inodeOfSocket(ln)
	if err != nil {
		t.Fatal(err)
	}
	src := kernel.LiveSource()
	src.RefuseDiag = true
	e := openFixture(t, src)
	_, rows, warnings, err := e.Query(context.Background(),
		"SELECT s.state, s.cookie, s.backlog FROM sockets s JOIN sockets t USING (inode) WHERE s.inode = ?", inode)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([][]any{{"LISTEN", nil, nil}}, rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	// tcp, tcp6, udp, udp6, unix, packet: UDP-Lite falls back quietly.
	if len(warnings) != 1 || warnings[0] != (kernel.Warning{Kind: kernel.WarnNetlinkRefused, Count: 6}) {
		t.Errorf("warnings %q, want one line counting 6 protocols", warnings)
	}
}

func TestInterfaceNameFromIndex(t *testing.T) {
	c := kernel.NewCollector(context.Background(), kernel.LiveSource())
	lo, err := net.InterfaceByIndex(1)
	if err != nil {
		t.Fatalf("interface 1: %v", err)
	}
	if got := interfaceName(c, 1); got != lo.Name {
		t.Errorf("interfaceName(1) = %v, want %s", got, lo.Name)
	}
	if got := interfaceName(c, 1<<30); got != "1073741824" {
		t.Errorf("an unknown index gave %v, want its number", got)
	}
}

// TestLiveSynRecvBothSources lists half-open connections from both
// sources: in a namespace whose nftables rule drops every client's final
// ACK, a listener that never accepts holds SYN_RECV requests and sends
// its SYN-ACK again. Both sources list the same requests; retransmits is
// the SYN-ACKs sent again over netlink and NULL from /proc, whose field
// counts something else (the column's description); fwmark is the
// request's mark over netlink and NULL from /proc.
func TestLiveSynRecvBothSources(t *testing.T) {
	tablestest.RequireRoot(t)
	tablestest.RequireTool(t, "nft")
	t.Parallel()
	ns := tablestest.NewNetns(t, "synrecv")
	ns.MustRun(t, "ip", "link", "set", "lo", "up")
	ns.MustRun(t, "nft", "add", "table", "inet", "netsqltest")
	ns.MustRun(t, "nft", "add", "chain", "inet", "netsqltest", "out", "{ type filter hook output priority 0; }")
	const port = 7777
	ns.MustRun(t, "nft", "add", "rule", "inet", "netsqltest", "out", "tcp", "dport", fmt.Sprint(port),
		"tcp", "flags", "&", "(syn|ack)", "==", "ack", "drop")
	inNetns(t, ns, func() error {
		ln, err := net.Listen("tcp4", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			return err
		}
		var conns []net.Conn
		defer func() { runtime.KeepAlive(ln); runtime.KeepAlive(conns) }()
		const clients = 3
		for range clients {
			// The client has its SYN-ACK: it is connected, the server is not.
			c, err := net.DialTimeout("tcp4", ln.Addr().String(), 5*time.Second)
			if err != nil {
				return err
			}
			conns = append(conns, c)
		}
		ctx := context.Background()
		collect := func(src *kernel.Source) ([]engine.Row, error) {
			rows, err := collectSockets(kernel.NewCollector(ctx, src), wantAll(allProtos[:1]))
			var requests []engine.Row
			for _, r := range rows {
				if r[sockState] == "SYN_RECV" {
					requests = append(requests, r)
				}
			}
			return requests, err
		}
		live := kernel.LiveSource()
		proc := &kernel.Source{Proc: "/proc/thread-self", Etc: "/etc"}
		// The SYN-ACK timer starts at 1 s: wait until every request was
		// sent again at least once.
		var diag, files []engine.Row
		deadline := time.Now().Add(15 * time.Second)
		for {
			if diag, err = collect(live); err != nil {
				return err
			}
			resent := 0
			for _, r := range diag {
				if n, _ := r[sockRetransmits].(int64); n >= 1 {
					resent++
				}
			}
			if resent == clients {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("after 15 s, %d of %d SYN_RECV requests over netlink were sent again: %v", resent, clients, diag)
			}
			time.Sleep(100 * time.Millisecond)
		}
		if files, err = collect(proc); err != nil {
			return err
		}
		key := func(rows []engine.Row) []string {
			var out []string
			for _, r := range rows {
				out = append(out, fmt.Sprintf("%v:%v %v:%v %v inode %v", r[sockLocalAddr], r[sockLocalPort], r[sockRemoteAddr], r[sockRemotePort], r[sockTimer], r[sockInode]))
			}
			slices.Sort(out)
			return out
		}
		if diff := cmp.Diff(key(files), key(diag)); diff != "" || len(diag) != clients {
			t.Errorf("SYN_RECV requests, /proc (-) against netlink (+), want %d in both:\n%s", clients, diff)
		}
		for _, r := range files {
			if r[sockRetransmits] != nil || r[sockFwmark] != nil {
				t.Errorf("/proc SYN_RECV %v: retransmits %v, fwmark %v; want both NULL", r[sockRemotePort], r[sockRetransmits], r[sockFwmark])
			}
		}
		for _, r := range diag {
			// A request carries the listener's mark (ir_mark), 0 here.
			if r[sockFwmark] != int64(0) {
				t.Errorf("netlink SYN_RECV %v: fwmark %v, want 0", r[sockRemotePort], r[sockFwmark])
			}
		}
		return nil
	})
}
