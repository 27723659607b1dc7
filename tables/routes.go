package tables

import (
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"netsql/tables/engine"
	"netsql/tables/kernel"

	"github.com/jsimonetti/rtnetlink/v2"
	"golang.org/x/sys/unix"
)

// routeColumns declares the columns of Routes; the positions below are
// looked up by name in it.
var routeColumns = []engine.Column{
	{Name: "family", Type: engine.Text, Doc: "inet or inet6"},
	{Name: "table_id", Type: engine.Integer, Doc: "routing table number (255 local, 254 main, 253 default); NULL from /proc/net/ipv6_route, which names none"},
	{Name: "table_name", Type: engine.Text, Doc: "routing table name: local, main, default, a name from iproute2's rt_tables files, else the number"},
	{Name: "destination", Type: engine.Text, Doc: "destination prefix in CIDR form, the address as ip route prints it (::1.2.3.0/120 keeps its dotted tail, as local_addr in sockets); the length also for a host route and the default route (0.0.0.0/0, ::/0), which ip writes as the bare address and default"},
	{Name: "gateway", Type: engine.Text, Doc: "next-hop router address, as ip route prints it; NULL for a directly connected route"},
	{Name: "interface", Type: engine.Text, Doc: "outgoing interface name (joins interfaces.name); NULL when the route has none (blackhole, unreachable)"},
	{Name: "ifindex", Type: engine.Integer, Doc: "outgoing interface index; NULL when the route has none"},
	{Name: "metric", Type: engine.Integer, Doc: "route priority (metric); lower is preferred"},
	{Name: "flags", Type: engine.Text, Doc: "netstat -r's flag letters: U up, G gateway, H host, ! reject, n no next hop (IPv6), A addrconf, D default, e expires, ..."},
	{Name: "type", Type: engine.Text, Doc: "route type: unicast, local, broadcast, anycast, multicast, blackhole, unreachable, prohibit, throw, nat; NULL from /proc where the file does not tell (reject or device-less routes); from /proc an anycast route added with ip route reads as unicast (the file marks only the kernel's own anycast routes)"},
	{Name: "protocol", Type: engine.Text, Doc: "who installed the route: kernel, boot, static, dhcp, ra, redirect, bird, zebra, bgp, ospf, ...; NULL from /proc"},
	{Name: "scope", Type: engine.Text, Doc: "route scope: global, site, link, host, nowhere; NULL from /proc"},
	{Name: "prefsrc", Type: engine.Text, Doc: "preferred source address for traffic on this route; NULL when unset or from /proc"},
	{Name: "mtu", Type: engine.Integer, Doc: "path MTU set on the route (mtu metric); NULL when unset or from /proc"},
	{Name: "weight", Type: engine.Integer, Doc: "weight of this next hop in a multipath route; NULL for a single next hop"},
	{Name: "nexthop_flags", Type: engine.Text, Doc: "flags of the next hop as ip prints them: dead, onlink, linkdown, offload, trap, unresolved; NULL from /proc"},
	{Name: "expires_s", Type: engine.Integer, Doc: "seconds until the route expires (ip's expires: IPv6 routes from router advertisements or added with expires); NULL when it does not, and from /proc, whose flags tell only that it does (e)"},
}

// Routes is every route of this network namespace, IPv4 and IPv6, of every
// routing table, one row per next hop, as `ip route show table all` lists
// them. Live it dumps RTM_GETROUTE; from a --root tree, or when netlink is
// refused, it reads /proc/net/route (IPv4, main table only) and
// /proc/net/ipv6_route (every table, unnamed). Table names come from
// iproute2's rt_tables files.
var Routes = &engine.Dataset{
	Name: "routes",
	Doc:  "one row per route and next hop, IPv4 and IPv6, every routing table (netstat -r, ip route show table all)",
	Sources: []string{"rtnetlink RTM_GETROUTE", "/proc/net/route", "/proc/net/ipv6_route",
		"/etc/iproute2/rt_tables", "/etc/iproute2/rt_tables.d/*.conf", "/usr/share/iproute2/rt_tables (live only)"},
	Columns: routeColumns,
	Collect: func(c *kernel.Collector) ([]engine.Row, error) {
		return fromNetlinkOrFiles(c, "routes", "/proc/net/route and /proc/net/ipv6_route", routesFromNetlink, routesFromFiles)
	},
	EstimatedRows: 30,
	Diff:          engine.DiffSpec{Key: []string{"family", "table_id", "destination", "gateway", "interface", "metric"}, Volatile: []string{"expires_s"}},
}

// Positions of Routes's columns, by name: a column moved in the list moves
// its position with it.
var (
	rtFamily       = columnIndex(routeColumns, "family")
	rtTableID      = columnIndex(routeColumns, "table_id")
	rtTableName    = columnIndex(routeColumns, "table_name")
	rtDestination  = columnIndex(routeColumns, "destination")
	rtGateway      = columnIndex(routeColumns, "gateway")
	rtInterface    = columnIndex(routeColumns, "interface")
	rtIfindex      = columnIndex(routeColumns, "ifindex")
	rtMetric       = columnIndex(routeColumns, "metric")
	rtFlags        = columnIndex(routeColumns, "flags")
	rtType         = columnIndex(routeColumns, "type")
	rtProtocol     = columnIndex(routeColumns, "protocol")
	rtScope        = columnIndex(routeColumns, "scope")
	rtPrefsrc      = columnIndex(routeColumns, "prefsrc")
	rtMTU          = columnIndex(routeColumns, "mtu")
	rtWeight       = columnIndex(routeColumns, "weight")
	rtNexthopFlags = columnIndex(routeColumns, "nexthop_flags")
	rtExpires      = columnIndex(routeColumns, "expires_s")
	rtColumns      = len(routeColumns)
)

// routeTypes are the RTN_* route types by the words ip prints.
var routeTypes = [...]string{"unspec", "unicast", "local", "broadcast", "anycast", "multicast", "blackhole",
	"unreachable", "prohibit", "throw", "nat", "xresolve"}

func routeTypeName(t uint8) string {
	if int(t) < len(routeTypes) {
		return routeTypes[t]
	}
	return strconv.Itoa(int(t))
}

// routeProtocols are the kernel's RTPROT_* values by iproute2's names.
var routeProtocols = map[uint8]string{0: "unspec", 1: "redirect", 2: "kernel", 3: "boot", 4: "static", 8: "gated",
	9: "ra", 10: "mrt", 11: "zebra", 12: "bird", 13: "dnrouted", 14: "xorp", 15: "ntk", 16: "dhcp", 17: "mrouted",
	18: "keepalived", 42: "babel", 99: "openr", 186: "bgp", 187: "isis", 188: "ospf", 189: "rip", 192: "eigrp"}

func routeProtocolName(p uint8) string {
	if name, ok := routeProtocols[p]; ok {
		return name
	}
	return strconv.Itoa(int(p))
}

// nexthopFlagNames are the RTNH_F_* bits by the words ip prints.
var nexthopFlagNames = []bitName{{1, "dead"}, {2, "pervasive"}, {4, "onlink"}, {8, "offload"}, {16, "linkdown"},
	{32, "unresolved"}, {64, "trap"}}

// routeHop is one next hop of a route message.
type routeHop struct {
	gateway net.IP
	ifindex uint32
	flags   uint8
	weight  any
}

func routesFromNetlink(c *kernel.Collector) ([]engine.Row, error) {
	msgs, err := kernel.RtnlRoutes(c)
	if err != nil {
		return nil, err
	}
	names, err := kernel.RtnlLinkNames(c)
	if err != nil {
		return nil, err
	}
	tables := routeTableNames(c)
	var rows []engine.Row
	for _, m := range msgs {
		// An AF_UNSPEC dump also returns multicast (ipmr) and MPLS tables.
		if m.Family != unix.AF_INET && m.Family != unix.AF_INET6 {
			continue
		}
		a := m.Attributes
		table := uint32(m.Table)
		if a.Table != 0 {
			table = a.Table // RTA_TABLE holds ids beyond 255
		}
		dst := netip.IPv4Unspecified()
		if m.Family == unix.AF_INET6 {
			dst = netip.IPv6Unspecified()
		}
		if d, ok := netip.AddrFromSlice(a.Dst); ok {
			dst = d
		}
		base := make(engine.Row, rtColumns)
		base[rtFamily] = familyName(int(m.Family))
		base[rtTableID] = int64(table)
		base[rtTableName] = tableName(tables, table)
		base[rtDestination] = prefixText(netip.PrefixFrom(dst, int(m.DstLength)))
		base[rtMetric] = int64(a.Priority)
		base[rtType] = routeTypeName(m.Type)
		base[rtProtocol] = routeProtocolName(m.Protocol)
		base[rtScope] = scopeName(m.Scope)
		base[rtPrefsrc] = ipText(a.Src)
		if a.Metrics != nil && a.Metrics.MTU != 0 {
			base[rtMTU] = int64(a.Metrics.MTU)
		}
		if m.HasExpiry {
			base[rtExpires] = m.ExpiresTicks / kernel.UserHZ // ip rounds down too
		}
		hops := []routeHop{{gateway: viaOrGateway(a.Gateway, a.Via), ifindex: a.OutIface, flags: uint8(m.Flags)}}
		if len(a.Multipath) > 0 {
			hops = hops[:0]
			for _, nh := range a.Multipath {
				hops = append(hops, routeHop{gateway: viaOrGateway(nh.Gateway, nh.Via), ifindex: nh.Hop.IfIndex,
					flags: nh.Hop.Flags, weight: int64(nh.Hop.Hops) + 1})
			}
		}
		for _, h := range hops {
			r := append(engine.Row(nil), base...)
			r[rtGateway] = ipText(h.gateway)
			r[rtInterface] = ifName(names, h.ifindex)
			if h.ifindex != 0 {
				r[rtIfindex] = int64(h.ifindex)
			}
			r[rtWeight] = h.weight
			r[rtNexthopFlags] = bitNames(uint64(h.flags), nexthopFlagNames)
			r[rtFlags] = netlinkRouteFlags(m, h.gateway != nil)
			rows = append(rows, r)
		}
	}
	return rows, nil
}

// viaOrGateway is a next hop's address: RTA_GATEWAY, or RTA_VIA when the
// next hop is of the other family (an IPv4 route via an IPv6 router).
func viaOrGateway(gw net.IP, via *rtnetlink.RouteVia) net.IP {
	if gw == nil && via != nil {
		return via.Addr
	}
	return gw
}

// netlinkRouteFlags spells a route from netlink with the letters netstat
// prints for the same route from /proc/net/route or /proc/net/ipv6_route,
// by the rules the kernel uses to fill those files' flags.
func netlinkRouteFlags(m kernel.Route, hasGateway bool) string {
	typ := routeTypeName(m.Type)
	var flags uint32
	if m.Family == unix.AF_INET {
		switch typ {
		case "unreachable", "prohibit":
			flags |= kernel.RtfReject
		default:
			flags |= kernel.RtfUp
		}
		if hasGateway {
			flags |= kernel.RtfGateway
		}
		if m.DstLength == 32 {
			flags |= kernel.RtfHost
		}
		return kernel.RouteFlags4(flags)
	}
	switch typ {
	case "unreachable", "prohibit", "blackhole", "throw":
		flags |= kernel.RtfReject | kernel.RtfNoNextHop
	case "local", "anycast":
		flags |= kernel.RtfUp
		// The kernel marks its own local and anycast routes (those of the
		// addresses) "no next hop"; one added with ip route keeps U only.
		if m.Protocol == unix.RTPROT_KERNEL {
			flags |= kernel.RtfNoNextHop
		}
	default:
		flags |= kernel.RtfUp
	}
	if hasGateway {
		flags |= kernel.RtfGateway
	}
	if m.Protocol == unix.RTPROT_RA {
		flags |= kernel.RtfAddrconf
		if m.DstLength == 0 {
			flags |= kernel.RtfDefault
		}
	}
	if m.HasExpiry {
		flags |= kernel.RtfExpires
	}
	return kernel.RouteFlags6(flags)
}

func routesFromFiles(c *kernel.Collector) ([]engine.Row, error) {
	var rows []engine.Row
	indexes := sysIfindexes(c)
	ifindex := func(name string) any {
		if i, ok := indexes[name]; ok {
			return i
		}
		return nil
	}
	path := c.Source().ProcPath("net", "route")
	data, ok, err := c.ReadOptional(path)
	if err != nil {
		return nil, err
	}
	if ok {
		routes, err := kernel.ParseProcNetRoute(data)
		if err != nil {
			return nil, kernel.FileError(path, err)
		}
		tables := routeTableNames(c)
		for _, rt := range routes {
			r := make(engine.Row, rtColumns)
			r[rtFamily] = "inet"
			r[rtTableID] = int64(unix.RT_TABLE_MAIN) // the file lists the main table only
			r[rtTableName] = tableName(tables, unix.RT_TABLE_MAIN)
			fileRoute(r, rt, ifindex)
			r[rtFlags] = kernel.RouteFlags4(rt.Flags)
			if rt.Iface != "" && rt.Flags&kernel.RtfReject == 0 {
				r[rtType] = "unicast" // a blackhole or throw route has no device
			}
			rows = append(rows, r)
		}
	}
	path = c.Source().ProcPath("net", "ipv6_route")
	data, ok, err = c.ReadOptional(path)
	if err != nil {
		return nil, err
	}
	if ok {
		routes, err := kernel.ParseProcNetIPv6Route(data)
		if err != nil {
			return nil, kernel.FileError(path, err)
		}
		for _, rt := range routes {
			if isNullRoute6(rt) {
				continue
			}
			r := make(engine.Row, rtColumns)
			r[rtFamily] = "inet6"
			fileRoute(r, rt, ifindex)
			r[rtFlags] = kernel.RouteFlags6(rt.Flags)
			switch {
			case rt.Flags&kernel.RtfReject != 0:
				// unreachable, prohibit, blackhole or throw: the file does not tell
			case rt.Flags&kernel.RtfLocal != 0:
				r[rtType] = "local"
			case rt.Flags&kernel.RtfAnycast != 0:
				r[rtType] = "anycast"
			case rt.Dst.Addr().IsMulticast():
				r[rtType] = "multicast"
			default:
				r[rtType] = "unicast"
			}
			rows = append(rows, r)
		}
	}
	return rows, nil
}

// isNullRoute6 tells the kernel's null entry (ip6_null_entry) from a
// route: /proc/net/ipv6_route prints it as the empty root of each table,
// an unreachable ::/0 on lo of metric 4294967295, once per table, while
// netlink and ip list no such route.
func isNullRoute6(rt kernel.ProcRoute) bool {
	return rt.Dst.Bits() == 0 && rt.Metric == 0xffffffff && rt.Flags&kernel.RtfReject != 0 &&
		rt.Iface == "lo" && (!rt.Gateway.IsValid() || rt.Gateway.IsUnspecified())
}

// fileRoute fills the columns both route files share.
func fileRoute(r engine.Row, rt kernel.ProcRoute, ifindex func(string) any) {
	r[rtDestination] = prefixText(rt.Dst)
	if rt.Flags&kernel.RtfGateway != 0 && rt.Gateway.IsValid() {
		r[rtGateway] = addrText(rt.Gateway)
	}
	if rt.Iface != "" {
		r[rtInterface] = rt.Iface
		r[rtIfindex] = ifindex(rt.Iface)
	}
	r[rtMetric] = rt.Metric
}

// tableName is a routing table's name, else its number as text.
func tableName(names map[uint32]string, id uint32) string {
	if name, ok := names[id]; ok {
		return name
	}
	return strconv.FormatUint(uint64(id), 10)
}

// routeTableNames reads the routing table names as ip does: the kernel's
// reserved local, main and default; then etc/iproute2/rt_tables (on the
// live system /usr/share/iproute2/rt_tables when /etc has none); then every
// rt_tables.d/*.conf, a file in /etc hiding the same name in /usr/share.
// From a --root tree only its etc is read. Later entries win.
func routeTableNames(c *kernel.Collector) map[uint32]string {
	names, _ := kernel.Memoize(c, "rt_tables", func() (map[uint32]string, error) {
		names := map[uint32]string{unix.RT_TABLE_DEFAULT: "default", unix.RT_TABLE_MAIN: "main", unix.RT_TABLE_LOCAL: "local"}
		dirs := []string{c.Source().EtcPath("iproute2")}
		if c.Source().Live {
			dirs = append(dirs, "/usr/share/iproute2")
		}
		merge := func(path string) bool {
			data, ok, err := c.ReadOptional(path)
			if err != nil || !ok {
				return false
			}
			found, bad := kernel.ParseRTTables(data)
			for id, name := range found {
				names[id] = name
			}
			for _, line := range bad {
				c.Warn(fmt.Sprintf("lines of %s skipped: not \"id name\" (ip skips them too)", path), int64(line))
			}
			return true
		}
		for _, dir := range dirs {
			if merge(filepath.Join(dir, "rt_tables")) {
				break
			}
		}
		seen := map[string]bool{}
		for _, dir := range dirs {
			d := filepath.Join(dir, "rt_tables.d")
			entries, err := c.Source().ReadDir(d)
			if err != nil {
				continue
			}
			var confs []string
			for _, e := range entries {
				if strings.HasSuffix(e.Name(), ".conf") && !seen[e.Name()] {
					seen[e.Name()] = true
					confs = append(confs, e.Name())
				}
			}
			sort.Strings(confs)
			for _, name := range confs {
				merge(filepath.Join(d, name))
			}
		}
		return names, nil
	})
	return names
}
