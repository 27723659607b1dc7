package tables

import (
	"context"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"netsql/tables/engine"
	"netsql/tables/kernel"
	"netsql/tables/tablestest"
)

// The namespaces of the containers overlay (tablestest.ContainersRoot).
const (
	hostNs    = int64(4026531840) // proc/self, pid 1, sshd, nginx
	blueNs    = int64(4026532000) // pid 2044, named blue
	dockerNs  = int64(4026532100) // pid 3100
	podNs     = int64(4026532200) // pids 3200 (sandbox), 3201
	crioNs    = int64(4026532300) // pid 3300, named cni-...
	podmanNs  = int64(4026532400)
	lxcNs     = int64(4026532500)
	nspawnNs  = int64(4026532600)
	fixtureNs = hostNs
)

// scopedDatasets are the namespace-scoped datasets and the position of
// their netns column, as their code names it.
var scopedDatasets = []struct {
	d   *engine.Dataset
	col int
}{
	{Sockets, sockNetns}, {TCPInfo, tiNetns}, {Routes, rtNetns}, {Interfaces, ifcNetns}, {Addresses, addrNetns},
	{Neighbors, nbNetns}, {SNMP, snmpNetns}, {Sockstat, sockstatNetns}, {Multicast, multicastNetns},
	{Conntrack, conntrackNetns}, {Sysctls, sysctlNetns},
}

// TestEveryScopedDatasetHasNetns checks the declarations: every dataset but
// the machine-wide ones has a netns column where its code writes it, and
// narrows on it.
func TestEveryScopedDatasetHasNetns(t *testing.T) {
	machineWide := []string{"processes", "process_sockets", "namespaces", "services"}
	for _, d := range All {
		i := slices.IndexFunc(scopedDatasets, func(s struct {
			d   *engine.Dataset
			col int
		}) bool {
			return s.d == d
		})
		if i < 0 {
			if !slices.Contains(machineWide, d.Name) {
				t.Errorf("%s is neither namespace-scoped nor machine-wide", d.Name)
			}
			continue
		}
		if got := d.ColumnIndex("netns"); got != scopedDatasets[i].col || got < 0 {
			t.Errorf("%s: netns is column %d, its code writes %d", d.Name, got, scopedDatasets[i].col)
		}
		if !slices.ContainsFunc(d.Keys, func(k engine.Key) bool { return k.Column == "netns" }) {
			t.Errorf("%s: netns is not a key", d.Name)
		}
	}
}

// TestFixtureNetnsColumn reads every namespace-scoped dataset of the plain
// fixture: each row carries the tree's own namespace.
func TestFixtureNetnsColumn(t *testing.T) {
	tablestest.SkipUnlessLittleEndian(t)
	e := openFixture(t, kernel.RootSource(fixtureRoot(t, nil)))
	for _, s := range scopedDatasets {
		rows := query(t, e, "SELECT DISTINCT netns FROM "+s.d.Name)
		want := [][]any{{fixtureNs}}
		if s.d == TCPInfo {
			want = nil // no tcp_info in a tree
		}
		if diff := cmp.Diff(want, rows); diff != "" {
			t.Errorf("%s: netns (-want +got):\n%s", s.d.Name, diff)
		}
	}
}

// openContainers opens the containers overlay with the given scope,
// recording the files read (from the namespaces' goroutines too).
func openContainers(t *testing.T, scope kernel.NetnsScope) (*engine.Engine, *kernel.Source, func() []string) {
	t.Helper()
	src := kernel.RootSource(tablestest.ContainersRoot(t))
	src.Netns = scope
	var mu sync.Mutex
	var read []string
	src.OnRead = func(path string) {
		mu.Lock()
		read = append(read, strings.TrimPrefix(path, src.Root))
		mu.Unlock()
	}
	reads := func() []string {
		mu.Lock()
		defer mu.Unlock()
		out := slices.Clone(read)
		read = read[:0]
		slices.Sort(out)
		return out
	}
	return openFixture(t, src), src, reads
}

func TestFixtureNamespacesAll(t *testing.T) {
	tablestest.SkipUnlessLittleEndian(t)
	e, _, _ := openContainers(t, kernel.NetnsScope{All: true})
	_, rows, warnings, err := e.Query(context.Background(), "SELECT netns, name, pids, first_pid, host, self FROM namespaces")
	if err != nil || len(warnings) > 0 {
		t.Fatalf("namespaces: warnings %v, error %v", warnings, err)
	}
	want := [][]any{
		{hostNs, nil, int64(3), int64(1), int64(1), int64(1)},
		{blueNs, "blue", int64(1), int64(2044), int64(0), int64(0)},
		{dockerNs, nil, int64(1), int64(3100), int64(0), int64(0)},
		{podNs, nil, int64(2), int64(3200), int64(0), int64(0)},
		{crioNs, "cni-0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9", int64(1), int64(3300), int64(0), int64(0)},
		{podmanNs, nil, int64(1), int64(3400), int64(0), int64(0)},
		{lxcNs, nil, int64(1), int64(3500), int64(0), int64(0)},
		{nspawnNs, nil, int64(1), int64(3600), int64(0), int64(0)},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("namespaces (-want +got):\n%s", diff)
	}

	// Which container listens on 0.0.0.0:5432: the listener of the
	// docker namespace, owned by the process in it.
	rows = query(t, e, `SELECT s.netns, s.local_port, s.pid, s.process FROM sockets s
		WHERE s.state = 'LISTEN' AND s.netns <> ? ORDER BY s.netns`, hostNs)
	want = [][]any{{dockerNs, int64(5432), int64(3100), "postgres"}, {podNs, int64(8080), int64(3201), "nginx"}}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("listeners outside the host (-want +got):\n%s", diff)
	}
	// Which namespaces have a default route (routes read from each one's
	// proc/PID/net/route).
	rows = query(t, e, `SELECT n.netns FROM namespaces n WHERE EXISTS
		(SELECT 1 FROM routes r WHERE r.netns = n.netns AND r.destination = '0.0.0.0/0') ORDER BY 1`)
	if diff := cmp.Diff([][]any{{hostNs}, {dockerNs}}, rows); diff != "" {
		t.Errorf("namespaces with a default route (-want +got):\n%s", diff)
	}
	// Every scoped table covers every namespace: snmp is in each.
	rows = query(t, e, "SELECT count(DISTINCT netns) FROM snmp")
	if diff := cmp.Diff([][]any{{int64(8)}}, rows); diff != "" {
		t.Errorf("namespaces of snmp (-want +got):\n%s", diff)
	}
	// A tree has sysctls for its own namespace only, and says so.
	_, rows, warnings, err = e.Query(context.Background(), "SELECT DISTINCT netns FROM sysctls")
	if err != nil || !cmp.Equal([][]any{{hostNs}}, rows) || len(warnings) != 1 || !strings.Contains(warnings[0].Kind, "own network namespace only") {
		t.Errorf("sysctls: %v, warnings %v, error %v; want the host's rows and one warning", rows, warnings, err)
	}
}

// TestFixtureNetnsNarrows checks that equality on netns reads only the
// namespaces named, once per statement, and a join reads each dataset once
// across all its namespaces.
func TestFixtureNetnsNarrows(t *testing.T) {
	tablestest.SkipUnlessLittleEndian(t)
	e, _, reads := openContainers(t, kernel.NetnsScope{All: true})
	query(t, e, "SELECT 1") // nothing read yet
	reads()
	for _, tc := range []struct {
		sql  string
		want [][]any
		dirs []string // the net directories read
	}{
		{"SELECT destination FROM routes WHERE netns = 4026532100 ORDER BY 1", [][]any{{"0.0.0.0/0"}, {"10.88.0.0/16"}},
			[]string{"/proc/3100/net"}},
		{"SELECT count(*) FROM routes WHERE netns IN (4026532100, 4026532300)", [][]any{{int64(2)}},
			[]string{"/proc/3100/net", "/proc/3300/net"}},
		{"SELECT local_port FROM sockets WHERE netns = 4026532300 AND proto = 'udp'", [][]any{{int64(6379)}},
			[]string{"/proc/3300/net"}},
		{"SELECT count(*) FROM routes WHERE netns = 1", [][]any{{int64(0)}}, nil},
	} {
		d := delta(e, func() {
			if diff := cmp.Diff(tc.want, query(t, e, tc.sql)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.sql, diff)
			}
		})
		var dirs []string
		for _, path := range reads() {
			if i := strings.Index(path, "/net/"); i >= 0 && strings.HasPrefix(path, "/proc/") && !strings.Contains(path, "/ns/") {
				if dir := path[:i+4]; !slices.Contains(dirs, dir) {
					dirs = append(dirs, dir)
				}
			}
		}
		if !cmp.Equal(tc.dirs, dirs) {
			t.Errorf("%s read the net directories %v, want %v", tc.sql, dirs, tc.dirs)
		}
		if total := sum(d.Collections) + sum(d.Narrowed); total != 1 && tc.dirs != nil {
			t.Errorf("%s: %d collections, want one narrowed read", tc.sql, total)
		}
	}
	// One moment across namespaces: a join of two datasets by netns
	// reads each once, for all its namespaces together.
	d := delta(e, func() {
		rows := query(t, e, `SELECT n.netns, count(r.netns) FROM namespaces n LEFT JOIN routes r ON r.netns = n.netns
			AND r.destination = '0.0.0.0/0' GROUP BY n.netns ORDER BY n.netns`)
		if len(rows) != 8 || rows[2][1] != int64(1) {
			t.Errorf("default routes per namespace: %v", rows)
		}
	})
	if d.Collections["routes"] != 1 || d.Narrowed["routes"] != 0 || d.Collections["namespaces"] != 1 {
		t.Errorf("join: collections %v, narrowed %v; want routes and namespaces read once each", d.Collections, d.Narrowed)
	}
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// TestFixtureNetnsPicks reads namespaces picked by name, pid and path,
// and refuses one that does not exist.
func TestFixtureNetnsPicks(t *testing.T) {
	tablestest.SkipUnlessLittleEndian(t)
	for _, tc := range []struct {
		picks []string
		want  [][]any
	}{
		{[]string{"blue"}, [][]any{{blueNs}}},
		{[]string{"3100", "self"}, [][]any{{hostNs}, {dockerNs}}},
		{[]string{"/proc/3201/ns/net", "3200"}, [][]any{{podNs}}},
		{[]string{"cni-0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"}, [][]any{{crioNs}}},
	} {
		e, _, _ := openContainers(t, kernel.NetnsScope{Picks: tc.picks})
		for _, table := range []string{"namespaces", "snmp", "sockstat"} {
			rows := query(t, e, "SELECT DISTINCT netns FROM "+table+" ORDER BY 1")
			if diff := cmp.Diff(tc.want, rows); diff != "" {
				t.Errorf("--netns %v: %s (-want +got):\n%s", tc.picks, table, diff)
			}
		}
	}
	src := kernel.RootSource(tablestest.ContainersRoot(t))
	src.Netns = kernel.NetnsScope{Picks: []string{"green"}}
	err := kernel.CheckNetnsScope(src)
	if err == nil || !strings.Contains(err.Error(), "--netns green: ") || !strings.Contains(err.Error(), "run/netns") {
		t.Errorf("--netns green: error %v, want one naming it and where names are", err)
	}
	for _, bad := range [][]string{{""}, {"a,,b"}} {
		if _, err := kernel.ParseNetnsScope(bad); err == nil {
			t.Errorf("ParseNetnsScope(%q): no error", bad)
		}
	}
	if s, _ := kernel.ParseNetnsScope([]string{"blue,3100", "all"}); s.String() != "all" {
		t.Errorf("blue,3100 and all: scope %q, want all", s)
	}
}

// The ids of the containers overlay.
const (
	dockerID  = "3f1c2b7e9a0d4c5b8e6f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f"
	sandboxID = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"
	crioID    = "c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2"
	podmanID  = "d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3"
)

// TestFixtureNamespacesContainers names the container behind each
// namespace from the cgroup path of its first pid and the runtime's state
// in the tree: docker's config.v2.json, containerd's and CRI-O's OCI
// annotations, podman's containers.json, lxc's and nspawn's paths.
func TestFixtureNamespacesContainers(t *testing.T) {
	tablestest.SkipUnlessLittleEndian(t)
	e, _, _ := openContainers(t, kernel.NetnsScope{All: true})
	_, rows, warnings, err := e.Query(context.Background(),
		"SELECT netns, container_id, runtime, container, pod, pod_namespace, pod_uid FROM namespaces")
	if err != nil || len(warnings) > 0 {
		t.Fatalf("namespaces: warnings %v, error %v", warnings, err)
	}
	want := [][]any{
		{hostNs, nil, nil, nil, nil, nil, nil},
		{blueNs, nil, nil, nil, nil, nil, nil},
		{dockerNs, dockerID, "docker", "pg", nil, nil, nil},
		{podNs, sandboxID, "containerd", nil, "web-7d9f8c6b5-x2x4q", "shop", "5f0c8a9e-1d2b-4c3a-9e8f-7a6b5c4d3e2f"},
		{crioNs, crioID, "cri-o", "redis", "cache-0", "shop", "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"},
		{podmanNs, podmanID, "podman", "nextcloud", nil, nil, nil},
		{lxcNs, "web1", "lxc", "web1", nil, nil, nil},
		{nspawnNs, "db-1", "systemd-nspawn", "db-1", nil, nil, nil},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("containers (-want +got):\n%s", diff)
	}
	// Which container listens on 0.0.0.0:5432; which pod is reached on 8080.
	rows = query(t, e, `SELECT n.container, n.pod, s.local_port FROM sockets s JOIN namespaces n USING (netns)
		WHERE s.state = 'LISTEN' AND s.local_addr = '0.0.0.0' AND n.container_id IS NOT NULL ORDER BY 3`)
	if diff := cmp.Diff([][]any{{"pg", nil, int64(5432)}, {nil, "web-7d9f8c6b5-x2x4q", int64(8080)}}, rows); diff != "" {
		t.Errorf("listeners per container (-want +got):\n%s", diff)
	}
}

// A runtime's state that is not a regular file (a FIFO) or not JSON costs
// the names only: no hang, no error; the FIFO is said once.
func TestFixtureContainerStateHostile(t *testing.T) {
	tablestest.SkipUnlessLittleEndian(t)
	root := tablestest.ContainersRoot(t)
	cfg := root + "/var/lib/docker/containers/" + dockerID + "/config.v2.json"
	if err := os.Remove(cfg); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(root+"/var/lib/containers/storage/overlay-containers/containers.json", []byte("[{"), 0o644); err != nil {
		t.Fatal(err)
	}
	src := kernel.RootSource(root)
	src.Netns = kernel.NetnsScope{All: true}
	e := openFixture(t, src)
	_, rows, warnings, err := e.Query(context.Background(),
		"SELECT runtime, container FROM namespaces WHERE netns IN (4026532100, 4026532400) ORDER BY netns")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([][]any{{"docker", nil}, {"podman", nil}}, rows); diff != "" {
		t.Errorf("names from broken state (-want +got):\n%s", diff)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0].Kind, "config.v2.json") || !strings.Contains(warnings[0].Kind, "not a regular file") {
		t.Errorf("warnings %v, want one naming the FIFO", warnings)
	}
}
