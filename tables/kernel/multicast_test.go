package kernel

import (
	"net/netip"
	"strings"
	"testing"

	"netsql/tables/tablestest"

	"github.com/google/go-cmp/cmp"
)

// /proc/net/igmp: the header, then each device line followed by its groups.
// eth0 and lo are this kernel's (6.18) text; vethlongname0 (13 bytes) touches
// the colon, and its groups have a running timer and the reporter flag.
const igmpText = "Idx\tDevice    : Count Querier\tGroup    Users Timer\tReporter\n" +
	"1\tlo        :     1      V3\n" +
	"\t\t\t\t010000E0     1 0:00000000\t\t0\n" +
	"4\teth0      :     2      V3\n" +
	"\t\t\t\t030201EF     2 0:00000000\t\t1\n" +
	"\t\t\t\t010000E0     1 0:00000000\t\t0\n" +
	"12\tvethlongname0:     1      V2\n" +
	"\t\t\t\tFB0000E0     1 1:0000002A\t\t0\n"

// /proc/net/igmp6 of this kernel plus a joined group with a running timer
// (flags MAF_TIMER_RUNNING|MAF_LAST_REPORTER|MAF_LOADED).
const igmp6Text = "1    lo              ff020000000000000000000000000001     1 0000000C 0\n" +
	"1    lo              ff010000000000000000000000000001     1 00000008 0\n" +
	"4    eth0            ff0200000000000000000001ff000002     1 00000004 0\n" +
	"4    eth0            ff050000000000000000000000010003     2 00000007 35\n"

// /proc/net/dev_mcast of this kernel plus a static address (ip maddr add).
const devMcastText = "2    ifb0            1     0     333300000001\n" +
	"4    eth0            1     0     01005e000001\n" +
	"4    eth0            1     1     333300000123\n"

type multicastCase struct {
	name  string
	text  string
	parse func([]byte) ([]MulticastGroup, error)
	want  []MulticastGroup
}

var multicastCases = []multicastCase{
	{name: "igmp empty", text: "", parse: ParseIGMP},
	{name: "igmp header only", text: "Idx\tDevice    : Count Querier\tGroup    Users Timer\tReporter\n", parse: ParseIGMP},
	{name: "igmp groups under their device lines", text: igmpText, parse: ParseIGMP, want: []MulticastGroup{
		{Ifindex: 1, Interface: "lo", Family: "inet", Group: "224.0.0.1", Users: 1, Querier: "V3"},
		{Ifindex: 4, Interface: "eth0", Family: "inet", Group: "239.1.2.3", Users: 2, Querier: "V3", Reporter: true},
		{Ifindex: 4, Interface: "eth0", Family: "inet", Group: "224.0.0.1", Users: 1, Querier: "V3"},
		{Ifindex: 12, Interface: "vethlongname0", Family: "inet", Group: "224.0.0.251", Users: 1, Querier: "V2", TimerMs: 420},
	}},
	{name: "igmp6", text: igmp6Text, parse: ParseIGMP6, want: []MulticastGroup{
		{Ifindex: 1, Interface: "lo", Family: "inet6", Group: "ff02::1", Users: 1},
		{Ifindex: 1, Interface: "lo", Family: "inet6", Group: "ff01::1", Users: 1},
		{Ifindex: 4, Interface: "eth0", Family: "inet6", Group: "ff02::1:ff00:2", Users: 1},
		{Ifindex: 4, Interface: "eth0", Family: "inet6", Group: "ff05::1:3", Users: 2, Reporter: true, TimerMs: 350},
	}},
	{name: "dev_mcast", text: devMcastText, parse: ParseDevMcast, want: []MulticastGroup{
		{Ifindex: 2, Interface: "ifb0", Family: "link", Group: "33:33:00:00:00:01", Users: 1},
		{Ifindex: 4, Interface: "eth0", Family: "link", Group: "01:00:5e:00:00:01", Users: 1},
		{Ifindex: 4, Interface: "eth0", Family: "link", Group: "33:33:00:00:01:23", Users: 1, GlobalUse: 1},
	}},
}

var multicastErrorCases = []struct {
	name     string
	text     string
	parse    func([]byte) ([]MulticastGroup, error)
	wantLine int
	wantText string
}{
	{name: "igmp group line before its device line", parse: ParseIGMP,
		text:     "Idx\tDevice    : Count Querier\tGroup    Users Timer\tReporter\n\t\t\t\t010000E0     1 0:00000000\t\t0\n",
		wantLine: 2, wantText: "group line before any device line"},
	{name: "igmp device line without colon", parse: ParseIGMP, text: "1\tlo     1      V3\n", wantLine: 1, wantText: "without a colon"},
	{name: "igmp device without querier", parse: ParseIGMP, text: "1\tlo        :     1\n", wantLine: 1, wantText: "device lo: 1 fields after the colon"},
	{name: "igmp short group", parse: ParseIGMP, text: "1\tlo        :     1      V3\n\t\t\t\t010000E0     1\n", wantLine: 2, wantText: "group line has 2 fields"},
	{name: "igmp bad group", parse: ParseIGMP, text: "1\tlo        :     1      V3\n\t\t\t\t10000E0     1 0:00000000\t\t0\n", wantLine: 2, wantText: `group "10000E0"`},
	{name: "igmp bad timer", parse: ParseIGMP, text: "1\tlo        :     1      V3\n\t\t\t\t010000E0     1 2:00000000\t\t0\n", wantLine: 2, wantText: `timer "2:00000000"`},
	{name: "igmp6 short line", parse: ParseIGMP6, text: "1    lo              ff020000000000000000000000000001     1 0000000C\n", wantLine: 1, wantText: "5 fields"},
	{name: "igmp6 bad group", parse: ParseIGMP6, text: "1    lo              ff02::1     1 0000000C 0\n", wantLine: 1, wantText: `group "ff02::1"`},
	{name: "dev_mcast odd address", parse: ParseDevMcast, text: "4    eth0            1     0     01005e00000\n", wantLine: 1, wantText: `address "01005e00000"`},
	{name: "dev_mcast bad users", parse: ParseDevMcast, text: "4    eth0            x     0     01005e000001\n", wantLine: 1, wantText: `users "x"`},
}

func TestParseMulticast(t *testing.T) {
	tablestest.SkipUnlessLittleEndian(t) // igmp groups are native-endian words
	for _, tc := range multicastCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.parse([]byte(tc.text))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	for _, tc := range multicastErrorCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.parse([]byte(tc.text))
			if got != nil {
				t.Errorf("groups %v returned with the error", got)
			}
			tablestest.CheckLineError(t, err, ErrMalformed, tc.wantLine, tc.wantText)
		})
	}
}

func fuzzMulticast(f *testing.F, parse func([]byte) ([]MulticastGroup, error)) {
	for _, tc := range multicastCases {
		f.Add([]byte(tc.text))
	}
	for _, tc := range multicastErrorCases {
		f.Add([]byte(tc.text))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		groups, err := parse(data)
		if err != nil {
			tablestest.CheckFuzzError(t, ErrMalformed, data, groups, err)
			return
		}
		for _, g := range groups {
			if g.Family == "link" {
				if g.Group != "" && strings.Count(g.Group, ":")*3+2 != len(g.Group) {
					t.Fatalf("bad link-layer group %q", g.Group)
				}
			} else if _, err := netip.ParseAddr(g.Group); err != nil {
				t.Fatalf("group %q: %v", g.Group, err)
			}
			if g.Interface == "" || g.TimerMs < 0 {
				t.Fatalf("bad group %+v", g)
			}
		}
	})
}

// FuzzParseIGMP, FuzzParseIGMP6 and FuzzParseDevMcast check that any text
// gives groups with real addresses or an error naming one of its lines.
func FuzzParseIGMP(f *testing.F)     { fuzzMulticast(f, ParseIGMP) }
func FuzzParseIGMP6(f *testing.F)    { fuzzMulticast(f, ParseIGMP6) }
func FuzzParseDevMcast(f *testing.F) { fuzzMulticast(f, ParseDevMcast) }
