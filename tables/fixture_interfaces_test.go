package tables

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// veth0's master is a symlink, which module zips cannot carry.
var fixtureMasterLink = map[string]string{"sys/class/net/veth0/master": "../../../devices/virtual/net/br0"}

func TestFixtureInterfaces(t *testing.T) {
	e, _ := openRtnlFixture(t, fixtureMasterLink)
	rows := query(t, e, `SELECT name, ifindex, kind, master, link_type, mtu, mac, flags, operstate, carrier,
		speed_mbps, duplex, qdisc, txqueuelen FROM interfaces`)
	N := any(nil)
	want := [][]any{
		{"lo", int64(1), N, N, "loopback", int64(65536), "00:00:00:00:00:00", "UP,LOOPBACK,RUNNING,LOWER_UP", "UNKNOWN", int64(1), N, N, N, int64(1000)},
		{"eth0", int64(2), N, N, "ether", int64(1500), "52:54:00:12:34:56", "UP,BROADCAST,RUNNING,MULTICAST,LOWER_UP", "UP", int64(1), int64(1000), "full", N, int64(1000)},
		{"br0", int64(3), "bridge", N, "ether", int64(1500), "02:42:ac:11:00:01", "BROADCAST,MULTICAST", "DOWN", N, N, "unknown", N, int64(0)},
		{"veth0", int64(4), N, "br0", "ether", int64(1500), "8a:5e:1c:00:00:04", "UP,BROADCAST,RUNNING,PROMISC,MULTICAST,LOWER_UP", "UP", int64(1), int64(10000), "full", N, int64(1000)},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("interfaces (-want +got):\n%s", diff)
	}

	// eth0 has /sys statistics: every counter as the kernel names it.
	// veth0 has none: /proc/net/dev fills what it has, its sums included.
	rows = query(t, e, `SELECT name, rx_bytes, rx_packets, rx_errors, rx_dropped, rx_missed_errors, rx_fifo_errors,
		rx_over_errors, rx_crc_errors, rx_frame_errors, rx_length_errors, rx_compressed, rx_nohandler,
		rx_otherhost_dropped, multicast, tx_bytes, tx_packets, tx_errors, tx_dropped, tx_aborted_errors,
		tx_carrier_errors, tx_fifo_errors, tx_heartbeat_errors, tx_window_errors, tx_compressed, collisions
		FROM interfaces WHERE name IN ('eth0', 'veth0') ORDER BY ifindex`)
	i := func(v int64) any { return v }
	want = [][]any{
		{"eth0", i(123456789012), i(987654), i(1), i(1), i(1), i(3), i(1), i(1), i(1), i(1), i(0), i(7), N, i(55),
			i(987654321), i(123456), i(5), i(6), i(2), i(3), i(7), i(2), i(2), i(0), i(8)},
		{"veth0", i(3000), i(30), i(0), i(4), N, i(0), N, N, i(5), N, i(0), N, N, i(0),
			i(4000), i(40), i(0), i(0), N, i(6), i(0), N, N, i(0), i(0)},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("counters (-want +got):\n%s", diff)
	}

	// netstat -i: interfaces that are up, with their errors.
	rows = query(t, e, `SELECT name FROM interfaces WHERE ',' || flags || ',' LIKE '%,UP,%' AND rx_errors + tx_errors > 0`)
	if diff := cmp.Diff([][]any{{"eth0"}}, rows); diff != "" {
		t.Errorf("up interfaces with errors (-want +got):\n%s", diff)
	}
}

// TestFixtureInterfacesWithoutProcNetDev lists /sys/class/net when the tree
// has no /proc/net/dev.
func TestFixtureInterfacesWithoutProcNetDev(t *testing.T) {
	e, src := openRtnlFixture(t, nil)
	if err := os.Remove(filepath.Join(src.Proc, "net", "dev")); err != nil {
		t.Fatal(err)
	}
	rows := query(t, e, `SELECT name, ifindex, rx_bytes FROM interfaces ORDER BY ifindex`)
	want := [][]any{{"lo", int64(1), int64(12345)}, {"eth0", int64(2), int64(123456789012)}, {"br0", int64(3), int64(1000)}, {"veth0", int64(4), nil}}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("interfaces from /sys alone (-want +got):\n%s", diff)
	}
}

func TestFixtureInterfacesMalformed(t *testing.T) {
	e, src := openRtnlFixture(t, nil)
	path := filepath.Join(src.Proc, "net", "dev")
	if err := os.WriteFile(path, []byte("Inter-|\n face |\n  eth0: 1 2 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, _, err := e.Query(t.Context(), "SELECT * FROM interfaces")
	if err == nil || !strings.Contains(err.Error(), path+" line 3: malformed") {
		t.Errorf("error %v, want one naming %s line 3", err, path)
	}
}
