package tables

// The snmp dataset: the kernel's protocol counters, one row per counter, as
// `netstat -s` and `nstat -az` show them. It reads /proc/net/snmp and
// /proc/net/netstat (pairs of "Proto: Name1 Name2 ..." / "Proto: v1 v2 ..."
// lines), /proc/net/snmp6 and /proc/net/sctp/snmp (one "Name value" per
// line). The parsers know no counter by name, so counters that newer kernels
// add appear by themselves.

import (
	"netsql/tables/engine"
	"netsql/tables/kernel"
)

// SNMP is every protocol counter of this network namespace.
var SNMP = &engine.Dataset{
	Name:    "snmp",
	Doc:     "one row per kernel protocol counter of this network namespace (netstat -s, nstat -az)",
	Sources: []string{"/proc/net/snmp", "/proc/net/netstat", "/proc/net/snmp6", "/proc/net/sctp/snmp"},
	Columns: []engine.Column{
		{Name: "protocol", Type: engine.Text, Doc: "protocol as the file names it: Ip, Icmp, IcmpMsg, Tcp, Udp, UdpLite, TcpExt, IpExt, MPTcpExt, Ip6, Icmp6, Udp6, UdpLite6, Sctp, ..."},
		{Name: "name", Type: engine.Text, Doc: "counter name within the protocol (InReceives, SyncookiesSent, ...)"},
		{Name: "key", Type: engine.Text, Doc: "nstat's name for the counter: protocol and name joined (TcpExtSyncookiesSent, Ip6InReceives)"},
		{Name: "value", Type: engine.Integer, Doc: "value since boot; most are counters, a few are gauges (Tcp CurrEstab) or settings (Tcp MaxConn is -1, Ip Forwarding is 1 or 2)"},
	},
	Collect:       collectSNMP,
	EstimatedRows: 450,
	Diff:          engine.DiffSpec{Key: []string{"protocol", "name"}, Counters: []string{"value"}},
}

// snmpFile is one counter file and how its text is laid out.
type snmpFile struct {
	path  []string // under the proc root
	parse func([]byte) ([]kernel.SnmpCounter, error)
}

var snmpFiles = []snmpFile{
	{[]string{"net", "snmp"}, kernel.ParseSNMPPairs},
	{[]string{"net", "netstat"}, kernel.ParseSNMPPairs},
	{[]string{"net", "snmp6"}, func(data []byte) ([]kernel.SnmpCounter, error) {
		return kernel.ParseSNMPSingle(data, kernel.Snmp6Protocol)
	}},
	{[]string{"net", "sctp", "snmp"}, func(data []byte) ([]kernel.SnmpCounter, error) {
		return kernel.ParseSNMPSingle(data, kernel.SctpProtocol)
	}},
}

func collectSNMP(c *kernel.Collector) ([]engine.Row, error) {
	var rows []engine.Row
	for _, f := range snmpFiles {
		path := c.Source().ProcPath(f.path...)
		data, ok, err := c.ReadOptional(path)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		counters, err := f.parse(data)
		if err != nil {
			return nil, kernel.FileError(path, err)
		}
		for _, ctr := range counters {
			rows = append(rows, engine.Row{ctr.Protocol, ctr.Name, ctr.Key, ctr.Value})
		}
	}
	return rows, nil
}
