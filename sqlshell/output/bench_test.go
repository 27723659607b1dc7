package output

import (
	"fmt"
	"io"
	"testing"
)

// benchRows are socket-like rows: short text, addresses, numbers, a NULL
// and a command line, the shape netsql prints most.
func benchRows(n int) [][]any {
	rows := make([][]any, n)
	for i := range rows {
		rows[i] = []any{"tcp", fmt.Sprintf("10.0.%d.%d", i/256%256, i%256), int64(40000 + i%20000),
			"203.0.113.7", int64(443), "ESTABLISHED", int64(1000 + i), nil,
			fmt.Sprintf("/usr/bin/worker --id %d --config /etc/worker.conf", i)}
	}
	return rows
}

var benchColumns = []string{"proto", "local_addr", "local_port", "remote_addr", "remote_port", "state", "inode", "pid", "cmdline"}

// BenchmarkWriters measures each mode's row path on 10,000 rows.
func BenchmarkWriters(b *testing.B) {
	rows := benchRows(10000)
	for _, mode := range Modes {
		b.Run(mode, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				w, err := NewWriter(io.Discard, Format{Mode: mode, Headers: true})
				if err != nil {
					b.Fatal(err)
				}
				w.Begin(benchColumns)
				for _, r := range rows {
					if err := w.Row(r); err != nil {
						b.Fatal(err)
					}
				}
				if err := w.End(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
