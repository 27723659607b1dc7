package kernel

import (
	"net/netip"
	"testing"

	"netsql/tables/tablestest"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// routeCmpOptions compares parsed routes: netip values by ==.
var routeCmpOptions = cmp.Options{
	cmp.Comparer(func(a, b netip.Prefix) bool { return a == b }),
	cmp.Comparer(func(a, b netip.Addr) bool { return a == b }),
	cmpopts.EquateEmpty(),
}

// Kernel text from a Linux 6.18 x86_64 namespace: a header padded with
// spaces, rows padded to 128 bytes, "*" for a route without a device, a
// reject (unreachable) route with flags 0201.
const (
	routeHeader      = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT                                                       \n"
	routeDefault     = "eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0                                                                               \n"
	routeConnected   = "v0\t0000090A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0                                                                                 \n"
	routeBlackhole   = "*\t0000280A\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0                                                                                  \n"
	routeUnreachable = "*\t0000320A\t00000000\t0201\t0\t0\t0\t0000FFFF\t0\t0\t0                                                                                  \n"
	routeHostMetric  = "eth0\t0A0A0A0A\t0201A8C0\t0007\t0\t0\t-1\tFFFFFFFF\t1440\t0\t0\n"
)

func TestParseProcNetRoute(t *testing.T) {
	tablestest.SkipUnlessLittleEndian(t)
	p := netip.MustParsePrefix
	a := netip.MustParseAddr
	for _, tc := range []struct {
		name string
		text string
		want []ProcRoute
	}{
		{"header only", routeHeader, nil},
		{"empty", "", nil},
		{"default and connected", routeHeader + routeDefault + routeConnected, []ProcRoute{
			{Iface: "eth0", Dst: p("0.0.0.0/0"), Gateway: a("192.0.2.1"), Flags: 3},
			{Iface: "v0", Dst: p("10.9.0.0/24"), Flags: 1},
		}},
		{"routes without a device", routeHeader + routeBlackhole + routeUnreachable, []ProcRoute{
			{Dst: p("10.40.0.0/16"), Flags: 1},
			{Dst: p("10.50.0.0/16"), Flags: 0x201},
		}},
		{"host route, metric printed negative", routeHeader + routeHostMetric, []ProcRoute{
			{Iface: "eth0", Dst: p("10.10.10.10/32"), Gateway: a("192.168.1.2"), Flags: 7, Metric: 4294967295},
		}},
		{"no trailing newline", routeHeader + "eth0\t00000000\t010200C0\t0003\t0\t0\t100\t00000000\t0\t0\t0", []ProcRoute{
			{Iface: "eth0", Dst: p("0.0.0.0/0"), Gateway: a("192.0.2.1"), Flags: 3, Metric: 100},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseProcNetRoute([]byte(tc.text))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, routeCmpOptions); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseProcNetRouteErrors(t *testing.T) {
	for _, tc := range []struct {
		name, text, wantText string
		wantLine             int
	}{
		{"short line", routeHeader + routeDefault + "eth0\t00000000\t010200C0\n", "3 fields", 3},
		{"bad destination", routeHeader + "eth0\t0000000G\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n", "destination", 2},
		{"short gateway", routeHeader + "eth0\t00000000\t0102C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n", "gateway", 2},
		{"bad flags", routeHeader + "eth0\t00000000\t010200C0\tUG\t0\t0\t0\t00000000\t0\t0\t0\n", "flags", 2},
		{"bad metric", routeHeader + "eth0\t00000000\t010200C0\t0003\t0\t0\tx\t00000000\t0\t0\t0\n", "metric", 2},
		{"mask with a hole", routeHeader + "eth0\t0000090A\t00000000\t0001\t0\t0\t0\t00FF00FF\t0\t0\t0\n", "not a prefix", 2},
		{"header not first", routeDefault + routeHeader, "destination", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows, err := ParseProcNetRoute([]byte(tc.text))
			tablestest.CheckLineError(t, err, ErrMalformed, tc.wantLine, tc.wantText)
			if rows != nil {
				t.Errorf("rows %v returned with the error", rows)
			}
		})
	}
}

// ipv6_route text from a Linux 6.18 namespace with a connected prefix, a
// multipath route (two lines), a blackhole and the root of each table
// (reject routes on lo, metric ffffffff), local routes and ff00::/8.
const ipv6RouteText = `fd090000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000002 00000000 00000001       v0
fd400000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000400 00000002 00000000 00200200       lo
fd600000000000000000000000000000 40 00000000000000000000000000000000 00 fd090000000000000000000000000002 00000400 00000002 00000000 00000003       v0
fd600000000000000000000000000000 40 00000000000000000000000000000000 00 fd090000000000000000000000000003 00000400 00000001 00000000 00000003       v0
00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo
00000000000000000000000000000001 80 00000000000000000000000000000000 00 00000000000000000000000000000000 00000000 00000002 00000000 80200001       lo
ff000000000000000000000000000000 08 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000004 00000000 00000001       v0
00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo
`

func TestParseProcNetIPv6Route(t *testing.T) {
	p := netip.MustParsePrefix
	a := netip.MustParseAddr
	got, err := ParseProcNetIPv6Route([]byte(ipv6RouteText))
	if err != nil {
		t.Fatal(err)
	}
	want := []ProcRoute{
		{Iface: "v0", Dst: p("fd09::/64"), Flags: 1, Metric: 256},
		{Iface: "lo", Dst: p("fd40::/64"), Flags: 0x200200, Metric: 1024},
		{Iface: "v0", Dst: p("fd60::/64"), Gateway: a("fd09::2"), Flags: 3, Metric: 1024},
		{Iface: "v0", Dst: p("fd60::/64"), Gateway: a("fd09::3"), Flags: 3, Metric: 1024},
		{Iface: "lo", Dst: p("::/0"), Flags: 0x200200, Metric: 4294967295},
		{Iface: "lo", Dst: p("::1/128"), Flags: 0x80200001},
		{Iface: "v0", Dst: p("ff00::/8"), Flags: 1, Metric: 256},
		{Iface: "lo", Dst: p("::/0"), Flags: 0x200200, Metric: 4294967295},
	}
	if diff := cmp.Diff(want, got, routeCmpOptions); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestParseProcNetIPv6RouteErrors(t *testing.T) {
	const good = "fd090000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000002 00000000 00000001       v0\n"
	for _, tc := range []struct {
		name, text, wantText string
		wantLine             int
	}{
		{"no device", good + "fd090000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000002 00000000 00000001\n", "9 fields", 2},
		{"short destination", "fd09 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000002 00000000 00000001 v0\n", "destination", 1},
		{"prefix too long", "fd090000000000000000000000000000 81 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000002 00000000 00000001 v0\n", "prefix length", 1},
		{"bad next hop", "fd090000000000000000000000000000 40 00000000000000000000000000000000 00 zz090000000000000000000000000000 00000100 00000002 00000000 00000001 v0\n", "next hop", 1},
		{"bad metric", "fd090000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 1000000000 00000002 00000000 00000001 v0\n", "metric", 1},
		{"bad flags", good + good + "fd090000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000002 00000000 U v0\n", "flags", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows, err := ParseProcNetIPv6Route([]byte(tc.text))
			tablestest.CheckLineError(t, err, ErrMalformed, tc.wantLine, tc.wantText)
			if rows != nil {
				t.Errorf("rows %v returned with the error", rows)
			}
		})
	}
}

func TestRouteFlagLetters(t *testing.T) {
	for _, tc := range []struct {
		flags uint32
		ipv6  bool
		want  string
	}{
		{0x0001, false, "U"},
		{0x0003, false, "UG"},
		{0x0007, false, "UGH"},
		{0x0201, false, "!"}, // netstat prints a reject route as "!" alone
		{0x0205, false, "!H"},
		{0x0039, false, "URDM"},
		{0x00200200, true, "!n"},
		{0x80200001, true, "Un"},
		{0x00450003, true, "UGDAe"}, // a default route learnt from a router advertisement
		{0x01000003, true, "UGC"},
	} {
		f := RouteFlags4
		if tc.ipv6 {
			f = RouteFlags6
		}
		if got := f(tc.flags); got != tc.want {
			t.Errorf("flags %#x (ipv6 %v) = %q, want %q", tc.flags, tc.ipv6, got, tc.want)
		}
	}
}

func FuzzParseProcNetRoute(f *testing.F) {
	for _, s := range []string{routeHeader, routeHeader + routeDefault + routeConnected + routeBlackhole + routeUnreachable, routeHostMetric,
		routeHeader + "eth0\t0000090A\t00000000\t0001\t0\t0\t0\t00FF00FF\t0\t0\t0\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		routes, err := ParseProcNetRoute(data)
		if err != nil {
			tablestest.CheckFuzzError(t, ErrMalformed, data, routes, err)
			return
		}
		for _, r := range routes {
			if !r.Dst.IsValid() || !r.Dst.Addr().Is4() || r.Metric < 0 || r.Metric > 1<<32-1 {
				t.Fatalf("route %+v from %q", r, data)
			}
		}
	})
}

func FuzzParseProcNetIPv6Route(f *testing.F) {
	f.Add([]byte(ipv6RouteText))
	f.Add([]byte("fd090000000000000000000000000000 81 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000002 00000000 00000001 v0\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		routes, err := ParseProcNetIPv6Route(data)
		if err != nil {
			tablestest.CheckFuzzError(t, ErrMalformed, data, routes, err)
			return
		}
		for _, r := range routes {
			if !r.Dst.IsValid() || !r.Dst.Addr().Is6() || r.Iface == "" {
				t.Fatalf("route %+v from %q", r, data)
			}
		}
	})
}
