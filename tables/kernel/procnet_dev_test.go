package kernel

import (
	"testing"

	"netsql/tables/tablestest"

	"github.com/google/go-cmp/cmp"
)

// /proc/net/dev as Linux 6.18 prints it: two header lines, names
// right-aligned, and a receive byte count wide enough to touch the colon.
const procDevText = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:    3193      29    0    0    0     0          0         0     3193      29    0    0    0     0       0          0
  eth0:123456789012 987654    1    2    3     4          0        55 987654321  123456    5    6    7     8       9          0
veth-with-long:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0
`

func TestParseProcNetDev(t *testing.T) {
	got, err := ParseProcNetDev([]byte(procDevText))
	if err != nil {
		t.Fatal(err)
	}
	want := []ProcDev{
		{Name: "lo", Counters: [16]uint64{3193, 29, 0, 0, 0, 0, 0, 0, 3193, 29}},
		{Name: "eth0", Counters: [16]uint64{123456789012, 987654, 1, 2, 3, 4, 0, 55, 987654321, 123456, 5, 6, 7, 8, 9, 0}},
		{Name: "veth-with-long"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if got, err := ParseProcNetDev(nil); err != nil || got != nil {
		t.Errorf("empty file: %v, %v; want no rows", got, err)
	}
}

func TestParseProcNetDevErrors(t *testing.T) {
	const header = "Inter-|   Receive |  Transmit\n face |bytes packets|bytes packets\n"
	for _, tc := range []struct {
		name, text, wantText string
		wantLine             int
	}{
		{"no colon", header + "    lo    3193      29    0    0    0     0          0         0     3193      29    0    0    0     0       0          0\n", "without", 3},
		{"no name", header + "   :    3193      29    0    0    0     0          0         0     3193      29    0    0    0     0       0          0\n", "without", 3},
		{"too few counters", header + "  eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15\n", "15 counters", 3},
		{"negative counter", header + "  eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 -16\n", "tx_compressed", 3},
		{"overflowing counter", header + "  eth0: 18446744073709551616 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n", "rx_bytes", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows, err := ParseProcNetDev([]byte(tc.text))
			tablestest.CheckLineError(t, err, ErrMalformed, tc.wantLine, tc.wantText)
			if rows != nil {
				t.Errorf("rows %v returned with the error", rows)
			}
		})
	}
}

func FuzzParseProcNetDev(f *testing.F) {
	f.Add([]byte(procDevText))
	f.Add([]byte("  eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		devs, err := ParseProcNetDev(data)
		if err != nil {
			tablestest.CheckFuzzError(t, ErrMalformed, data, devs, err)
			return
		}
		for _, d := range devs {
			if d.Name == "" || len(d.Name) > len(data) {
				t.Fatalf("device %+v from %q", d, data)
			}
		}
	})
}
