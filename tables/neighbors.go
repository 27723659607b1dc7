package tables

import (
	"netsql/tables/engine"
	"netsql/tables/kernel"

	"github.com/jsimonetti/rtnetlink/v2"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// neighborColumns declares the columns of Neighbors; the positions below are
// looked up by name in it.
var neighborColumns = []engine.Column{
	{Name: "family", Type: engine.Text, Doc: "inet (ARP) or inet6 (NDP)"},
	{Name: "address", Type: engine.Text, Doc: "the neighbour's IP address, as ip neigh prints it"},
	{Name: "mac", Type: engine.Text, Doc: "the neighbour's link-layer address; NULL while unresolved (INCOMPLETE, FAILED)"},
	{Name: "interface", Type: engine.Text, Doc: "interface name (joins interfaces.name)"},
	{Name: "ifindex", Type: engine.Integer, Doc: "interface index"},
	{Name: "state", Type: engine.Text, Doc: "NUD state: REACHABLE, STALE, DELAY, PROBE, FAILED, INCOMPLETE, NOARP, PERMANENT or NONE; from /proc/net/arp only PERMANENT, VALID (resolved: one of REACHABLE, STALE, DELAY, PROBE, NOARP) or INCOMPLETE (also FAILED)"},
	{Name: "flags", Type: engine.Text, Doc: "entry flags as ip prints them: router (an IPv6 router), proxy, extern_learn, offload, ...; empty when none"},
}

// Neighbors is the ARP (IPv4) and NDP (IPv6) cache of this namespace, every
// state included, as `ip neigh show nud all` lists it, and the proxy
// entries `ip neigh show proxy` lists. Live it dumps RTM_GETNEIGH twice
// (the second with NTF_PROXY); from a --root tree, or when netlink is refused, it reads
// /proc/net/arp, which holds IPv4 entries only and tells just permanent,
// resolved or incomplete.
var Neighbors = &engine.Dataset{
	Name:    "neighbors",
	Doc:     "one row per ARP or NDP neighbour cache entry of this namespace, every state (arp -n, ip neigh show nud all)",
	Sources: []string{"rtnetlink RTM_GETNEIGH, also with NTF_PROXY", "/proc/net/arp (IPv4 only, no proxy entries)"},
	Columns: neighborColumns,
	Collect: func(c *kernel.Collector) ([]engine.Row, error) {
		return fromNetlinkOrFiles(c, "neighbors", "/proc/net/arp (IPv4 only)", neighborsFromNetlink, neighborsFromFiles)
	},
	EstimatedRows: 10,
	Diff:          engine.DiffSpec{Key: []string{"family", "address", "interface"}, Identity: []string{"ifindex"}},
}

// Positions of Neighbors's columns, by name: a column moved in the list moves
// its position with it.
var (
	nbFamily    = columnIndex(neighborColumns, "family")
	nbAddress   = columnIndex(neighborColumns, "address")
	nbMAC       = columnIndex(neighborColumns, "mac")
	nbInterface = columnIndex(neighborColumns, "interface")
	nbIfindex   = columnIndex(neighborColumns, "ifindex")
	nbState     = columnIndex(neighborColumns, "state")
	nbFlags     = columnIndex(neighborColumns, "flags")
	nbColumns   = len(neighborColumns)
)

// neighborStates are the NUD_* bits of ndm_state.
var neighborStates = []bitName{{0x01, "INCOMPLETE"}, {0x02, "REACHABLE"}, {0x04, "STALE"}, {0x08, "DELAY"},
	{0x10, "PROBE"}, {0x20, "FAILED"}, {0x40, "NOARP"}, {0x80, "PERMANENT"}}

// neighborFlags are the NTF_* bits of ndm_flags by the words ip prints.
var neighborFlags = []bitName{{0x80, "router"}, {0x08, "proxy"}, {0x10, "extern_learn"}, {0x20, "offload"},
	{0x40, "sticky"}, {0x01, "use"}, {0x02, "self"}, {0x04, "master"}}

func neighborsFromNetlink(c *kernel.Collector) ([]engine.Row, error) {
	msgs, err := kernel.RtnlDump(c, func(conn *rtnetlink.Conn) ([]rtnetlink.NeighMessage, error) { return conn.Neigh.List() })
	if err != nil {
		return nil, err
	}
	// Proxy entries (ip neigh add proxy ...) live in another table, dumped
	// when the request carries NTF_PROXY: ip neigh show proxy.
	proxies, err := kernel.RtnlDump(c, func(conn *rtnetlink.Conn) ([]rtnetlink.NeighMessage, error) {
		replies, err := conn.Execute(&rtnetlink.NeighMessage{Flags: unix.NTF_PROXY}, unix.RTM_GETNEIGH, netlink.Request|netlink.Dump)
		var out []rtnetlink.NeighMessage
		for _, m := range replies {
			if n, ok := m.(*rtnetlink.NeighMessage); ok {
				out = append(out, *n)
			}
		}
		return out, err
	})
	if err != nil {
		return nil, err
	}
	msgs = append(msgs, proxies...)
	names, err := kernel.RtnlLinkNames(c)
	if err != nil {
		return nil, err
	}
	rows := make([]engine.Row, 0, len(msgs))
	for _, m := range msgs {
		r := make(engine.Row, nbColumns)
		r[nbFamily] = familyName(int(m.Family))
		if a := m.Attributes; a != nil {
			r[nbAddress] = ipText(a.Address)
			r[nbMAC] = macText(a.LLAddress)
		}
		r[nbInterface] = ifName(names, m.Index)
		r[nbIfindex] = int64(m.Index)
		r[nbState] = "NONE"
		if m.State != 0 {
			r[nbState] = bitNames(uint64(m.State), neighborStates)
		}
		r[nbFlags] = bitNames(uint64(m.Flags), neighborFlags)
		rows = append(rows, r)
	}
	return rows, nil
}

func neighborsFromFiles(c *kernel.Collector) ([]engine.Row, error) {
	path := c.Source().ProcPath("net", "arp")
	data, ok, err := c.ReadOptional(path)
	if err != nil || !ok {
		return nil, err
	}
	entries, err := kernel.ParseProcNetArp(data)
	if err != nil {
		return nil, kernel.FileError(path, err)
	}
	indexes := sysIfindexes(c)
	rows := make([]engine.Row, 0, len(entries))
	for _, e := range entries {
		r := make(engine.Row, nbColumns)
		r[nbFamily] = familyName(unix.AF_INET)
		r[nbAddress] = addrText(e.Addr)
		r[nbInterface] = e.Device
		if i, ok := indexes[e.Device]; ok {
			r[nbIfindex] = i
		}
		r[nbFlags] = ""
		switch {
		case e.Flags&kernel.AtfPublished != 0:
			// A proxy ARP entry (pneigh): it answers for the address, it has no MAC.
			r[nbState], r[nbFlags] = "PERMANENT", "proxy"
		case e.Flags&kernel.AtfPermanent != 0:
			r[nbState], r[nbMAC] = "PERMANENT", e.MAC
		case e.Flags&kernel.AtfComplete != 0:
			r[nbState], r[nbMAC] = "VALID", e.MAC
		default:
			r[nbState] = "INCOMPLETE"
		}
		rows = append(rows, r)
	}
	return rows, nil
}
