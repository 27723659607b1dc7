package kernel

import (
	"strings"
	"testing"

	"netsql/tables/tablestest"

	"github.com/google/go-cmp/cmp"
)

// /proc/net/snmp as this machine's kernel (6.18) prints it.
const snmpText = `Ip: Forwarding DefaultTTL InReceives InHdrErrors InAddrErrors ForwDatagrams InUnknownProtos InDiscards InDelivers OutRequests OutDiscards OutNoRoutes ReasmTimeout ReasmReqds ReasmOKs ReasmFails FragOKs FragFails FragCreates OutTransmits
Ip: 2 64 4675 0 0 0 0 0 4675 3615 0 0 0 0 0 0 0 0 0 3615
Icmp: InMsgs InErrors InCsumErrors InDestUnreachs InTimeExcds InParmProbs InSrcQuenchs InRedirects InEchos InEchoReps InTimestamps InTimestampReps InAddrMasks InAddrMaskReps OutMsgs OutErrors OutRateLimitGlobal OutRateLimitHost OutDestUnreachs OutTimeExcds OutParmProbs OutSrcQuenchs OutRedirects OutEchos OutEchoReps OutTimestamps OutTimestampReps OutAddrMasks OutAddrMaskReps
Icmp: 1 0 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
IcmpMsg: InType3
IcmpMsg: 1
Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab InSegs OutSegs RetransSegs InErrs OutRsts InCsumErrors
Tcp: 1 200 120000 -1 30 5 0 0 0 4645 3604 0 0 2 0
Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors
Udp: 29 0 0 30 0 0 0 0 0
UdpLite: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors
UdpLite: 0 0 0 0 0 0 0 0 0
`

// /proc/net/netstat from the same kernel, TcpExt and MPTcpExt cut short
// (an older kernel has fewer columns; the parser knows none by name).
const netstatText = `TcpExt: SyncookiesSent SyncookiesRecv SyncookiesFailed EmbryonicRsts ListenOverflows ListenDrops TCPTimeouts
TcpExt: 0 0 0 0 12 12 7
IpExt: InNoRoutes InTruncatedPkts InMcastPkts OutMcastPkts InBcastPkts OutBcastPkts InOctets OutOctets InMcastOctets OutMcastOctets InBcastOctets OutBcastOctets InCsumErrors InNoECTPkts InECT1Pkts InECT0Pkts InCEPkts ReasmOverlaps
IpExt: 0 0 0 0 0 0 72353609 675514 0 0 0 0 0 10295 0 0 0 0
MPTcpExt: MPCapableSYNRX MPCapableSYNTX
MPTcpExt: 0 3
`

// /proc/net/snmp6: "%-32s\t%lu" per line.
const snmp6Text = "Ip6InReceives                   \t1\n" +
	"Ip6InHdrErrors                  \t0\n" +
	"Icmp6InMsgs                     \t4\n" +
	"Icmp6OutType143                 \t12\n" +
	"Udp6InDatagrams                 \t0\n" +
	"UdpLite6InDatagrams             \t0\n"

// /proc/net/sctp/snmp, same layout.
const sctpSNMPText = "SctpCurrEstab                   \t0\n" +
	"SctpActiveEstabs                \t2\n"

type snmpCase struct {
	name  string
	text  string
	parse func([]byte) ([]SnmpCounter, error)
	want  []SnmpCounter // when nil, check wantN and spot values
	wantN int
	spot  map[string]any // key -> value
}

func parseSNMP6(data []byte) ([]SnmpCounter, error) { return ParseSNMPSingle(data, Snmp6Protocol) }
func parseSCTPSNMP(data []byte) ([]SnmpCounter, error) {
	return ParseSNMPSingle(data, SctpProtocol)
}

var snmpCases = []snmpCase{
	{name: "empty", text: "", parse: ParseSNMPPairs},
	{name: "snmp of this kernel", text: snmpText, parse: ParseSNMPPairs, wantN: 20 + 29 + 1 + 15 + 9 + 9,
		spot: map[string]any{"IpForwarding": int64(2), "TcpMaxConn": int64(-1), "IcmpMsgInType3": int64(1), "UdpLiteMemErrors": int64(0), "TcpOutRsts": int64(2)}},
	{name: "netstat", text: netstatText, parse: ParseSNMPPairs, wantN: 7 + 18 + 2,
		spot: map[string]any{"TcpExtListenOverflows": int64(12), "IpExtInOctets": int64(72353609), "MPTcpExtMPCapableSYNTX": int64(3)}},
	{name: "a counter a newer kernel adds appears by itself", parse: ParseSNMPPairs,
		text: "Udp: InDatagrams BrandNewCounter\nUdp: 5 9\n",
		want: []SnmpCounter{{"Udp", "InDatagrams", "UdpInDatagrams", int64(5)}, {"Udp", "BrandNewCounter", "UdpBrandNewCounter", int64(9)}}},
	{name: "trailing spaces, blank lines, no final newline", parse: ParseSNMPPairs,
		text: "\nTcpExt: TW  TWKilled \nTcpExt: 3 0 \n\nIpExt: InOctets\nIpExt: 18446744073709551615",
		want: []SnmpCounter{{"TcpExt", "TW", "TcpExtTW", int64(3)}, {"TcpExt", "TWKilled", "TcpExtTWKilled", int64(0)},
			{"IpExt", "InOctets", "IpExtInOctets", float64(18446744073709551615)}}},
	{name: "snmp6", text: snmp6Text, parse: parseSNMP6,
		want: []SnmpCounter{{"Ip6", "InReceives", "Ip6InReceives", int64(1)}, {"Ip6", "InHdrErrors", "Ip6InHdrErrors", int64(0)},
			{"Icmp6", "InMsgs", "Icmp6InMsgs", int64(4)}, {"Icmp6", "OutType143", "Icmp6OutType143", int64(12)},
			{"Udp6", "InDatagrams", "Udp6InDatagrams", int64(0)}, {"UdpLite6", "InDatagrams", "UdpLite6InDatagrams", int64(0)}}},
	{name: "sctp", text: sctpSNMPText, parse: parseSCTPSNMP,
		want: []SnmpCounter{{"Sctp", "CurrEstab", "SctpCurrEstab", int64(0)}, {"Sctp", "ActiveEstabs", "SctpActiveEstabs", int64(2)}}},
}

type snmpErrorCase struct {
	name     string
	text     string
	parse    func([]byte) ([]SnmpCounter, error)
	wantLine int
	wantText string
}

var snmpErrorCases = []snmpErrorCase{
	{name: "fewer values than names", parse: ParseSNMPPairs,
		text:     "Ip: Forwarding DefaultTTL\nIp: 2 64\nTcp: RtoAlgorithm RtoMin MaxConn\nTcp: 1 200\n",
		wantLine: 4, wantText: "Tcp: 3 names on line 3 but 2 values"},
	{name: "more values than names", parse: ParseSNMPPairs,
		text: "TcpExt: SyncookiesSent\nTcpExt: 1 2\n", wantLine: 2, wantText: "TcpExt: 1 names on line 1 but 2 values"},
	{name: "header at the end without values", parse: ParseSNMPPairs,
		text: "Udp: InDatagrams\nUdp: 1\nIcmpMsg: InType3\n", wantLine: 3, wantText: "IcmpMsg: header line without a value line"},
	{name: "value line of another protocol", parse: ParseSNMPPairs,
		text: "Udp: InDatagrams\nUdpLite: 1\n", wantLine: 2, wantText: `Udp: value line follows as "UdpLite"`},
	{name: "value not a number", parse: ParseSNMPPairs,
		text: "Tcp: MaxConn CurrEstab\nTcp: -1 x7\n", wantLine: 2, wantText: `Tcp: value "x7" of CurrEstab`},
	{name: "no protocol prefix", parse: ParseSNMPPairs,
		text: "Forwarding DefaultTTL\n2 64\n", wantLine: 1, wantText: `no "Protocol:" prefix`},
	{name: "empty protocol", parse: ParseSNMPPairs, text: ": a\n: 1\n", wantLine: 1, wantText: `protocol ""`},
	{name: "snmp6 line with three fields", parse: parseSNMP6,
		text: "Ip6InReceives 1\nIp6InHdrErrors 0 0\n", wantLine: 2, wantText: "3 fields"},
	{name: "snmp6 value not a number", parse: parseSNMP6,
		text: "Ip6InReceives 0x1\n", wantLine: 1, wantText: `Ip6: value "0x1" of Ip6InReceives`},
}

func TestParseSNMP(t *testing.T) {
	for _, tc := range snmpCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.parse([]byte(tc.text))
			if err != nil {
				t.Fatal(err)
			}
			if tc.spot == nil {
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
				return
			}
			if len(got) != tc.wantN {
				t.Errorf("%d counters, want %d", len(got), tc.wantN)
			}
			byKey := map[string]any{}
			for _, c := range got {
				if c.Key != c.Protocol+c.Name {
					t.Errorf("key %q is not protocol %q + name %q", c.Key, c.Protocol, c.Name)
				}
				byKey[c.Key] = c.Value
			}
			for key, want := range tc.spot {
				if byKey[key] != want {
					t.Errorf("%s = %v, want %v", key, byKey[key], want)
				}
			}
		})
	}
}

func TestParseSNMPErrors(t *testing.T) {
	for _, tc := range snmpErrorCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.parse([]byte(tc.text))
			if got != nil {
				t.Errorf("counters %v returned with the error", got)
			}
			tablestest.CheckLineError(t, err, ErrMalformed, tc.wantLine, tc.wantText)
		})
	}
}

func TestSNMP6Protocol(t *testing.T) {
	for key, want := range map[string][2]string{
		"Ip6InReceives":       {"Ip6", "InReceives"},
		"Icmp6InType133":      {"Icmp6", "InType133"},
		"UdpLite6InErrors":    {"UdpLite6", "InErrors"},
		"Unprefixed":          {"Unprefixed", "Unprefixed"},
		"Trailing6":           {"Trailing6", "Trailing6"},
		"Ip6":                 {"Ip6", "Ip6"},
		"Ip6Ip6EncapCounter6": {"Ip6", "Ip6EncapCounter6"},
	} {
		protocol, name := Snmp6Protocol(key)
		if got := [2]string{protocol, name}; got != want {
			t.Errorf("Snmp6Protocol(%q) = %q, want %q", key, got, want)
		}
	}
}

func fuzzSNMPSeeds(f *testing.F) {
	for _, tc := range snmpCases {
		f.Add([]byte(tc.text))
	}
	for _, tc := range snmpErrorCases {
		f.Add([]byte(tc.text))
	}
}

// FuzzParseSNMPPairs checks that any text gives counters or an error naming
// one of its lines, and that every counter's key joins protocol and name.
func FuzzParseSNMPPairs(f *testing.F) {
	fuzzSNMPSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		counters, err := ParseSNMPPairs(data)
		if err != nil {
			tablestest.CheckFuzzError(t, ErrMalformed, data, counters, err)
			return
		}
		for _, c := range counters {
			if c.Key != c.Protocol+c.Name || c.Protocol == "" || strings.ContainsAny(c.Protocol, " \t\n") {
				t.Fatalf("bad counter %+v", c)
			}
		}
	})
}

// FuzzParseSNMPSingle does the same for the one-counter-a-line files.
func FuzzParseSNMPSingle(f *testing.F) {
	fuzzSNMPSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		counters, err := parseSNMP6(data)
		if err != nil {
			tablestest.CheckFuzzError(t, ErrMalformed, data, counters, err)
			return
		}
		for _, c := range counters {
			if !strings.HasPrefix(c.Key, c.Protocol) || !strings.HasSuffix(c.Key, c.Name) {
				t.Fatalf("bad counter %+v", c)
			}
		}
	})
}
