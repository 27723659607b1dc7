package tables

// The services dataset: the port names of etc/services, the names netstat
// prints without -n. It reads the Source's etc/services (/etc/services on the
// live system, DIR/etc/services with --root); a missing file is no rows.

import (
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
		data, ok, err := c.ReadOptional(path)
		if err != nil || !ok {
			return nil, err
		}
		entries := kernel.ParseServicesFile(data)
		rows := make([]engine.Row, len(entries))
		for i, e := range entries {
			rows[i] = engine.Row{e.Name, e.Port, e.Proto, strings.Join(e.Aliases, " ")}
		}
		return rows, nil
	},
	EstimatedRows: 350,
	Diff:          engine.DiffSpec{Key: []string{"name", "port", "proto"}},
}
