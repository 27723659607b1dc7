package kernel

import "bytes"

// The /proc/net/snmp family of counter files: header/value line pairs
// (snmp, netstat) and one "key value" a line (snmp6, sctp/snmp), read
// generically so new kernel counters appear by themselves.

// SnmpCounter is one counter of an snmp-style file. Value is an int64, or a
// float64 for the (never seen) unsigned value beyond int64.
type SnmpCounter struct {
	Protocol string
	Name     string
	Key      string
	Value    any
}

// ParseSNMPPairs parses the text of /proc/net/snmp or /proc/net/netstat:
// each protocol is a header line of counter names followed by a line of as
// many values, both starting with "Proto:". Columns are matched by position.
func ParseSNMPPairs(data []byte) ([]SnmpCounter, error) {
	var counters []SnmpCounter
	lines := NewProcnetLines(data)
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
			return nil, LineErrorf(headerNum, "%s: header line without a value line", protocol)
		}
		valueProtocol, valueFields, err := snmpSplitLine(values, lines.Line())
		if err != nil {
			return nil, err
		}
		if valueProtocol != protocol {
			return nil, LineErrorf(lines.Line(), "%s: value line follows as %q", protocol, ProcnetClip([]byte(valueProtocol)))
		}
		if len(names) != len(valueFields) {
			return nil, LineErrorf(lines.Line(), "%s: %d names on line %d but %d values", protocol, len(names), headerNum, len(valueFields))
		}
		for i, name := range names {
			value, ok := snmpValue(valueFields[i])
			if !ok {
				return nil, LineErrorf(lines.Line(), "%s: value %q of %s", protocol, ProcnetClip(valueFields[i]), ProcnetClip(name))
			}
			n := string(name)
			counters = append(counters, SnmpCounter{Protocol: protocol, Name: n, Key: protocol + n, Value: value})
		}
	}
	return counters, nil
}

// snmpSplitLine splits "Proto: a b c" into the protocol and its fields.
func snmpSplitLine(line []byte, lineNum int) (string, [][]byte, error) {
	colon := bytes.IndexByte(line, ':')
	if colon < 0 {
		return "", nil, LineErrorf(lineNum, "no \"Protocol:\" prefix in %q", ProcnetClip(line))
	}
	protocol := bytes.TrimSpace(line[:colon])
	if len(protocol) == 0 || bytes.ContainsAny(protocol, " \t") {
		return "", nil, LineErrorf(lineNum, "protocol %q", ProcnetClip(line[:colon]))
	}
	return string(protocol), bytes.Fields(line[colon+1:]), nil
}

// ParseSNMPSingle parses "Name value" lines (/proc/net/snmp6,
// /proc/net/sctp/snmp); split cuts a name into protocol and counter.
func ParseSNMPSingle(data []byte, split func(key string) (protocol, name string)) ([]SnmpCounter, error) {
	var counters []SnmpCounter
	for num, fields := range ProcnetFieldLines(data) {
		if len(fields) != 2 {
			return nil, LineErrorf(num, "%d fields, want \"name value\"", len(fields))
		}
		key := string(fields[0])
		protocol, name := split(key)
		value, ok := snmpValue(fields[1])
		if !ok {
			return nil, LineErrorf(num, "%s: value %q of %s", protocol, ProcnetClip(fields[1]), ProcnetClip(fields[0]))
		}
		counters = append(counters, SnmpCounter{Protocol: protocol, Name: name, Key: key, Value: value})
	}
	return counters, nil
}

// Snmp6Protocol cuts Ip6InReceives into Ip6 and InReceives, Icmp6OutType143
// into Icmp6 and OutType143: the protocol ends at its first 6.
func Snmp6Protocol(key string) (string, string) {
	for i := 0; i < len(key)-1; i++ {
		if key[i] == '6' {
			return key[:i+1], key[i+1:]
		}
	}
	return key, key
}

// SctpProtocol cuts SctpCurrEstab into Sctp and CurrEstab.
func SctpProtocol(key string) (string, string) {
	const prefix = "Sctp"
	if len(key) > len(prefix) && key[:len(prefix)] == prefix {
		return prefix, key[len(prefix):]
	}
	return prefix, key
}

// snmpValue parses a counter: signed (Tcp MaxConn is -1), or an unsigned
// value beyond int64, which is kept as a float64.
func snmpValue(field []byte) (any, bool) {
	if v, ok := ProcnetInt(field, 64); ok {
		return v, true
	}
	if u, ok := ProcnetDec(field, 64); ok {
		return float64(u), true
	}
	return nil, false
}
