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
		o, err := kernel.Owners(c)
		if err != nil {
			return nil, err
		}
		return ownerRows(c, o), nil
	},
	Keys: []engine.Key{{Column: "pid", Stable: true, Collect: func(c *kernel.Collector, v any) ([]engine.Row, error) {
		o, err := kernel.OwnersOf(c, v.(int64))
		if err != nil {
			return nil, err
		}
		return ownerRows(c, o), nil
	}}},
	EstimatedRows: 1000,
	Diff:          engine.DiffSpec{Key: []string{"pid", "fd"}, Identity: []string{"inode"}},
}

// ownerRows is one row per (pid, fd) holding a socket.
func ownerRows(c *kernel.Collector, o *kernel.SocketOwners) []engine.Row {
	holders := o.Holders()
	rows := make([]engine.Row, len(holders))
	for i, h := range holders {
		rows[i] = engine.Row{h.PID, h.FD, h.Inode, kernel.PidNetns(c, h.PID)}
	}
	return rows
}
