package kernel

import (
	"net/netip"
	"strings"
	"testing"

	"netsql/tables/tablestest"

	"github.com/google/go-cmp/cmp"
)

// Lines of /proc/net/nf_conntrack captured on this kernel (6.18) in a
// namespace with accounting on and an nftables rule setting ct mark 7.
const (
	conntrackTCPLine    = "ipv4     2 tcp      6 431999 ESTABLISHED src=10.231.0.1 dst=10.231.0.2 sport=60080 dport=5555 packets=4 bytes=218 src=10.231.0.2 dst=10.231.0.1 sport=5555 dport=60080 packets=3 bytes=166 [ASSURED] mark=7 zone=0 use=2\n"
	conntrackUDPLine    = "ipv4     2 udp      17 20 src=10.231.0.1 dst=10.231.0.2 sport=43136 dport=9999 packets=1 bytes=29 [UNREPLIED] src=10.231.0.2 dst=10.231.0.1 sport=9999 dport=43136 packets=0 bytes=0 mark=7 zone=0 use=2\n"
	conntrackICMPLine   = "ipv4     2 icmp     1 28 src=10.231.0.1 dst=10.231.0.2 type=8 code=0 id=4660 packets=1 bytes=28 src=10.231.0.2 dst=10.231.0.1 type=0 code=0 id=4660 packets=1 bytes=28 mark=7 zone=0 use=2\n"
	conntrackTCP6Line   = "ipv6     10 tcp      6 113 TIME_WAIT src=fd31:0000:0000:0000:0000:0000:0000:0001 dst=fd31:0000:0000:0000:0000:0000:0000:0002 sport=49068 dport=5556 packets=5 bytes=368 src=fd31:0000:0000:0000:0000:0000:0000:0002 dst=fd31:0000:0000:0000:0000:0000:0000:0001 sport=5556 dport=49068 packets=4 bytes=297 [ASSURED] mark=7 zone=0 use=2\n"
	conntrackNoAcctLine = "ipv4     2 tcp      6 117 TIME_WAIT src=192.168.1.10 dst=93.184.216.34 sport=51000 dport=443 src=93.184.216.34 dst=203.0.113.7 sport=443 dport=51000 [ASSURED] mark=0 zone=0 use=2\n"
	// Offloaded entries have no timeout; a GRE entry has keys, not ports;
	// zone-orig, secctx and delta-time are printed by some configurations.
	conntrackOffloadLine = "ipv4     2 tcp      6 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 [OFFLOAD] mark=0 secctx=system_u:object_r:unlabeled_t:s0 zone=3 delta-time=12 use=2\n"
	conntrackGRELine     = "ipv4     2 gre      47 178 timeout=180, stream_timeout=180 src=10.0.0.1 dst=10.0.0.2 srckey=0x0 dstkey=0x0 src=10.0.0.2 dst=10.0.0.1 srckey=0x0 dstkey=0x0 [ASSURED] mark=0 zone-orig=5 use=2\n"
)

func ctTuple(src, dst string, sport, dport, packets, bytes int64) conntrackTuple {
	t := newConntrackTuple()
	t.Src, t.Dst = netip.MustParseAddr(src), netip.MustParseAddr(dst)
	t.SrcPort, t.DstPort, t.Packets, t.Bytes = sport, dport, packets, bytes
	return t
}

func ctICMPTuple(src, dst string, typ, code, id, packets, bytes int64) conntrackTuple {
	t := newConntrackTuple()
	t.Src, t.Dst = netip.MustParseAddr(src), netip.MustParseAddr(dst)
	t.ICMPType, t.ICMPCode, t.ICMPID, t.Packets, t.Bytes = typ, code, id, packets, bytes
	return t
}

const na = ConntrackAbsent

var conntrackCases = []struct {
	name string
	text string
	want []ConntrackEntry
}{
	{name: "empty (tracking on, nothing tracked)", text: ""},
	{name: "accounting on: tcp, udp unreplied, icmp, tcp6", text: conntrackTCPLine + conntrackUDPLine + conntrackICMPLine + conntrackTCP6Line,
		want: []ConntrackEntry{
			{Family: "inet", Proto: "tcp", ProtoNum: 6, Timeout: 431999, State: "ESTABLISHED",
				Orig:  ctTuple("10.231.0.1", "10.231.0.2", 60080, 5555, 4, 218),
				Reply: ctTuple("10.231.0.2", "10.231.0.1", 5555, 60080, 3, 166), Assured: true, Mark: 7, Zone: 0},
			{Family: "inet", Proto: "udp", ProtoNum: 17, Timeout: 20,
				Orig:  ctTuple("10.231.0.1", "10.231.0.2", 43136, 9999, 1, 29),
				Reply: ctTuple("10.231.0.2", "10.231.0.1", 9999, 43136, 0, 0), Unreplied: true, Mark: 7, Zone: 0},
			{Family: "inet", Proto: "icmp", ProtoNum: 1, Timeout: 28,
				Orig:  ctICMPTuple("10.231.0.1", "10.231.0.2", 8, 0, 4660, 1, 28),
				Reply: ctICMPTuple("10.231.0.2", "10.231.0.1", 0, 0, 4660, 1, 28), Mark: 7, Zone: 0},
			{Family: "inet6", Proto: "tcp", ProtoNum: 6, Timeout: 113, State: "TIME_WAIT",
				Orig:  ctTuple("fd31::1", "fd31::2", 49068, 5556, 5, 368),
				Reply: ctTuple("fd31::2", "fd31::1", 5556, 49068, 4, 297), Assured: true, Mark: 7, Zone: 0},
		}},
	{name: "accounting off, masquerade", text: conntrackNoAcctLine, want: []ConntrackEntry{
		{Family: "inet", Proto: "tcp", ProtoNum: 6, Timeout: 117, State: "TIME_WAIT",
			Orig:  ctTuple("192.168.1.10", "93.184.216.34", 51000, 443, na, na),
			Reply: ctTuple("93.184.216.34", "203.0.113.7", 443, 51000, na, na), Assured: true, Mark: 0, Zone: 0},
	}},
	{name: "offloaded without timeout, gre keys, zone-orig, unknown fields", text: conntrackOffloadLine + conntrackGRELine,
		want: []ConntrackEntry{
			{Family: "inet", Proto: "tcp", ProtoNum: 6, Timeout: na, State: "ESTABLISHED",
				Orig:  ctTuple("10.0.0.1", "10.0.0.2", 1, 2, na, na),
				Reply: ctTuple("10.0.0.2", "10.0.0.1", 2, 1, na, na), Offloaded: true, Mark: 0, Zone: 3},
			{Family: "inet", Proto: "gre", ProtoNum: 47, Timeout: 178,
				Orig:  ctTuple("10.0.0.1", "10.0.0.2", na, na, na, na),
				Reply: ctTuple("10.0.0.2", "10.0.0.1", na, na, na, na), Assured: true, Mark: 0, Zone: 5},
		}},
}

var conntrackErrorCases = []struct {
	name     string
	text     string
	wantLine int
	wantText string
}{
	{name: "too short", text: conntrackTCPLine + "ipv4 2 tcp\n", wantLine: 2, wantText: "3 fields"},
	{name: "bad protocol number", text: "ipv4 2 tcp six 10 src=1.2.3.4 dst=1.2.3.5 src=1.2.3.5 dst=1.2.3.4\n", wantLine: 1, wantText: `protocol number "six"`},
	{name: "one tuple only", text: "ipv4 2 udp 17 10 src=1.2.3.4 dst=1.2.3.5 sport=1 dport=2\n", wantLine: 1, wantText: "want an original and a reply tuple"},
	{name: "three tuples", text: "ipv4 2 udp 17 10 src=1.2.3.4 dst=1.2.3.5 src=1.2.3.5 dst=1.2.3.4 src=1.1.1.1\n", wantLine: 1, wantText: "more than two tuples"},
	{name: "bad address", text: "ipv4 2 udp 17 10 src=1.2.3.400 dst=1.2.3.5 src=1.2.3.5 dst=1.2.3.4\n", wantLine: 1, wantText: `src address "1.2.3.400"`},
	{name: "bad port", text: "ipv4 2 udp 17 10 src=1.2.3.4 dst=1.2.3.5 sport=-1 dport=2 src=1.2.3.5 dst=1.2.3.4\n", wantLine: 1, wantText: `sport "-1"`},
	{name: "port before src", text: "ipv4 2 udp 17 10 sport=1 src=1.2.3.4 dst=1.2.3.5 src=1.2.3.5 dst=1.2.3.4\n", wantLine: 1, wantText: "sport= before the first src="},
	{name: "stray word after the tuples", text: "ipv4 2 udp 17 10 src=1.2.3.4 dst=1.2.3.5 src=1.2.3.5 dst=1.2.3.4 oops\n", wantLine: 1, wantText: `field "oops" is not key=value`},
}

func TestParseConntrack(t *testing.T) {
	for _, tc := range conntrackCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseConntrack([]byte(tc.text))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, tablestest.ProcnetCmpOptions, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	for _, tc := range conntrackErrorCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseConntrack([]byte(tc.text))
			if got != nil {
				t.Errorf("entries %v returned with the error", got)
			}
			tablestest.CheckLineError(t, err, ErrMalformed, tc.wantLine, tc.wantText)
		})
	}
}

// FuzzParseConntrack checks that any text gives entries with both tuples or
// an error naming one of its lines.
func FuzzParseConntrack(f *testing.F) {
	for _, tc := range conntrackCases {
		f.Add([]byte(tc.text))
	}
	for _, tc := range conntrackErrorCases {
		f.Add([]byte(tc.text))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := ParseConntrack(data)
		if err != nil {
			tablestest.CheckFuzzError(t, ErrMalformed, data, entries, err)
			return
		}
		for _, e := range entries {
			for _, a := range []netip.Addr{e.Orig.Src, e.Orig.Dst, e.Reply.Src, e.Reply.Dst} {
				if !a.IsValid() {
					t.Fatalf("entry without both tuples: %+v", e)
				}
			}
			if strings.ContainsAny(e.State, "=[") {
				t.Fatalf("state %q", e.State)
			}
		}
	})
}
