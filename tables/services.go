package tables

// The services dataset: the port names of etc/services, the names netstat
// prints without -n. It reads the Source's etc/services (/etc/services on the
// live system, DIR/etc/services with --root); a missing file is no rows.

import (
	"bytes"
	"strings"

	"netsql/tables/engine"
	"netsql/tables/kernel"
)

// Services is every entry of etc/services.
var Services = &engine.Dataset{
	Name:    "services",
	Doc:     "one row per port name in etc/services (the names netstat shows without -n)",
	Sources: []string{"/etc/services"},
	Columns: []engine.Column{
		{Name: "name", Type: engine.Text, Doc: "official service name (ssh, https, domain, ...)"},
		{Name: "port", Type: engine.Integer, Doc: "port number"},
		{Name: "proto", Type: engine.Text, Doc: "transport protocol as the file names it: tcp, udp, sctp, ddp, ...; match sockets.proto with rtrim(sockets.proto, '6')"},
		{Name: "aliases", Type: engine.Text, Doc: "other names of the service, separated by spaces; empty when none"},
	},
	Collect: func(c *kernel.Collector) ([]engine.Row, error) {
		path := c.Source().EtcPath("services")
		data, ok, err := c.Source().ReadOptional(path)
		if err != nil || !ok {
			return nil, err
		}
		entries := parseServicesFile(data)
		rows := make([]engine.Row, len(entries))
		for i, e := range entries {
			rows[i] = engine.Row{e.Name, e.Port, e.Proto, strings.Join(e.Aliases, " ")}
		}
		return rows, nil
	},
	EstimatedRows: 350,
}

// servicesEntry is one line of etc/services: "name port/proto aliases... # comment".
type servicesEntry struct {
	Name    string
	Port    int64
	Proto   string
	Aliases []string
}

// parseServicesFile parses etc/services as the C library does: a line it
// cannot read (no port/proto, a port beyond 65535) is skipped, not an error,
// since this is a file people edit and getservbyport(3) ignores such lines too.
func parseServicesFile(data []byte) []servicesEntry {
	var entries []servicesEntry
	lines := kernel.NewProcnetLines(data)
	for {
		line, ok := lines.Next()
		if !ok {
			break
		}
		if hash := bytes.IndexByte(line, '#'); hash >= 0 {
			line = line[:hash]
		}
		fields := strings.Fields(string(line))
		if len(fields) < 2 {
			continue
		}
		portText, proto, found := strings.Cut(fields[1], "/")
		port, ok := kernel.ProcnetDec([]byte(portText), 16)
		if !found || !ok || proto == "" {
			continue
		}
		entries = append(entries, servicesEntry{Name: fields[0], Port: int64(port), Proto: proto, Aliases: fields[2:]})
	}
	return entries
}
