package tables

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"netsql/tables/kernel"

	"github.com/google/go-cmp/cmp"
)

// The text ip and ss print (glibc's inet_ntop) for each form, as both
// printed it in a namespace on the development machine; the live test
// TestLiveAddressTextMatchesSSAndIP checks them against the tools again.
func TestAddrTextAsIPAndSSPrint(t *testing.T) {
	cases := map[string]string{
		"10.1.2.3":             "10.1.2.3",
		"::":                   "::",
		"::1":                  "::1",
		"::2":                  "::2",
		"::ffff":               "::ffff",
		"::10.1.2.4":           "::10.1.2.4", // IPv4-compatible: netip says ::a01:204
		"::1:2":                "::0.1.0.2",
		"::1:0":                "::0.1.0.0",
		"::ffff:10.1.2.3":      "::ffff:10.1.2.3", // IPv4-mapped
		"::ffff:0.0.0.1":       "::ffff:0.0.0.1",
		"::ffff:0:10.1.2.6":    "::ffff:0:a01:206", // IPv4-translated: hex
		"64:ff9b::10.1.2.5":    "64:ff9b::a01:205", // NAT64: hex
		"2001:db8::10.1.2.7":   "2001:db8::a01:207",
		"1::10.1.2.4":          "1::a01:204",
		"fe80::1%eth0":         "fe80::1%eth0",
		"::10.1.2.4%eth0":      "::10.1.2.4%eth0",
		"2001:db8:0:0:1:0:0:1": "2001:db8::1:0:0:1",
	}
	for in, want := range cases {
		if got := addrText(netip.MustParseAddr(in)); got != want {
			t.Errorf("addrText(%s) = %q, want %q", in, got, want)
		}
	}
	prefixes := map[string]string{
		"::10.9.0.0/112":      "::10.9.0.0/112",
		"::ffff:10.9.0.0/112": "::ffff:10.9.0.0/112",
		"::/96":               "::/96",
		"64:ff9b::/96":        "64:ff9b::/96",
		"10.0.0.0/8":          "10.0.0.0/8",
	}
	for in, want := range prefixes {
		if got := prefixText(netip.MustParsePrefix(in)); got != want {
			t.Errorf("prefixText(%s) = %q, want %q", in, got, want)
		}
	}
}

// The file sources print the same text: a tree whose tcp6, if_inet6 and
// ipv6_route hold the IPv4-compatible, mapped and NAT64 forms.
func TestFileSourcesPrintAddressesAsIPAndSS(t *testing.T) {
	root := fixtureRoot(t, nil)
	// tcp6 holds an address as four native-endian 32-bit words in hex.
	procHex := func(s string) string {
		b := netip.MustParseAddr(s).As16()
		var out strings.Builder
		for i := 0; i < 16; i += 4 {
			fmt.Fprintf(&out, "%08X", binary.NativeEndian.Uint32(b[i:i+4]))
		}
		return out.String()
	}
	netHex := func(s string) string {
		b := netip.MustParseAddr(s).As16()
		return hex.EncodeToString(b[:])
	}
	tcp6 := "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
	for i, pair := range [][2]string{{"::10.1.2.4", "::10.1.2.4"}, {"::ffff:10.1.2.3", "::ffff:10.1.2.3"},
		{"64:ff9b::10.1.2.5", "::1:2"}} {
		tcp6 += fmt.Sprintf("   %d: %s:1B59 %s:9C40 01 00000000:00000000 00:00000000 00000000     0        0 %d 1 0000000000000000 20 4 30 10 -1\n",
			i, procHex(pair[0]), procHex(pair[1]), 5000+i)
	}
	ifInet6 := fmt.Sprintf("%s 02 80 00 80     eth0\n%s 02 80 00 80     eth0\n%s 02 80 00 80     eth0\n",
		netHex("::10.1.2.4"), netHex("::ffff:10.1.2.3"), netHex("64:ff9b::10.1.2.5"))
	ipv6Route := fmt.Sprintf("%s 70 %s 00 %s 00000400 00000001 00000000 00000003     eth0\n%s 60 %s 00 %s 00000400 00000001 00000000 00000001     eth0\n",
		netHex("::10.9.0.0"), netHex("::"), netHex("::10.1.1.1"), netHex("64:ff9b::"), netHex("::"), netHex("::"))
	for name, text := range map[string]string{"tcp6": tcp6, "if_inet6": ifInet6, "ipv6_route": ipv6Route} {
		if err := os.WriteFile(filepath.Join(root, "proc", "net", name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	e := openFixture(t, kernel.RootSource(root))
	rows := query(t, e, `SELECT local_addr, remote_addr FROM sockets WHERE proto = 'tcp6' ORDER BY inode`)
	want := [][]any{{"::10.1.2.4", "::10.1.2.4"}, {"::ffff:10.1.2.3", "::ffff:10.1.2.3"}, {"64:ff9b::a01:205", "::0.1.0.2"}}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("sockets from tcp6 (-want +got):\n%s", diff)
	}
	rows = query(t, e, `SELECT address FROM addresses ORDER BY address`)
	want = [][]any{{"64:ff9b::a01:205"}, {"::10.1.2.4"}, {"::ffff:10.1.2.3"}}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("addresses from if_inet6 (-want +got):\n%s", diff)
	}
	rows = query(t, e, `SELECT destination, gateway FROM routes WHERE family = 'inet6' ORDER BY destination`)
	want = [][]any{{"64:ff9b::/96", nil}, {"::10.9.0.0/112", "::10.1.1.1"}}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("routes from ipv6_route (-want +got):\n%s", diff)
	}
}
