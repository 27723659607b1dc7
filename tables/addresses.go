package tables

import (
	"strconv"

	"netsql/tables/engine"
	"netsql/tables/kernel"

	"github.com/jsimonetti/rtnetlink/v2"
	"golang.org/x/sys/unix"
)

// addressColumns declares the columns of Addresses; the positions below are
// looked up by name in it.
var addressColumns = []engine.Column{
	{Name: "interface", Type: engine.Text, Doc: "interface name (joins interfaces.name)"},
	{Name: "ifindex", Type: engine.Integer, Doc: "interface index"},
	{Name: "family", Type: engine.Text, Doc: "inet or inet6"},
	{Name: "address", Type: engine.Text, Doc: "the address (the local end of a point-to-point link), as ip addr prints it and ss would: IPv6 per RFC 5952 except that ::ffff:1.2.3.4 and ::1.2.3.4 keep a dotted tail"},
	{Name: "prefix_len", Type: engine.Integer, Doc: "prefix length of the address's network"},
	{Name: "scope", Type: engine.Text, Doc: "address scope: global, site, link, host, nowhere"},
	{Name: "broadcast", Type: engine.Text, Doc: "IPv4 broadcast address; NULL when unset and for IPv6"},
	{Name: "peer", Type: engine.Text, Doc: "remote address of a point-to-point link; NULL otherwise"},
	{Name: "flags", Type: engine.Text, Doc: "address flags as ip prints them, comma-separated: permanent, secondary (temporary for IPv6), tentative, deprecated, nodad, dadfailed, optimistic, noprefixroute, mngtmpaddr, ...; from /proc/net/if_inet6 only the low 8 bits"},
	{Name: "label", Type: engine.Text, Doc: "IPv4 address label (eth0, eth0:1, ...); NULL for IPv6"},
	{Name: "valid_lft_s", Type: engine.Integer, Doc: "seconds until the address becomes invalid; NULL when forever or from /proc"},
	{Name: "preferred_lft_s", Type: engine.Integer, Doc: "seconds until the address becomes deprecated; NULL when forever or from /proc"},
}

// Addresses is every IPv4 and IPv6 address on the interfaces of this
// namespace, as `ip addr` shows them. Live it dumps RTM_GETADDR (full
// IFA_FLAGS, labels, lifetimes); from a --root tree, or when netlink is
// refused, it reads /proc/net/if_inet6, which holds IPv6 addresses only: no
// file lists IPv4 addresses, so those rows need netlink.
var Addresses = &engine.Dataset{
	Name:    "addresses",
	Doc:     "one row per IPv4 and IPv6 address of an interface of this namespace (ip addr); from files IPv6 only",
	Sources: []string{"rtnetlink RTM_GETADDR", "/proc/net/if_inet6 (IPv6 only: IPv4 addresses need netlink)"},
	Columns: addressColumns,
	Collect: func(c *kernel.Collector) ([]engine.Row, error) {
		return fromNetlinkOrFiles(c, "addresses", "/proc/net/if_inet6 (IPv6 only; IPv4 addresses need netlink and are missing)",
			addressesFromNetlink, addressesFromFiles)
	},
	EstimatedRows: 10,
	Diff: engine.DiffSpec{Key: []string{"interface", "family", "address", "prefix_len"}, Identity: []string{"ifindex"},
		Volatile: []string{"valid_lft_s", "preferred_lft_s"}},
}

// Positions of Addresses's columns, by name: a column moved in the list moves
// its position with it.
var (
	addrInterface    = columnIndex(addressColumns, "interface")
	addrIfindex      = columnIndex(addressColumns, "ifindex")
	addrFamily       = columnIndex(addressColumns, "family")
	addrAddress      = columnIndex(addressColumns, "address")
	addrPrefixLen    = columnIndex(addressColumns, "prefix_len")
	addrScope        = columnIndex(addressColumns, "scope")
	addrBroadcast    = columnIndex(addressColumns, "broadcast")
	addrPeer         = columnIndex(addressColumns, "peer")
	addrFlags        = columnIndex(addressColumns, "flags")
	addrLabel        = columnIndex(addressColumns, "label")
	addrValidLft     = columnIndex(addressColumns, "valid_lft_s")
	addrPreferredLft = columnIndex(addressColumns, "preferred_lft_s")
	addrColumns      = len(addressColumns)
)

// addressFlagNames are the IFA_F_* bits by the words ip prints; bit 0x01
// is "secondary" for IPv4 and "temporary" for IPv6.
func addressFlagNames(family int) []bitName {
	first := bitName{0x01, "secondary"}
	if family == unix.AF_INET6 {
		first.name = "temporary"
	}
	return []bitName{first, {0x80, "permanent"}, {0x02, "nodad"}, {0x04, "optimistic"}, {0x08, "dadfailed"},
		{0x10, "home"}, {0x20, "deprecated"}, {0x40, "tentative"}, {0x100, "mngtmpaddr"}, {0x200, "noprefixroute"},
		{0x400, "autojoin"}, {0x800, "stable-privacy"}}
}

// lifetime is an address lifetime in seconds, NULL for forever.
func lifetime(seconds uint32) any {
	if seconds == 0xffffffff {
		return nil
	}
	return int64(seconds)
}

func addressesFromNetlink(c *kernel.Collector) ([]engine.Row, error) {
	msgs, err := kernel.RtnlDump(c, func(conn *rtnetlink.Conn) ([]rtnetlink.AddressMessage, error) { return conn.Address.List() })
	if err != nil {
		return nil, err
	}
	names, err := kernel.RtnlLinkNames(c)
	if err != nil {
		return nil, err
	}
	rows := make([]engine.Row, 0, len(msgs))
	for _, m := range msgs {
		a := m.Attributes
		if a == nil || (m.Family != unix.AF_INET && m.Family != unix.AF_INET6) {
			continue
		}
		// IFA_LOCAL is the address and IFA_ADDRESS the peer on a
		// point-to-point link; otherwise IFA_ADDRESS alone (IPv6) or both equal.
		local, peer := a.Local, a.Address
		if local == nil {
			local, peer = a.Address, nil
		} else if peer.Equal(local) {
			peer = nil
		}
		r := make(engine.Row, addrColumns)
		r[addrInterface] = ifName(names, m.Index)
		r[addrIfindex] = int64(m.Index)
		r[addrFamily] = familyName(int(m.Family))
		r[addrAddress] = ipText(local)
		r[addrPrefixLen] = int64(m.PrefixLength)
		r[addrScope] = scopeName(m.Scope)
		r[addrBroadcast] = ipText(a.Broadcast)
		r[addrPeer] = ipText(peer)
		r[addrFlags] = bitNames(uint64(uint32(m.Flags)|a.Flags), addressFlagNames(int(m.Family)))
		if a.Label != "" {
			r[addrLabel] = a.Label
		}
		r[addrValidLft] = lifetime(a.CacheInfo.Valid)
		r[addrPreferredLft] = lifetime(a.CacheInfo.Preferred)
		rows = append(rows, r)
	}
	return rows, nil
}

// ipv6ScopeNames maps the IPV6_ADDR_* scope bits of if_inet6 to the words
// netlink's RT_SCOPE_* values get.
var ipv6ScopeNames = map[uint8]string{0x00: "global", 0x10: "host", 0x20: "link", 0x40: "site"}

func addressesFromFiles(c *kernel.Collector) ([]engine.Row, error) {
	path := c.Source().ProcPath("net", "if_inet6")
	data, ok, err := c.ReadOptional(path)
	if err != nil || !ok {
		return nil, err
	}
	addrs, err := kernel.ParseIfInet6(data)
	if err != nil {
		return nil, kernel.FileError(path, err)
	}
	rows := make([]engine.Row, 0, len(addrs))
	for _, a := range addrs {
		r := make(engine.Row, addrColumns)
		r[addrInterface] = a.Name
		r[addrIfindex] = int64(a.Ifindex)
		r[addrFamily] = "inet6"
		r[addrAddress] = addrText(a.Addr)
		r[addrPrefixLen] = int64(a.PrefixLen)
		if name, ok := ipv6ScopeNames[a.Scope]; ok {
			r[addrScope] = name
		} else {
			r[addrScope] = "0x" + strconv.FormatUint(uint64(a.Scope), 16)
		}
		r[addrFlags] = bitNames(uint64(a.Flags), addressFlagNames(unix.AF_INET6))
		rows = append(rows, r)
	}
	return rows, nil
}
