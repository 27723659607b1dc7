package tables

// The sockstat dataset: socket-usage counters, the numbers behind `ss -s`.
// It reads /proc/net/sockstat and /proc/net/sockstat6, lines of
// "PROTO: name value name value ...".

import (
	"bytes"

	"netsql/tables/engine"
	"netsql/tables/kernel"
)

// Sockstat is every socket-usage counter of /proc/net/sockstat{,6}.
var Sockstat = &engine.Dataset{
	Name:    "sockstat",
	Doc:     "one row per socket-usage counter (ss -s)",
	Sources: []string{"/proc/net/sockstat", "/proc/net/sockstat6"},
	Columns: []engine.Column{
		{Name: "protocol", Type: engine.Text, Doc: "protocol as the file names it: sockets, TCP, UDP, UDPLITE, RAW, FRAG, TCP6, UDP6, UDPLITE6, RAW6, FRAG6"},
		{Name: "name", Type: engine.Text, Doc: "counter: inuse (sockets in use), orphan, tw (TIME_WAIT), alloc, mem (pages), memory (bytes, FRAG), used (sockets)"},
		{Name: "value", Type: engine.Integer, Doc: "value; mem is in pages, FRAG memory in bytes; TCP orphan, alloc, mem and UDP mem count every namespace, the rest this one"},
	},
	Collect:       collectSockstat,
	EstimatedRows: 20,
}

// sockstatCounter is one name/value pair of a sockstat line.
type sockstatCounter struct {
	Protocol string
	Name     string
	Value    int64
}

func collectSockstat(c *kernel.Collector) ([]engine.Row, error) {
	var rows []engine.Row
	for _, name := range []string{"sockstat", "sockstat6"} {
		path := c.Source().ProcPath("net", name)
		data, ok, err := c.Source().ReadOptional(path)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		counters, err := parseSockstat(data)
		if err != nil {
			return nil, kernel.FileError(path, err)
		}
		for _, ctr := range counters {
			rows = append(rows, engine.Row{ctr.Protocol, ctr.Name, ctr.Value})
		}
	}
	return rows, nil
}

// parseSockstat parses the text of /proc/net/sockstat or sockstat6.
func parseSockstat(data []byte) ([]sockstatCounter, error) {
	var counters []sockstatCounter
	lines := kernel.NewProcnetLines(data)
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
			return nil, kernel.LineErrorf(lines.Line(), "%s: %d fields, want name value pairs", protocol, len(fields))
		}
		for i := 0; i < len(fields); i += 2 {
			value, ok := kernel.ProcnetInt(fields[i+1], 64)
			if !ok {
				return nil, kernel.LineErrorf(lines.Line(), "%s: value %q of %s", protocol, kernel.ProcnetClip(fields[i+1]), kernel.ProcnetClip(fields[i]))
			}
			counters = append(counters, sockstatCounter{Protocol: protocol, Name: string(fields[i]), Value: value})
		}
	}
	return counters, nil
}
