package tables

import (
	"testing"

	"netsql/tables/tablestest"

	"github.com/google/go-cmp/cmp"
)

// TestFixtureAddresses reads /proc/net/if_inet6: IPv6 only, as the
// dataset's doc says.
func TestFixtureAddresses(t *testing.T) {
	e, _ := openRtnlFixture(t, nil)
	rows := query(t, e, `SELECT interface, ifindex, family, address, prefix_len, scope, broadcast, peer, flags, label,
		valid_lft_s, preferred_lft_s FROM addresses`)
	N := any(nil)
	want := [][]any{
		{"lo", int64(1), "inet6", "::1", int64(128), "host", N, N, "permanent", N, N, N},
		{"eth0", int64(2), "inet6", "2001:db8::2", int64(64), "global", N, N, "permanent", N, N, N},
		{"eth0", int64(2), "inet6", "2001:db8::1111:2222:3333:4444", int64(64), "global", N, N, "temporary,deprecated", N, N, N},
		{"eth0", int64(2), "inet6", "fe80::5054:ff:fe12:3456", int64(64), "link", N, N, "permanent", N, N, N},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("addresses (-want +got):\n%s", diff)
	}
	// ip -br addr: the addresses of each interface that is up.
	rows = query(t, e, `SELECT i.name, group_concat(a.address || '/' || a.prefix_len, ' ')
		FROM interfaces i JOIN addresses a ON a.ifindex = i.ifindex
		WHERE i.operstate = 'UP' AND a.scope = 'global' GROUP BY i.name ORDER BY i.name`)
	if diff := cmp.Diff([][]any{{"eth0", "2001:db8::2/64 2001:db8::1111:2222:3333:4444/64"}}, rows); diff != "" {
		t.Errorf("global addresses of up interfaces (-want +got):\n%s", diff)
	}
}

// TestFixtureNeighbors reads /proc/net/arp: permanent, resolved (VALID),
// incomplete and proxy entries.
func TestFixtureNeighbors(t *testing.T) {
	tablestest.SkipUnlessLittleEndian(t) // the join reads /proc/net/route
	e, _ := openRtnlFixture(t, nil)
	rows := query(t, e, `SELECT family, address, mac, interface, ifindex, state, flags FROM neighbors`)
	N := any(nil)
	want := [][]any{
		{"inet", "192.168.1.1", "52:54:00:aa:bb:01", "eth0", int64(2), "VALID", ""},
		{"inet", "192.168.1.50", "52:54:00:aa:bb:50", "eth0", int64(2), "PERMANENT", ""},
		{"inet", "192.168.1.77", N, "eth0", int64(2), "INCOMPLETE", ""},
		{"inet", "10.17.0.9", N, "br0", int64(3), "PERMANENT", "proxy"},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("neighbors (-want +got):\n%s", diff)
	}
	// The gateway of the default route is a resolved neighbour.
	rows = query(t, e, `SELECT n.mac, n.state FROM routes r JOIN neighbors n ON n.address = r.gateway AND n.interface = r.interface
		WHERE r.destination = '0.0.0.0/0'`)
	if diff := cmp.Diff([][]any{{"52:54:00:aa:bb:01", "VALID"}}, rows); diff != "" {
		t.Errorf("default gateway's neighbour (-want +got):\n%s", diff)
	}
}
