//go:build live

package tables

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"netsql/tables/tablestest"
)

// The differential tests of routes, interfaces, addresses and neighbors:
// netsql, run inside a namespace the test builds, against ip's JSON output,
// /sys/class/net, and netsql's own file source, field by field.

// rtnlTestNetns builds two namespaces joined by a veth pair (va here, vb in
// the peer) and fills the first with what the datasets must show: IPv4 and
// IPv6 addresses (a secondary with a label, a peer, a broadcast, nodad,
// noprefixroute), a bridge with one end of a second veth pair enslaved, routes in the main table
// and in table 100, a blackhole, an unreachable, a prohibit and multipath
// routes of both families, and neighbour entries in several states.
func rtnlTestNetns(t *testing.T) *tablestest.Netns {
	t.Helper()
	tablestest.RequireTool(t, "sysctl")
	ns := tablestest.NewNetns(t, "rtnl")
	peer := tablestest.NewNetns(t, "rtnlpeer")
	for _, n := range []*tablestest.Netns{ns, peer} {
		// No duplicate address detection or router solicitation: addresses
		// are final at once and the links stay quiet.
		n.MustRun(t, "sysctl", "-q", "-w", "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0",
			"net.ipv6.conf.default.router_solicitations=0")
	}
	for _, args := range []string{
		"link add va type veth peer name vb netns " + peer.Name,
		"link add br-t type bridge",
		"link add dm0 mtu 1400 type veth peer name dm1",
		"link set dm0 master br-t",
		"link set va up", "link set br-t up", "link set dm0 up", "link set dm1 up",
		"addr add 10.99.0.1/24 brd + dev va",
		"addr add 10.99.0.11/24 dev va label va:sec",
		"addr add 10.99.1.1/24 dev va",
		"addr add 10.99.2.1 peer 10.99.2.2/32 dev va",
		"-6 addr add fd99::1/64 dev va nodad",
		"-6 addr add fd99:1::1/64 dev va nodad",
		"-6 addr add fd99:2::1/64 dev va nodad noprefixroute",
		"route add default via 10.99.0.2",
		"route add 10.20.0.0/16 via 10.99.0.2 mtu 1400 proto static metric 50",
		"route add 10.30.0.0/16 via 10.99.0.2 table 100",
		"route add blackhole 10.40.0.0/16",
		"route add unreachable 10.50.0.0/16",
		"route add prohibit 10.51.0.0/16",
		"route add 10.60.0.0/16 nexthop via 10.99.0.2 weight 1 nexthop via 10.99.1.2 weight 3",
		"-6 route add default via fd99::2 metric 1",
		"-6 route add fd60::/64 nexthop via fd99::2 weight 2 nexthop via fd99:1::2 weight 1",
		"-6 route add fd61::/64 via fd99::2 table 100",
		"-6 route add blackhole fd40::/64",
		"-6 route add unreachable fd50::/64",
		"-6 route add fd70::/64 via fd99::2 expires 600",
		"-6 route add anycast fd71::/64 dev va",
		"-6 route add local fd72::/64 dev va",
		"neigh add 10.99.0.5 lladdr 02:00:00:00:00:05 dev va nud permanent",
		"neigh add 10.99.0.6 lladdr 02:00:00:00:00:06 dev va nud stale",
		"neigh add 10.99.0.7 lladdr 02:00:00:00:00:07 dev va nud noarp",
		"-6 neigh add fd99::5 lladdr 02:00:00:00:00:15 dev va nud permanent",
		"-6 neigh add fd99::7 lladdr 02:00:00:00:00:17 dev va router nud permanent",
		"neigh add proxy 10.99.0.8 dev va",
		"-6 neigh add proxy fd99::8 dev va",
	} {
		ns.MustRun(t, "ip", strings.Fields(args)...)
	}
	peer.MustRun(t, "ip", "addr", "add", "10.99.0.2/24", "dev", "vb")
	peer.MustRun(t, "ip", "link", "set", "vb", "up")
	return ns
}

// jsonRows runs a command in ns and decodes its JSON array of objects,
// numbers kept exact.
func jsonRows(t *testing.T, ns *tablestest.Netns, name string, args ...string) []map[string]any {
	t.Helper()
	out := ns.MustRun(t, name, args...)
	dec := json.NewDecoder(strings.NewReader(out))
	dec.UseNumber()
	var rows []map[string]any
	if err := dec.Decode(&rows); err != nil {
		t.Fatalf("%s %s: %v in %q", name, strings.Join(args, " "), err, out)
	}
	return rows
}

// netsqlRows runs a query with netsql inside ns (extra flags first).
func netsqlRows(t *testing.T, ns *tablestest.Netns, query string, flags ...string) []map[string]any {
	t.Helper()
	args := append(append([]string{}, flags...), "-o", "json", query)
	return jsonRows(t, ns, tablestest.Netsql(t), args...)
}

// str is a JSON value as text: "" for null or absent.
func str(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	}
	return fmt.Sprint(v)
}

// num is a JSON number as int64: -1 for null or absent.
func num(v any) int64 {
	n, ok := v.(json.Number)
	if !ok {
		return -1
	}
	i, err := strconv.ParseInt(n.String(), 10, 64)
	if err != nil {
		return -1
	}
	return i
}

// words sorts a list of words (a JSON array or comma-separated text) and
// joins them with commas, leaving out those in drop.
func words(v any, drop ...string) string {
	var list []string
	switch v := v.(type) {
	case []any:
		for _, w := range v {
			list = append(list, str(w))
		}
	case string:
		if v != "" {
			list = strings.Split(v, ",")
		}
	}
	list = slices.DeleteFunc(list, func(w string) bool { return slices.Contains(drop, w) })
	slices.Sort(list)
	return strings.Join(list, ",")
}

// sortedBy sorts records by their printed form, so two sources compare
// whatever order they list in.
func sortedBy[T any](list []T) []T {
	slices.SortFunc(list, func(a, b T) int { return strings.Compare(fmt.Sprintf("%+v", a), fmt.Sprintf("%+v", b)) })
	return list
}

// compareUntilStable compares want() with got() until they agree or a few
// seconds pass: a counter or a neighbour state may move between the two
// reads, a persistent difference is reported.
func compareUntilStable[T any](t *testing.T, what string, want, got func() []T) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		w, g := sortedBy(want()), sortedBy(got())
		diff := cmp.Diff(w, g)
		if diff == "" && len(w) > 0 {
			return
		}
		if time.Now().After(deadline) {
			if diff == "" {
				t.Errorf("%s: no rows on either side", what)
			} else {
				t.Errorf("%s (-want +got):\n%s", what, diff)
			}
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// liveRoute is one route next hop as both ip and netsql can state it.
type liveRoute struct {
	Family, Table, Dst, Gateway, Dev, Type, Protocol, Scope, Prefsrc, NexthopFlags string
	Metric, MTU, Weight                                                            int64
}

func ipRoutes(t *testing.T, ns *tablestest.Netns) []liveRoute {
	var routes []liveRoute
	for _, family := range []string{"inet", "inet6"} {
		flag := map[string]string{"inet": "-4", "inet6": "-6"}[family]
		for _, e := range jsonRows(t, ns, "ip", "-d", "-j", flag, "route", "show", "table", "all") {
			dst := str(e["dst"])
			if dst == "default" {
				dst = map[string]string{"inet": "0.0.0.0/0", "inet6": "::/0"}[family]
			} else if !strings.Contains(dst, "/") {
				dst = netip.PrefixFrom(netip.MustParseAddr(dst), netip.MustParseAddr(dst).BitLen()).String()
			}
			r := liveRoute{Family: family, Table: str(e["table"]), Dst: dst, Type: str(e["type"]),
				Protocol: str(e["protocol"]), Scope: str(e["scope"]), Prefsrc: str(e["prefsrc"]), Metric: max(num(e["metric"]), 0), Weight: -1}
			if metrics, ok := e["metrics"].([]any); ok {
				for _, m := range metrics {
					if mtu, ok := m.(map[string]any)["mtu"]; ok {
						r.MTU = num(mtu)
					}
				}
			}
			hops, _ := e["nexthops"].([]any)
			if len(hops) == 0 {
				r.Gateway, r.Dev, r.NexthopFlags = str(e["gateway"]), str(e["dev"]), words(e["flags"])
				routes = append(routes, r)
			}
			for _, h := range hops {
				hop := h.(map[string]any)
				r.Gateway, r.Dev, r.Weight, r.NexthopFlags = str(hop["gateway"]), str(hop["dev"]), num(hop["weight"]), words(hop["flags"])
				routes = append(routes, r)
			}
		}
	}
	return routes
}

func netsqlRoutes(t *testing.T, ns *tablestest.Netns) []liveRoute {
	return routesFrom(netsqlRows(t, ns, "SELECT * FROM routes"))
}

// routesFrom reads the rows of SELECT * FROM routes.
func routesFrom(rows []map[string]any) []liveRoute {
	var routes []liveRoute
	for _, e := range rows {
		routes = append(routes, liveRoute{Family: str(e["family"]), Table: str(e["table_name"]), Dst: str(e["destination"]),
			Gateway: str(e["gateway"]), Dev: str(e["interface"]), Type: str(e["type"]), Protocol: str(e["protocol"]),
			Scope: str(e["scope"]), Prefsrc: str(e["prefsrc"]), NexthopFlags: words(e["nexthop_flags"]),
			Metric: num(e["metric"]), MTU: max(num(e["mtu"]), 0), Weight: num(e["weight"])})
	}
	return routes
}

// liveLink is one interface as ip -s -s -d link states it.
type liveLink struct {
	Name                                                 string
	Ifindex, MTU, Txqlen                                 int64
	Kind, Master, LinkType, MAC, Flags, Operstate, Qdisc string
	Counters                                             map[string]int64
}

// ipStatColumn names ip's stats64 keys by interfaces' columns.
func ipStatColumn(direction, key string) string {
	switch {
	case direction == "rx" && key == "multicast", direction == "tx" && key == "collisions":
		return key
	}
	return direction + "_" + key
}

// deviceModes is ip's flag list with PROMISC and ALLMULTI as netsql
// means them, the device being in that mode: ip -d's promiscuity and
// allmulti counts above 0 (ip's flags show only what a user set).
func deviceModes(e map[string]any) []any {
	var flags []any
	for _, f := range e["flags"].([]any) {
		if f != "PROMISC" && f != "ALLMULTI" {
			flags = append(flags, f)
		}
	}
	if num(e["promiscuity"]) > 0 {
		flags = append(flags, "PROMISC")
	}
	if _, ok := e["allmulti"]; !ok {
		// a kernel before IFLA_ALLMULTI: ip's own ALLMULTI
		if slices.Contains(e["flags"].([]any), any("ALLMULTI")) {
			flags = append(flags, "ALLMULTI")
		}
	} else if num(e["allmulti"]) > 0 {
		flags = append(flags, "ALLMULTI")
	}
	return flags
}

func ipLinks(t *testing.T, ns *tablestest.Netns) []liveLink {
	var links []liveLink
	for _, e := range jsonRows(t, ns, "ip", "-s", "-s", "-d", "-j", "link", "show") {
		l := liveLink{Name: str(e["ifname"]), Ifindex: num(e["ifindex"]), MTU: num(e["mtu"]), Txqlen: num(e["txqlen"]),
			Master: str(e["master"]), LinkType: str(e["link_type"]), MAC: str(e["address"]),
			Flags: words(deviceModes(e), "NO-CARRIER", "M-DOWN"), Operstate: str(e["operstate"]), Qdisc: str(e["qdisc"]),
			Counters: map[string]int64{}}
		if info, ok := e["linkinfo"].(map[string]any); ok {
			l.Kind = str(info["info_kind"])
		}
		stats, _ := e["stats64"].(map[string]any)
		for _, direction := range []string{"rx", "tx"} {
			m, _ := stats[direction].(map[string]any)
			for key, v := range m {
				if key != "carrier_changes" {
					l.Counters[ipStatColumn(direction, key)] = num(v)
				}
			}
		}
		links = append(links, l)
	}
	return links
}

// netsqlLinks reads interfaces with netsql, keeping the counters named in
// like (ip shows only some).
func netsqlLinks(t *testing.T, ns *tablestest.Netns, like []liveLink) []liveLink {
	return linksFrom(t, netsqlRows(t, ns, "SELECT * FROM interfaces"), like)
}

// linksFrom reads the rows of SELECT * FROM interfaces, keeping the
// counters named in like.
func linksFrom(t *testing.T, rows []map[string]any, like []liveLink) []liveLink {
	counters := map[string]bool{}
	for _, l := range like {
		for k := range l.Counters {
			counters[k] = true
		}
	}
	var links []liveLink
	for _, e := range rows {
		l := liveLink{Name: str(e["name"]), Ifindex: num(e["ifindex"]), MTU: num(e["mtu"]), Txqlen: num(e["txqueuelen"]),
			Kind: str(e["kind"]), Master: str(e["master"]), LinkType: str(e["link_type"]), MAC: str(e["mac"]),
			Flags: words(e["flags"], "RUNNING"), Operstate: str(e["operstate"]), Qdisc: str(e["qdisc"]),
			Counters: map[string]int64{}}
		for k := range counters {
			v, ok := e[k]
			if !ok {
				t.Fatalf("ip shows counter %s, which interfaces has no column for", k)
			}
			l.Counters[k] = num(v)
		}
		links = append(links, l)
	}
	return links
}

// sysLink is what /sys/class/net/NAME says of an interface; "" or -1 where
// the kernel refuses a value.
type sysLink struct {
	Name, MAC, Operstate, Duplex string
	Ifindex, MTU, Txqlen, Speed  int64
	Carrier                      int64
	Counters                     map[string]int64
}

func sysLinks(t *testing.T, ns *tablestest.Netns) []sysLink {
	// grep -s prints path:value for each readable file and skips those the
	// kernel refuses (speed on lo, carrier of a down link).
	out := ns.MustRun(t, "sh", "-c", "cd /sys/class/net && grep -sH . */ifindex */mtu */address */operstate */duplex */speed */carrier */tx_queue_len */statistics/*; true")
	byName := map[string]*sysLink{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		path, value, _ := strings.Cut(line, ":")
		name, attr, _ := strings.Cut(path, "/")
		l := byName[name]
		if l == nil {
			l = &sysLink{Name: name, Ifindex: -1, MTU: -1, Txqlen: -1, Speed: -1, Carrier: -1, Counters: map[string]int64{}}
			byName[name] = l
		}
		n, _ := strconv.ParseInt(value, 10, 64)
		switch attr {
		case "ifindex":
			l.Ifindex = n
		case "mtu":
			l.MTU = n
		case "address":
			l.MAC = value
		case "operstate":
			l.Operstate = strings.ToUpper(value)
		case "duplex":
			l.Duplex = value
		case "speed":
			if n >= 0 {
				l.Speed = n
			}
		case "carrier":
			l.Carrier = n
		case "tx_queue_len":
			l.Txqlen = n
		default:
			l.Counters[strings.TrimPrefix(attr, "statistics/")] = n
		}
	}
	var links []sysLink
	for _, l := range byName {
		links = append(links, *l)
	}
	return links
}

func netsqlSysLinks(t *testing.T, ns *tablestest.Netns, flags ...string) []sysLink {
	var links []sysLink
	for _, e := range netsqlRows(t, ns, "SELECT * FROM interfaces", flags...) {
		l := sysLink{Name: str(e["name"]), MAC: str(e["mac"]), Operstate: str(e["operstate"]), Duplex: str(e["duplex"]),
			Ifindex: num(e["ifindex"]), MTU: num(e["mtu"]), Txqlen: num(e["txqueuelen"]), Speed: num(e["speed_mbps"]),
			Carrier: num(e["carrier"]), Counters: map[string]int64{}}
		for _, k := range interfaceCounters {
			if k.name != "rx_otherhost_dropped" { // not in /sys
				l.Counters[k.name] = num(e[k.name])
			}
		}
		links = append(links, l)
	}
	return links
}

// liveAddr is one address as ip addr and netsql state it.
type liveAddr struct {
	Dev, Family, Local, Peer, Broadcast, Scope, Label, Flags string
	Ifindex, PrefixLen, Valid, Preferred                     int64
}

// ipAddrFlags are the flags ip addr shows as JSON booleans.
var ipAddrFlags = []string{"secondary", "temporary", "nodad", "optimistic", "dadfailed", "home", "deprecated",
	"tentative", "mngtmpaddr", "noprefixroute", "autojoin", "stable-privacy"}

func ipAddrs(t *testing.T, ns *tablestest.Netns) []liveAddr {
	var addrs []liveAddr
	for _, link := range jsonRows(t, ns, "ip", "-j", "addr", "show") {
		infos, _ := link["addr_info"].([]any)
		for _, i := range infos {
			e := i.(map[string]any)
			var flags []any
			for _, f := range ipAddrFlags {
				if e[f] == true {
					flags = append(flags, f)
				}
			}
			if e["dynamic"] != true {
				flags = append(flags, "permanent")
			}
			lifetime := func(v any) int64 {
				if n := num(v); n != 0xffffffff {
					return n
				}
				return -1
			}
			addrs = append(addrs, liveAddr{Dev: str(link["ifname"]), Ifindex: num(link["ifindex"]), Family: str(e["family"]),
				Local: str(e["local"]), Peer: str(e["address"]), Broadcast: str(e["broadcast"]), Scope: str(e["scope"]),
				Label: str(e["label"]), Flags: words(flags), PrefixLen: num(e["prefixlen"]),
				Valid: lifetime(e["valid_life_time"]), Preferred: lifetime(e["preferred_life_time"])})
		}
	}
	return addrs
}

func netsqlAddrs(t *testing.T, ns *tablestest.Netns) []liveAddr {
	return addrsFrom(netsqlRows(t, ns, "SELECT * FROM addresses"))
}

// addrsFrom reads the rows of SELECT * FROM addresses.
func addrsFrom(rows []map[string]any) []liveAddr {
	var addrs []liveAddr
	for _, e := range rows {
		addrs = append(addrs, liveAddr{Dev: str(e["interface"]), Ifindex: num(e["ifindex"]), Family: str(e["family"]),
			Local: str(e["address"]), Peer: str(e["peer"]), Broadcast: str(e["broadcast"]), Scope: str(e["scope"]),
			Label: str(e["label"]), Flags: words(e["flags"]), PrefixLen: num(e["prefix_len"]),
			Valid: num(e["valid_lft_s"]), Preferred: num(e["preferred_lft_s"])})
	}
	return addrs
}

// liveNeigh is one neighbour entry as ip neigh and netsql state it.
type liveNeigh struct {
	Family, Dst, MAC, Dev, State, Flags string
}

func ipNeighs(t *testing.T, ns *tablestest.Netns) []liveNeigh {
	var neighs []liveNeigh
	for _, e := range jsonRows(t, ns, "ip", "-j", "neigh", "show", "nud", "all") {
		family := "inet"
		if strings.Contains(str(e["dst"]), ":") {
			family = "inet6"
		}
		var flags []any
		for _, f := range []string{"router", "proxy", "extern_learn", "offload", "sticky"} {
			if _, ok := e[f]; ok {
				flags = append(flags, f)
			}
		}
		neighs = append(neighs, liveNeigh{Family: family, Dst: str(e["dst"]), MAC: str(e["lladdr"]), Dev: str(e["dev"]),
			State: words(e["state"]), Flags: words(flags)})
	}
	// Proxy entries are another table: ip lists them apart, with no state
	// (the kernel's is NONE).
	for _, e := range jsonRows(t, ns, "ip", "-j", "neigh", "show", "proxy") {
		family := "inet"
		if strings.Contains(str(e["dst"]), ":") {
			family = "inet6"
		}
		neighs = append(neighs, liveNeigh{Family: family, Dst: str(e["dst"]), Dev: str(e["dev"]), State: "NONE", Flags: "proxy"})
	}
	return neighs
}

func netsqlNeighs(t *testing.T, ns *tablestest.Netns) []liveNeigh {
	return neighsFrom(netsqlRows(t, ns, "SELECT * FROM neighbors"))
}

// neighsFrom reads the rows of SELECT * FROM neighbors.
func neighsFrom(rows []map[string]any) []liveNeigh {
	var neighs []liveNeigh
	for _, e := range rows {
		neighs = append(neighs, liveNeigh{Family: str(e["family"]), Dst: str(e["address"]), MAC: str(e["mac"]),
			Dev: str(e["interface"]), State: words(e["state"]), Flags: words(e["flags"])})
	}
	return neighs
}

// TestLiveRtnlMatchesIP compares routes, interfaces, addresses and
// neighbors, read live over rtnetlink, with ip's JSON output and
// /sys/class/net, and with netsql's own file source (--proc /proc), in a
// namespace the test builds.
func TestLiveRtnlMatchesIP(t *testing.T) {
	tablestest.RequireRoot(t)
	t.Parallel()
	ns := rtnlTestNetns(t)

	t.Run("routes", func(t *testing.T) {
		compareUntilStable(t, "routes, ip route show table all (want) against netsql (got)",
			func() []liveRoute { return ipRoutes(t, ns) }, func() []liveRoute { return netsqlRoutes(t, ns) })
		// What the setup made is there, table 100 included.
		rows := netsqlRows(t, ns, `SELECT family, table_id, type, destination, gateway, weight FROM routes
			WHERE table_id = 100 OR type IN ('blackhole', 'unreachable', 'prohibit') OR weight IS NOT NULL ORDER BY 1, 2, 3, 4, 5`)
		var got []string
		for _, r := range rows {
			got = append(got, fmt.Sprintf("%s %d %s %s %s %d", str(r["family"]), num(r["table_id"]), str(r["type"]),
				str(r["destination"]), str(r["gateway"]), num(r["weight"])))
		}
		want := []string{
			"inet 100 unicast 10.30.0.0/16 10.99.0.2 -1",
			"inet 254 blackhole 10.40.0.0/16  -1",
			"inet 254 prohibit 10.51.0.0/16  -1",
			"inet 254 unicast 10.60.0.0/16 10.99.0.2 1",
			"inet 254 unicast 10.60.0.0/16 10.99.1.2 3",
			"inet 254 unreachable 10.50.0.0/16  -1",
			"inet6 100 unicast fd61::/64 fd99::2 -1",
			"inet6 254 blackhole fd40::/64  -1",
			"inet6 254 unicast fd60::/64 fd99:1::2 1",
			"inet6 254 unicast fd60::/64 fd99::2 2",
			"inet6 254 unreachable fd50::/64  -1",
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("routes the test made (-want +got):\n%s", diff)
		}
		// The expiring route counts down: ip reads it first, netsql a
		// moment later, so netsql's seconds are at most ip's and close.
		var ipLeft int64 = -1
		for _, e := range jsonRows(t, ns, "ip", "-j", "-6", "route", "show", "fd70::/64") {
			ipLeft = num(e["expires"])
		}
		rows = netsqlRows(t, ns, "SELECT expires_s, flags FROM routes WHERE destination = 'fd70::/64'")
		if len(rows) != 1 || ipLeft <= 0 {
			t.Fatalf("the expiring route: ip says %d s left, netsql rows %v", ipLeft, rows)
		}
		if left := num(rows[0]["expires_s"]); left > ipLeft || left < ipLeft-5 || str(rows[0]["flags"]) != "UGe" {
			t.Errorf("the expiring route: expires_s %d, flags %q; ip said %d s just before, want at most that and flags UGe",
				left, str(rows[0]["flags"]), ipLeft)
		}
		if rows := netsqlRows(t, ns, "SELECT count(*) AS n FROM routes WHERE expires_s IS NOT NULL"); len(rows) != 1 || num(rows[0]["n"]) != 1 {
			t.Errorf("routes with expires_s: %v, want the one the test made", rows)
		}
	})

	t.Run("interfaces", func(t *testing.T) {
		var like []liveLink
		compareUntilStable(t, "interfaces, ip -s -s -d link (want) against netsql (got)",
			func() []liveLink { like = ipLinks(t, ns); return like }, func() []liveLink { return netsqlLinks(t, ns, like) })
		compareUntilStable(t, "interfaces, /sys/class/net (want) against netsql (got)",
			func() []sysLink { return sysLinks(t, ns) }, func() []sysLink { return netsqlSysLinks(t, ns) })
		rows := netsqlRows(t, ns, `SELECT name, kind, master, speed_mbps FROM interfaces WHERE name IN ('lo', 'va', 'dm0', 'br-t') ORDER BY name`)
		var got []string
		for _, r := range rows {
			got = append(got, fmt.Sprintf("%s %s %s %d", str(r["name"]), str(r["kind"]), str(r["master"]), num(r["speed_mbps"])))
		}
		want := []string{"br-t bridge  10000", "dm0 veth br-t 10000", "lo   -1", "va veth  10000"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("kind, master and speed (-want +got):\n%s", diff)
		}
	})

	t.Run("addresses", func(t *testing.T) {
		compareUntilStable(t, "addresses, ip addr (want) against netsql (got)",
			func() []liveAddr { return ipAddrs(t, ns) }, func() []liveAddr { return netsqlAddrs(t, ns) })
	})

	t.Run("neighbors", func(t *testing.T) {
		compareUntilStable(t, "neighbors, ip neigh show nud all (want) against netsql (got)",
			func() []liveNeigh { return ipNeighs(t, ns) }, func() []liveNeigh { return netsqlNeighs(t, ns) })
		rows := netsqlRows(t, ns, `SELECT address, state, flags FROM neighbors WHERE mac LIKE '02:00:00:00:00:%' ORDER BY address`)
		var got []string
		for _, r := range rows {
			got = append(got, strings.TrimSpace(str(r["address"])+" "+str(r["state"])+" "+str(r["flags"])))
		}
		want := []string{"10.99.0.5 PERMANENT", "10.99.0.6 STALE", "10.99.0.7 NOARP", "fd99::5 PERMANENT", "fd99::7 PERMANENT router"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("neighbours the test made (-want +got):\n%s", diff)
		}
	})

	t.Run("files", func(t *testing.T) {
		testLiveFilesMatchNetlink(t, ns)
	})
}

// testLiveFilesMatchNetlink compares netsql's file source (--root /, so
// no netlink) with its netlink source on what the files can tell.
func testLiveFilesMatchNetlink(t *testing.T, ns *tablestest.Netns) {
	files := []string{"--root", "/"}
	type route struct {
		Family, Dst, Gateway, Dev, Flags, Type string
		Metric                                 int64
	}
	routes := func(flags []string, where string) func() []route {
		return func() []route {
			var out []route
			seen := map[string]bool{}
			for _, e := range netsqlRows(t, ns, "SELECT * FROM routes WHERE "+where, flags...) {
				typ := str(e["type"])
				if flags == nil {
					// What the files cannot tell, as the type column says:
					// the kind of a reject route, and an anycast route that
					// ip route added (the kernel marks only its own).
					switch {
					case typ == "blackhole" || typ == "unreachable" || typ == "prohibit" || typ == "throw":
						typ = ""
					case typ == "anycast" && str(e["protocol"]) != "kernel":
						typ = "unicast"
					}
				}
				r := route{str(e["family"]), str(e["destination"]), str(e["gateway"]), str(e["interface"]), str(e["flags"]), typ, num(e["metric"])}
				// /proc/net/route shows the first next hop of a multipath route.
				if key := r.Family + r.Dst + fmt.Sprint(r.Metric); r.Family == "inet" && seen[key] {
					continue
				} else {
					seen[key] = true
				}
				out = append(out, r)
			}
			return out
		}
	}
	compareUntilStable(t, "IPv4 main table, netlink (want) against /proc/net/route (got)",
		routes(nil, "family = 'inet' AND table_id = 254"), routes(files, "family = 'inet'"))
	// ipv6_route also prints the empty root of each table, which netsql
	// leaves out as ip does.
	compareUntilStable(t, "IPv6 routes, netlink (want) against /proc/net/ipv6_route (got)",
		routes(nil, "family = 'inet6'"), routes(files, "family = 'inet6'"))

	compareUntilStable(t, "interfaces, netlink (want) against /proc/net/dev with /sys (got)",
		func() []sysLink { return netsqlSysLinks(t, ns) }, func() []sysLink { return netsqlSysLinks(t, ns, files...) })
	// One meaning of PROMISC and ALLMULTI in both (dm0 is a bridge port).
	linkFlags := func(flags []string) func() []string {
		return func() []string {
			var out []string
			for _, e := range netsqlRows(t, ns, "SELECT name, flags FROM interfaces ORDER BY name", flags...) {
				out = append(out, str(e["name"])+" "+str(e["flags"]))
			}
			return out
		}
	}
	compareUntilStable(t, "interface flags, netlink (want) against /sys (got)", linkFlags(nil), linkFlags(files))
	if got := linkFlags(nil)(); !slices.ContainsFunc(got, func(l string) bool { return strings.HasPrefix(l, "dm0 ") && strings.Contains(l, "PROMISC") }) {
		t.Errorf("the bridge port dm0 is not PROMISC over netlink: %q", got)
	}

	type addr struct{ Dev, Addr, Scope, Flags string }
	addrs := func(flags []string) func() []addr {
		return func() []addr {
			var out []addr
			for _, e := range netsqlRows(t, ns, "SELECT * FROM addresses WHERE family = 'inet6'", flags...) {
				// if_inet6 holds the low 8 bits of the flags.
				out = append(out, addr{str(e["interface"]) + "/" + fmt.Sprint(num(e["ifindex"])),
					str(e["address"]) + "/" + fmt.Sprint(num(e["prefix_len"])), str(e["scope"]),
					words(e["flags"], "mngtmpaddr", "noprefixroute", "autojoin", "stable-privacy")})
			}
			return out
		}
	}
	compareUntilStable(t, "IPv6 addresses, netlink (want) against /proc/net/if_inet6 (got)", addrs(nil), addrs(files))

	type neigh struct{ Addr, MAC, Dev, State string }
	neighs := func(flags []string) func() []neigh {
		return func() []neigh {
			var out []neigh
			// /proc/net/arp leaves out NOARP and proxy entries and tells only whether an entry is resolved.
			for _, e := range netsqlRows(t, ns, "SELECT * FROM neighbors WHERE family = 'inet' AND state != 'NOARP' AND flags NOT LIKE '%proxy%'", flags...) {
				state := str(e["state"])
				switch state {
				case "REACHABLE", "STALE", "DELAY", "PROBE":
					state = "VALID"
				case "FAILED", "NONE":
					state = "INCOMPLETE"
				}
				out = append(out, neigh{str(e["address"]), str(e["mac"]), str(e["interface"]), state})
			}
			return out
		}
	}
	compareUntilStable(t, "IPv4 neighbours, netlink (want) against /proc/net/arp (got)", neighs(nil), neighs(files))

	// The file source reads no netlink and warns of nothing.
	cmd := ns.Command(tablestest.Netsql(t), append(files, "SELECT count(*) FROM routes, interfaces, addresses, neighbors")...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil || stderr.Len() > 0 {
		t.Errorf("file source: %v, stderr %q", err, stderr.String())
	}
}
