//go:build live

package tables_test

// Differential tests of snmp, sockstat, sysctls, multicast and conntrack:
// each runs the netsql binary inside network namespaces it creates
// (STYLE.md §10) and compares with nstat, ss, sysctl, ip maddr and the
// kernel's own conntrack file there. Traffic stays inside the namespaces.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"netsql/tables/tablestest"
)

// ctrInNetns runs fn on an OS thread switched into ns, so the sockets fn
// opens belong to ns; they stay there after the thread switches back. The
// thread is thrown away if it cannot switch back.
func ctrInNetns(t *testing.T, ns *tablestest.Netns, fn func() error) {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		self, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			done <- err
			return
		}
		defer self.Close()
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
		err = fn()
		if rerr := unix.Setns(int(self.Fd()), unix.CLONE_NEWNET); rerr == nil {
			runtime.UnlockOSThread()
		} else if err == nil {
			err = fmt.Errorf("setns back: %w", rerr)
		}
		done <- err
	}()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// ctrQuery runs the netsql binary inside ns with -o json and returns its
// rows, numbers kept exact.
func ctrQuery(t *testing.T, ns *tablestest.Netns, sql string) []map[string]any {
	t.Helper()
	out := ns.MustRun(t, tablestest.Netsql(t), "-o", "json", sql)
	dec := json.NewDecoder(strings.NewReader(out))
	dec.UseNumber()
	var rows []map[string]any
	if err := dec.Decode(&rows); err != nil {
		t.Fatalf("netsql %q: %v in %q", sql, err, out)
	}
	return rows
}

func ctrInt(t *testing.T, v any) int64 {
	t.Helper()
	n, ok := v.(json.Number)
	if !ok {
		t.Fatalf("%v (%T) is not a number", v, v)
	}
	i, err := n.Int64()
	if err != nil {
		t.Fatal(err)
	}
	return i
}

// ctrNstat returns nstat's absolute counters, without touching its history.
func ctrNstat(t *testing.T, ns *tablestest.Netns) map[string]int64 {
	t.Helper()
	counters := map[string]int64{}
	for _, line := range strings.Split(ns.MustRun(t, "nstat", "-asz"), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || strings.HasPrefix(f[0], "#") {
			continue
		}
		v, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			t.Fatalf("nstat line %q: %v", line, err)
		}
		counters[f[0]] = v
	}
	return counters
}

// ctrTraffic opens a TCP connection over lo in ns and moves some bytes, so
// counters have something to count.
func ctrTraffic(t *testing.T, ns *tablestest.Netns) {
	t.Helper()
	ctrInNetns(t, ns, func() error {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		defer ln.Close()
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			return err
		}
		defer c.Close()
		s, err := ln.Accept()
		if err != nil {
			return err
		}
		defer s.Close()
		if _, err := c.Write([]byte("hello")); err != nil {
			return err
		}
		_, err = io.ReadFull(s, make([]byte, 5))
		return err
	})
}

// nstat leaves out the settings and the gauge that are not counters
// (misc/nstat.c's useless_numbers); netsql shows them.
var ctrNstatSkips = map[string]bool{"IpForwarding": true, "IpDefaultTTL": true, "TcpRtoAlgorithm": true,
	"TcpRtoMin": true, "TcpRtoMax": true, "TcpMaxConn": true, "TcpCurrEstab": true}

func TestLiveSNMPMatchesNstat(t *testing.T) {
	tablestest.RequireTool(t, "nstat")
	t.Parallel()
	ns := tablestest.NewNetns(t, "snmp")
	ctrTraffic(t, ns)

	before := ctrNstat(t, ns)
	rows := ctrQuery(t, ns, "SELECT protocol, name, key, value FROM snmp")
	after := ctrNstat(t, ns)

	got := map[string]int64{}
	for _, r := range rows {
		key := r["key"].(string)
		if key != r["protocol"].(string)+r["name"].(string) {
			t.Errorf("key %q is not protocol %q + name %q", key, r["protocol"], r["name"])
		}
		got[key] = ctrInt(t, r["value"])
	}
	for key := range before {
		if _, ok := got[key]; !ok {
			t.Errorf("nstat has %s, netsql does not", key)
		}
	}
	for key, v := range got {
		lo, inBefore := before[key]
		hi, inAfter := after[key]
		if !inBefore || !inAfter {
			if !ctrNstatSkips[key] {
				t.Errorf("netsql has %s = %d, nstat does not", key, v)
			}
			continue
		}
		if lo > hi {
			lo, hi = hi, lo
		}
		if v < lo || v > hi {
			t.Errorf("%s = %d, nstat saw %d before and %d after", key, v, before[key], after[key])
		}
	}
	if got["TcpMaxConn"] != -1 || got["TcpActiveOpens"] < 1 {
		t.Errorf("TcpMaxConn = %d, TcpActiveOpens = %d; want -1 and at least 1", got["TcpMaxConn"], got["TcpActiveOpens"])
	}
	t.Logf("%d counters, %d from nstat", len(got), len(before))
}

// ctrSSSummary reads `ss -s`: Total, the TCP line's numbers and the
// transport table (name -> [total, ip, ipv6]).
func ctrSSSummary(t *testing.T, out string) (total int64, tcp map[string]int64, transport map[string][3]int64) {
	t.Helper()
	tcp, transport = map[string]int64{}, map[string][3]int64{}
	num := func(s string) int64 {
		n, err := strconv.ParseInt(strings.Trim(s, "(),"), 10, 64)
		if err != nil {
			t.Fatalf("ss -s: %q in %q", s, out)
		}
		return n
	}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 2 && f[0] == "Total:":
			total = num(f[1])
		case len(f) >= 2 && f[0] == "TCP:":
			tcp["total"] = num(f[1])
			for i := 2; i+1 < len(f); i += 2 {
				tcp[strings.Trim(f[i], "(,")] = num(f[i+1])
			}
		case len(f) == 4 && f[0] != "Transport":
			transport[f[0]] = [3]int64{num(f[1]), num(f[2]), num(f[3])}
		}
	}
	return total, tcp, transport
}

func TestLiveSockstatMatchesSS(t *testing.T) {
	tablestest.RequireTool(t, "ss")
	t.Parallel()
	ns := tablestest.NewNetns(t, "sockstat")
	var closers []io.Closer
	t.Cleanup(func() {
		for _, c := range closers {
			c.Close()
		}
	})
	ctrInNetns(t, ns, func() error {
		ln, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			return err
		}
		closers = append(closers, ln)
		for range 2 {
			c, err := net.Dial("tcp4", ln.Addr().String())
			if err != nil {
				return err
			}
			s, err := ln.Accept()
			if err != nil {
				return err
			}
			closers = append(closers, s, c)
		}
		// The first pair closes client first: one socket in TIME_WAIT.
		closers[2].Close()
		closers[1].Close()
		for network, addr := range map[string]string{"udp4": "127.0.0.1:0", "udp6": "[::1]:0"} {
			u, err := net.ListenPacket(network, addr)
			if err != nil {
				return err
			}
			closers = append(closers, u)
		}
		raw, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_RAW|syscall.SOCK_CLOEXEC, syscall.IPPROTO_ICMP)
		if err != nil {
			return err
		}
		closers = append(closers, os.NewFile(uintptr(raw), "raw"))
		return nil
	})
	tablestest.WaitFor(t, 5*time.Second, "a TIME_WAIT socket in the namespace", func() bool {
		return strings.Contains(ns.MustRun(t, "cat", "/proc/net/sockstat"), " tw 1 ")
	})

	rows := ctrQuery(t, ns, "SELECT protocol, name, value FROM sockstat")
	got := map[string]int64{}
	for _, r := range rows {
		got[r["protocol"].(string)+" "+r["name"].(string)] = ctrInt(t, r["value"])
	}
	// The same counters as the kernel's files in the namespace; TCP orphan,
	// alloc and mem and UDP mem count every namespace, so they may move.
	// "sockets used" counts the reader's own sockets too (netsql's and ss's
	// netlink sockets while they read), so it is compared within a margin.
	global := map[string]bool{"TCP orphan": true, "TCP alloc": true, "TCP mem": true, "UDP mem": true, "sockets used": true}
	raw := ns.MustRun(t, "cat", "/proc/net/sockstat", "/proc/net/sockstat6")
	want := map[string]int64{}
	for _, line := range strings.Split(raw, "\n") {
		proto, rest, ok := strings.Cut(line, ":")
		f := strings.Fields(rest)
		for i := 0; ok && i+1 < len(f); i += 2 {
			want[proto+" "+f[i]], _ = strconv.ParseInt(f[i+1], 10, 64)
		}
	}
	if diff := cmp.Diff(sortedKeys(want), sortedKeys(got)); diff != "" {
		t.Errorf("sockstat names (-file +netsql):\n%s", diff)
	}
	for k, v := range want {
		if !global[k] && got[k] != v {
			t.Errorf("%s = %d, the file says %d", k, got[k], v)
		}
	}

	total, tcp, transport := ctrSSSummary(t, ns.MustRun(t, "ss", "-s"))
	estab := ctrQuery(t, ns, "SELECT value FROM snmp WHERE key = 'TcpCurrEstab'")
	checks := []struct {
		what     string
		ss, mine int64
	}{
		{"Total", total, got["sockets used"]},
		{"TCP timewait", tcp["timewait"], got["TCP tw"]},
		{"TCP estab (snmp CurrEstab)", tcp["estab"], ctrInt(t, estab[0]["value"])},
		{"TCP IP", transport["TCP"][1], got["TCP inuse"]},
		{"TCP IPv6", transport["TCP"][2], got["TCP6 inuse"]},
		{"UDP IP", transport["UDP"][1], got["UDP inuse"]},
		{"UDP IPv6", transport["UDP"][2], got["UDP6 inuse"]},
		{"RAW IP", transport["RAW"][1], got["RAW inuse"]},
		{"RAW IPv6", transport["RAW"][2], got["RAW6 inuse"]},
		{"FRAG IP", transport["FRAG"][1], got["FRAG inuse"]},
		{"FRAG IPv6", transport["FRAG"][2], got["FRAG6 inuse"]},
	}
	for _, c := range checks {
		if c.what == "Total" {
			if d := c.ss - c.mine; d < -2 || d > 2 {
				t.Errorf("%s: ss -s says %d, netsql %d (more than the readers' own sockets apart)", c.what, c.ss, c.mine)
			}
			if want["sockets used"]-c.mine < -2 || want["sockets used"]-c.mine > 2 {
				t.Errorf("sockets used: the file says %d, netsql %d", want["sockets used"], c.mine)
			}
			continue
		}
		if c.ss != c.mine {
			t.Errorf("%s: ss -s says %d, netsql %d", c.what, c.ss, c.mine)
		}
	}
	// What this test opened: a listener and three open TCP ends (one pair
	// half closed), a socket in TIME_WAIT, two UDP sockets and a raw one.
	if got["TCP inuse"] < 3 || got["TCP tw"] != 1 || got["UDP inuse"] != 1 || got["UDP6 inuse"] != 1 || got["RAW inuse"] != 1 {
		t.Errorf("sockstat in the namespace: %v", got)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func TestLiveSysctlsMatchSysctl(t *testing.T) {
	tablestest.RequireTool(t, "sysctl")
	t.Parallel()
	ns := tablestest.NewNetns(t, "sysctls")
	// Settings of this namespace only, so netsql must read the namespace's.
	ns.MustRun(t, "sysctl", "-q", "-w", "net.core.somaxconn=1234", "net.ipv4.ip_local_port_range=20000 30000")

	// --deprecated: sysctl -a hides base_reachable_time and retrans_time,
	// which the kernel still has.
	var sysctlOut bytes.Buffer
	cmd := ns.Command("sysctl", "-a", "--deprecated")
	cmd.Stdout = &sysctlOut // stderr: "permission denied on key" for write-only and EIO files
	if err := cmd.Run(); err != nil {
		t.Fatalf("sysctl -a: %v", err)
	}
	want := map[string]string{}
	for _, line := range strings.Split(sysctlOut.String(), "\n") {
		name, value, ok := strings.Cut(line, " = ")
		if ok && strings.HasPrefix(name, "net.") {
			want[name] = strings.ReplaceAll(value, "\t", " ")
		}
	}
	rows := ctrQuery(t, ns, "SELECT name, value FROM sysctls")
	got := map[string]string{}
	for _, r := range rows {
		got[r["name"].(string)] = r["value"].(string)
	}
	if diff := cmp.Diff(sortedKeys(want), sortedKeys(got)); diff != "" {
		t.Errorf("sysctl names (-sysctl +netsql):\n%s", diff)
	}
	// Counters that move between two reads may differ; every setting may not.
	volatile := map[string]bool{"net.netfilter.nf_conntrack_count": true}
	for name, v := range want {
		if !volatile[name] && got[name] != v {
			t.Errorf("%s = %q, sysctl says %q", name, got[name], v)
		}
	}
	for name, v := range map[string]string{"net.core.somaxconn": "1234", "net.ipv4.ip_local_port_range": "20000 30000"} {
		if got[name] != v {
			t.Errorf("%s = %q, want %q as set in the namespace", name, got[name], v)
		}
	}
	for _, name := range []string{"net.ipv4.ip_forward", "net.ipv4.tcp_max_syn_backlog"} {
		if _, ok := got[name]; !ok {
			t.Errorf("%s missing", name)
		}
	}
	narrowed := ctrQuery(t, ns, "SELECT name, value FROM sysctls WHERE name = 'net.core.somaxconn'")
	if diff := cmp.Diff([]map[string]any{{"name": "net.core.somaxconn", "value": "1234"}}, narrowed); diff != "" {
		t.Errorf("narrowed (-want +got):\n%s", diff)
	}
	t.Logf("%d settings", len(got))
}

// ctrMaddr reads `ip maddr show` into "interface family group users static" lines.
func ctrMaddr(t *testing.T, out string) []string {
	t.Helper()
	var entries []string
	iface := ""
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if !strings.HasPrefix(line, "\t") {
			if len(f) != 2 {
				t.Fatalf("ip maddr line %q", line)
			}
			iface = f[1]
			continue
		}
		users, static := "1", "0"
		for i := 2; i < len(f); i++ {
			switch f[i] {
			case "users":
				if i+1 < len(f) {
					users = f[i+1]
					i++
				}
			case "static":
				static = "1"
			}
		}
		entries = append(entries, strings.Join([]string{iface, f[0], f[1], users, static}, " "))
	}
	sort.Strings(entries)
	return entries
}

func TestLiveMulticastMatchesIPMaddr(t *testing.T) {
	t.Parallel()
	ns := tablestest.NewNetns(t, "mcast")
	ns.MustRun(t, "ip", "link", "add", "mc0", "type", "veth", "peer", "name", "mc1")
	ns.MustRun(t, "ip", "addr", "add", "198.18.1.1/24", "dev", "mc0") // Go joins IPv4 groups by address
	ns.MustRun(t, "ip", "link", "set", "mc0", "up")
	ns.MustRun(t, "ip", "link", "set", "mc1", "up")
	ns.MustRun(t, "ip", "maddr", "add", "33:33:00:00:01:23", "dev", "mc0")
	var closers []io.Closer
	t.Cleanup(func() {
		for _, c := range closers {
			c.Close()
		}
	})
	ctrInNetns(t, ns, func() error {
		ifi, err := net.InterfaceByName("mc0")
		if err != nil {
			return err
		}
		// Two sockets join 239.1.2.3: users 2.
		for _, group := range []*net.UDPAddr{
			{IP: net.IPv4(239, 1, 2, 3), Port: 5000},
			{IP: net.IPv4(239, 1, 2, 3), Port: 5001},
			{IP: net.ParseIP("ff05::1:3"), Port: 5000},
		} {
			network := "udp4"
			if group.IP.To4() == nil {
				network = "udp6"
			}
			c, err := net.ListenMulticastUDP(network, ifi, group)
			if err != nil {
				return err
			}
			closers = append(closers, c)
		}
		return nil
	})

	// Link-local addresses, and their solicited-node groups, arrive as the
	// links come up: wait until two reads agree.
	var want []string
	tablestest.WaitFor(t, 5*time.Second, "ip maddr to settle", func() bool {
		prev := want
		want = ctrMaddr(t, ns.MustRun(t, "ip", "maddr", "show"))
		return cmp.Equal(prev, want) && containsEntry(want, "mc0 inet6 ff05::1:3 1 0")
	})
	rows := ctrQuery(t, ns, "SELECT interface, family, group_addr, users, global_use FROM multicast")
	var got []string
	for _, r := range rows {
		family := r["family"].(string)
		static := "0"
		if family == "link" && ctrInt(t, r["global_use"]) > 0 {
			static = "1"
		}
		got = append(got, strings.Join([]string{r["interface"].(string), family, r["group_addr"].(string),
			strconv.FormatInt(ctrInt(t, r["users"]), 10), static}, " "))
	}
	sort.Strings(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("multicast (-ip maddr +netsql):\n%s", diff)
	}
	for _, entry := range []string{"mc0 inet 239.1.2.3 2 0", "mc0 inet6 ff05::1:3 1 0", "mc0 link 33:33:00:00:01:23 1 1", "mc0 link 01:00:5e:01:02:03 1 0"} {
		if !containsEntry(got, entry) {
			t.Errorf("netsql lacks %q: %v", entry, got)
		}
	}
}

func containsEntry(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// ctrConntrackFile reads the kernel's nf_conntrack in ns: the key=value
// fields of the line whose first tuple has the given destination port,
// keys of the reply direction prefixed with "reply_", flags as keys.
func ctrConntrackFile(t *testing.T, ns *tablestest.Netns, family string, dport int) map[string]string {
	t.Helper()
	for _, line := range strings.Split(ns.MustRun(t, "cat", "/proc/net/nf_conntrack"), "\n") {
		f := strings.Fields(line)
		if len(f) < 5 || f[0] != family {
			continue
		}
		fields := map[string]string{"l4": f[2], "timeout": f[4]}
		prefix := ""
		for _, field := range f[5:] {
			k, v, ok := strings.Cut(field, "=")
			switch {
			case !ok:
				fields[field] = "1"
			case k == "src" && fields["src"] != "":
				prefix = "reply_"
				fields[prefix+k] = v
			case k == "src" || k == "dst" || k == "sport" || k == "dport" || k == "packets" || k == "bytes":
				fields[prefix+k] = v
			default:
				fields[k] = v
			}
		}
		if fields["dport"] == strconv.Itoa(dport) {
			return fields
		}
	}
	return nil
}

func TestLiveConntrackAcrossVeth(t *testing.T) {
	tablestest.RequireTool(t, "nft")
	t.Parallel()
	client := tablestest.NewNetns(t, "ctA")
	server := tablestest.NewNetns(t, "ctB")
	// Both ends are made inside the namespaces: nothing touches the host's,
	// and deleting a namespace deletes the pair.
	if out, err := exec.Command("ip", "link", "add", "cta", "netns", client.Name, "type", "veth",
		"peer", "name", "ctb", "netns", server.Name).CombinedOutput(); err != nil {
		t.Fatalf("ip link add veth: %v: %s", err, out)
	}
	client.MustRun(t, "ip", "addr", "add", "198.18.0.1/24", "dev", "cta")
	client.MustRun(t, "ip", "addr", "add", "fd12:3456::1/64", "dev", "cta", "nodad")
	client.MustRun(t, "ip", "link", "set", "cta", "up")
	server.MustRun(t, "ip", "addr", "add", "198.18.0.2/24", "dev", "ctb")
	server.MustRun(t, "ip", "addr", "add", "fd12:3456::2/64", "dev", "ctb", "nodad")
	server.MustRun(t, "ip", "link", "set", "ctb", "up")
	server.MustRun(t, "sysctl", "-q", "-w", "net.netfilter.nf_conntrack_acct=1")
	server.MustRun(t, "nft", "add", "table", "inet", "netsqltest")
	server.MustRun(t, "nft", "add", "chain", "inet", "netsqltest", "input", "{ type filter hook input priority 0; }")
	server.MustRun(t, "nft", "add", "rule", "inet", "netsqltest", "input", "ct", "state", "new,established", "ct", "mark", "set", "7", "accept")

	var closers []io.Closer
	t.Cleanup(func() {
		for _, c := range closers {
			c.Close()
		}
	})
	type conn struct {
		family, serverAddr, clientAddr string
		network                        string
		serverPort, clientPort         int
	}
	conns := []*conn{
		{family: "ipv4", network: "tcp4", serverAddr: "198.18.0.2", clientAddr: "198.18.0.1"},
		{family: "ipv6", network: "tcp6", serverAddr: "fd12:3456::2", clientAddr: "fd12:3456::1"},
	}
	listeners := map[*conn]net.Listener{}
	ctrInNetns(t, server, func() error {
		for _, c := range conns {
			ln, err := net.Listen(c.network, net.JoinHostPort(c.serverAddr, "0"))
			if err != nil {
				return err
			}
			closers = append(closers, ln)
			listeners[c] = ln
			c.serverPort = ln.Addr().(*net.TCPAddr).Port
		}
		return nil
	})
	ctrInNetns(t, client, func() error {
		for _, c := range conns {
			d := net.Dialer{Timeout: 5 * time.Second}
			cc, err := d.Dial(c.network, net.JoinHostPort(c.serverAddr, strconv.Itoa(c.serverPort)))
			if err != nil {
				return err
			}
			closers = append(closers, cc)
			c.clientPort = cc.LocalAddr().(*net.TCPAddr).Port
			sc, err := listeners[c].Accept()
			if err != nil {
				return err
			}
			closers = append(closers, sc)
			// Data both ways makes the entry ASSURED.
			if _, err := cc.Write([]byte("ping")); err != nil {
				return err
			}
			if _, err := io.ReadFull(sc, make([]byte, 4)); err != nil {
				return err
			}
			if _, err := sc.Write([]byte("pong")); err != nil {
				return err
			}
			if _, err := io.ReadFull(cc, make([]byte, 4)); err != nil {
				return err
			}
		}
		return nil
	})

	for _, c := range conns {
		tablestest.WaitFor(t, 5*time.Second, "an assured conntrack entry", func() bool {
			return ctrConntrackFile(t, server, c.family, c.serverPort)["[ASSURED]"] == "1"
		})
		before := ctrConntrackFile(t, server, c.family, c.serverPort)
		rows := ctrQuery(t, server, fmt.Sprintf(`SELECT family, proto, proto_num, state, src_addr, src_port, dst_addr, dst_port,
			reply_src_addr, reply_src_port, reply_dst_addr, reply_dst_port, mark, zone, timeout,
			packets, bytes, reply_packets, reply_bytes, assured, unreplied, offloaded
			FROM conntrack WHERE proto = 'tcp' AND dst_port = %d`, c.serverPort))
		after := ctrConntrackFile(t, server, c.family, c.serverPort)
		if len(rows) != 1 {
			t.Fatalf("%s: %d conntrack rows for port %d, want 1: %v", c.family, len(rows), c.serverPort, rows)
		}
		r := rows[0]
		family := map[string]string{"ipv4": "inet", "ipv6": "inet6"}[c.family]
		gotTuples := []any{r["family"], r["proto"], ctrInt(t, r["proto_num"]), r["state"],
			r["src_addr"], ctrInt(t, r["src_port"]), r["dst_addr"], ctrInt(t, r["dst_port"]),
			r["reply_src_addr"], ctrInt(t, r["reply_src_port"]), r["reply_dst_addr"], ctrInt(t, r["reply_dst_port"]),
			ctrInt(t, r["mark"]), ctrInt(t, r["zone"]), ctrInt(t, r["assured"]), ctrInt(t, r["unreplied"]), ctrInt(t, r["offloaded"])}
		cp, sp := int64(c.clientPort), int64(c.serverPort)
		wantTuples := []any{family, "tcp", int64(6), "ESTABLISHED",
			c.clientAddr, cp, c.serverAddr, sp, c.serverAddr, sp, c.clientAddr, cp,
			int64(7), int64(0), int64(1), int64(0), int64(0)}
		if diff := cmp.Diff(wantTuples, gotTuples); diff != "" {
			t.Errorf("%s connection (-want +got):\n%s", c.family, diff)
		}
		// The kernel's own line agrees, counters within what moved.
		for col, key := range map[string]string{"packets": "packets", "bytes": "bytes", "reply_packets": "reply_packets",
			"reply_bytes": "reply_bytes", "timeout": "timeout", "mark": "mark", "zone": "zone"} {
			v := ctrInt(t, r[col])
			lo, _ := strconv.ParseInt(before[key], 10, 64)
			hi, _ := strconv.ParseInt(after[key], 10, 64)
			if lo > hi {
				lo, hi = hi, lo
			}
			if v < lo || v > hi {
				t.Errorf("%s %s = %d, the kernel's file says %s then %s", c.family, col, v, before[key], after[key])
			}
		}
		if ctrInt(t, r["packets"]) < 3 || ctrInt(t, r["reply_bytes"]) < 4 {
			t.Errorf("%s counters: %v", c.family, r)
		}
	}
	// The client's namespace tracks nothing: zero rows.
	if rows := ctrQuery(t, client, "SELECT count(*) AS n FROM conntrack"); ctrInt(t, rows[0]["n"]) != 0 {
		t.Errorf("client namespace conntrack rows = %v, want 0", rows)
	}
}
