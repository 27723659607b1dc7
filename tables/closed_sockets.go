package tables

import (
	"fmt"
	"time"

	"golang.org/x/sys/unix"

	"netsql/tables/engine"
	"netsql/tables/kernel"
)

// closedSocketColumns declares the columns of ClosedSockets.
var closedSocketColumns = []engine.Column{
	{Name: "closed_at", Type: engine.Text, Doc: "when netsql heard of the socket's end, UTC, RFC 3339 with nanoseconds"},
	{Name: "proto", Type: engine.Text, Doc: "tcp, tcp6, udp or udp6"},
	{Name: "local_addr", Type: engine.Text, Doc: "local address, as in sockets"},
	{Name: "local_port", Type: engine.Integer, Doc: "local port"},
	{Name: "remote_addr", Type: engine.Text, Doc: "remote address; 0.0.0.0 or :: when unconnected"},
	{Name: "remote_port", Type: engine.Integer, Doc: "remote port"},
	{Name: "state", Type: engine.Text, Doc: "the state the kernel gave the socket at its end (CLOSE for most)"},
	{Name: "uid", Type: engine.Integer, Doc: "owner uid"},
	{Name: "user", Type: engine.Text, Doc: "name of uid from etc/passwd"},
	{Name: "inode", Type: engine.Integer, Doc: "the socket's inode: joins an earlier moment's sockets.inode (prev, baseline)"},
	{Name: "cookie", Type: engine.Integer, Doc: "the socket's cookie"},
	{Name: "rtt_us", Type: engine.Integer, Doc: "last smoothed round-trip time in microseconds; NULL for udp"},
	{Name: "bytes_sent", Type: engine.Integer, Doc: "bytes sent over the connection's life, retransmissions included; NULL for udp"},
	{Name: "bytes_received", Type: engine.Integer, Doc: "bytes received over the connection's life; NULL for udp"},
	{Name: "segs_out", Type: engine.Integer, Doc: "segments sent; NULL for udp"},
	{Name: "segs_in", Type: engine.Integer, Doc: "segments received; NULL for udp"},
	{Name: "total_retrans", Type: engine.Integer, Doc: "segments retransmitted over the connection's life; NULL for udp"},
}

// Positions of ClosedSockets's columns.
var (
	csClosedAt      = columnIndex(closedSocketColumns, "closed_at")
	csProto         = columnIndex(closedSocketColumns, "proto")
	csLocalAddr     = columnIndex(closedSocketColumns, "local_addr")
	csLocalPort     = columnIndex(closedSocketColumns, "local_port")
	csRemoteAddr    = columnIndex(closedSocketColumns, "remote_addr")
	csRemotePort    = columnIndex(closedSocketColumns, "remote_port")
	csState         = columnIndex(closedSocketColumns, "state")
	csUID           = columnIndex(closedSocketColumns, "uid")
	csUser          = columnIndex(closedSocketColumns, "user")
	csInode         = columnIndex(closedSocketColumns, "inode")
	csCookie        = columnIndex(closedSocketColumns, "cookie")
	csFirstCounter  = columnIndex(closedSocketColumns, "rtt_us")
	closedCounters  = []string{"rtt_us", "bytes_sent", "bytes_received", "segs_out", "segs_in", "total_retrans"}
	closedCountersT = func() []int {
		idx := make([]int, len(closedCounters))
		for i, name := range closedCounters {
			idx[i] = tiFirstField + fieldIndex(name)
		}
		return idx
	}()
)

// fieldIndex is the position of a tcp_info field among tcpInfoFields.
func fieldIndex(name string) int {
	for i, f := range tcpInfoFields {
		if f.column == name {
			return i
		}
	}
	panic("tcp_info has no field " + name)
}

// ClosedSockets is the TCP and UDP sockets the kernel destroyed since the
// previous run of a watched statement (--watch), heard from the kernel's
// destroy notifications as `ss -E` hears them: the short-lived
// connections a moment misses. It exists in watch mode only, reading
// from w; w is nil when the kernel refused the subscription (not root),
// and the table is then empty, with a warning.
func ClosedSockets(w *kernel.DestroyWatch, refused error) *engine.Dataset {
	return &engine.Dataset{
		Name:    "closed_sockets",
		Doc:     "TCP and UDP sockets closed since the previous run, with their last counters (--watch only; ss -E)",
		Sources: []string{"netlink sock_diag destroy notifications (the multicast groups ss -E joins; root)"},
		Columns: closedSocketColumns,
		Collect: func(c *kernel.Collector) ([]engine.Row, error) {
			if w == nil {
				c.Notice(fmt.Sprintf("closed_sockets is empty: %v (it needs root: CAP_NET_ADMIN)", refused))
				return nil, nil
			}
			got, lost := w.Drain()
			if lost > 0 {
				c.Notice(fmt.Sprintf("closed_sockets: %d notifications lost (the kernel's queue or netsql's bound of them overflowed)", lost))
			}
			return closedRows(c, got), nil
		},
		EstimatedRows: 100,
		Diff:          engine.DiffSpec{Key: []string{"cookie", "proto"}, Identity: []string{"inode"}},
	}
}

// closedRows decodes destroy notifications with the sockets and tcp_info
// row builders.
func closedRows(c *kernel.Collector, got []kernel.Destroyed) []engine.Row {
	sb := newSocketRowBuilder(c)
	tb := &tcpInfoBuilder{alloc: rowAlloc{cols: tiColumns}, cong: map[string]any{}, options: map[uint8]any{}}
	rows := make([]engine.Row, 0, len(got))
	for _, d := range got {
		name := map[[2]uint8]string{{unix.AF_INET, unix.IPPROTO_TCP}: "tcp", {unix.AF_INET6, unix.IPPROTO_TCP}: "tcp6",
			{unix.AF_INET, unix.IPPROTO_UDP}: "udp", {unix.AF_INET6, unix.IPPROTO_UDP}: "udp6"}[[2]uint8{d.Family, d.Protocol}]
		p := protoByName(name)
		m := kernel.InetDiagMsg(d.Msg)
		if p == nil || !m.Valid() {
			continue
		}
		s := sb.inetRow(p, m)
		r := make(engine.Row, len(closedSocketColumns))
		r[csClosedAt] = d.At.UTC().Format(time.RFC3339Nano)
		r[csProto], r[csLocalAddr], r[csLocalPort] = s[sockProtoCol], s[sockLocalAddr], s[sockLocalPort]
		r[csRemoteAddr], r[csRemotePort], r[csState] = s[sockRemoteAddr], s[sockRemotePort], s[sockState]
		if d.Protocol == unix.IPPROTO_TCP && m.State() == kernelClose {
			r[csState] = "CLOSE" // a destroyed socket's end, not a bound one
		}
		r[csUID], r[csUser], r[csInode], r[csCookie] = s[sockUID], s[sockUser], s[sockInode], s[sockCookie]
		if d.Protocol == unix.IPPROTO_TCP {
			if t := tb.row(p, m); t != nil {
				for i, col := range closedCountersT {
					r[csFirstCounter+i] = t[col]
				}
			}
		}
		rows = append(rows, r)
	}
	return rows
}
