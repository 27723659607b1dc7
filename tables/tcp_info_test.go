package tables

import (
	"net/netip"
	"testing"
	"unsafe"

	"netsql/tables/kernel"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

// The fields read from tcp_info line up with the declared columns.
func TestTCPInfoFieldsMatchColumns(t *testing.T) {
	if tiColumns != len(TCPInfo.Columns) {
		t.Fatalf("tcp_info declares %d columns, the decoder fills %d", len(TCPInfo.Columns), tiColumns)
	}
	names := []string{"inode", "cookie", "proto", "state"}
	for _, f := range tcpInfoFields {
		names = append(names, f.column)
	}
	names = append(names, "options", "snd_wscale", "rcv_wscale", "congestion", "netns")
	var declared []string
	for _, c := range TCPInfo.Columns {
		declared = append(declared, c.Name)
	}
	if diff := cmp.Diff(declared, names); diff != "" {
		t.Errorf("decoder column order (-declared +decoded):\n%s", diff)
	}
}

// tcpInfoBytes lays out a struct tcp_info as the kernel sends it.
func tcpInfoBytes(info *unix.TCPInfo) []byte {
	return append([]byte(nil), unsafe.Slice((*byte)(unsafe.Pointer(info)), unsafe.Sizeof(*info))...)
}

func TestTCPInfoRow(t *testing.T) {
	info := unix.TCPInfo{State: 1, Options: 0x1 | 0x2 | 0x4, Rto: 204000, Ato: 40000, Snd_mss: 32768, Rcv_mss: 536,
		Unacked: 2, Rtt: 31, Rttvar: 15, Snd_ssthresh: tcpInfiniteSsthresh, Snd_cwnd: 10, Advmss: 65483, Pmtu: 65535,
		Total_retrans: 3, Bytes_acked: 5, Bytes_received: 1 << 40, Bytes_sent: 6, Min_rtt: 12, Delivery_rate: 1e9,
		Pacing_rate: 2e9, Rcv_wnd: 65536}
	raw := tcpInfoBytes(&info)
	raw[tcpInfoWscaleOff] = 7<<4 | 9 // rcv 7, snd 9
	raw[tcpInfoFlagsOff] = 1         // app limited
	msg := inetMsg{family: unix.AF_INET6, state: 1, src: netip.MustParseAddrPort("[::1]:1"), dst: netip.MustParseAddrPort("[::1]:2"),
		cookie: 77, inode: 1234, attrs: [][]byte{encAttr(kernel.InetDiagAttrInfo, raw), encAttr(kernel.InetDiagAttrCong, []byte("cubic\x00"))}}
	b := &tcpInfoBuilder{alloc: rowAlloc{cols: tiColumns}, cong: map[string]any{}, options: map[uint8]any{}}
	r := b.row(protoByName("tcp6"), kernel.InetDiagMsg(msg.encode()))
	get := func(name string) any { return r[TCPInfo.ColumnIndex(name)] }
	got := map[string]any{}
	for _, name := range []string{"inode", "cookie", "proto", "state", "rtt_us", "rttvar_us", "min_rtt_us", "rto_us", "cwnd",
		"ssthresh", "mss", "unacked", "total_retrans", "bytes_acked", "bytes_received", "bytes_sent", "delivery_rate",
		"delivery_rate_app_limited", "pacing_rate", "rcv_wnd", "options", "snd_wscale", "rcv_wscale", "congestion"} {
		got[name] = get(name)
	}
	want := map[string]any{"inode": int64(1234), "cookie": int64(77), "proto": "tcp6", "state": "ESTABLISHED",
		"rtt_us": int64(31), "rttvar_us": int64(15), "min_rtt_us": int64(12), "rto_us": int64(204000), "cwnd": int64(10),
		"ssthresh": nil, "mss": int64(32768), "unacked": int64(2), "total_retrans": int64(3), "bytes_acked": int64(5),
		"bytes_received": int64(1 << 40), "bytes_sent": int64(6), "delivery_rate": int64(1e9), "delivery_rate_app_limited": int64(1),
		"pacing_rate": int64(2e9), "rcv_wnd": int64(65536), "options": "ts sack wscale", "snd_wscale": int64(9),
		"rcv_wscale": int64(7), "congestion": "cubic"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tcp_info row (-want +got):\n%s", diff)
	}

	// An older kernel's shorter struct: the missing fields are NULL.
	short := raw[:unsafe.Offsetof(info.Pacing_rate)]
	msg.attrs = [][]byte{encAttr(kernel.InetDiagAttrInfo, short)}
	r = b.row(protoByName("tcp6"), kernel.InetDiagMsg(msg.encode()))
	if r[TCPInfo.ColumnIndex("rtt_us")] != int64(31) || r[TCPInfo.ColumnIndex("bytes_sent")] != nil || r[TCPInfo.ColumnIndex("congestion")] != nil {
		t.Errorf("short tcp_info: rtt %v bytes_sent %v congestion %v; want 31, NULL, NULL",
			r[TCPInfo.ColumnIndex("rtt_us")], r[TCPInfo.ColumnIndex("bytes_sent")], r[TCPInfo.ColumnIndex("congestion")])
	}
	// A reply without tcp_info (TIME_WAIT) gives no row.
	msg.attrs = nil
	if r := b.row(protoByName("tcp"), kernel.InetDiagMsg(msg.encode())); r != nil {
		t.Errorf("a reply without tcp_info gave %v", r)
	}
}

func TestFixtureTCPInfoIsEmpty(t *testing.T) {
	e := openFixture(t, kernel.RootSource(fixtureRoot(t, nil)))
	if rows := query(t, e, "SELECT count(*) FROM tcp_info"); rows[0][0] != int64(0) {
		t.Errorf("tcp_info from a --root tree has %v rows, want 0", rows[0][0])
	}
}

// The builder's boxed integers are the values asked for, whatever was
// boxed before in the same slot (15,000 values in 1,024 slots).
func TestTCPInfoBox(t *testing.T) {
	var b tcpInfoBuilder
	values := []int64{0, 255, 256, -1, 65483, 1 << 40, -1 << 62, 65483, 256}
	for round := range 3 {
		for i := range 5000 {
			values = append(values, int64(i*7919+round))
		}
	}
	for _, v := range values {
		if got, ok := b.box(v).(int64); !ok || got != v {
			t.Fatalf("box(%d) = %v", v, b.box(v))
		}
	}
}
