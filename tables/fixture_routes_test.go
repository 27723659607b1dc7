package tables

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"netsql/tables/engine"
	"netsql/tables/kernel"
	"netsql/tables/tablestest"

	"github.com/google/go-cmp/cmp"
	"github.com/jsimonetti/rtnetlink/v2"
	"golang.org/x/sys/unix"
)

// rtnlDatasets are the datasets read from rtnetlink live and from files
// under a --root tree.
var rtnlDatasets = []*engine.Dataset{Routes, Interfaces, Addresses, Neighbors}

// openRtnlFixture opens an engine with the rtnetlink datasets over a copy
// of the fixture tree; extra adds symlinks (path -> target).
func openRtnlFixture(t *testing.T, extra map[string]string) (*engine.Engine, *kernel.Source) {
	t.Helper()
	src := kernel.RootSource(fixtureRoot(t, extra))
	e, err := Open(context.Background(), src, rtnlDatasets)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e, src
}

func TestFixtureRoutes(t *testing.T) {
	tablestest.SkipUnlessLittleEndian(t)
	e, _ := openRtnlFixture(t, nil)
	rows := query(t, e, `SELECT family, table_id, table_name, destination, gateway, interface, ifindex, metric, flags,
		type, protocol, scope, prefsrc, mtu, weight, nexthop_flags FROM routes`)
	N := any(nil)
	main := []any{"inet", int64(254), "main"}
	v6 := []any{"inet6", N, N}
	rest := []any{N, N, N, N, N, N} // protocol ... nexthop_flags: not in the files
	row := func(head []any, cols ...any) []any {
		return append(append(append([]any{}, head...), cols...), rest...)
	}
	want := [][]any{
		row(main, "0.0.0.0/0", "192.168.1.1", "eth0", int64(2), int64(100), "UG", "unicast"),
		row(main, "192.168.1.0/24", N, "eth0", int64(2), int64(100), "U", "unicast"),
		row(main, "10.17.0.0/16", N, "br0", int64(3), int64(0), "U", "unicast"),
		row(main, "10.10.10.10/32", "192.168.1.2", "eth0", int64(2), int64(0), "UGH", "unicast"),
		row(main, "10.40.0.0/16", N, N, N, int64(0), "U", N),
		row(main, "10.50.0.0/16", N, N, N, int64(0), "!", N),
		row(v6, "2001:db8::/64", N, "eth0", int64(2), int64(256), "U", "unicast"),
		row(v6, "fe80::/64", N, "eth0", int64(2), int64(256), "U", "unicast"),
		row(v6, "::/0", "fe80::1", "eth0", int64(2), int64(1024), "UGDAe", "unicast"),
		row(v6, "fd50::/64", N, "lo", int64(1), int64(1024), "!n", N),
		// (the file's unreachable ::/0 of metric 4294967295 is the kernel's
		// null entry, the root of a table, not a route: left out as ip does)
		row(v6, "::1/128", N, "lo", int64(1), int64(0), "Un", "local"),
		row(v6, "2001:db8::2/128", N, "eth0", int64(2), int64(0), "Un", "local"),
		row(v6, "ff00::/8", N, "eth0", int64(2), int64(256), "U", "multicast"),
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("routes (-want +got):\n%s", diff)
	}
	// netstat -r: the default gateway and what joins to its interface.
	rows = query(t, e, `SELECT r.gateway, i.mac FROM routes r JOIN interfaces i ON i.name = r.interface
		WHERE r.family = 'inet' AND r.destination = '0.0.0.0/0'`)
	if diff := cmp.Diff([][]any{{"192.168.1.1", "52:54:00:12:34:56"}}, rows); diff != "" {
		t.Errorf("default gateway (-want +got):\n%s", diff)
	}
}

// TestRouteTableNames reads the fixture's etc/iproute2: the kernel's
// reserved names, rt_tables and rt_tables.d/*.conf (a hex id), and says
// which lines it skipped.
func TestRouteTableNames(t *testing.T) {
	root := fixtureRoot(t, nil)
	extra := filepath.Join(root, "etc", "iproute2", "rt_tables.d", "zz-broken.conf")
	if err := os.WriteFile(extra, []byte("200 lab\nnot-a-number lab2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Not a .conf file: ip ignores it.
	if err := os.WriteFile(filepath.Join(root, "etc", "iproute2", "rt_tables.d", "README"), []byte("300 readme\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := kernel.NewCollector(context.Background(), kernel.RootSource(root))
	got := routeTableNames(c)
	want := map[uint32]string{253: "default", 254: "main", 255: "local", 0: "unspec", 100: "vpn", 128: "mgmt", 200: "lab"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("table names (-want +got):\n%s", diff)
	}
	wantWarn := []kernel.Warning{{Kind: "lines of " + extra + ` skipped: not "id name" (ip skips them too)`, Count: 1}}
	if diff := cmp.Diff(wantWarn, c.Warnings()); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	// Without an etc tree only the kernel's names are known.
	c = kernel.NewCollector(context.Background(), kernel.RootSource(t.TempDir()))
	want = map[uint32]string{253: "default", 254: "main", 255: "local"}
	if diff := cmp.Diff(want, routeTableNames(c)); diff != "" {
		t.Errorf("table names without etc (-want +got):\n%s", diff)
	}
	if got := tableName(want, 100); got != "100" {
		t.Errorf("an unnamed table is %q, want its number", got)
	}
}

// TestRtnlDatasetsReadOnlyTheRoot checks that, given a --root tree, the
// four datasets read nothing outside it (no netlink, no host files).
func TestRtnlDatasetsReadOnlyTheRoot(t *testing.T) {
	dialed := false
	e, src := openRtnlFixture(t, nil)
	src.DialRtnl = func() (*rtnetlink.Conn, error) {
		dialed = true
		return nil, unix.EPERM
	}
	root := filepath.Dir(src.Proc)
	var outside []string
	src.OnRead = func(path string) {
		if !strings.HasPrefix(path, root+string(filepath.Separator)) {
			outside = append(outside, path)
		}
	}
	for _, d := range rtnlDatasets {
		_, rows, warnings, err := e.Query(context.Background(), "SELECT * FROM "+d.Name)
		if err != nil || len(rows) == 0 || len(warnings) > 0 {
			t.Errorf("%s: %d rows, warnings %q, error %v; want rows, no warning", d.Name, len(rows), warnings, err)
		}
	}
	if dialed || len(outside) > 0 {
		t.Errorf("with a --root tree: netlink dialed %v, read outside the root %q", dialed, outside)
	}
}

// TestRtnlRefusedFallsBackToFiles plays a live system whose kernel refuses
// rtnetlink: each dataset reads its files and says so once.
func TestRtnlRefusedFallsBackToFiles(t *testing.T) {
	tablestest.SkipUnlessLittleEndian(t)
	// The live source reads its own namespace's files through
	// /proc/thread-self, which the tree plays with links.
	root := fixtureRoot(t, map[string]string{"sys/class/net/veth0/master": "../br0",
		"proc/thread-self/net": "../net", "proc/thread-self/ns/net": "net:[4026531840]"})
	fromFiles, err := Open(context.Background(), kernel.RootSource(root), rtnlDatasets)
	if err != nil {
		t.Fatal(err)
	}
	defer fromFiles.Close()
	live := kernel.RootSource(root)
	live.Live = true
	live.DialRtnl = func() (*rtnetlink.Conn, error) { return nil, unix.EPERM }
	refused, err := Open(context.Background(), live, rtnlDatasets)
	if err != nil {
		t.Fatal(err)
	}
	defer refused.Close()
	wantFiles := map[string]string{
		"routes":     "/proc/net/route and /proc/net/ipv6_route",
		"interfaces": "/proc/net/dev and /sys/class/net",
		"addresses":  "/proc/net/if_inet6 (IPv6 only; IPv4 addresses need netlink and are missing)",
		"neighbors":  "/proc/net/arp (IPv4 only)",
	}
	for _, d := range rtnlDatasets {
		q := "SELECT * FROM " + d.Name
		_, want, _, err := fromFiles.Query(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		_, got, warnings, err := refused.Query(context.Background(), q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s when netlink is refused (-files +got):\n%s", d.Name, diff)
		}
		wantWarn := []kernel.Warning{{Kind: "netlink refused for " + d.Name + " (operation not permitted): read " + wantFiles[d.Name] + " instead"}}
		if diff := cmp.Diff(wantWarn, warnings); diff != "" {
			t.Errorf("%s warnings (-want +got):\n%s", d.Name, diff)
		}
	}
	// A join of two refused datasets warns once for each.
	_, _, warnings, err := refused.Query(context.Background(), "SELECT * FROM routes r JOIN interfaces i ON i.name = r.interface")
	if err != nil || len(warnings) != 2 {
		t.Errorf("join: warnings %q, error %v; want one warning per dataset", warnings, err)
	}
	// Another failure is an error, not a fallback.
	live.DialRtnl = func() (*rtnetlink.Conn, error) { return nil, unix.EMFILE }
	if _, _, _, err := refused.Query(context.Background(), "SELECT * FROM routes"); err == nil || !strings.Contains(err.Error(), "too many open files") {
		t.Errorf("EMFILE: error %v, want it reported", err)
	}
}
