package tables

// The multicast dataset: group memberships, as `netstat -g` and `ip maddr`
// list them. It reads /proc/net/igmp (IPv4: a device line, then its groups
// on tab-indented lines), /proc/net/igmp6 (IPv6, one group per line) and
// /proc/net/dev_mcast (link-layer addresses).

import (
	"netsql/tables/engine"
	"netsql/tables/kernel"
)

// Multicast is every multicast group membership of this network namespace.
var Multicast = &engine.Dataset{
	Name:    "multicast",
	Doc:     "one row per multicast group membership of an interface (netstat -g, ip maddr)",
	Sources: []string{"/proc/net/igmp", "/proc/net/igmp6", "/proc/net/dev_mcast"},
	Columns: []engine.Column{
		{Name: "interface", Type: engine.Text, Doc: "interface name; joins interfaces.name"},
		{Name: "ifindex", Type: engine.Integer, Doc: "interface index"},
		{Name: "family", Type: engine.Text, Doc: "inet (IGMP), inet6 (MLD) or link (a link-layer address from dev_mcast)"},
		{Name: "group_addr", Type: engine.Text, Doc: "group: dotted IPv4, RFC 5952 IPv6, or a MAC address like 01:00:5e:00:00:01"},
		{Name: "users", Type: engine.Integer, Doc: "references to the membership (netstat -g RefCnt): sockets and the kernel's own joins"},
		{Name: "querier", Type: engine.Text, Doc: "IGMP version the interface answers queries with: V1, V2 or V3; NULL for inet6 and link"},
		{Name: "reporter", Type: engine.Integer, Doc: "1 when this host sent the last membership report for the group, else 0; NULL for link"},
		{Name: "timer_ms", Type: engine.Integer, Doc: "milliseconds until the pending membership report, 0 when none (10 ms resolution); NULL for link"},
		{Name: "global_use", Type: engine.Integer, Doc: "1 when the link-layer address was added by hand (ip maddr add; ip maddr shows static), else 0; NULL for inet and inet6"},
	},
	Collect:       collectMulticast,
	EstimatedRows: 30,
	Diff:          engine.DiffSpec{Key: []string{"interface", "family", "group_addr"}, Identity: []string{"ifindex"}, Volatile: []string{"timer_ms"}},
}

func collectMulticast(c *kernel.Collector) ([]engine.Row, error) {
	var rows []engine.Row
	for _, f := range []struct {
		name  string
		parse func([]byte) ([]kernel.MulticastGroup, error)
	}{{"igmp", kernel.ParseIGMP}, {"igmp6", kernel.ParseIGMP6}, {"dev_mcast", kernel.ParseDevMcast}} {
		path := c.Source().ProcPath("net", f.name)
		data, ok, err := c.ReadOptional(path)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		groups, err := f.parse(data)
		if err != nil {
			return nil, kernel.FileError(path, err)
		}
		for _, g := range groups {
			rows = append(rows, multicastRow(g))
		}
	}
	return rows, nil
}

func multicastRow(g kernel.MulticastGroup) engine.Row {
	r := engine.Row{g.Interface, g.Ifindex, g.Family, g.Group, g.Users, nil, nil, nil, nil}
	if g.Family == "link" {
		r[8] = g.GlobalUse
		return r
	}
	if g.Family == "inet" {
		r[5] = g.Querier
	}
	r[6] = asFlag01(g.Reporter)
	r[7] = g.TimerMs
	return r
}

// asFlag01 is a flag as SQLite holds booleans: 1 or 0.
func asFlag01(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
