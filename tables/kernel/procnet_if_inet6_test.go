package kernel

import (
	"net/netip"
	"testing"

	"netsql/tables/tablestest"

	"github.com/google/go-cmp/cmp"
)

// /proc/net/if_inet6 from Linux 6.18: loopback (scope 10), a global address
// added with nodad (flags 82), a tentative link-local one (c0... 40 is
// tentative, 80 permanent), and an ifindex past two hex digits.
const ifInet6Text = `00000000000000000000000000000001 01 80 10 80       lo
fd090000000000000000000000000001 02 40 00 82       v0
fe8000000000000010175afffe976b86 02 40 20 c0       v0
20010db8000000001111222233334444 1a3 40 00 21 veth-long-name
`

func TestParseIfInet6(t *testing.T) {
	got, err := ParseIfInet6([]byte(ifInet6Text))
	if err != nil {
		t.Fatal(err)
	}
	a := netip.MustParseAddr
	want := []ifInet6{
		{Addr: a("::1"), Ifindex: 1, PrefixLen: 128, Scope: 0x10, Flags: 0x80, Name: "lo"},
		{Addr: a("fd09::1"), Ifindex: 2, PrefixLen: 64, Scope: 0, Flags: 0x82, Name: "v0"},
		{Addr: a("fe80::1017:5aff:fe97:6b86"), Ifindex: 2, PrefixLen: 64, Scope: 0x20, Flags: 0xc0, Name: "v0"},
		{Addr: a("2001:db8::1111:2222:3333:4444"), Ifindex: 0x1a3, PrefixLen: 64, Scope: 0, Flags: 0x21, Name: "veth-long-name"},
	}
	if diff := cmp.Diff(want, got, routeCmpOptions); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestParseIfInet6Errors(t *testing.T) {
	for _, tc := range []struct {
		name, text, wantText string
		wantLine             int
	}{
		{"no device", "00000000000000000000000000000001 01 80 10 80\n", "5 fields", 1},
		{"short address", "0000000000000000000000000001 01 80 10 80 lo\n", "address", 1},
		{"bad ifindex", ifInet6Text + "00000000000000000000000000000001 zz 80 10 80 lo\n", "ifindex", 5},
		{"prefix too long", "00000000000000000000000000000001 01 81 10 80 lo\n", "prefix length", 1},
		{"flags beyond 8 bits", "00000000000000000000000000000001 01 80 10 180 lo\n", "flags", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows, err := ParseIfInet6([]byte(tc.text))
			tablestest.CheckLineError(t, err, ErrMalformed, tc.wantLine, tc.wantText)
			if rows != nil {
				t.Errorf("rows %v returned with the error", rows)
			}
		})
	}
}

func FuzzParseIfInet6(f *testing.F) {
	f.Add([]byte(ifInet6Text))
	f.Add([]byte("00000000000000000000000000000001 01 81 10 80 lo\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		addrs, err := ParseIfInet6(data)
		if err != nil {
			tablestest.CheckFuzzError(t, ErrMalformed, data, addrs, err)
			return
		}
		for _, a := range addrs {
			if !a.Addr.Is6() || a.PrefixLen > 128 || a.Name == "" {
				t.Fatalf("address %+v from %q", a, data)
			}
		}
	})
}
