package tables

import (
	"context"
	"encoding/binary"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"

	"netsql/tables/engine"
	"netsql/tables/kernel"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

// The encoders below build kernel replies byte by byte, as the uapi headers
// lay them out, so the decoders are tested without a kernel.

func encNlmsg(typ uint16, seq uint32, payload []byte) []byte {
	b := make([]byte, kernel.NlmsgHdrLen, kernel.NlaAlign(kernel.NlmsgHdrLen+len(payload)))
	binary.NativeEndian.PutUint32(b, uint32(kernel.NlmsgHdrLen+len(payload)))
	binary.NativeEndian.PutUint16(b[4:], typ)
	binary.NativeEndian.PutUint16(b[6:], 0x2) // NLM_F_MULTI
	binary.NativeEndian.PutUint32(b[8:], seq)
	b = append(b, payload...)
	return append(b, make([]byte, kernel.NlaAlign(len(b))-len(b))...)
}

func encAttr(typ uint16, v []byte) []byte {
	b := make([]byte, kernel.NlaHdrLen, kernel.NlaAlign(kernel.NlaHdrLen+len(v)))
	binary.NativeEndian.PutUint16(b, uint16(kernel.NlaHdrLen+len(v)))
	binary.NativeEndian.PutUint16(b[2:], typ)
	b = append(b, v...)
	return append(b, make([]byte, kernel.NlaAlign(len(b))-len(b))...)
}

func u32Bytes(v uint32) []byte { return binary.NativeEndian.AppendUint32(nil, v) }

// inetMsg is the content of one struct inet_diag_msg.
type inetMsg struct {
	family, state, timer, retrans uint8
	src, dst                      netip.AddrPort
	ifindex                       uint32
	cookie                        uint64
	expires, rq, wq, uid, inode   uint32
	attrs                         [][]byte
}

func (m inetMsg) encode() []byte {
	b := make([]byte, kernel.InetDiagMsgLen)
	b[0], b[1], b[2], b[3] = m.family, m.state, m.timer, m.retrans
	binary.BigEndian.PutUint16(b[4:], m.src.Port())
	binary.BigEndian.PutUint16(b[6:], m.dst.Port())
	put := func(off int, a netip.Addr) {
		if a.Is4() {
			v4 := a.As4()
			copy(b[off:], v4[:])
		} else {
			v6 := a.As16()
			copy(b[off:], v6[:])
		}
	}
	put(8, m.src.Addr())
	put(24, m.dst.Addr())
	binary.NativeEndian.PutUint32(b[40:], m.ifindex)
	binary.NativeEndian.PutUint32(b[44:], uint32(m.cookie))
	binary.NativeEndian.PutUint32(b[48:], uint32(m.cookie>>32))
	for i, v := range []uint32{m.expires, m.rq, m.wq, m.uid, m.inode} {
		binary.NativeEndian.PutUint32(b[52+4*i:], v)
	}
	for _, a := range m.attrs {
		b = append(b, a...)
	}
	return b
}

func testBuilder(t testing.TB) *socketRowBuilder {
	t.Helper()
	src := kernel.RootSource(fixtureRoot(t, nil))
	return newSocketRowBuilder(kernel.NewCollector(context.Background(), src))
}

// pick returns the named columns of a sockets row.
func pick(r engine.Row, names ...string) []any {
	out := make([]any, len(names))
	for i, n := range names {
		out[i] = r[Sockets.ColumnIndex(n)]
	}
	return out
}

func TestInetDiagRows(t *testing.T) {
	b := testBuilder(t)
	tcp, tcp6, udp := protoByName("tcp"), protoByName("tcp6"), protoByName("udp")
	cols := []string{"proto", "family", "type", "local_addr", "local_port", "remote_addr", "remote_port", "state",
		"recv_q", "send_q", "backlog", "uid", "user", "inode", "netns", "timer", "timer_ms", "retransmits",
		"cookie", "interface", "fwmark", "v6only", "path", "peer_inode"}
	N := any(nil)
	ns := int64(4026531840)
	cases := []struct {
		name string
		p    *protoFile
		msg  inetMsg
		want []any
	}{
		{"tcp listener with a mark", tcp, inetMsg{family: unix.AF_INET, state: 10, src: netip.MustParseAddrPort("127.0.0.1:8080"),
			dst: netip.MustParseAddrPort("0.0.0.0:0"), cookie: 0x1_0000_0002, rq: 3, wq: 128, uid: 1000, inode: 1002,
			attrs: [][]byte{encAttr(8, []byte{0}), encAttr(kernel.InetDiagAttrMark, u32Bytes(0x2a))}},
			[]any{"tcp", "inet", "stream", "127.0.0.1", int64(8080), "0.0.0.0", int64(0), "LISTEN",
				int64(3), int64(128), int64(128), int64(1000), "alice", int64(1002), ns, "off", int64(0), int64(0),
				int64(0x1_0000_0002), N, int64(0x2a), N, N, N}},
		{"tcp6 established, keepalive, v4-mapped", tcp6, inetMsg{family: unix.AF_INET6, state: 1, timer: 2, retrans: 1,
			src: netip.MustParseAddrPort("[::ffff:127.0.0.1]:8080"), dst: netip.MustParseAddrPort("[::ffff:127.0.0.1]:40004"),
			expires: 74990, rq: 0, wq: 36, uid: 0, inode: 1008, cookie: 7},
			[]any{"tcp6", "inet6", "stream", "::ffff:127.0.0.1", int64(8080), "::ffff:127.0.0.1", int64(40004), "ESTABLISHED",
				int64(0), int64(36), N, int64(0), "root", int64(1008), ns, "keepalive", int64(74990), int64(1),
				int64(7), N, N, N, N, N}},
		{"tcp6 listener takes IPv6 only", tcp6, inetMsg{family: unix.AF_INET6, state: 10, src: netip.MustParseAddrPort("[::]:80"),
			dst: netip.MustParseAddrPort("[::]:0"), wq: 511, uid: 33, inode: 1004, attrs: [][]byte{encAttr(kernel.InetDiagAttrV6only, []byte{1})}},
			[]any{"tcp6", "inet6", "stream", "::", int64(80), "::", int64(0), "LISTEN",
				int64(0), int64(511), int64(511), int64(33), "www-data", int64(1004), ns, "off", int64(0), int64(0),
				int64(0), N, N, int64(1), N, N}},
		{"tcp bound but inactive (reported as CLOSE)", tcp, inetMsg{family: unix.AF_INET, state: 7,
			src: netip.MustParseAddrPort("127.0.0.1:7000"), dst: netip.MustParseAddrPort("0.0.0.0:0"), inode: 55},
			[]any{"tcp", "inet", "stream", "127.0.0.1", int64(7000), "0.0.0.0", int64(0), "BOUND_INACTIVE",
				int64(0), int64(0), N, int64(0), "root", int64(55), ns, "off", int64(0), int64(0),
				int64(0), N, N, N, N, N}},
		{"tcp time-wait", tcp, inetMsg{family: unix.AF_INET, state: 6, timer: 3, expires: 59000,
			src: netip.MustParseAddrPort("127.0.0.1:40000"), dst: netip.MustParseAddrPort("127.0.0.1:8080"), cookie: 99},
			[]any{"tcp", "inet", "stream", "127.0.0.1", int64(40000), "127.0.0.1", int64(8080), "TIME_WAIT",
				int64(0), int64(0), N, int64(0), "root", int64(0), ns, "timewait", int64(59000), int64(0),
				int64(99), N, N, N, N, N}},
		{"udp unconnected, bound to lo, unknown uid", udp, inetMsg{family: unix.AF_INET, state: 7, ifindex: 1,
			src: netip.MustParseAddrPort("0.0.0.0:68"), dst: netip.MustParseAddrPort("0.0.0.0:0"), uid: 4242, inode: 1005},
			[]any{"udp", "inet", "dgram", "0.0.0.0", int64(68), "0.0.0.0", int64(0), "UNCONN",
				int64(0), int64(0), N, int64(4242), N, int64(1005), ns, "off", int64(0), int64(0),
				int64(0), interfaceName(b.c, 1), N, N, N, N}},
		{"udp state unknown", udp, inetMsg{family: unix.AF_INET, state: 0x0e, src: netip.MustParseAddrPort("0.0.0.0:1")},
			[]any{"udp", "inet", "dgram", "0.0.0.0", int64(1), "0.0.0.0", int64(0), "0E",
				int64(0), int64(0), N, int64(0), "root", int64(0), ns, "off", int64(0), int64(0),
				int64(0), N, N, N, N, N}},
	}
	for _, c := range cases {
		msg := kernel.InetDiagMsg(c.msg.encode())
		if !msg.Valid() {
			t.Fatalf("%s: encoded message is short", c.name)
		}
		got := pick(b.inetRow(c.p, msg), cols...)
		if diff := cmp.Diff(c.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.name, diff)
		}
	}
}

// TestInetRowWidth: a statement that reads few columns gets inet rows
// only as long as the last column it reads (at least proto .. send_q),
// with the same values where it reads and NULL past the end; one that
// reads any column of inetRest, or every column, gets full rows.
func TestInetRowWidth(t *testing.T) {
	msg := kernel.InetDiagMsg(inetMsg{family: unix.AF_INET, state: 10, src: netip.MustParseAddrPort("127.0.0.1:8080"),
		dst: netip.MustParseAddrPort("0.0.0.0:0"), cookie: 5, wq: 128, uid: 1000, inode: 1002,
		attrs: [][]byte{encAttr(kernel.InetDiagAttrMark, u32Bytes(0x2a))}}.encode())
	full := testBuilder(t).inetRow(protoByName("tcp"), msg)
	if len(full) != sockColumns {
		t.Fatalf("unpruned row: %d columns, want %d", len(full), sockColumns)
	}
	mask := func(names ...string) uint64 {
		var m uint64
		for _, n := range names {
			m |= 1 << uint(Sockets.ColumnIndex(n))
		}
		return m
	}
	plain := mask("proto", "recv_q", "send_q", "local_addr", "local_port", "remote_addr", "remote_port", "state")
	cases := []struct {
		name  string
		used  uint64
		width int
	}{
		{"plain list", plain, sockSendQ + 1},
		{"state only", mask("state"), sockSendQ + 1},
		{"with netns", plain | mask("netns"), sockNetns + 1},
		{"with backlog", mask("backlog"), sockBacklog + 1},
		{"with inode (inetRest)", plain | mask("inode"), sockColumns},
		{"bit 63", 1 << 63, sockColumns},
	}
	for _, c := range cases {
		col := kernel.NewCollector(context.Background(), kernel.RootSource(fixtureRoot(t, nil)))
		kernel.SetColumns(col, c.used)
		r := socketsBuilder(col).inetRow(protoByName("tcp"), msg)
		if len(r) != c.width {
			t.Errorf("%s: %d columns, want %d", c.name, len(r), c.width)
		}
		for i := range sockColumns {
			if c.used&(1<<uint(min(i, 63))) != 0 && r.At(i) != full[i] {
				t.Errorf("%s: column %s is %v, want %v", c.name, Sockets.Columns[i].Name, r.At(i), full[i])
			}
		}
	}
}

func TestUnixAndPacketDiagRows(t *testing.T) {
	b := testBuilder(t)
	unixMsg := func(typ, state uint8, inode uint32, cookie uint64, attrs ...[]byte) kernel.UnixDiagMsg {
		m := make([]byte, kernel.UnixDiagMsgLen)
		m[0], m[1], m[2] = unix.AF_UNIX, typ, state
		binary.NativeEndian.PutUint32(m[4:], inode)
		binary.NativeEndian.PutUint32(m[8:], uint32(cookie))
		binary.NativeEndian.PutUint32(m[12:], uint32(cookie>>32))
		for _, a := range attrs {
			m = append(m, a...)
		}
		return m
	}
	rqlen := func(rq, wq uint32) []byte { return append(u32Bytes(rq), u32Bytes(wq)...) }
	cols := []string{"proto", "family", "type", "state", "recv_q", "send_q", "backlog", "uid", "user", "inode", "path", "peer_inode", "cookie"}
	N := any(nil)
	p := protoByName("unix")
	cases := []struct {
		name string
		msg  kernel.UnixDiagMsg
		want []any
	}{
		{"listener with a path", unixMsg(1, 10, 1010, 5, encAttr(kernel.UnixDiagAttrName, []byte("/run/sshd.sock\x00")),
			encAttr(kernel.UnixDiagAttrRqlen, rqlen(1, 128)), encAttr(kernel.UnixDiagAttrUID, u32Bytes(0))),
			[]any{"unix", "unix", "stream", "LISTENING", int64(1), int64(128), int64(128), int64(0), "root", int64(1010), "/run/sshd.sock", N, int64(5)}},
		{"connected, abstract name with a NUL inside", unixMsg(1, 1, 1012, 6, encAttr(kernel.UnixDiagAttrName, []byte("\x00dbus\x00abc")),
			encAttr(kernel.UnixDiagAttrPeer, u32Bytes(1013)), encAttr(kernel.UnixDiagAttrRqlen, rqlen(0, 0)), encAttr(kernel.UnixDiagAttrUID, u32Bytes(1000))),
			[]any{"unix", "unix", "stream", "CONNECTED", int64(0), int64(0), N, int64(1000), "alice", int64(1012), "@dbus@abc", int64(1013), int64(6)}},
		{"unbound dgram, a path with a space", unixMsg(2, 7, 1013, 7, encAttr(kernel.UnixDiagAttrName, []byte("/tmp/my socket\x00"))),
			[]any{"unix", "unix", "dgram", "UNCONNECTED", N, N, N, N, N, int64(1013), "/tmp/my socket", N, int64(7)}},
		{"seqpacket connecting, unknown state", unixMsg(5, 2, 1, 8), []any{"unix", "unix", "seqpacket", "CONNECTING", N, N, N, N, N, int64(1), N, N, int64(8)}},
		{"state unknown", unixMsg(1, 0x0c, 2, 9), []any{"unix", "unix", "stream", "0C", N, N, N, N, N, int64(2), N, N, int64(9)}},
	}
	for _, c := range cases {
		if diff := cmp.Diff(c.want, pick(b.unixRow(p, c.msg), cols...)); diff != "" {
			t.Errorf("unix %s (-want +got):\n%s", c.name, diff)
		}
	}

	pm := make([]byte, kernel.PacketDiagMsgLen)
	pm[0], pm[1] = unix.AF_PACKET, 3
	binary.NativeEndian.PutUint16(pm[2:], 0x0003)
	binary.NativeEndian.PutUint32(pm[4:], 1020)
	binary.NativeEndian.PutUint32(pm[8:], 11)
	info := make([]byte, 24) // struct packet_diag_info, pdi_index first
	binary.NativeEndian.PutUint32(info, 1)
	pm = append(pm, encAttr(kernel.PacketDiagAttrInfo, info)...)
	pm = append(pm, encAttr(kernel.PacketDiagAttrUID, u32Bytes(0))...)
	got := pick(b.packetRow(protoByName("packet"), kernel.PacketDiagMsg(pm)), "proto", "family", "type", "local_port", "state", "uid", "user", "inode", "cookie", "interface")
	want := []any{"packet", "packet", "raw", int64(3), "UNCONN", int64(0), "root", int64(1020), int64(11), interfaceName(b.c, 1)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("packet (-want +got):\n%s", diff)
	}
}

func TestDiagWalkFraming(t *testing.T) {
	var got []string
	decode := func(p []byte) error {
		got = append(got, string(p))
		return nil
	}
	read := append(encNlmsg(unix.SOCK_DIAG_BY_FAMILY, 7, []byte("one")), encNlmsg(unix.SOCK_DIAG_BY_FAMILY, 6, []byte("stale"))...)
	read = append(read, encNlmsg(unix.SOCK_DIAG_BY_FAMILY, 7, []byte("two!"))...)
	done, err := kernel.WalkDiag(read, 7, decode)
	if done || err != nil || !cmp.Equal(got, []string{"one", "two!"}) {
		t.Errorf("walk = %v, %v, payloads %q; want not done, no error, the two payloads of seq 7", done, err, got)
	}
	done, err = kernel.WalkDiag(encNlmsg(kernel.NlmsgDone, 7, []byte{0, 0, 0, 0}), 7, decode)
	if !done || err != nil {
		t.Errorf("NLMSG_DONE: done %v err %v", done, err)
	}
	errno := make([]byte, 4)
	enoent := int32(syscall.ENOENT)
	binary.NativeEndian.PutUint32(errno, uint32(-enoent))
	done, err = kernel.WalkDiag(encNlmsg(kernel.NlmsgError, 7, errno), 7, decode)
	if !done || !errors.Is(err, kernel.ErrRefused) {
		t.Errorf("NLMSG_ERROR ENOENT: done %v err %v; want a refusal", done, err)
	}
	bad := encNlmsg(unix.SOCK_DIAG_BY_FAMILY, 7, []byte("x"))
	binary.NativeEndian.PutUint32(bad, 4000)
	if _, err := kernel.WalkDiag(bad, 7, decode); !errors.Is(err, kernel.ErrMalformed) {
		t.Errorf("a message longer than the read: err %v, want kernel.ErrMalformed", err)
	}
	// Attributes: a truncated one ends the walk without a panic.
	var types []uint16
	attrs := append(encAttr(1, []byte{1, 2, 3}), encAttr(2, nil)...)
	attrs = append(attrs, 200, 0, 3, 0)
	kernel.DiagAttrs(attrs, func(typ uint16, v []byte) { types = append(types, typ) })
	if !cmp.Equal(types, []uint16{1, 2}) {
		t.Errorf("attribute types %v, want [1 2]", types)
	}
}

func TestDiagStateMask(t *testing.T) {
	tcp, udp, ux, pkt := protoByName("tcp"), protoByName("udp6"), protoByName("unix"), protoByName("packet")
	cases := []struct {
		p     *protoFile
		state string
		want  uint32
	}{
		{tcp, "", tcpAllStates},
		{tcp, "LISTEN", 1 << 10},
		{tcp, "ESTABLISHED", 1 << 1},
		{tcp, "TIME_WAIT", 1 << 6},
		{tcp, "SYN_RECV", 1 << 3},
		{tcp, "BOUND_INACTIVE", 1 << 13},
		{tcp, "0E", 1 << 14},
		{tcp, "UNCONN", 0},
		{tcp, "LISTENING", 0},
		{udp, "", ^uint32(0)},
		{udp, "UNCONN", 1 << 7},
		{udp, "ESTABLISHED", 1 << 1},
		{udp, "LISTEN", 0},
		{ux, "LISTENING", 1 << 10},
		{ux, "CONNECTED", 1 << 1},
		{ux, "UNCONNECTED", 1 << 7},
		{ux, "LISTEN", 0},
		{pkt, "UNCONN", ^uint32(0)},
		{pkt, "LISTEN", 0},
	}
	for _, c := range cases {
		if got := diagStateMask(c.p, c.state); got != c.want {
			t.Errorf("%s state %q: mask %#x, want %#x", c.p.proto, c.state, got, c.want)
		}
	}
}

// FuzzDiagReplies feeds arbitrary bytes to the reply framing and to every
// row decoder: a decoder never panics, whatever the kernel (or a bug) sends.
func FuzzDiagReplies(f *testing.F) {
	f.Add(encNlmsg(unix.SOCK_DIAG_BY_FAMILY, 1, inetMsg{family: unix.AF_INET, state: 10,
		attrs: [][]byte{encAttr(kernel.InetDiagAttrMark, u32Bytes(1))}}.encode()))
	f.Add(encNlmsg(unix.SOCK_DIAG_BY_FAMILY, 1, append(make([]byte, kernel.UnixDiagMsgLen), encAttr(kernel.UnixDiagAttrName, []byte("\x00x"))...)))
	f.Add(encNlmsg(kernel.NlmsgError, 1, []byte{0xfe, 0xff, 0xff, 0xff}))
	b := testBuilder(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		kernel.WalkDiag(data, 1, func(p []byte) error {
			if m := kernel.InetDiagMsg(p); m.Valid() {
				b.inetRow(protoByName("tcp6"), m)
				b.inetRow(protoByName("udp"), m)
			}
			if m := kernel.UnixDiagMsg(p); m.Valid() {
				b.unixRow(protoByName("unix"), m)
			}
			if m := kernel.PacketDiagMsg(p); m.Valid() {
				b.packetRow(protoByName("packet"), m)
			}
			return nil
		})
	})
}

// BenchmarkDecodeInetDiag decodes a 100,000-socket tcp dump, split into
// 32 KiB reads as the kernel sends it, into sockets rows, with the garbage
// collector paused as the engine runs collections.
func BenchmarkDecodeInetDiag(b *testing.B) {
	const rowCount = 100_000
	var reads [][]byte
	var cur []byte
	for i := range rowCount {
		m := inetMsg{family: unix.AF_INET, state: 1, src: netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, byte(10 + i/5000)}), uint16(40000+i%20000)),
			dst: netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), 8443), cookie: uint64(i), uid: 0, inode: uint32(100000 + i),
			attrs: [][]byte{encAttr(8, []byte{0}), encAttr(kernel.InetDiagAttrMark, u32Bytes(0)), encAttr(21, make([]byte, 8)), encAttr(22, make([]byte, 2))}}
		msg := encNlmsg(unix.SOCK_DIAG_BY_FAMILY, 1, m.encode())
		if len(cur)+len(msg) > 32<<10 {
			reads, cur = append(reads, cur), nil
		}
		cur = append(cur, msg...)
	}
	reads = append(reads, cur)
	builder := testBuilder(b)
	p := protoByName("tcp")
	var size int
	for _, r := range reads {
		size += len(r)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		resume := engine.PauseGC() // as the engine runs every collection
		builder.inet = rowAlloc{cols: sockColumns}
		rows := make([]engine.Row, 0, 1024)
		for _, r := range reads {
			if _, err := kernel.WalkDiag(r, 1, func(payload []byte) error {
				rows = append(rows, builder.inetRow(p, kernel.InetDiagMsg(payload)))
				return nil
			}); err != nil {
				b.Fatal(err)
			}
		}
		resume()
		if len(rows) != rowCount {
			b.Fatalf("%d rows", len(rows))
		}
		b.StopTimer()
		runtime.GC() // what resuming does in the engine, untimed, so the next round reuses the memory
		b.StartTimer()
	}
}

// TestSocketsCapacity: the room collectSockets makes up front is the
// kernel's count of the protocols asked (inuse, plus TIME_WAIT for TCP),
// and nothing for a read narrowed by state or from a tree.
func TestSocketsCapacity(t *testing.T) {
	dir := t.TempDir()
	net := filepath.Join(dir, "proc", "thread-self", "net") // where the live system's files are
	if err := os.MkdirAll(net, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"sockstat":  "sockets: used 900\nTCP: inuse 300 orphan 0 tw 40 alloc 310 mem 2\nUDP: inuse 7 mem 0\nUDPLITE: inuse 0\nRAW: inuse 1\nFRAG: inuse 0 memory 0\n",
		"sockstat6": "TCP6: inuse 20\nUDP6: inuse 5\nUDPLITE6: inuse 0\nRAW6: inuse 2\nFRAG6: inuse 0 memory 0\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(net, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want := func(protos ...string) []protoWant {
		var out []protoWant
		for _, p := range protos {
			out = append(out, protoWant{p: *protoByName(p)})
		}
		return out
	}
	live := &kernel.Source{Proc: filepath.Join(dir, "proc"), Live: true}
	cases := []struct {
		name  string
		src   *kernel.Source
		wants []protoWant
		n     int
	}{
		{"tcp and tcp6", live, want("tcp", "tcp6"), 300 + 20 + 40},
		{"tcp6 alone", live, want("tcp6"), 20 + 40},
		{"udp and udp6", live, want("udp", "udp6"), 7 + 5},
		{"narrowed by state", live, []protoWant{{p: *protoByName("tcp"), states: []string{"LISTEN"}}}, 0},
		{"a tree", kernel.RootSource(dir), want("tcp", "tcp6"), 0},
	}
	for _, c := range cases {
		if got := socketsCapacity(kernel.NewCollector(context.Background(), c.src), c.wants); got != c.n {
			t.Errorf("%s: capacity %d, want %d", c.name, got, c.n)
		}
	}
}
