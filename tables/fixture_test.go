package tables

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"netsql/tables/engine"
	"netsql/tables/kernel"
	"netsql/tables/tablestest"
)

func fixtureRoot(t testing.TB, extra map[string]string) string {
	t.Helper()
	return tablestest.Root(t, extra)
}

func openFixture(t *testing.T, src *kernel.Source) *engine.Engine {
	t.Helper()
	e, err := Open(context.Background(), src, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func TestFixtureSockets(t *testing.T) {
	e := openFixture(t, kernel.RootSource(fixtureRoot(t, nil)))
	rows := query(t, e, `SELECT proto, family, type, local_addr, local_port, remote_addr, remote_port, state,
		recv_q, send_q, uid, user, inode, netns, pid, process, timer, timer_ms, retransmits, path, drops
		FROM sockets ORDER BY proto, inode`)
	N := any(nil)
	ns := int64(4026531840)
	want := [][]any{
		{"netlink", "netlink", N, "rtnl", int64(0), N, N, "UNCONN", N, N, N, N, int64(4), ns, N, N, N, N, N, N, int64(0)},
		{"netlink", "netlink", N, "rtnl", int64(812), N, N, "UNCONN", N, N, N, N, int64(1021), ns, int64(1), "systemd", N, N, N, N, int64(5)},
		{"packet", "packet", "raw", N, int64(3), N, N, "UNCONN", N, N, int64(0), "root", int64(1020), ns, int64(1), "systemd", N, N, N, N, N},
		{"raw", "inet", "raw", "0.0.0.0", int64(1), "0.0.0.0", int64(0), "UNCONN", int64(0), int64(0), int64(0), "root", int64(1014), ns, N, N, "off", int64(0), int64(0), N, int64(0)},
		{"tcp", "inet", "stream", "127.0.0.1", int64(40000), "127.0.0.1", int64(8080), "TIME_WAIT", int64(0), int64(0), int64(0), "root", int64(0), ns, N, N, "timewait", int64(5000), int64(0), N, N},
		{"tcp", "inet", "stream", "0.0.0.0", int64(22), "0.0.0.0", int64(0), "LISTEN", int64(0), int64(0), int64(0), "root", int64(1001), ns, int64(812), "sshd", "off", int64(0), int64(0), N, N},
		{"tcp", "inet", "stream", "127.0.0.1", int64(8080), "0.0.0.0", int64(0), "LISTEN", int64(2), int64(0), int64(1000), "alice", int64(1002), ns, int64(2044), "my server", "off", int64(0), int64(0), N, N},
		{"tcp", "inet", "stream", "192.168.1.10", int64(22), "203.0.113.5", int64(51234), "ESTABLISHED", int64(0), int64(36), int64(0), "root", int64(1003), ns, int64(812), "sshd", "keepalive", int64(75000), int64(0), N, N},
		{"tcp", "inet", "stream", "127.0.0.1", int64(8080), "127.0.0.1", int64(40002), "CLOSE_WAIT", int64(1000), int64(0), int64(1000), "alice", int64(1006), ns, int64(2044), "my server", "off", int64(0), int64(0), N, N},
		{"tcp", "inet", "stream", "127.0.0.1", int64(8081), "127.0.0.1", int64(40003), "0E", int64(0), int64(0), int64(1000), "alice", int64(1007), ns, N, N, "off", int64(0), int64(0), N, N},
		{"tcp6", "inet6", "stream", "::", int64(80), "::", int64(0), "LISTEN", int64(0), int64(0), int64(33), "www-data", int64(1004), ns, int64(1500), "nginx", "off", int64(0), int64(0), N, N},
		{"tcp6", "inet6", "stream", "::ffff:127.0.0.1", int64(8080), "::ffff:127.0.0.1", int64(40004), "ESTABLISHED", int64(0), int64(0), int64(1000), "alice", int64(1008), ns, N, N, "on", int64(200), int64(2), N, N},
		{"udp", "inet", "dgram", "0.0.0.0", int64(68), "0.0.0.0", int64(0), "UNCONN", int64(0), int64(0), int64(0), "root", int64(1005), ns, N, N, "off", int64(0), int64(0), N, int64(3)},
		{"udp6", "inet6", "dgram", "::1", int64(5353), "::", int64(0), "UNCONN", int64(0), int64(0), int64(1000), "alice", int64(1009), ns, int64(1500), "nginx", "off", int64(0), int64(0), N, int64(0)},
		{"unix", "unix", "stream", N, N, N, N, "LISTENING", N, N, N, N, int64(1010), ns, int64(812), "sshd", N, N, N, "/run/sshd.sock", N},
		{"unix", "unix", "stream", N, N, N, N, "CONNECTED", N, N, N, N, int64(1011), ns, int64(2044), "my server", N, N, N, "/tmp/my socket", N},
		{"unix", "unix", "stream", N, N, N, N, "LISTENING", N, N, N, N, int64(1012), ns, int64(1), "systemd", N, N, N, "@dbus-abc", N},
		{"unix", "unix", "dgram", N, N, N, N, "UNCONNECTED", N, N, N, N, int64(1013), ns, N, N, N, N, N, N, N},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("sockets (-want +got):\n%s", diff)
	}
}

func TestFixtureProcesses(t *testing.T) {
	e := openFixture(t, kernel.RootSource(fixtureRoot(t, nil)))
	rows := query(t, e, `SELECT pid, ppid, name, cmdline, exe, state, uid, euid, user, threads, start_time, netns, cgroup
		FROM processes ORDER BY pid`)
	want := [][]any{
		{int64(1), int64(0), "systemd", "/sbin/init splash", "/usr/lib/systemd/systemd", "S", int64(0), int64(0), "root", int64(1), int64(1790000000), int64(4026531840), "/init.scope"},
		{int64(812), int64(1), "sshd", "sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups", "/usr/sbin/sshd", "S", int64(0), int64(0), "root", int64(1), int64(1790000009), int64(4026531840), "/system.slice/ssh.service"},
		{int64(1500), int64(1), "nginx", "nginx: worker process", "/usr/sbin/nginx", "S", int64(33), int64(33), "www-data", int64(2), int64(1790000012), int64(4026531840), "/system.slice/nginx.service"},
		{int64(2044), int64(1), "my server", "./my server --port 008080", "/home/alice/my server", "R", int64(1000), int64(0), "alice", int64(1), int64(1790000030), int64(4026532000), "/user.slice/user-1000.slice"},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("processes (-want +got):\n%s", diff)
	}
}

func TestFixtureProcessSockets(t *testing.T) {
	e := openFixture(t, kernel.RootSource(fixtureRoot(t, nil)))
	rows := query(t, e, `SELECT pid, fd, inode, netns FROM process_sockets ORDER BY pid, fd`)
	ns, other := int64(4026531840), int64(4026532000)
	want := [][]any{
		{int64(1), int64(7), int64(1020), ns}, {int64(1), int64(10), int64(1012), ns}, {int64(1), int64(11), int64(1021), ns},
		{int64(812), int64(3), int64(1001), ns}, {int64(812), int64(4), int64(1003), ns}, {int64(812), int64(5), int64(1010), ns},
		{int64(1500), int64(6), int64(1004), ns}, {int64(1500), int64(7), int64(1009), ns},
		{int64(2044), int64(3), int64(1002), other}, {int64(2044), int64(4), int64(1006), other},
		{int64(2044), int64(5), int64(1004), other}, {int64(2044), int64(6), int64(1011), other},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("process_sockets (-want +got):\n%s", diff)
	}
	// Every owner of a shared socket appears; sockets.pid names the lowest.
	rows = query(t, e, `SELECT s.pid, group_concat(ps.pid, ',') FROM sockets s JOIN process_sockets ps USING (inode)
		WHERE s.inode = 1004 GROUP BY s.inode`)
	if diff := cmp.Diff([][]any{{int64(1500), "1500,2044"}}, rows); diff != "" {
		t.Errorf("shared socket owners (-want +got):\n%s", diff)
	}
}

// countReads records the paths under the proc root that datasets read,
// relative to it; reads() returns and forgets them, sorted.
func countReads(src *kernel.Source) (reads func() []string) {
	var mu sync.Mutex // the owner walk reads beside the sockets collection
	var paths []string
	src.OnRead = func(path string) {
		if strings.HasPrefix(path, src.Proc) {
			mu.Lock()
			paths = append(paths, strings.TrimPrefix(path, src.Proc))
			mu.Unlock()
		}
	}
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		out := append([]string(nil), paths...)
		paths = paths[:0]
		sort.Strings(out)
		return out
	}
}

func TestFixtureNarrowedReads(t *testing.T) {
	src := kernel.RootSource(fixtureRoot(t, nil))
	reads := countReads(src)
	e := openFixture(t, src)

	rows := query(t, e, "SELECT name FROM processes WHERE pid = 812")
	if diff := cmp.Diff([][]any{{"sshd"}}, rows); diff != "" {
		t.Errorf("pid 812 (-want +got):\n%s", diff)
	}
	for _, r := range reads() {
		if !strings.HasPrefix(r, "/812") && r != "/stat" {
			t.Errorf("processes WHERE pid = 812 read %s", r)
		}
	}

	// A thread id resolves in /proc but is not a process.
	if rows := query(t, e, "SELECT * FROM processes WHERE pid = 1501"); len(rows) != 0 {
		t.Errorf("pid 1501 (a thread) gave %v", rows)
	}
	if rows := query(t, e, "SELECT * FROM process_sockets WHERE pid = 1501"); len(rows) != 0 {
		t.Errorf("process_sockets pid 1501 (a thread) gave %v", rows)
	}
	reads()

	rows = query(t, e, "SELECT fd, inode FROM process_sockets WHERE pid = '2044' ORDER BY fd")
	if len(rows) != 4 {
		t.Errorf("process_sockets of 2044: %v", rows)
	}
	for _, r := range reads() {
		if !strings.HasPrefix(r, "/2044/") {
			t.Errorf("process_sockets WHERE pid = 2044 read %s", r)
		}
	}

	rows = query(t, e, "SELECT count(*) FROM sockets WHERE proto = 'udp6'")
	if diff := cmp.Diff([][]any{{int64(1)}}, rows); diff != "" {
		t.Errorf("udp6 count (-want +got):\n%s", diff)
	}
	if got := reads(); !cmp.Equal(got, []string{"/net/udp6", "/self/ns/net"}) {
		t.Errorf("sockets WHERE proto = 'udp6' read %v, want only /net/udp6 (and our netns)", got)
	}
	rows = query(t, e, "SELECT count(*) FROM sockets WHERE family = 'unix'")
	if diff := cmp.Diff([][]any{{int64(4)}}, rows); diff != "" {
		t.Errorf("unix count (-want +got):\n%s", diff)
	}
}

func TestFixtureOwnersOnlyWhenUsed(t *testing.T) {
	src := kernel.RootSource(fixtureRoot(t, nil))
	reads := countReads(src)
	e := openFixture(t, src)
	query(t, e, "SELECT proto, local_port, state FROM sockets")
	for _, r := range reads() {
		if strings.Contains(r, "/fd") {
			t.Errorf("a statement not using pid or process read %s", r)
		}
	}
	var fdDirs int
	d := delta(e, func() {
		query(t, e, "SELECT s.pid, s.process, p.pid FROM sockets s LEFT JOIN sockets p ON p.inode = s.inode")
	})
	for _, r := range reads() {
		if strings.HasSuffix(r, "/fd") {
			fdDirs++
		}
	}
	if fdDirs != 5 { // 1, 812, 1500, 1501, 2044: each fd directory once
		t.Errorf("fd directories read %d times, want 5 (once per process)", fdDirs)
	}
	if d.Fills["sockets.owners"] != 1 || d.Collections["sockets"] != 1 {
		t.Errorf("fills %v collections %v, want one each", d.Fills, d.Collections)
	}
}

func TestFixtureMalformedFileNamesFileAndLine(t *testing.T) {
	root := fixtureRoot(t, nil)
	bad := "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n" +
		"   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1001 1\n" +
		"   1: ZZ000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1002 1\n"
	if err := os.WriteFile(filepath.Join(root, "proc/net/tcp"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	e := openFixture(t, kernel.RootSource(root))
	_, _, _, err := e.Query(context.Background(), "SELECT * FROM sockets")
	if err == nil {
		t.Fatal("a malformed /proc/net/tcp gave no error")
	}
	msg := engine.CleanError(err)
	if !strings.Contains(msg, filepath.Join(root, "proc/net/tcp")+" line 3:") {
		t.Errorf("error %q does not name the file and line 3", msg)
	}
	// Other tables, and other protocols, stay queryable.
	if rows := query(t, e, "SELECT count(*) FROM processes"); rows[0][0] != int64(4) {
		t.Errorf("processes count = %v after sockets failed", rows[0][0])
	}
	if rows := query(t, e, "SELECT count(*) FROM sockets WHERE proto = 'udp'"); rows[0][0] != int64(1) {
		t.Errorf("udp count = %v", rows[0][0])
	}
}

func TestFixtureVanishedAndUnreadableProcesses(t *testing.T) {
	root := fixtureRoot(t, map[string]string{
		// 3000 is listed but its files are gone: it exited mid-scan.
		"proc/3000/ns/net": "net:[4026531840]",
	})
	e := openFixture(t, kernel.RootSource(root))
	_, rows, warnings, err := e.Query(context.Background(), "SELECT pid FROM processes ORDER BY pid")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 {
		t.Errorf("rows = %v, want the 4 readable processes", rows)
	}
	if diff := cmp.Diff([]kernel.Warning{{Kind: kernel.WarnProcessVanished, Count: 1}}, warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	// A tree does not change while it is read: a listed process without an
	// fd directory is damage, an error naming it, not "exited".
	_, _, _, err = e.Query(context.Background(), "SELECT count(pid) FROM sockets")
	if err == nil || !strings.Contains(engine.CleanError(err), "proc/3000/fd") || !strings.Contains(err.Error(), "fd directory is missing") {
		t.Errorf("owners with pid 3000's fd directory missing: %v; want an error naming it", err)
	}
}

func TestRootSourceNeverReadsHostEtc(t *testing.T) {
	root := fixtureRoot(t, nil)
	src := kernel.RootSource(root)
	var outside []string
	src.OnRead = func(path string) {
		if !strings.HasPrefix(path, root) {
			outside = append(outside, path)
		}
	}
	e := openFixture(t, src)
	query(t, e, "SELECT * FROM sockets s LEFT JOIN processes p ON p.pid = s.pid LEFT JOIN process_sockets ps ON ps.inode = s.inode")
	if len(outside) > 0 {
		t.Errorf("read outside the root: %v", outside)
	}
}

// With only a proc part (--proc alone) or only a sys part (--sys alone),
// no dataset reads anything outside that part: the host's /sys and /etc
// are absent, not mixed in (before, interfaces came from the host's /sys).
func TestHalfTreeReadsOnlyItsPart(t *testing.T) {
	root := fixtureRoot(t, nil)
	// Decoys where an absent part's paths would land if they were read
	// relative to the working directory.
	cwd := t.TempDir()
	for path, text := range map[string]string{
		"class/net/decoy0/ifindex": "99\n",
		"net/tcp":                  "  sl  local_address rem_address   st\n   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 99999 1\n",
		"passwd":                   "decoy:x:0:0::/:/bin/sh\n",
	} {
		full := filepath.Join(cwd, path)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(cwd)
	for _, part := range []string{"proc", "sys"} {
		src := &kernel.Source{}
		dir := filepath.Join(root, part)
		if part == "proc" {
			src.Proc = dir
		} else {
			src.Sys = dir
		}
		var outside []string
		src.OnRead = func(path string) {
			if !strings.HasPrefix(path, dir+string(filepath.Separator)) && path != dir {
				outside = append(outside, path)
			}
		}
		e := openFixture(t, src)
		for _, d := range e.Datasets() {
			if _, _, _, err := e.Query(context.Background(), "SELECT * FROM "+d.Name); err != nil {
				t.Errorf("--%s alone, %s: %v", part, d.Name, err)
			}
		}
		if len(outside) > 0 {
			t.Errorf("--%s alone read outside it: %q", part, outside)
		}
		for _, q := range []string{"SELECT count(*) FROM sockets WHERE inode = 99999",
			"SELECT count(*) FROM interfaces WHERE name = 'decoy0'", "SELECT count(*) FROM sockets WHERE user = 'decoy'"} {
			if n := query(t, e, q)[0][0]; n != int64(0) {
				t.Errorf("--%s alone: %s = %v, a decoy in the working directory was read", part, q, n)
			}
		}
	}
	// --proc alone: interfaces from the tree's proc/net/dev, not the host.
	e := openFixture(t, &kernel.Source{Proc: filepath.Join(root, "proc")})
	rows := query(t, e, "SELECT name FROM interfaces ORDER BY name")
	data, err := os.ReadFile(filepath.Join(root, "proc/net/dev"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 || strings.Count(string(data), ":") != len(rows) {
		t.Errorf("--proc alone: interfaces %v, the tree's net/dev has %d", rows, strings.Count(string(data), ":"))
	}
}

// A process's command line, executable, namespace and cgroup are read only
// when a statement uses one of them, so a statement that does not never
// meets (nor warns about) one it may not read.
func TestProcessDetailsOnlyWhenUsed(t *testing.T) {
	e := openFixture(t, kernel.RootSource(fixtureRoot(t, nil)))
	d := delta(e, func() { query(t, e, "SELECT pid, name, user FROM processes") })
	if d.Fills["processes.details"] != 0 {
		t.Errorf("without them: details read %d times; want never", d.Fills["processes.details"])
	}
	var rows [][]any
	d = delta(e, func() { rows = query(t, e, "SELECT exe FROM processes WHERE pid = 2044") })
	if d.Fills["processes.details"] != 1 || len(rows) != 1 || rows[0][0] != "/home/alice/my server" {
		t.Errorf("with exe: details read %d times, rows %v", d.Fills["processes.details"], rows)
	}
}
