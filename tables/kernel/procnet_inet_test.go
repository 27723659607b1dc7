package kernel

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"netsql/tables/tablestest"

	"github.com/google/go-cmp/cmp"
)

const (
	tcpHeader  = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode                                                     \n"
	tcp6Header = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
	udpHeader  = "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops             \n"
	udp6Header = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n"

	tcpListenLine      = "   0: 0100007F:20FB 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 13729 1 00000000ca6b9998 100 0 0 10 0                     \n"
	tcpEstablishedLine = "   3: 0100007F:20FB 0100007F:CF10 01 00000000:000003E8 00:00000000 00000000  1000        0 13731 1 000000004f3ccb60 20 4 32 10 -1                    \n"
	tcpTimeWaitLine    = "   1: 020200C0:A014 507100CB:01BB 06 00000000:00000000 03:00000010 00000000     0        0 0 3 00000000a84e08c5                                      \n"
)

// inetCase is one literal kernel text and what ParseInetSockets makes of it.
type inetCase struct {
	name      string
	text      string
	ipv6      bool
	withDrops bool
	want      []inetSocketLine
}

// inetErrorCase is a malformed text and the error it must give.
type inetErrorCase struct {
	name      string
	text      string
	ipv6      bool
	withDrops bool
	wantLine  int
	wantText  string
}

var (
	loopback8443 = netip.MustParseAddrPort("127.0.0.1:8443")
	zeroV4       = netip.MustParseAddrPort("0.0.0.0:0")
	zeroV6       = netip.MustParseAddrPort("[::]:0")
)

var inetCases = []inetCase{
	{name: "empty file", text: ""},
	{name: "tcp header only", text: tcpHeader},
	{name: "tcp header only without newline", text: strings.TrimSuffix(tcpHeader, "\n")},
	{name: "udp header only", text: udpHeader, withDrops: true},
	{name: "blank lines only", text: "\n\n   \n"},
	{
		name: "tcp listen, established with unread bytes, time-wait",
		text: tcpHeader + tcpListenLine + tcpEstablishedLine + tcpTimeWaitLine,
		want: []inetSocketLine{
			{Local: loopback8443, Remote: zeroV4, State: 0x0A, Inode: 13729, Drops: -1},
			{Local: loopback8443, Remote: netip.MustParseAddrPort("127.0.0.1:53008"), State: 0x01, RxQueue: 1000, UID: 1000, Inode: 13731, Drops: -1},
			{Local: netip.MustParseAddrPort("192.0.2.2:40980"), Remote: netip.MustParseAddrPort("203.0.113.80:443"), State: 0x06, Timer: 3, TimerTicks: 16, Drops: -1},
		},
	},
	{
		name: "time-wait row ends the file without a newline",
		text: tcpHeader + strings.TrimRight(tcpTimeWaitLine, " \n"),
		want: []inetSocketLine{
			{Local: netip.MustParseAddrPort("192.0.2.2:40980"), Remote: netip.MustParseAddrPort("203.0.113.80:443"), State: 0x06, Timer: 3, TimerTicks: 16, Drops: -1},
		},
	},
	{
		name: "blank lines and no header",
		text: "\n" + tcpListenLine + "\n   \n" + tcpEstablishedLine,
		want: []inetSocketLine{
			{Local: loopback8443, Remote: zeroV4, State: 0x0A, Inode: 13729, Drops: -1},
			{Local: loopback8443, Remote: netip.MustParseAddrPort("127.0.0.1:53008"), State: 0x01, RxQueue: 1000, UID: 1000, Inode: 13731, Drops: -1},
		},
	},
	{
		name: "tcp timers: retransmit, keepalive, expired, zero-window probe; unknown state; tx queue",
		text: tcpHeader +
			"   4: 020200C0:D2F0 0A0200C0:0016 01 0000012C:00000000 01:0000001A 00000003  1000        0 24001 1 0000000011111111 28 4 0 10 -1\n" +
			"   5: 020200C0:D2F2 0A0200C0:0016 01 00000000:00000000 02:00008CA0 00000000  1000        0 24002 1 0000000022222222 20 4 30 10 -1\n" +
			"   6: 020200C0:D2F4 0A0200C0:0016 01 00000000:00000000 01:FFFFFFFFFFFFFF9C 00000000  1000        0 24003 1 0000000033333333 20 4 30 10 -1\n" +
			"   7: 020200C0:D2F6 0A0200C0:0016 01 00000000:00000000 04:000001F4 00000002     0        2 24004 1 0000000044444444 20 4 30 10 -1\n" +
			"   8: 020200C0:D2F8 0A0200C0:0016 0D 00000000:00000000 00:00000000 00000000     0        0 24005 1 0000000055555555 20 4 30 10 -1\n",
		want: []inetSocketLine{
			{Local: netip.MustParseAddrPort("192.0.2.2:54000"), Remote: netip.MustParseAddrPort("192.0.2.10:22"), State: 1, TxQueue: 300, Timer: 1, TimerTicks: 26, Retransmits: 3, UID: 1000, Inode: 24001, Drops: -1},
			{Local: netip.MustParseAddrPort("192.0.2.2:54002"), Remote: netip.MustParseAddrPort("192.0.2.10:22"), State: 1, Timer: 2, TimerTicks: 36000, UID: 1000, Inode: 24002, Drops: -1},
			{Local: netip.MustParseAddrPort("192.0.2.2:54004"), Remote: netip.MustParseAddrPort("192.0.2.10:22"), State: 1, Timer: 1, UID: 1000, Inode: 24003, Drops: -1},
			{Local: netip.MustParseAddrPort("192.0.2.2:54006"), Remote: netip.MustParseAddrPort("192.0.2.10:22"), State: 1, Timer: 4, TimerTicks: 500, Retransmits: 2, Inode: 24004, Drops: -1},
			{Local: netip.MustParseAddrPort("192.0.2.2:54008"), Remote: netip.MustParseAddrPort("192.0.2.10:22"), State: 0x0D, Inode: 24005, Drops: -1},
		},
	},
	{
		name: "tcp file ignores the 13th field",
		text: tcpListenLine,
		want: []inetSocketLine{{Local: loopback8443, Remote: zeroV4, State: 0x0A, Inode: 13729, Drops: -1}},
	},
	{
		name: "tcp6 loopback, IPv4-mapped, wildcard and global addresses",
		ipv6: true,
		text: tcp6Header +
			"   0: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1665 1 0000000012345678 100 0 0 10 0\n" +
			"   1: 00000000000000000000000001000000:20FC 00000000000000000000000001000000:8CC2 01 00000000:00000000 00:00000000 00000000     0        0 13734 1 000000001e200eae 20 0 0 10 -1\n" +
			"   2: 0000000000000000FFFF00000100007F:1F90 0000000000000000FFFF00000100007F:D2F0 01 00000000:00000000 00:00000000 00000000     0        0 13735 1 000000001e200eaf 20 0 0 10 -1\n" +
			"   3: 000000FD000000000000000002000000:01BB 000000FD000000000000000001000000:E5A4 06 00000000:00000000 03:00000BB8 00000000     0        0 0 3 00000000a84e08c6\n",
		want: []inetSocketLine{
			{Local: netip.MustParseAddrPort("[::]:22"), Remote: zeroV6, State: 0x0A, Inode: 1665, Drops: -1},
			{Local: netip.MustParseAddrPort("[::1]:8444"), Remote: netip.MustParseAddrPort("[::1]:36034"), State: 0x01, Inode: 13734, Drops: -1},
			{Local: netip.MustParseAddrPort("[::ffff:127.0.0.1]:8080"), Remote: netip.MustParseAddrPort("[::ffff:127.0.0.1]:54000"), State: 0x01, Inode: 13735, Drops: -1},
			{Local: netip.MustParseAddrPort("[fd00::2]:443"), Remote: netip.MustParseAddrPort("[fd00::1]:58788"), State: 0x06, Timer: 3, TimerTicks: 3000, Drops: -1},
		},
	},
	{
		name:      "udp connected and unconnected rows with drops",
		withDrops: true,
		text: udpHeader +
			" 2628: 020200C0:C460 010200C0:0035 01 00000000:00000000 00:00000000 00000000     0        0 13736 2 0000000029962356 0\n" +
			" 6861: 00000000:14E9 00000000:0000 07 00000000:00000340 00:00000000 00000000   102        0 13735 2 00000000b3c4fc51 17\n",
		want: []inetSocketLine{
			{Local: netip.MustParseAddrPort("192.0.2.2:50272"), Remote: netip.MustParseAddrPort("192.0.2.1:53"), State: 0x01, Inode: 13736, Drops: 0},
			{Local: netip.MustParseAddrPort("0.0.0.0:5353"), Remote: zeroV4, State: 0x07, RxQueue: 832, UID: 102, Inode: 13735, Drops: 17},
		},
	},
	{
		name:      "udp row lacking the drops column",
		withDrops: true,
		text:      " 6861: 00000000:14E9 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 13735 2 00000000b3c4fc51\n",
		want:      []inetSocketLine{{Local: netip.MustParseAddrPort("0.0.0.0:5353"), Remote: zeroV4, State: 0x07, Inode: 13735, Drops: -1}},
	},
	{
		name:      "udp6 row with drops",
		ipv6:      true,
		withDrops: true,
		text: udp6Header +
			"  591: 00000000000000000000000001000000:0222 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 13760 2 00000000b3c4fc52 4294967295\n",
		want: []inetSocketLine{
			{Local: netip.MustParseAddrPort("[::1]:546"), Remote: zeroV6, State: 0x07, Inode: 13760, Drops: 4294967295},
		},
	},
	{
		name:      "raw ICMP: the local port is the protocol number",
		withDrops: true,
		text: udpHeader +
			"  207: 00000000:0001 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 13738 2 00000000fc8fbdc1 0\n" +
			"  255: 0100007F:00FF 0100007F:0000 01 00000000:00000000 00:00000000 00000000     0        0 13740 2 00000000fc8fbdc2 3\n",
		want: []inetSocketLine{
			{Local: netip.MustParseAddrPort("0.0.0.0:1"), Remote: zeroV4, State: 0x07, Inode: 13738, Drops: 0},
			{Local: netip.MustParseAddrPort("127.0.0.1:255"), Remote: netip.MustParseAddrPort("127.0.0.1:0"), State: 0x01, Inode: 13740, Drops: 3},
		},
	},
	{
		name:      "raw6 ICMPv6",
		ipv6:      true,
		withDrops: true,
		text: udp6Header +
			"   35: 00000000000000000000000000000000:003A 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 13739 2 00000000684cf74b 0\n",
		want: []inetSocketLine{{Local: netip.MustParseAddrPort("[::]:58"), Remote: zeroV6, State: 0x07, Inode: 13739, Drops: 0}},
	},
	{
		name: "tabs, lowercase hex and trailing spaces",
		text: "\t0:\t0100007f:20fb\t00000000:0000\t0a\t00000000:00000000\t00:00000000\t00000000\t0\t0\t13729   \t  \n",
		want: []inetSocketLine{{Local: loopback8443, Remote: zeroV4, State: 0x0A, Inode: 13729, Drops: -1}},
	},
}

var inetErrorCases = []inetErrorCase{
	{name: "non-hex local address", text: tcpHeader + strings.Replace(tcpListenLine, "0100007F:20FB", "0100007G:20FB", 1), wantLine: 2, wantText: `local address "0100007G:20FB"`},
	{name: "local address without port", text: tcpHeader + tcpListenLine + strings.Replace(tcpEstablishedLine, "0100007F:20FB", "0100007F", 1), wantLine: 3, wantText: `local address "0100007F"`},
	{name: "empty port", text: strings.Replace(tcpListenLine, "0100007F:20FB", "0100007F:", 1), wantLine: 1, wantText: `local address "0100007F:"`},
	{name: "port wider than 16 bits", text: strings.Replace(tcpListenLine, "0100007F:20FB", "0100007F:120FB", 1), wantLine: 1, wantText: "local address"},
	{name: "short remote address", text: strings.Replace(tcpListenLine, "00000000:0000", "000000:0000", 1), wantLine: 1, wantText: `remote address "000000:0000"`},
	{name: "IPv4 address in an IPv6 file", ipv6: true, text: tcp6Header + tcpListenLine, wantLine: 2, wantText: "local address"},
	{name: "IPv6 address in an IPv4 file", text: "   1: 00000000000000000000000001000000:20FC 00000000000000000000000001000000:8CC2 01 00000000:00000000 00:00000000 00000000     0        0 13734 1 000000001e200eae 20 0 0 10 -1\n", wantLine: 1, wantText: "local address"},
	{name: "non-hex word in an IPv6 address", ipv6: true, text: "   1: 0000000000000000000000000100000X:20FC 00000000000000000000000001000000:8CC2 01 00000000:00000000 00:00000000 00000000     0        0 13734\n", wantLine: 1, wantText: "local address"},
	{name: "too few fields", text: tcpHeader + tcpListenLine + "\n" + "   1: 020200C0:A014 507100CB:01BB 06 00000000:00000000 03:00000010 00000000\n", wantLine: 4, wantText: "too few fields (7)"},
	{name: "bad state", text: strings.Replace(tcpListenLine, " 0A ", " XY ", 1), wantLine: 1, wantText: `state "XY"`},
	{name: "state wider than 8 bits", text: strings.Replace(tcpListenLine, " 0A ", " 10A ", 1), wantLine: 1, wantText: `state "10A"`},
	{name: "queues without colon", text: strings.Replace(tcpEstablishedLine, "00000000:000003E8", "00000000-000003E8", 1), wantLine: 1, wantText: "tx_queue:rx_queue"},
	{name: "bad timer", text: strings.Replace(tcpTimeWaitLine, "03:00000010", "0300000010", 1), wantLine: 1, wantText: "tr:tm->when"},
	{name: "bad retransmits", text: strings.Replace(tcpListenLine, "00:00000000 00000000", "00:00000000 0000000Z", 1), wantLine: 1, wantText: "retrnsmt"},
	{name: "negative uid", text: strings.Replace(tcpEstablishedLine, " 1000 ", "   -1 ", 1), wantLine: 1, wantText: `uid "-1"`},
	{name: "uid wider than 32 bits", text: strings.Replace(tcpEstablishedLine, " 1000 ", " 4294967296 ", 1), wantLine: 1, wantText: `uid "4294967296"`},
	{name: "bad timeout", text: strings.Replace(tcpListenLine, "        0 13729", "        x 13729", 1), wantLine: 1, wantText: `timeout "x"`},
	{name: "bad inode", text: tcpHeader + strings.Replace(tcpListenLine, "13729", "137z9", 1), wantLine: 2, wantText: `inode "137z9"`},
	{name: "bad drops", withDrops: true, text: udpHeader + " 6861: 00000000:14E9 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 13735 2 00000000b3c4fc51 -4\n", wantLine: 2, wantText: `drops "-4"`},
	{name: "header not on the first line", text: tcpListenLine + tcpHeader, wantLine: 2, wantText: "local address"},
	{name: "overlong address is clipped in the error", text: "   0: " + strings.Repeat("A", 1<<20) + ":20FB 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 13729\n", wantLine: 1, wantText: `local address "AAAAAAAA`},
}

func TestParseInetSockets(t *testing.T) {
	tablestest.SkipUnlessLittleEndian(t)
	for _, tc := range inetCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseInetSockets([]byte(tc.text), tc.ipv6, tc.withDrops)
			if err != nil {
				t.Fatalf("ParseInetSockets: %v", err)
			}
			if diff := cmp.Diff(tc.want, got, tablestest.ProcnetCmpOptions); diff != "" {
				t.Errorf("ParseInetSockets mismatch (-want +got):\n%s", diff)
			}
			for _, row := range got {
				if row.Local.Addr().Is6() != tc.ipv6 || row.Remote.Addr().Is6() != tc.ipv6 {
					t.Errorf("row %v -> %v: address family does not match ipv6=%v", row.Local, row.Remote, tc.ipv6)
				}
			}
		})
	}
}

func TestParseInetSocketsErrors(t *testing.T) {
	for _, tc := range inetErrorCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseInetSockets([]byte(tc.text), tc.ipv6, tc.withDrops)
			if got != nil {
				t.Errorf("rows %v returned with the error", got)
			}
			tablestest.CheckLineError(t, err, ErrMalformed, tc.wantLine, tc.wantText)
			if len(err.Error()) > 200 {
				t.Errorf("error is %d bytes long, want the field clipped", len(err.Error()))
			}
		})
	}
}

// FuzzParseInetSockets checks that any text gives rows or an error wrapping
// ErrMalformed that names a line of the text.
func FuzzParseInetSockets(f *testing.F) {
	for _, tc := range inetCases {
		f.Add([]byte(tc.text), tc.ipv6, tc.withDrops)
	}
	for _, tc := range inetErrorCases {
		if len(tc.text) < 4096 {
			f.Add([]byte(tc.text), tc.ipv6, tc.withDrops)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, ipv6, withDrops bool) {
		rows, err := ParseInetSockets(data, ipv6, withDrops)
		if err != nil {
			tablestest.CheckFuzzError(t, ErrMalformed, data, rows, err)
			return
		}
		for _, row := range rows {
			if row.Local.Addr().Is6() != ipv6 || row.Remote.Addr().Is6() != ipv6 {
				t.Fatalf("row %+v: address family does not match ipv6=%v", row, ipv6)
			}
			if row.TimerTicks >= 1<<63 || row.Drops < -1 || (!withDrops && row.Drops != -1) {
				t.Fatalf("row %+v: ticks or drops out of range", row)
			}
		}
	})
}

// BenchmarkParseInetSockets parses a 100,000-line /proc/net/tcp laid out as
// the kernel does it (150-byte rows).
func BenchmarkParseInetSockets(b *testing.B) {
	const rowCount = 100_000
	var text strings.Builder
	text.WriteString(tcpHeader)
	for i := range rowCount {
		line := fmt.Sprintf("%4d: %08X:%04X %08X:%04X %02X %08X:%08X %02X:%08X %08X %5d %8d %d 1 %016x 20 4 30 10 -1",
			i, 0x0100007F, 8443, 0x0100007F, 10000+i%50000, 1, i%7, i%3, 0, 0, 0, 1000, 0, 100000+i, 0xffff888000000000+uint64(i))
		fmt.Fprintf(&text, "%-149s\n", line)
	}
	data := []byte(text.String())
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rows, err := ParseInetSockets(data, false, false)
		if err != nil {
			b.Fatal(err)
		}
		if len(rows) != rowCount {
			b.Fatalf("%d rows, want %d", len(rows), rowCount)
		}
	}
}
