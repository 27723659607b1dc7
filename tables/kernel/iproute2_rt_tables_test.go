package kernel

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// rt_tables as iproute2 6.1 ships it, with a custom table, a hex id, a
// trailing comment and lines ip skips.
const rtTablesText = `#
# reserved values
#
255	local
254	main
253	default
0	unspec
#
# local
#
#1	inr.ruhep
100	vpn
0x80 mgmt # management network
100000 big
vpn2
-1 negative
4294967296 toolarge
`

func TestParseRTTables(t *testing.T) {
	names, bad := ParseRTTables([]byte(rtTablesText))
	want := map[uint32]string{255: "local", 254: "main", 253: "default", 0: "unspec", 100: "vpn", 128: "mgmt", 100000: "big"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{15, 16, 17}, bad); diff != "" {
		t.Errorf("skipped lines (-want +got):\n%s", diff)
	}
}

func FuzzParseRTTables(f *testing.F) {
	f.Add([]byte(rtTablesText))
	f.Fuzz(func(t *testing.T, data []byte) {
		names, bad := ParseRTTables(data)
		for _, name := range names {
			if name == "" || len(name) > len(data) {
				t.Fatalf("name %q from %q", name, data)
			}
		}
		if len(bad) > len(data) {
			t.Fatalf("%d bad lines from %d bytes", len(bad), len(data))
		}
	})
}
