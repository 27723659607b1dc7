package tables

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"netsql/tables/engine"
	"netsql/tables/kernel"
	"netsql/tables/tablestest"

	"github.com/google/go-cmp/cmp"
)

// Fixture tests of snmp, sockstat, multicast, conntrack, sysctls and
// services: real SQL through the engine over tables/testdata/root.

func TestFixtureSNMP(t *testing.T) {
	e := openFixture(t, kernel.RootSource(fixtureRoot(t, nil)))
	rows := query(t, e, "SELECT protocol, count(*), sum(value) FROM snmp GROUP BY protocol ORDER BY protocol")
	want := [][]any{
		{"Icmp", int64(29), int64(12 + 9 + 3 + 12 + 9 + 3)},
		{"Icmp6", int64(4), int64(40 + 38 + 11 + 11)},
		{"IcmpMsg", int64(4), int64(9 + 3 + 3 + 9)},
		{"Ip", int64(20), int64(1 + 64 + 178749 + 178700 + 120334 + 3 + 120334)},
		{"Ip6", int64(3), int64(512 + 498)},
		{"IpExt", int64(6), int64(120 + 14 + 290120331 + 18220133)},
		{"Tcp", int64(15), int64(1 + 200 + 120000 - 1 + 1520 + 311 + 12 + 40 + 3 + 170221 + 118930 + 57 + 61)},
		{"TcpExt", int64(10), int64(4 + 2 + 880 + 17 + 17 + 31 + 5)},
		{"Udp", int64(9), int64(8410 + 9 + 8420 + 122)},
		{"Udp6", int64(2), int64(78)},
		{"UdpLite", int64(9), int64(0)},
		{"UdpLite6", int64(1), int64(0)},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("snmp by protocol (-want +got):\n%s", diff)
	}
	rows = query(t, e, `SELECT protocol, name, key, value FROM snmp
		WHERE key IN ('TcpMaxConn', 'TcpExtTCPBrandNewCounter', 'IcmpMsgOutType3', 'Icmp6InType135', 'TcpExtListenOverflows')
		ORDER BY key`)
	want = [][]any{
		{"Icmp6", "InType135", "Icmp6InType135", int64(11)},
		{"IcmpMsg", "OutType3", "IcmpMsgOutType3", int64(9)},
		{"TcpExt", "ListenOverflows", "TcpExtListenOverflows", int64(17)},
		{"TcpExt", "TCPBrandNewCounter", "TcpExtTCPBrandNewCounter", int64(5)},
		{"Tcp", "MaxConn", "TcpMaxConn", int64(-1)},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("snmp counters (-want +got):\n%s", diff)
	}
}

func TestFixtureSockstat(t *testing.T) {
	e := openFixture(t, kernel.RootSource(fixtureRoot(t, nil)))
	// ss -s's "TCP: N (estab E, closed C, orphaned O, timewait W)" line.
	rows := query(t, e, `SELECT
		(SELECT value FROM sockstat WHERE protocol = 'sockets' AND name = 'used'),
		(SELECT value FROM sockstat WHERE protocol = 'TCP' AND name = 'alloc') + (SELECT value FROM sockstat WHERE protocol = 'TCP' AND name = 'tw'),
		(SELECT value FROM snmp WHERE key = 'TcpCurrEstab'),
		(SELECT sum(value) FROM sockstat WHERE protocol IN ('TCP', 'TCP6') AND name = 'inuse')`)
	if diff := cmp.Diff([][]any{{int64(231), int64(10), int64(3), int64(9)}}, rows); diff != "" {
		t.Errorf("ss -s numbers (-want +got):\n%s", diff)
	}
	rows = query(t, e, "SELECT count(*), count(DISTINCT protocol) FROM sockstat")
	if diff := cmp.Diff([][]any{{int64(18), int64(11)}}, rows); diff != "" {
		t.Errorf("sockstat rows (-want +got):\n%s", diff)
	}
}

func TestFixtureMulticast(t *testing.T) {
	tablestest.SkipUnlessLittleEndian(t)
	e := openFixture(t, kernel.RootSource(fixtureRoot(t, nil)))
	rows := query(t, e, `SELECT interface, ifindex, family, group_addr, users, querier, reporter, timer_ms, global_use
		FROM multicast ORDER BY family, ifindex, group_addr`)
	N := any(nil)
	want := [][]any{
		{"lo", int64(1), "inet", "224.0.0.1", int64(1), "V3", int64(0), int64(0), N},
		{"eth0", int64(2), "inet", "224.0.0.1", int64(1), "V2", int64(0), int64(0), N},
		{"eth0", int64(2), "inet", "239.1.2.3", int64(2), "V2", int64(1), int64(100), N},
		{"veth-longname0", int64(7), "inet", "224.0.0.251", int64(1), "V3", int64(0), int64(0), N},
		{"lo", int64(1), "inet6", "ff02::1", int64(1), N, int64(0), int64(0), N},
		{"eth0", int64(2), "inet6", "ff02::1:ff00:2", int64(1), N, int64(0), int64(0), N},
		{"eth0", int64(2), "inet6", "ff05::1:3", int64(1), N, int64(1), int64(250), N},
		{"eth0", int64(2), "link", "01:00:5e:00:00:01", int64(1), N, N, N, int64(0)},
		{"eth0", int64(2), "link", "01:00:5e:01:02:03", int64(1), N, N, N, int64(0)},
		{"eth0", int64(2), "link", "33:33:00:00:01:23", int64(1), N, N, N, int64(1)},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("multicast (-want +got):\n%s", diff)
	}
	// netstat -g: Interface RefCnt Group.
	rows = query(t, e, "SELECT interface, users, group_addr FROM multicast WHERE family = 'inet' AND group_addr = '239.1.2.3'")
	if diff := cmp.Diff([][]any{{"eth0", int64(2), "239.1.2.3"}}, rows); diff != "" {
		t.Errorf("netstat -g row (-want +got):\n%s", diff)
	}
}

func TestFixtureConntrack(t *testing.T) {
	e := openFixture(t, kernel.RootSource(fixtureRoot(t, nil)))
	rows := query(t, e, `SELECT family, proto, proto_num, state, src_addr, src_port, dst_addr, dst_port,
		reply_src_addr, reply_src_port, reply_dst_addr, reply_dst_port, mark, zone, timeout,
		packets, bytes, reply_packets, reply_bytes, assured, unreplied, offloaded, icmp_type, icmp_code, icmp_id
		FROM conntrack ORDER BY family, proto`)
	N := any(nil)
	i := func(v int64) any { return v }
	want := [][]any{
		{"inet", "icmp", i(1), N, "192.168.1.10", N, "192.168.1.1", N, "192.168.1.1", N, "192.168.1.10", N,
			i(0), i(0), i(29), i(1), i(84), i(1), i(84), i(0), i(0), i(0), i(8), i(0), i(4660)},
		{"inet", "tcp", i(6), "ESTABLISHED", "192.168.1.10", i(51234), "203.0.113.5", i(22), "203.0.113.5", i(22), "192.168.1.10", i(51234),
			i(0), i(0), i(431999), i(40), i(5120), i(38), i(9000), i(1), i(0), i(0), N, N, N},
		{"inet", "udp", i(17), N, "10.0.0.5", i(40000), "198.51.100.53", i(53), "198.51.100.53", i(53), "203.0.113.7", i(40000),
			i(7), i(0), i(25), i(1), i(60), i(0), i(0), i(0), i(1), i(0), N, N, N},
		{"inet6", "tcp", i(6), "TIME_WAIT", "2001:db8::1", i(40001), "2001:db8::2", i(443), "2001:db8::2", i(443), "2001:db8::1", i(40001),
			i(0), i(0), i(117), i(9), i(900), i(7), i(4200), i(1), i(0), i(0), N, N, N},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("conntrack (-want +got):\n%s", diff)
	}
	// Masqueraded flows: the reply goes to another address than the source.
	rows = query(t, e, "SELECT src_addr, reply_dst_addr FROM conntrack WHERE reply_dst_addr <> src_addr")
	if diff := cmp.Diff([][]any{{"10.0.0.5", "203.0.113.7"}}, rows); diff != "" {
		t.Errorf("masqueraded (-want +got):\n%s", diff)
	}
}

func TestFixtureSysctls(t *testing.T) {
	src := kernel.RootSource(fixtureRoot(t, nil))
	reads := countReads(src)
	e := openFixture(t, src)
	rows := query(t, e, "SELECT name, value FROM sysctls ORDER BY name")
	want := [][]any{
		{"net.core.netdev_max_backlog", "1000"},
		{"net.core.somaxconn", "4096"},
		{"net.ipv4.conf.eth0/100.rp_filter", "2"},
		{"net.ipv4.ip_forward", "1"},
		{"net.ipv4.ip_local_port_range", "32768 60999"},
		{"net.ipv4.tcp_congestion_control", "cubic"},
		{"net.ipv4.tcp_max_syn_backlog", "512"},
		{"net.ipv4.tcp_rmem", "4096 131072 6291456"},
		{"net.ipv6.conf.all.disable_ipv6", "0"},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("sysctls (-want +got):\n%s", diff)
	}
	reads()

	// Equality on name reads that one file, whatever form the value takes,
	// and the ns link that names the namespace of the rows.
	const ns = "/self/ns/net"
	for _, tc := range []struct {
		where string
		want  [][]any
		read  []string
	}{
		{"name = 'net.core.somaxconn'", [][]any{{"net.core.somaxconn", "4096"}}, []string{ns, "/sys/net/core/somaxconn"}},
		{"name = 'net.ipv4.conf.eth0/100.rp_filter'", [][]any{{"net.ipv4.conf.eth0/100.rp_filter", "2"}}, []string{ns, "/sys/net/ipv4/conf/eth0.100/rp_filter"}},
		{"name IN ('net.ipv4.ip_forward', 'net.ipv4.tcp_max_syn_backlog') ORDER BY name", [][]any{{"net.ipv4.ip_forward", "1"}, {"net.ipv4.tcp_max_syn_backlog", "512"}},
			[]string{ns, "/sys/net/ipv4/ip_forward", "/sys/net/ipv4/tcp_max_syn_backlog"}},
		{"name = 'net.core.no_such_setting'", nil, []string{ns}},
		{"name = 'net.ipv4'", nil, []string{ns}}, // a directory
		{"name = 'net.core/../../../../etc.passwd'", nil, []string{ns}},
		{"name = 'kernel.hostname'", nil, []string{ns}},
	} {
		d := delta(e, func() {
			rows := query(t, e, "SELECT name, value FROM sysctls WHERE "+tc.where)
			if diff := cmp.Diff(tc.want, rows); diff != "" {
				t.Errorf("WHERE %s (-want +got):\n%s", tc.where, diff)
			}
		})
		if got := reads(); !cmp.Equal(got, tc.read) {
			t.Errorf("WHERE %s read %v, want %v", tc.where, got, tc.read)
		}
		if d.Collections["sysctls"] != 0 {
			t.Errorf("WHERE %s collected the whole table", tc.where)
		}
	}
}

func TestFixtureServices(t *testing.T) {
	e := openFixture(t, kernel.RootSource(fixtureRoot(t, nil)))
	rows := query(t, e, "SELECT name, port, proto, aliases FROM services WHERE port IN (80, 443, 8080) ORDER BY port, proto")
	want := [][]any{
		{"http", int64(80), "tcp", "www"},
		{"https", int64(443), "tcp", ""},
		{"https", int64(443), "udp", ""},
		{"http-alt", int64(8080), "tcp", "webcache"},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("services (-want +got):\n%s", diff)
	}
	// netstat without -n: local ports by name.
	rows = query(t, e, `SELECT s.local_port, sv.name FROM sockets s JOIN services sv
		ON sv.port = s.local_port AND sv.proto = rtrim(s.proto, '6')
		WHERE s.state = 'LISTEN' ORDER BY 1`)
	if diff := cmp.Diff([][]any{{int64(22), "ssh"}, {int64(80), "http"}, {int64(8080), "http-alt"}}, rows); diff != "" {
		t.Errorf("listeners by service name (-want +got):\n%s", diff)
	}
}

// A missing file is no rows: a kernel without conntrack or IPv6, a tree
// without etc/services.
func TestFixtureCountersMissingFiles(t *testing.T) {
	root := fixtureRoot(t, nil)
	for _, path := range []string{"proc/net/nf_conntrack", "proc/net/snmp6", "proc/net/sockstat6", "proc/net/igmp6", "etc/services", "proc/sys"} {
		if err := os.RemoveAll(filepath.Join(root, path)); err != nil {
			t.Fatal(err)
		}
	}
	e := openFixture(t, kernel.RootSource(root))
	rows := query(t, e, `SELECT (SELECT count(*) FROM conntrack), (SELECT count(*) FROM services), (SELECT count(*) FROM sysctls),
		(SELECT count(*) FROM snmp WHERE protocol LIKE '%6'), (SELECT count(*) FROM snmp),
		(SELECT count(*) FROM sockstat WHERE protocol LIKE '%6'), (SELECT count(*) FROM multicast WHERE family = 'inet6')`)
	if diff := cmp.Diff([][]any{{int64(0), int64(0), int64(0), int64(0), int64(86 + 16), int64(0), int64(0)}}, rows); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
}

// A file that exists but does not parse is an error naming the file and the
// line; the other tables stay queryable.
func TestFixtureCountersMalformed(t *testing.T) {
	root := fixtureRoot(t, nil)
	for path, text := range map[string]string{
		"proc/net/netstat":      "TcpExt: SyncookiesSent SyncookiesRecv\nTcpExt: 4 2\nIpExt: InNoRoutes InOctets\nIpExt: 0\n",
		"proc/net/sockstat":     "sockets: used 2\nTCP: inuse\n",
		"proc/net/igmp":         "Idx\tDevice    : Count Querier\tGroup    Users Timer\tReporter\n\t\t\t\t010000E0     1 0:00000000\t\t0\n",
		"proc/net/nf_conntrack": "ipv4     2 tcp      6 10 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2\n",
	} {
		if err := os.WriteFile(filepath.Join(root, path), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	e := openFixture(t, kernel.RootSource(root))
	for table, want := range map[string]string{
		"snmp":      "proc/net/netstat line 4: malformed IpExt: 2 names on line 3 but 1 values",
		"sockstat":  "proc/net/sockstat line 2: malformed TCP: 1 fields",
		"multicast": "proc/net/igmp line 2: malformed group line before any device line",
		"conntrack": "proc/net/nf_conntrack line 1: malformed want an original and a reply tuple",
	} {
		_, _, _, err := e.Query(context.Background(), "SELECT * FROM "+table)
		if err == nil {
			t.Errorf("%s: no error", table)
			continue
		}
		if msg := engine.CleanError(err); !strings.Contains(msg, filepath.Join(root, want)) {
			t.Errorf("%s: error %q does not contain %q", table, msg, filepath.Join(root, want))
		}
	}
	if rows := query(t, e, "SELECT count(*) FROM sysctls"); rows[0][0] != int64(9) {
		t.Errorf("sysctls count = %v after the others failed", rows[0][0])
	}
}
