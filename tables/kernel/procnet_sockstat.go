package kernel

import "bytes"

// /proc/net/sockstat and sockstat6: socket-usage counters.

// sockstatCounter is one name/value pair of a sockstat line.
type sockstatCounter struct {
	Protocol string
	Name     string
	Value    int64
}

// ParseSockstat parses the text of /proc/net/sockstat or sockstat6.
func ParseSockstat(data []byte) ([]sockstatCounter, error) {
	var counters []sockstatCounter
	lines := NewProcnetLines(data)
	for {
		line, ok := lines.Next()
		if !ok {
			break
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		protocol, fields, err := snmpSplitLine(line, lines.Line())
		if err != nil {
			return nil, err
		}
		if len(fields)%2 != 0 {
			return nil, LineErrorf(lines.Line(), "%s: %d fields, want name value pairs", protocol, len(fields))
		}
		for i := 0; i < len(fields); i += 2 {
			value, ok := ProcnetInt(fields[i+1], 64)
			if !ok {
				return nil, LineErrorf(lines.Line(), "%s: value %q of %s", protocol, ProcnetClip(fields[i+1]), ProcnetClip(fields[i]))
			}
			counters = append(counters, sockstatCounter{Protocol: protocol, Name: string(fields[i]), Value: value})
		}
	}
	return counters, nil
}
