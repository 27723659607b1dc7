package tables

// The sockstat dataset: socket-usage counters, the numbers behind `ss -s`.
// It reads /proc/net/sockstat and /proc/net/sockstat6, lines of
// "PROTO: name value name value ...".

import (
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
	Diff:          engine.DiffSpec{Key: []string{"protocol", "name"}},
}

func collectSockstat(c *kernel.Collector) ([]engine.Row, error) {
	var rows []engine.Row
	for _, name := range []string{"sockstat", "sockstat6"} {
		path := c.Source().ProcPath("net", name)
		data, ok, err := c.ReadOptional(path)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		counters, err := kernel.ParseSockstat(data)
		if err != nil {
			return nil, kernel.FileError(path, err)
		}
		for _, ctr := range counters {
			rows = append(rows, engine.Row{ctr.Protocol, ctr.Name, ctr.Value})
		}
	}
	return rows, nil
}
