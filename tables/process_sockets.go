package tables

import (
	"netsql/tables/engine"
	"netsql/tables/kernel"
)

// ProcessSockets is every (process, file descriptor) that holds a socket,
// what `netstat -p`, `ss -p` and `lsof -i` are built on. It reads the
// links of /proc/PID/fd/* (socket:[INODE]) and /proc/PID/ns/net. Every owner
// of a shared socket appears.
var ProcessSockets = &engine.Dataset{
	Name:    "process_sockets",
	Doc:     "one row per (process, file descriptor) holding a socket (ss -p, lsof -i)",
	Sources: []string{"/proc/PID/fd/*", "/proc/PID/ns/net"},
	Columns: []engine.Column{
		{Name: "pid", Type: engine.Integer, Doc: "process id"},
		{Name: "fd", Type: engine.Integer, Doc: "file descriptor number"},
		{Name: "inode", Type: engine.Integer, Doc: "socket inode; joins sockets.inode"},
		{Name: "netns", Type: engine.Integer, Doc: "inode of the process's network namespace; a socket made before a setns may live in another"},
	},
	Collect: func(c *kernel.Collector) ([]engine.Row, error) {
		o, err := owners(c)
		if err != nil {
			return nil, err
		}
		return o.rows(c), nil
	},
	Keys: []engine.Key{{Column: "pid", Stable: true, Collect: func(c *kernel.Collector, v any) ([]engine.Row, error) {
		o, err := ownersOf(c, v.(int64))
		if err != nil {
			return nil, err
		}
		return o.rows(c), nil
	}}},
	EstimatedRows: 1000,
}

func (o *socketOwners) rows(c *kernel.Collector) []engine.Row {
	rows := make([]engine.Row, len(o.fds))
	for i, f := range o.fds {
		rows[i] = engine.Row{f.pid, f.fd, f.inode, pidNetns(c, f.pid)}
	}
	return rows
}
