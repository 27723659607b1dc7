package kernel

import (
	"net/netip"
	"strings"
	"testing"

	"netsql/tables/tablestest"

	"github.com/google/go-cmp/cmp"
)

// /proc/net/arp from Linux 6.18: a resolved entry (0x2), a permanent one
// (0x6), an incomplete one (0x0, zero MAC) and a proxy entry (0xc).
const arpText = `IP address       HW type     Flags       HW address            Mask     Device
192.0.2.1        0x1         0x2         02:fc:00:00:00:05     *        eth0
10.9.0.5         0x1         0x6         02:00:00:00:00:05     *        v0
10.9.0.77        0x1         0x0         00:00:00:00:00:00     *        v0
10.9.0.9         0x1         0xc         00:00:00:00:00:00     *        v0
`

func TestParseProcNetArp(t *testing.T) {
	got, err := ParseProcNetArp([]byte(arpText))
	if err != nil {
		t.Fatal(err)
	}
	a := netip.MustParseAddr
	want := []arpEntry{
		{Addr: a("192.0.2.1"), HWType: 1, Flags: 2, MAC: "02:fc:00:00:00:05", Device: "eth0"},
		{Addr: a("10.9.0.5"), HWType: 1, Flags: 6, MAC: "02:00:00:00:00:05", Device: "v0"},
		{Addr: a("10.9.0.77"), HWType: 1, Flags: 0, MAC: "00:00:00:00:00:00", Device: "v0"},
		{Addr: a("10.9.0.9"), HWType: 1, Flags: 0xc, MAC: "00:00:00:00:00:00", Device: "v0"},
	}
	if diff := cmp.Diff(want, got, routeCmpOptions); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	header := arpText[:strings.IndexByte(arpText, '\n')+1]
	if got, err := ParseProcNetArp([]byte(header)); err != nil || got != nil {
		t.Errorf("header only: %v, %v; want no rows", got, err)
	}
}

func TestParseProcNetArpErrors(t *testing.T) {
	header := arpText[:strings.IndexByte(arpText, '\n')+1]
	for _, tc := range []struct {
		name, text, wantText string
		wantLine             int
	}{
		{"no device", header + "192.0.2.1        0x1         0x2         02:fc:00:00:00:05     *\n", "5 fields", 2},
		{"IPv6 address", header + "fd00::1        0x1         0x2         02:fc:00:00:00:05     *        eth0\n", "address", 2},
		{"bad type", header + "192.0.2.1        ether         0x2         02:fc:00:00:00:05     *        eth0\n", "HW type", 2},
		{"bad flags", arpText + "192.0.2.1        0x1         C         02:fc:00:00:00:05     *        eth0\n", "flags", 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows, err := ParseProcNetArp([]byte(tc.text))
			tablestest.CheckLineError(t, err, ErrMalformed, tc.wantLine, tc.wantText)
			if rows != nil {
				t.Errorf("rows %v returned with the error", rows)
			}
		})
	}
}

func FuzzParseProcNetArp(f *testing.F) {
	f.Add([]byte(arpText))
	f.Add([]byte("192.0.2.1 ether 0x2 02:fc:00:00:00:05 * eth0\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := ParseProcNetArp(data)
		if err != nil {
			tablestest.CheckFuzzError(t, ErrMalformed, data, entries, err)
			return
		}
		for _, e := range entries {
			if !e.Addr.Is4() || e.Device == "" || e.MAC == "" {
				t.Fatalf("entry %+v from %q", e, data)
			}
		}
	})
}
