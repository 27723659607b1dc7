//go:build live

package tables

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"netsql/tables/tablestest"
)

// The IPv6 forms whose text differs between printers: IPv4-mapped
// (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d, also ::1:2), IPv4-translated
// (::ffff:0:a.b.c.d), NAT64 (64:ff9b::a.b.c.d) and ::2. The test puts each
// in a namespace as an address, a route, a gateway, a neighbour and a
// socket's ends, and compares netsql's text, from netlink and from the
// files, with what ss -tan, ss -uan, ip -6 addr, ip -6 route and ip -6 neigh
// print there.
var addrTextForms = []string{"::ffff:10.200.0.1", "::10.200.0.2", "64:ff9b::10.200.0.3", "::1:2",
	"::ffff:0:10.200.0.6", "::2"}

func TestLiveAddressTextMatchesSSAndIP(t *testing.T) {
	tablestest.RequireRoot(t)
	tablestest.RequireTool(t, "ss")
	tablestest.RequireTool(t, "sysctl")
	t.Parallel()
	ns := tablestest.NewNetns(t, "addrtext")
	ns.MustRun(t, "sysctl", "-q", "-w", "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0",
		"net.ipv6.conf.default.router_solicitations=0")
	setup := []string{
		"link add v0 type veth peer name v1", "link set v0 up", "link set v1 up",
		"addr add 10.200.0.1/32 dev v0", // a tcp6 socket bound to ::ffff:10.200.0.1 needs it
		"-6 route add ::/96 dev v0", "-6 route add ::10.9.0.0/112 dev v0", "-6 route add ::ffff:10.9.0.0/112 dev v0",
		"-6 route add 64:ff9b::/96 dev v0",
		"-6 route add 2001:db8:1::/64 via ::10.200.0.9 dev v0", "-6 route add 2001:db8:3::/64 via 64:ff9b::10.200.0.9 dev v0",
		"-6 neigh add ::10.200.0.7 lladdr 02:00:00:00:00:07 dev v0 nud permanent",
		"-6 neigh add ::ffff:10.200.0.8 lladdr 02:00:00:00:00:08 dev v0 nud permanent",
		"-6 neigh add 64:ff9b::10.200.0.9 lladdr 02:00:00:00:00:09 dev v0 nud permanent",
		"-6 neigh add ::1:7 lladdr 02:00:00:00:00:0a dev v0 nud permanent",
	}
	for _, a := range addrTextForms {
		setup = append(setup, "-6 addr add "+a+"/128 dev v0 nodad")
	}
	for _, args := range setup {
		ns.MustRun(t, "ip", strings.Fields(args)...)
	}
	openAddrTextSockets(t, ns)
	files := []string{"--root", "/"}

	// Sockets: each end as ss prints it, brackets, %dev and * taken off.
	ssEnds := func(flag string) func() []string {
		return func() []string {
			var out []string
			for _, line := range strings.Split(ns.MustRun(t, "ss", "-H", "-n", "-a", flag, "-f", "inet6"), "\n") {
				f := strings.Fields(line)
				if len(f) < 5 {
					continue
				}
				out = append(out, ssEndpoint(f[3])+" "+ssEndpoint(f[4]))
			}
			return out
		}
	}
	netsqlEnds := func(proto string, flags []string) func() []string {
		return func() []string {
			var out []string
			for _, r := range netsqlRows(t, ns, "SELECT * FROM sockets WHERE proto = '"+proto+"'", flags...) {
				out = append(out, fmt.Sprintf("%s:%d %s:%d", str(r["local_addr"]), num(r["local_port"]),
					str(r["remote_addr"]), num(r["remote_port"])))
			}
			return out
		}
	}
	for _, src := range []struct {
		name  string
		flags []string
	}{{"netlink", nil}, {"files", files}} {
		compareUntilStable(t, "tcp6 ends, ss -tan (want) against netsql from "+src.name+" (got)", ssEnds("-t"), netsqlEnds("tcp6", src.flags))
		compareUntilStable(t, "udp6 ends, ss -uan (want) against netsql from "+src.name+" (got)", ssEnds("-u"), netsqlEnds("udp6", src.flags))
	}

	ipAddrText := func() []string {
		var out []string
		for _, link := range jsonRows(t, ns, "ip", "-j", "-6", "addr", "show", "dev", "v0") {
			infos, _ := link["addr_info"].([]any)
			for _, i := range infos {
				e := i.(map[string]any)
				out = append(out, fmt.Sprintf("%s/%d", str(e["local"]), num(e["prefixlen"])))
			}
		}
		return out
	}
	netsqlAddrText := func(flags []string) func() []string {
		return func() []string {
			var out []string
			for _, r := range netsqlRows(t, ns, "SELECT * FROM addresses WHERE interface = 'v0' AND family = 'inet6'", flags...) {
				out = append(out, fmt.Sprintf("%s/%d", str(r["address"]), num(r["prefix_len"])))
			}
			return out
		}
	}
	ipRouteText := func() []string {
		var out []string
		for _, e := range jsonRows(t, ns, "ip", "-j", "-6", "route", "show", "table", "all") {
			if str(e["dev"]) != "v0" {
				continue
			}
			dst := str(e["dst"])
			if !strings.Contains(dst, "/") {
				dst += "/128" // ip leaves a host route's length out
			}
			out = append(out, dst+" via "+str(e["gateway"]))
		}
		return out
	}
	netsqlRouteText := func(flags []string) func() []string {
		return func() []string {
			var out []string
			for _, r := range netsqlRows(t, ns, "SELECT * FROM routes WHERE family = 'inet6' AND interface = 'v0'", flags...) {
				out = append(out, str(r["destination"])+" via "+str(r["gateway"]))
			}
			return out
		}
	}
	for _, src := range []struct {
		name  string
		flags []string
	}{{"netlink", nil}, {"files", files}} {
		compareUntilStable(t, "v0's addresses, ip -6 addr (want) against netsql from "+src.name+" (got)", ipAddrText, netsqlAddrText(src.flags))
		compareUntilStable(t, "v0's routes, ip -6 route show table all (want) against netsql from "+src.name+" (got)", ipRouteText, netsqlRouteText(src.flags))
	}
	ipNeighText := func() []string {
		var out []string
		for _, e := range jsonRows(t, ns, "ip", "-j", "-6", "neigh", "show", "dev", "v0", "nud", "permanent") {
			out = append(out, str(e["dst"]))
		}
		return out
	}
	netsqlNeighText := func() []string {
		var out []string
		for _, r := range netsqlRows(t, ns, "SELECT * FROM neighbors WHERE interface = 'v0' AND state = 'PERMANENT'") {
			out = append(out, str(r["address"]))
		}
		return out
	}
	compareUntilStable(t, "v0's neighbours, ip -6 neigh (want) against netsql (got)", ipNeighText, netsqlNeighText)

	// What the tools printed is what addrText promises: the compatible
	// forms keep their dotted tail, the translated and NAT64 ones do not.
	rows := netsqlRows(t, ns, `SELECT DISTINCT local_addr FROM sockets WHERE proto = 'tcp6' ORDER BY 1`)
	var got []string
	for _, r := range rows {
		got = append(got, str(r["local_addr"]))
	}
	want := []string{"64:ff9b::ac8:3", "::0.1.0.2", "::10.200.0.2", "::2", "::ffff:0:ac8:6", "::ffff:10.200.0.1"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("tcp6 local addresses %q, want %q", got, want)
	}
}

// ssEndpoint turns ss's "[addr]%dev:port" (or "*:*") into "addr:port",
// with :: for ss's * (a socket that takes IPv4 too) and 0 for port *.
func ssEndpoint(s string) string {
	i := strings.LastIndex(s, ":")
	addr, port := s[:i], s[i+1:]
	if j := strings.Index(addr, "%"); j >= 0 {
		addr = addr[:j]
	}
	addr = strings.TrimSuffix(strings.TrimPrefix(addr, "["), "]")
	if addr == "*" {
		addr = "::"
	}
	if port == "*" {
		port = "0"
	}
	return addr + ":" + port
}

// openAddrTextSockets makes, inside ns, a TCP listener, a client and the
// accepted end on each of addrTextForms, and a connected UDP socket on the
// IPv4-compatible one; they are closed at the end of the test.
func openAddrTextSockets(t *testing.T, ns *tablestest.Netns) {
	t.Helper()
	var fds []int
	t.Cleanup(func() {
		for _, fd := range fds {
			unix.Close(fd)
		}
	})
	inNetns(t, ns, func() error {
		socket := func(typ int) (int, error) {
			fd, err := unix.Socket(unix.AF_INET6, typ|unix.SOCK_CLOEXEC, 0)
			if err != nil {
				return -1, err
			}
			fds = append(fds, fd)
			// A mapped address is reachable only without IPV6_V6ONLY.
			return fd, unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 0)
		}
		sockaddr := func(addr string, port int) *unix.SockaddrInet6 {
			return &unix.SockaddrInet6{Addr: netip.MustParseAddr(addr).As16(), Port: port}
		}
		portOf := func(fd int) int {
			sa, _ := unix.Getsockname(fd)
			p, _ := sa.(*unix.SockaddrInet6)
			if p == nil {
				return 0
			}
			return p.Port
		}
		for _, addr := range addrTextForms {
			ln, err := socket(unix.SOCK_STREAM)
			if err == nil {
				err = unix.Bind(ln, sockaddr(addr, 0))
			}
			if err == nil {
				err = unix.Listen(ln, 8)
			}
			if err != nil {
				return fmt.Errorf("listen on %s: %w", addr, err)
			}
			client, err := socket(unix.SOCK_STREAM)
			if err == nil {
				err = unix.Connect(client, sockaddr(addr, portOf(ln)))
			}
			if err != nil {
				return fmt.Errorf("connect to %s: %w", addr, err)
			}
			accepted, _, err := unix.Accept4(ln, unix.SOCK_CLOEXEC)
			if err != nil {
				return fmt.Errorf("accept on %s: %w", addr, err)
			}
			fds = append(fds, accepted)
		}
		udp, err := socket(unix.SOCK_DGRAM)
		if err == nil {
			err = unix.Bind(udp, sockaddr("::10.200.0.2", 0))
		}
		if err == nil {
			err = unix.Connect(udp, sockaddr("::1:2", 53))
		}
		if err != nil {
			return fmt.Errorf("udp on ::10.200.0.2: %w", err)
		}
		return nil
	})
}
