//go:build live

package tables

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"netsql/tables/engine"
	"netsql/tables/kernel"
	"netsql/tables/tablestest"
)

// holder is a process started inside a namespace that holds a TCP
// listener and a UDP socket there (holdSockets).
type holder struct {
	pid, tcpPort, udpPort int64
}

func startHolder(t *testing.T, ns *tablestest.Netns) holder {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := ns.Command(exe)
	cmd.Env = append(os.Environ(), netnsHolderEnv+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("socket holder: %v", err)
	}
	h := holder{pid: int64(cmd.Process.Pid)} // ip netns exec runs it in its own place
	if _, err := fmt.Sscan(line, &h.tcpPort, &h.udpPort); err != nil {
		t.Fatalf("socket holder said %q: %v", line, err)
	}
	return h
}

// netnsInode is the inode of a named namespace.
func netnsInode(t *testing.T, ns *tablestest.Netns) int64 {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Stat("/run/netns/"+ns.Name, &st); err != nil {
		t.Fatal(err)
	}
	return int64(st.Ino)
}

// hostRows runs a query with netsql in the test's own namespace (extra
// flags first) and decodes its JSON rows.
func hostRows(t *testing.T, query string, flags ...string) []map[string]any {
	t.Helper()
	args := append(append([]string{}, flags...), "-o", "json", query)
	cmd := exec.Command(tablestest.Netsql(t), args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("netsql %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	dec.UseNumber()
	var rows []map[string]any
	if err := dec.Decode(&rows); err != nil {
		t.Fatalf("netsql %s: %v in %q", strings.Join(args, " "), err, out)
	}
	return rows
}

// liveListener is one listening or unconnected inet socket as ss -tulnp
// and netsql state it.
type liveListener struct {
	Proto, Addr string
	Port, PID   int64
}

var ssUsers = regexp.MustCompile(`pid=([0-9]+)`)

// ssListeners parses ss -tulnpH run inside ns.
func ssListeners(t *testing.T, ns *tablestest.Netns) []liveListener {
	var out []liveListener
	for _, line := range strings.Split(strings.TrimSpace(ns.MustRun(t, "ss", "-tulnpH")), "\n") {
		f := strings.Fields(line)
		if len(f) < 5 {
			continue
		}
		local := f[4]
		i := strings.LastIndexByte(local, ':')
		addr := strings.Trim(local[:i], "[]")
		if addr == "*" {
			addr = "::" // ss prints a dual-stack wildcard as *
		}
		port, _ := strconv.ParseInt(local[i+1:], 10, 64)
		l := liveListener{Proto: f[0], Addr: addr, Port: port, PID: -1}
		if m := ssUsers.FindStringSubmatch(line); m != nil {
			l.PID, _ = strconv.ParseInt(m[1], 10, 64)
		}
		out = append(out, l)
	}
	return out
}

// TestLiveNetnsAllMatchesSSAndIP builds a namespace with a veth pair,
// addresses, routes, neighbours and a process holding a listener and a
// UDP socket, then reads it with --netns all (and by name) from the test's
// own namespace: every dataset's rows for that namespace are what ss and
// ip show inside it, the owner is the process in it, and namespaces names
// it.
func TestLiveNetnsAllMatchesSSAndIP(t *testing.T) {
	tablestest.RequireRoot(t)
	tablestest.RequireTool(t, "ss")
	t.Parallel()
	ns := rtnlTestNetns(t)
	h := startHolder(t, ns)
	inode := netnsInode(t, ns)
	ns.MustRun(t, "sysctl", "-q", "-w", "net.ipv4.ip_default_ttl=77")
	where := fmt.Sprintf(" WHERE netns = %d", inode)

	for _, scope := range [][]string{{"--netns", "all"}, {"--netns", ns.Name}} {
		t.Run(scope[1], func(t *testing.T) {
			rows := hostRows(t, "SELECT proto, local_addr, local_port, pid FROM sockets"+where+
				" AND family IN ('inet', 'inet6') AND state IN ('LISTEN', 'UNCONN')", scope...)
			var got []liveListener
			for _, e := range rows {
				got = append(got, liveListener{Proto: strings.TrimSuffix(str(e["proto"]), "6"), Addr: str(e["local_addr"]),
					Port: num(e["local_port"]), PID: num(e["pid"])})
			}
			want := ssListeners(t, ns)
			if diff := cmp.Diff(sortedBy(want), sortedBy(got)); diff != "" {
				t.Errorf("listeners, ss -tulnp in the namespace (want) against netsql %v (got):\n%s", scope, diff)
			}
			if !slices.ContainsFunc(got, func(l liveListener) bool { return l.Port == h.tcpPort && l.PID == h.pid }) {
				t.Errorf("the holder's listener :%d owned by %d is not among %v", h.tcpPort, h.pid, got)
			}
			compareUntilStable(t, "routes of the namespace, ip route (want) against netsql "+scope[1]+" (got)",
				func() []liveRoute { return ipRoutes(t, ns) },
				func() []liveRoute { return routesFrom(hostRows(t, "SELECT * FROM routes"+where, scope...)) })
			compareUntilStable(t, "addresses of the namespace, ip addr (want) against netsql (got)",
				func() []liveAddr { return ipAddrs(t, ns) },
				func() []liveAddr { return addrsFrom(hostRows(t, "SELECT * FROM addresses"+where, scope...)) })
			compareUntilStable(t, "neighbours of the namespace, ip neigh (want) against netsql (got)",
				func() []liveNeigh { return ipNeighs(t, ns) },
				func() []liveNeigh { return neighsFrom(hostRows(t, "SELECT * FROM neighbors"+where, scope...)) })
			want2 := ipLinks(t, ns)
			compareUntilStable(t, "interfaces of the namespace, ip link (want) against netsql (got)",
				func() []liveLink { return ipLinks(t, ns) },
				func() []liveLink { return linksFrom(t, hostRows(t, "SELECT * FROM interfaces"+where, scope...), want2) })

			// The namespace is named, holds one process, and every
			// dataset read there says so; sysctls are its own.
			rows = hostRows(t, "SELECT name, pids, first_pid, host, self FROM namespaces"+where, scope...)
			if len(rows) != 1 || str(rows[0]["name"]) != ns.Name || num(rows[0]["pids"]) != 1 ||
				num(rows[0]["first_pid"]) != h.pid || num(rows[0]["host"]) != 0 || num(rows[0]["self"]) != 0 {
				t.Errorf("namespaces: %v, want %s with its one process %d", rows, ns.Name, h.pid)
			}
			rows = hostRows(t, "SELECT value FROM sysctls"+where+" AND name = 'net.ipv4.ip_default_ttl'", scope...)
			if len(rows) != 1 || str(rows[0]["value"]) != "77" {
				t.Errorf("sysctls of the namespace: %v, want ip_default_ttl 77 as set there", rows)
			}
			rows = hostRows(t, "SELECT count(*) AS n FROM tcp_info"+where, scope...)
			if len(rows) != 1 || num(rows[0]["n"]) != 1 {
				t.Errorf("tcp_info of the namespace: %v, want the holder's listener", rows)
			}
			for _, table := range []string{"snmp", "sockstat", "multicast"} {
				rows = hostRows(t, "SELECT count(*) AS n FROM "+table+where, scope...)
				if len(rows) != 1 || num(rows[0]["n"]) == 0 {
					t.Errorf("%s of the namespace: %v, want rows", table, rows)
				}
			}
			// UDP datagrams the namespace received are counted there only.
			rows = hostRows(t, "SELECT value FROM sockstat"+where+" AND protocol = 'UDP6' AND name = 'inuse'", scope...)
			if len(rows) != 1 || num(rows[0]["value"]) != 1 {
				t.Errorf("sockstat UDP6 inuse of the namespace: %v, want the holder's one socket", rows)
			}
		})
	}
}

// TestLiveNetnsWithoutRoot runs --netns all as nobody: only netsql's own
// namespace is read, and a warning says why once.
func TestLiveNetnsWithoutRoot(t *testing.T) {
	tablestest.RequireRoot(t)
	setpriv := tablestest.RequireTool(t, "setpriv")
	t.Parallel()
	ns := tablestest.NewNetns(t, "nsnobody")
	startHolder(t, ns)
	inode := netnsInode(t, ns)
	cmd := exec.Command(setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups", tablestest.Netsql(t),
		"--netns", "all", "-o", "json", "SELECT DISTINCT netns FROM routes")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("as nobody: %v: %s", err, stderr.String())
	}
	// This thread's namespace: /proc/self names the main thread's, which
	// a test that entered a namespace may have left wedged there.
	runtime.LockOSThread()
	link, _ := os.Readlink("/proc/thread-self/ns/net")
	runtime.UnlockOSThread()
	self := strings.TrimSuffix(strings.TrimPrefix(link, "net:["), "]")
	if !strings.Contains(string(out), self) || strings.Contains(string(out), fmt.Sprint(inode)) {
		t.Errorf("as nobody, namespaces read: %s; want netsql's own (%s) only", out, self)
	}
	if n := strings.Count(stderr.String(), "network namespaces not readable (permission denied)") +
		strings.Count(stderr.String(), "network namespace not readable (permission denied)"); n != 1 {
		t.Errorf("as nobody, stderr %q: want one warning that other namespaces need root", stderr.String())
	}
}

// TestLiveTCPBothFamiliesOneWalk: a statement wanting tcp and tcp6 in the
// same states sends one TCPDIAG_GETSOCK dump (one walk of the kernel's
// socket hash, in every namespace read), and gets the rows the two
// per-family dumps give.
func TestLiveTCPBothFamiliesOneWalk(t *testing.T) {
	tablestest.RequireRoot(t)
	t.Parallel()
	ns := tablestest.NewNetns(t, "tcpboth")
	inNetns(t, ns, func() error {
		ln4, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			return err
		}
		defer ln4.Close()
		ln6, err := net.Listen("tcp6", "[::1]:0")
		if err != nil {
			return err
		}
		defer ln6.Close()
		c6, err := net.Dial("tcp6", ln6.Addr().String())
		if err != nil {
			return err
		}
		defer c6.Close()
		a6, err := ln6.Accept()
		if err != nil {
			return err
		}
		defer a6.Close()

		var dumps []kernel.DiagDump
		src := kernel.LiveSource()
		src.OnDiag = func(d kernel.DiagDump) { dumps = append(dumps, d) }
		key := func(rows []engine.Row) []string {
			var out []string
			for _, r := range rows {
				out = append(out, fmt.Sprint(r[sockProtoCol], r[sockLocalAddr], r[sockLocalPort], r[sockRemotePort], r[sockState], r[sockInode], r[sockCookie]))
			}
			slices.Sort(out)
			return out
		}
		both, err := socketsWhere(kernel.NewCollector(context.Background(), src),
			[][]engine.KeyValue{{{Column: "proto", Value: "tcp"}}, {{Column: "proto", Value: "tcp6"}}})
		if err != nil {
			return err
		}
		if want := []kernel.DiagDump{{Family: unix.AF_UNSPEC, Protocol: unix.IPPROTO_TCP, States: tcpAllStates, Rows: 4}}; !cmp.Equal(want, dumps) {
			t.Errorf("tcp and tcp6: dumps %+v, want one of both families", dumps)
		}
		var apart []engine.Row
		for _, proto := range []string{"tcp", "tcp6"} {
			rows, err := socketsWhere(kernel.NewCollector(context.Background(), kernel.LiveSource()),
				[][]engine.KeyValue{{{Column: "proto", Value: proto}}})
			if err != nil {
				return err
			}
			apart = append(apart, rows...)
		}
		if diff := cmp.Diff(key(apart), key(both)); diff != "" || len(both) != 4 {
			t.Errorf("one dump of both families against one per family (-apart +both):\n%s", diff)
		}
		return nil
	})
}
