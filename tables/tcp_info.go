package tables

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"unsafe"

	"netsql/tables/engine"
	"netsql/tables/kernel"

	"golang.org/x/sys/unix"
)

// tcpInfoColumns declares the columns of TCPInfo; the positions below are
// looked up by name in it.
var tcpInfoColumns = []engine.Column{
	{Name: "inode", Type: engine.Integer, Doc: "socket inode; joins sockets.inode (0 for an orphaned socket: join on cookie)"},
	{Name: "cookie", Type: engine.Integer, Doc: "the kernel's socket cookie; joins sockets.cookie"},
	{Name: "proto", Type: engine.Text, Doc: "tcp or tcp6"},
	{Name: "state", Type: engine.Text, Doc: "TCP state, as sockets.state names it"},
	{Name: "rtt_us", Type: engine.Integer, Doc: "smoothed round-trip time in microseconds"},
	{Name: "rttvar_us", Type: engine.Integer, Doc: "round-trip time variation in microseconds"},
	{Name: "min_rtt_us", Type: engine.Integer, Doc: "lowest round-trip time seen recently, in microseconds"},
	{Name: "rto_us", Type: engine.Integer, Doc: "retransmission timeout in microseconds"},
	{Name: "ato_us", Type: engine.Integer, Doc: "delayed-ack timeout in microseconds"},
	{Name: "cwnd", Type: engine.Integer, Doc: "congestion window in segments"},
	{Name: "ssthresh", Type: engine.Integer, Doc: "slow-start threshold in segments; NULL while still in initial slow start"},
	{Name: "mss", Type: engine.Integer, Doc: "sending maximum segment size in bytes"},
	{Name: "rcv_mss", Type: engine.Integer, Doc: "receiving maximum segment size estimate in bytes"},
	{Name: "advmss", Type: engine.Integer, Doc: "maximum segment size advertised to the peer in bytes"},
	{Name: "pmtu", Type: engine.Integer, Doc: "path MTU in bytes"},
	{Name: "retrans", Type: engine.Integer, Doc: "segments retransmitted and not yet acknowledged"},
	{Name: "total_retrans", Type: engine.Integer, Doc: "segments retransmitted over the connection's life"},
	{Name: "lost", Type: engine.Integer, Doc: "segments presumed lost"},
	{Name: "unacked", Type: engine.Integer, Doc: "segments sent and not yet acknowledged (a listener: its accept queue)"},
	{Name: "sacked", Type: engine.Integer, Doc: "segments selectively acknowledged (a listener: its backlog)"},
	{Name: "reordering", Type: engine.Integer, Doc: "reordering degree the sender tolerates, in segments"},
	{Name: "bytes_sent", Type: engine.Integer, Doc: "bytes sent, retransmissions included"},
	{Name: "bytes_acked", Type: engine.Integer, Doc: "bytes acknowledged by the peer"},
	{Name: "bytes_received", Type: engine.Integer, Doc: "bytes received and acknowledged"},
	{Name: "bytes_retrans", Type: engine.Integer, Doc: "bytes retransmitted"},
	{Name: "segs_out", Type: engine.Integer, Doc: "segments sent"},
	{Name: "segs_in", Type: engine.Integer, Doc: "segments received"},
	{Name: "data_segs_out", Type: engine.Integer, Doc: "segments with data sent"},
	{Name: "data_segs_in", Type: engine.Integer, Doc: "segments with data received"},
	{Name: "delivered", Type: engine.Integer, Doc: "segments delivered to the peer, retransmissions included"},
	{Name: "delivery_rate", Type: engine.Integer, Doc: "most recent delivery rate in bytes per second"},
	{Name: "delivery_rate_app_limited", Type: engine.Integer, Doc: "1 when the delivery rate was limited by the application, not the network"},
	{Name: "pacing_rate", Type: engine.Integer, Doc: "pacing rate in bytes per second"},
	{Name: "notsent_bytes", Type: engine.Integer, Doc: "bytes queued by the application and not yet sent"},
	{Name: "snd_wnd", Type: engine.Integer, Doc: "send window the peer advertised, in bytes"},
	{Name: "rcv_wnd", Type: engine.Integer, Doc: "receive window advertised to the peer, in bytes; NULL before Linux 6.2"},
	{Name: "rcv_space", Type: engine.Integer, Doc: "receive buffer space the autotuning aims at, in bytes"},
	{Name: "rcv_rtt_us", Type: engine.Integer, Doc: "round-trip time estimated by the receiver, in microseconds"},
	{Name: "last_send_ms", Type: engine.Integer, Doc: "milliseconds since data was last sent"},
	{Name: "last_recv_ms", Type: engine.Integer, Doc: "milliseconds since data was last received"},
	{Name: "last_ack_ms", Type: engine.Integer, Doc: "milliseconds since an acknowledgement was last received"},
	{Name: "busy_time_us", Type: engine.Integer, Doc: "microseconds with data in flight"},
	{Name: "rwnd_limited_us", Type: engine.Integer, Doc: "microseconds limited by the peer's receive window"},
	{Name: "sndbuf_limited_us", Type: engine.Integer, Doc: "microseconds limited by the send buffer"},
	{Name: "options", Type: engine.Text, Doc: "TCP options in use, as ss -i prints them: ts sack wscale ecn ecnseen fastopen"},
	{Name: "snd_wscale", Type: engine.Integer, Doc: "window scale the peer uses for its window (when wscale is on)"},
	{Name: "rcv_wscale", Type: engine.Integer, Doc: "window scale this side uses for its window (when wscale is on)"},
	{Name: "congestion", Type: engine.Text, Doc: "congestion control algorithm (cubic, bbr, reno, ...)"},
	netnsColumn(),
}

// TCPInfo is the kernel's struct tcp_info of every TCP socket of the
// statement's network namespaces, what `ss -ti` prints: round-trip times, congestion
// window, retransmissions, byte and segment counters, rates. It asks
// inet_diag for tcp and tcp6 sockets with INET_DIAG_INFO and
// INET_DIAG_CONG, a dump of its own, made only when a statement reads this
// table. /proc has no tcp_info, so a --root tree gives no rows. Join it to
// sockets on inode (or cookie, which orphaned sockets keep).
var TCPInfo = &engine.Dataset{
	Name:    "tcp_info",
	Doc:     "one row per TCP socket with the kernel's tcp_info: rtt, cwnd, retransmissions, bytes, rates (ss -ti)",
	Sources: []string{"netlink inet_diag INET_DIAG_INFO and INET_DIAG_CONG (live only; no rows from a --root tree)"},
	Columns: tcpInfoColumns,
	Collect: netnsCollect(tiNetns, collectTCPInfo),
	Keys:    []engine.Key{netnsKey},
	Narrow:  netnsNarrow(tiNetns, collectTCPInfo),
	// Rows go to kernel.Sink as the dump is decoded (collectTCPInfo).
	Streams:       true,
	EstimatedRows: 1000,
	Diff: engine.DiffSpec{
		Key:      []string{"cookie", "proto"},
		Identity: []string{"inode"},
		Counters: []string{"total_retrans", "bytes_sent", "bytes_acked", "bytes_received", "bytes_retrans", "segs_out", "segs_in",
			"data_segs_out", "data_segs_in", "delivered", "busy_time_us", "rwnd_limited_us", "sndbuf_limited_us"},
		Volatile: []string{"rtt_us", "rttvar_us", "min_rtt_us", "rto_us", "ato_us", "cwnd", "ssthresh", "retrans", "lost", "unacked",
			"sacked", "reordering", "delivery_rate", "delivery_rate_app_limited", "pacing_rate", "notsent_bytes", "snd_wnd", "rcv_wnd",
			"rcv_space", "rcv_rtt_us", "last_send_ms", "last_recv_ms", "last_ack_ms", "pmtu", "rcv_mss"},
	},
}

// Positions of the first tcp_info columns; the rest follow tcpInfoFields.
// Positions of TCPInfo's columns, by name: a column moved in the list moves
// its position with it.
var (
	tiInode      = columnIndex(tcpInfoColumns, "inode")
	tiCookie     = columnIndex(tcpInfoColumns, "cookie")
	tiProto      = columnIndex(tcpInfoColumns, "proto")
	tiState      = columnIndex(tcpInfoColumns, "state")
	tiFirstField = columnIndex(tcpInfoColumns, "rtt_us")
)

// tcpInfoField reads one field of struct tcp_info for one column. Offsets
// come from x/sys/unix's copy of the uapi struct; a kernel older than a
// field sends a shorter struct, and the column is NULL.
type tcpInfoField struct {
	column string
	off    uintptr
	size   uintptr // 1 (a flag bit), 4 or 8
}

var tcpi unix.TCPInfo

// tcpInfoFields lists the fields read, in column order from rtt_us.
var tcpInfoFields = []tcpInfoField{
	{"rtt_us", unsafe.Offsetof(tcpi.Rtt), 4},
	{"rttvar_us", unsafe.Offsetof(tcpi.Rttvar), 4},
	{"min_rtt_us", unsafe.Offsetof(tcpi.Min_rtt), 4},
	{"rto_us", unsafe.Offsetof(tcpi.Rto), 4},
	{"ato_us", unsafe.Offsetof(tcpi.Ato), 4},
	{"cwnd", unsafe.Offsetof(tcpi.Snd_cwnd), 4},
	{"ssthresh", unsafe.Offsetof(tcpi.Snd_ssthresh), 4},
	{"mss", unsafe.Offsetof(tcpi.Snd_mss), 4},
	{"rcv_mss", unsafe.Offsetof(tcpi.Rcv_mss), 4},
	{"advmss", unsafe.Offsetof(tcpi.Advmss), 4},
	{"pmtu", unsafe.Offsetof(tcpi.Pmtu), 4},
	{"retrans", unsafe.Offsetof(tcpi.Retrans), 4},
	{"total_retrans", unsafe.Offsetof(tcpi.Total_retrans), 4},
	{"lost", unsafe.Offsetof(tcpi.Lost), 4},
	{"unacked", unsafe.Offsetof(tcpi.Unacked), 4},
	{"sacked", unsafe.Offsetof(tcpi.Sacked), 4},
	{"reordering", unsafe.Offsetof(tcpi.Reordering), 4},
	{"bytes_sent", unsafe.Offsetof(tcpi.Bytes_sent), 8},
	{"bytes_acked", unsafe.Offsetof(tcpi.Bytes_acked), 8},
	{"bytes_received", unsafe.Offsetof(tcpi.Bytes_received), 8},
	{"bytes_retrans", unsafe.Offsetof(tcpi.Bytes_retrans), 8},
	{"segs_out", unsafe.Offsetof(tcpi.Segs_out), 4},
	{"segs_in", unsafe.Offsetof(tcpi.Segs_in), 4},
	{"data_segs_out", unsafe.Offsetof(tcpi.Data_segs_out), 4},
	{"data_segs_in", unsafe.Offsetof(tcpi.Data_segs_in), 4},
	{"delivered", unsafe.Offsetof(tcpi.Delivered), 4},
	{"delivery_rate", unsafe.Offsetof(tcpi.Delivery_rate), 8},
	{"delivery_rate_app_limited", tcpInfoFlagsOff, 1},
	{"pacing_rate", unsafe.Offsetof(tcpi.Pacing_rate), 8},
	{"notsent_bytes", unsafe.Offsetof(tcpi.Notsent_bytes), 4},
	{"snd_wnd", unsafe.Offsetof(tcpi.Snd_wnd), 4},
	{"rcv_wnd", unsafe.Offsetof(tcpi.Rcv_wnd), 4},
	{"rcv_space", unsafe.Offsetof(tcpi.Rcv_space), 4},
	{"rcv_rtt_us", unsafe.Offsetof(tcpi.Rcv_rtt), 4},
	{"last_send_ms", unsafe.Offsetof(tcpi.Last_data_sent), 4},
	{"last_recv_ms", unsafe.Offsetof(tcpi.Last_data_recv), 4},
	{"last_ack_ms", unsafe.Offsetof(tcpi.Last_ack_recv), 4},
	{"busy_time_us", unsafe.Offsetof(tcpi.Busy_time), 8},
	{"rwnd_limited_us", unsafe.Offsetof(tcpi.Rwnd_limited), 8},
	{"sndbuf_limited_us", unsafe.Offsetof(tcpi.Sndbuf_limited), 8},
}

// The bytes x/sys/unix leaves unnamed: after tcpi_options come the window
// scales (two 4-bit fields, the sender's low) and a byte whose lowest bit
// is tcpi_delivery_rate_app_limited.
const (
	tcpInfoWscaleOff = 6
	tcpInfoFlagsOff  = 7
)

// tcpInfiniteSsthresh is TCP_INFINITE_SSTHRESH: no threshold set yet.
const tcpInfiniteSsthresh = 0x7fffffff

// tcpOptionNames are the tcpi_options bits, as ss -i names them.
var tcpOptionNames = []struct {
	bit  uint8
	name string
}{{0x1, "ts"}, {0x2, "sack"}, {0x4, "wscale"}, {0x8, "ecn"}, {0x10, "ecnseen"}, {0x20, "fastopen"}}

// tiColumns counts the columns: the identity, the fields, then options,
// the two window scales, the congestion algorithm and the namespace.
var tiColumns = tiFirstField + len(tcpInfoFields) + 5

// tiNetns is the position of TCPInfo's netns column, the last.
const tiNetns = 48

// collectTCPInfo dumps the tcp and tcp6 sockets with their tcp_info.
func collectTCPInfo(c *kernel.Collector) ([]engine.Row, error) {
	if !c.Source().Live {
		return nil, nil // /proc has no tcp_info
	}
	if c.Source().RefuseDiag {
		c.Notice("netlink sock_diag refused: tcp_info has no rows")
		return nil, nil
	}
	d, err := kernel.OpenDiag()
	if err != nil {
		c.Notice(fmt.Sprintf("%v: tcp_info has no rows", err))
		return nil, nil
	}
	defer d.Close()
	b := &tcpInfoBuilder{alloc: rowAlloc{cols: tiColumns}, cong: map[string]any{}, options: map[uint8]any{}}
	// Rows handed to a streaming read are final: their netns is set here,
	// as acrossNetns would set it after.
	out := newRowHandOver(c)
	netns := kernel.SelfNetns(c)
	// Room for every TCP socket the kernel counts (sockstatCounts), as
	// collectSockets makes: the list is not regrown through the read.
	counts := sockstatCounts(c)
	rows := make([]engine.Row, 0, min(counts["TCP inuse"]+counts["TCP6 inuse"], 1<<22))
	// TIME_WAIT and request sockets carry no tcp_info: not asked for.
	states := uint32(tcpAllStates &^ (1<<6 | 1<<3 | 1<<12))
	const ext = kernel.InetDiagExtInfo | kernel.InetDiagExtCong
	// Both families in one walk of the kernel's socket hash; a kernel
	// that refuses the older request is asked family by family.
	tcp4, tcp6 := protoByName("tcp"), protoByName("tcp6")
	err = d.DumpType(kernel.TCPDiagGetSock, kernel.TCPBothFamiliesRequest(nil, ext, states), func(payload []byte) error {
		if m := kernel.InetDiagMsg(payload); m.Valid() {
			p := tcp4
			if m.Family() == unix.AF_INET6 {
				p = tcp6
			}
			if r := b.row(p, m); r != nil {
				r[tiNetns] = netns
				rows = append(rows, r)
				out.handOver(rows, streamBatch)
			}
		}
		return nil
	})
	if err == nil {
		out.handOver(rows, 1)
		if on := c.Source().OnDiag; on != nil {
			on(kernel.DiagDump{Family: unix.AF_UNSPEC, Protocol: unix.IPPROTO_TCP, States: states, Ext: ext, Rows: len(rows)})
		}
		return rows, nil
	}
	if rows, err = out.dumpFailed(rows, 0, err); !errors.Is(err, kernel.ErrRefused) {
		return nil, err
	}
	rows = rows[:0]
	for _, proto := range []string{"tcp", "tcp6"} {
		p := protoByName(proto)
		req := kernel.InetDiagRequest(nil, p.afamily, p.protocol, kernel.InetDiagExtInfo|kernel.InetDiagExtCong, states)
		before := len(rows)
		err := d.Dump(req, func(payload []byte) error {
			if m := kernel.InetDiagMsg(payload); m.Valid() {
				if r := b.row(p, m); r != nil {
					rows = append(rows, r)
				}
			}
			return nil
		})
		if errors.Is(err, kernel.ErrRefused) {
			c.Notice(fmt.Sprintf("%v: tcp_info has no %s rows", err, proto))
			continue
		}
		if err != nil {
			return nil, err
		}
		if on := c.Source().OnDiag; on != nil {
			on(kernel.DiagDump{Family: p.afamily, Protocol: p.protocol, States: states, Ext: kernel.InetDiagExtInfo | kernel.InetDiagExtCong, Rows: len(rows) - before})
		}
	}
	return rows, nil
}

// tcpInfoBuilder decodes replies into tcp_info rows, boxing the repeated
// words once.
type tcpInfoBuilder struct {
	alloc   rowAlloc
	cong    map[string]any
	options map[uint8]any
	boxes   [1024]boxed // integers boxed lately, by a hash of the value
}

// boxed is an integer and the interface value that holds it.
type boxed struct {
	v   int64
	box any
}

// box returns v as an interface value, reusing the one made for the same
// value lately: many tcp_info fields repeat across sockets (mss, pmtu,
// rto, windows), and each integer boxed from 256 up is an allocation.
func (b *tcpInfoBuilder) box(v int64) any {
	if v >= 0 && v < 256 {
		return v // Go boxes these without allocating
	}
	slot := &b.boxes[uint64(v)*0x9e3779b97f4a7c15>>54]
	if slot.box == nil || slot.v != v {
		slot.v, slot.box = v, v
	}
	return slot.box
}

// row decodes one reply; nil when it carries no tcp_info.
func (b *tcpInfoBuilder) row(p *protoFile, m kernel.InetDiagMsg) engine.Row {
	var info, cong []byte
	kernel.DiagAttrs(m.Attrs(), func(typ uint16, v []byte) {
		switch typ {
		case kernel.InetDiagAttrInfo:
			info = v
		case kernel.InetDiagAttrCong:
			cong = v
		}
	})
	if len(info) < tcpInfoFlagsOff+1 {
		return nil
	}
	r := b.alloc.next()
	r[tiInode] = int64(m.Inode())
	r[tiCookie] = int64(m.Cookie())
	r[tiProto] = p.boxed[0]
	st := m.State()
	switch {
	case st == kernelClose:
		r[tiState] = boxedBoundInact
	case int(st) < len(boxedTCPStates) && boxedTCPStates[st] != nil:
		r[tiState] = boxedTCPStates[st]
	default:
		r[tiState] = hexCode(st)
	}
	for i, f := range tcpInfoFields {
		if uintptr(len(info)) < f.off+f.size {
			continue
		}
		var v int64
		switch f.size {
		case 1:
			v = int64(info[f.off] & 1)
		case 4:
			v = int64(binary.NativeEndian.Uint32(info[f.off:]))
		case 8:
			v = int64(binary.NativeEndian.Uint64(info[f.off:]))
		}
		if f.column == "ssthresh" && v >= tcpInfiniteSsthresh {
			continue
		}
		r[tiFirstField+i] = b.box(v)
	}
	opts := info[unsafe.Offsetof(tcpi.Options)]
	r[tiFirstField+len(tcpInfoFields)] = b.optionText(opts)
	if opts&0x4 != 0 {
		r[tiFirstField+len(tcpInfoFields)+1] = int64(info[tcpInfoWscaleOff] & 0xf)
		r[tiFirstField+len(tcpInfoFields)+2] = int64(info[tcpInfoWscaleOff] >> 4)
	}
	if len(cong) > 0 {
		name := strings.TrimRight(string(cong), "\x00")
		v, ok := b.cong[name]
		if !ok {
			v = name
			b.cong[name] = v
		}
		r[tiFirstField+len(tcpInfoFields)+3] = v
	}
	return r
}

func (b *tcpInfoBuilder) optionText(opts uint8) any {
	if v, ok := b.options[opts]; ok {
		return v
	}
	var words []string
	for _, o := range tcpOptionNames {
		if opts&o.bit != 0 {
			words = append(words, o.name)
		}
	}
	v := any(strings.Join(words, " "))
	b.options[opts] = v
	return v
}
