package engine

import (
	"context"
	"database/sql"
	"fmt"
	"testing"

	"netsql/tables/kernel"
)

// BenchmarkVtabScan reads 100,000 socket-shaped rows through SQLite, the
// virtual table and database/sql, as the shell prints `netstat -tan`:
// eight columns, four of them text. The rows are built once; what is timed
// is the engine's per-row cost, without collecting.
func BenchmarkVtabScan(b *testing.B) {
	const n = 100_000
	rows := make([]Row, n)
	for i := range rows {
		rows[i] = Row{"tcp", int64(0), int64(i % 3), "127.0.0.10", int64(40000 + i%20000), "127.0.0.1", int64(8443), "ESTABLISHED"}
	}
	ds := &Dataset{
		Name: "conns", Doc: "made-up sockets", Sources: []string{"memory"},
		Columns: []Column{
			{Name: "proto", Type: Text, Doc: "proto"}, {Name: "recv_q", Type: Integer, Doc: "recv_q"},
			{Name: "send_q", Type: Integer, Doc: "send_q"}, {Name: "local_addr", Type: Text, Doc: "local address"},
			{Name: "local_port", Type: Integer, Doc: "local port"}, {Name: "remote_addr", Type: Text, Doc: "remote address"},
			{Name: "remote_port", Type: Integer, Doc: "remote port"}, {Name: "state", Type: Text, Doc: "state"},
		},
		Collect:       func(*kernel.Collector) ([]Row, error) { return rows, nil },
		EstimatedRows: n,
	}
	e, err := Open(context.Background(), kernel.RootSource(b.TempDir()), []*Dataset{ds})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { e.Close() })
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		var count int
		_, err := e.Statement(ctx, "SELECT proto, recv_q, send_q, local_addr, local_port, remote_addr, remote_port, state FROM conns", nil, func(r *sql.Rows) error {
			vals := make([]any, 8)
			ptrs := make([]any, 8)
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			for r.Next() {
				if err := r.Scan(ptrs...); err != nil {
					return err
				}
				count++
			}
			return r.Err()
		})
		if err != nil || count != n {
			b.Fatal(fmt.Sprint(count, " rows: ", err))
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/row")
}
