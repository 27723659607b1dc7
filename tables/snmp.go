package tables

// The snmp dataset: the kernel's protocol counters, one row per counter, as
// `netstat -s` and `nstat -az` show them. It reads /proc/net/snmp and
// /proc/net/netstat (pairs of "Proto: Name1 Name2 ..." / "Proto: v1 v2 ..."
// lines), /proc/net/snmp6 and /proc/net/sctp/snmp (one "Name value" per
// line). The parsers know no counter by name, so counters that newer kernels
// add appear by themselves.

import (
	"bytes"

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
}

// snmpCounter is one counter of an snmp-style file. Value is an int64, or a
// float64 for the (never seen) unsigned value beyond int64.
type snmpCounter struct {
	Protocol string
	Name     string
	Key      string
	Value    any
}

// snmpFile is one counter file and how its text is laid out.
type snmpFile struct {
	path  []string // under the proc root
	parse func([]byte) ([]snmpCounter, error)
}

var snmpFiles = []snmpFile{
	{[]string{"net", "snmp"}, parseSNMPPairs},
	{[]string{"net", "netstat"}, parseSNMPPairs},
	{[]string{"net", "snmp6"}, func(data []byte) ([]snmpCounter, error) { return parseSNMPSingle(data, snmp6Protocol) }},
	{[]string{"net", "sctp", "snmp"}, func(data []byte) ([]snmpCounter, error) { return parseSNMPSingle(data, sctpProtocol) }},
}

func collectSNMP(c *kernel.Collector) ([]engine.Row, error) {
	var rows []engine.Row
	for _, f := range snmpFiles {
		path := c.Source().ProcPath(f.path...)
		data, ok, err := c.Source().ReadOptional(path)
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

// parseSNMPPairs parses the text of /proc/net/snmp or /proc/net/netstat:
// each protocol is a header line of counter names followed by a line of as
// many values, both starting with "Proto:". Columns are matched by position.
func parseSNMPPairs(data []byte) ([]snmpCounter, error) {
	var counters []snmpCounter
	lines := kernel.NewProcnetLines(data)
	for {
		header, ok := lines.Next()
		if !ok {
			break
		}
		if len(bytes.TrimSpace(header)) == 0 {
			continue
		}
		headerNum := lines.Line()
		protocol, names, err := snmpSplitLine(header, headerNum)
		if err != nil {
			return nil, err
		}
		values, ok := lines.Next()
		if !ok {
			return nil, kernel.LineErrorf(headerNum, "%s: header line without a value line", protocol)
		}
		valueProtocol, valueFields, err := snmpSplitLine(values, lines.Line())
		if err != nil {
			return nil, err
		}
		if valueProtocol != protocol {
			return nil, kernel.LineErrorf(lines.Line(), "%s: value line follows as %q", protocol, kernel.ProcnetClip([]byte(valueProtocol)))
		}
		if len(names) != len(valueFields) {
			return nil, kernel.LineErrorf(lines.Line(), "%s: %d names on line %d but %d values", protocol, len(names), headerNum, len(valueFields))
		}
		for i, name := range names {
			value, ok := snmpValue(valueFields[i])
			if !ok {
				return nil, kernel.LineErrorf(lines.Line(), "%s: value %q of %s", protocol, kernel.ProcnetClip(valueFields[i]), kernel.ProcnetClip(name))
			}
			n := string(name)
			counters = append(counters, snmpCounter{Protocol: protocol, Name: n, Key: protocol + n, Value: value})
		}
	}
	return counters, nil
}

// snmpSplitLine splits "Proto: a b c" into the protocol and its fields.
func snmpSplitLine(line []byte, lineNum int) (string, [][]byte, error) {
	colon := bytes.IndexByte(line, ':')
	if colon < 0 {
		return "", nil, kernel.LineErrorf(lineNum, "no \"Protocol:\" prefix in %q", kernel.ProcnetClip(line))
	}
	protocol := bytes.TrimSpace(line[:colon])
	if len(protocol) == 0 || bytes.ContainsAny(protocol, " \t") {
		return "", nil, kernel.LineErrorf(lineNum, "protocol %q", kernel.ProcnetClip(line[:colon]))
	}
	return string(protocol), bytes.Fields(line[colon+1:]), nil
}

// parseSNMPSingle parses "Name value" lines (/proc/net/snmp6,
// /proc/net/sctp/snmp); split cuts a name into protocol and counter.
func parseSNMPSingle(data []byte, split func(key string) (protocol, name string)) ([]snmpCounter, error) {
	var counters []snmpCounter
	for num, fields := range kernel.ProcnetFieldLines(data) {
		if len(fields) != 2 {
			return nil, kernel.LineErrorf(num, "%d fields, want \"name value\"", len(fields))
		}
		key := string(fields[0])
		protocol, name := split(key)
		value, ok := snmpValue(fields[1])
		if !ok {
			return nil, kernel.LineErrorf(num, "%s: value %q of %s", protocol, kernel.ProcnetClip(fields[1]), kernel.ProcnetClip(fields[0]))
		}
		counters = append(counters, snmpCounter{Protocol: protocol, Name: name, Key: key, Value: value})
	}
	return counters, nil
}

// snmp6Protocol cuts Ip6InReceives into Ip6 and InReceives, Icmp6OutType143
// into Icmp6 and OutType143: the protocol ends at its first 6.
func snmp6Protocol(key string) (string, string) {
	for i := 0; i < len(key)-1; i++ {
		if key[i] == '6' {
			return key[:i+1], key[i+1:]
		}
	}
	return key, key
}

// sctpProtocol cuts SctpCurrEstab into Sctp and CurrEstab.
func sctpProtocol(key string) (string, string) {
	const prefix = "Sctp"
	if len(key) > len(prefix) && key[:len(prefix)] == prefix {
		return prefix, key[len(prefix):]
	}
	return prefix, key
}

// snmpValue parses a counter: signed (Tcp MaxConn is -1), or an unsigned
// value beyond int64, which is kept as a float64.
func snmpValue(field []byte) (any, bool) {
	if v, ok := kernel.ProcnetInt(field, 64); ok {
		return v, true
	}
	if u, ok := kernel.ProcnetDec(field, 64); ok {
		return float64(u), true
	}
	return nil, false
}
