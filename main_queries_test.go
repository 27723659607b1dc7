package main

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"netsql/queries"
	"netsql/tables/tablestest"
)

// fixtureBaseline saves the moment the baseline queries compare the
// fixture with: the same tree, before the 127.0.0.1:8080 listener was
// opened, the ssh client at 203.0.113.5 connected and the route to
// 10.17.0.0/16 added.
func fixtureBaseline(t *testing.T) string {
	t.Helper()
	root := tablestest.Root(t, nil)
	edit := func(file string, drop func(line string) bool, replace ...string) {
		path := filepath.Join(root, "proc", "net", file)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var kept []string
		for _, l := range strings.SplitAfter(string(data), "\n") {
			if !drop(l) {
				kept = append(kept, l)
			}
		}
		text := strings.NewReplacer(replace...).Replace(strings.Join(kept, ""))
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	edit("tcp", func(l string) bool { return strings.Contains(l, " 0100007F:1F90 00000000:0000 0A ") }, " 057100CB:C822 ", " 0A00000A:C822 ")
	edit("route", func(l string) bool { return strings.Contains(l, "\t000011AC\t") || strings.Contains(l, "\t0000110A\t") })
	file := filepath.Join(t.TempDir(), "baseline.db")
	if code, _, errOut := runCLI(t, "", "--root", root, "--save", file, "--tables", "sockets,routes", "--quiet"); code != 0 {
		t.Fatalf("save the baseline: %s", errOut)
	}
	return file
}

// Every saved query runs on the fixture tree and prints what its golden
// file holds (NETSQL_UPDATE_GOLDEN=1 rewrites them; read them when you do).
func TestSavedQueriesOnFixture(t *testing.T) {
	root := tablestest.Root(t, nil)
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	list, err := queries.Load("")
	if err != nil {
		t.Fatal(err)
	}
	params := map[string][]string{"port_owner": {"--param", "port=8080"}}
	baseline := fixtureBaseline(t)
	for _, q := range list {
		args := append([]string{"--root", root, "-o", "tsv", "-q", q.Name}, params[q.Name]...)
		if strings.Contains(q.SQL, "baseline.") {
			args = append(args, "--baseline", baseline)
		}
		watched := strings.Contains(q.SQL, "prev.")
		if watched {
			// Rates need a previous run: two runs of --watch, whose
			// output (time, change, row) is kept without the time.
			args = append(args, "--watch", "0.01", "--count", "2")
		}
		code, out, errOut := runCLI(t, "", args...)
		if code != 0 || errOut != "" {
			t.Errorf("-q %s: exit %d, stderr %q", q.Name, code, errOut)
			continue
		}
		if watched {
			var lines []string
			for _, l := range strings.SplitAfter(out, "\n") {
				if _, rest, ok := strings.Cut(l, "\t"); ok {
					lines = append(lines, rest)
				}
			}
			out = strings.Join(lines, "")
		}
		golden := filepath.Join("testdata", "queries", q.Name+".golden")
		if os.Getenv("NETSQL_UPDATE_GOLDEN") == "1" {
			if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Errorf("-q %s: %v (NETSQL_UPDATE_GOLDEN=1 writes it)", q.Name, err)
			continue
		}
		if diff := cmp.Diff(string(want), out); diff != "" {
			t.Errorf("-q %s (-want +got):\n%s", q.Name, diff)
		}
	}
}

func TestSavedQueriesListAndUserOverride(t *testing.T) {
	config := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", config)
	dir := filepath.Join(config, "netsql", "queries")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("mine.sql", "-- description: my own query\nSELECT 41 + 1;\n")
	write("states.sql", "-- description: overridden states\nSELECT 'overridden';\n")
	code, out, _ := runCLI(t, "", "--list-queries")
	if code != 0 || !strings.Contains(out, "mine\tmy own query\n") || !strings.Contains(out, "states\toverridden states\n") ||
		!strings.Contains(out, "listening\t") {
		t.Errorf("--list-queries: exit %d\n%s", code, out)
	}
	if code, out, _ := runCLI(t, "", "--no-header", "-q", "mine"); code != 0 || out != "42\n" {
		t.Errorf("-q mine: exit %d, %q", code, out)
	}
	if code, out, _ := runCLI(t, "", "--no-header", "-q", "states"); code != 0 || out != "overridden\n" {
		t.Errorf("-q states (overridden): exit %d, %q", code, out)
	}
	// A file without its description line is skipped with a warning
	// naming it; the others still list and run, and it runs by its name.
	write("broken.sql", "SELECT 'broken ran';\n")
	warn := "warning: " + filepath.Join(dir, "broken.sql") + " line 1: first line must be `-- description: ...`: skipped\n"
	code, out, errOut := runCLI(t, "", "--list-queries")
	if code != 0 || errOut != warn || strings.Contains(out, "broken") || !strings.Contains(out, "mine\tmy own query\n") {
		t.Errorf("--list-queries with a broken file: exit %d, stdout %q, stderr %q; want the others and one warning", code, out, errOut)
	}
	if code, out, errOut := runCLI(t, "", "--no-header", "-q", "mine"); code != 0 || out != "42\n" || errOut != warn {
		t.Errorf("-q mine beside a broken file: exit %d, %q, %q", code, out, errOut)
	}
	if code, out, errOut := runCLI(t, "", "--no-header", "-q", "broken"); code != 0 || out != "broken ran\n" || errOut != "" {
		t.Errorf("-q broken: exit %d, %q, %q; want it run without a warning", code, out, errOut)
	}
	if code, _, errOut := runCLI(t, "", "--quiet", "--list-queries"); code != 0 || errOut != "" {
		t.Errorf("--quiet --list-queries: exit %d, stderr %q", code, errOut)
	}
	// -o json lists them as rows.
	code, out, _ = runCLI(t, "", "--list-queries", "-o", "json")
	var listed []map[string]any
	if err := json.Unmarshal([]byte(out), &listed); code != 0 || err != nil || !slices.ContainsFunc(listed, func(m map[string]any) bool {
		return m["name"] == "mine" && m["description"] == "my own query"
	}) {
		t.Errorf("--list-queries -o json: exit %d, %v:\n%s", code, err, out)
	}
}

func TestParamsAndTimeout(t *testing.T) {
	root := tablestest.Root(t, nil)
	q := "SELECT process FROM sockets WHERE local_port = :port AND state = :state"
	code, out, errOut := runCLI(t, "", "--root", root, "--no-header", "--param", "port=22", "--param", "state=LISTEN", q)
	if code != 0 || out != "sshd\n" {
		t.Errorf("--param: exit %d, %q, %q", code, out, errOut)
	}
	code, out, errOut = runCLI(t, "", "--root", root, "--param", "port=22", q)
	if code != exitFailed || out != "" || !strings.Contains(errOut, "missing parameter :state") {
		t.Errorf("missing parameter: exit %d, %q, %q", code, out, errOut)
	}
	code, _, errOut = runCLI(t, "", "--param", "noequals", "SELECT 1")
	if code != exitUsage || !strings.Contains(errOut, `--param "noequals": want name=value`) {
		t.Errorf("bad --param: exit %d, %q", code, errOut)
	}
	code, _, errOut = runCLI(t, "", "--timeout", "soon", "SELECT 1")
	if code != exitUsage || !strings.Contains(errOut, "-timeout") {
		t.Errorf("bad --timeout: exit %d, %q", code, errOut)
	}
	code, out, errOut = runCLI(t, "", "--root", root, "--timeout", "200ms",
		"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n) SELECT count(*) FROM n")
	if code != exitFailed || out != "" || errOut != "error: statement stopped after --timeout 200ms\n" {
		t.Errorf("--timeout: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

func TestReadOnlyCLI(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "copy.db")
	code, _, errOut := runCLI(t, "", "VACUUM INTO '"+target+"'")
	if code != exitFailed || !strings.Contains(errOut, "--allow-write") {
		t.Errorf("VACUUM INTO: exit %d, %q", code, errOut)
	}
	if _, err := os.Stat(target); err == nil {
		t.Errorf("%s was written without --allow-write", target)
	}
	if code, _, errOut := runCLI(t, "", "--allow-write", "VACUUM INTO '"+target+"'"); code != 0 {
		t.Errorf("VACUUM INTO with --allow-write: exit %d, %q", code, errOut)
	}
}

// examples.sql runs top to bottom, on this machine and on the fixture tree.
func TestExamplesSQLRuns(t *testing.T) {
	root := tablestest.Root(t, nil)
	for _, args := range [][]string{{"-f", "examples.sql"}, {"--root", root, "-f", "examples.sql"}} {
		code, out, errOut := runCLI(t, "", args...)
		if code != 0 {
			t.Errorf("netsql %v: exit %d, stderr %q", args, code, errOut)
		}
		if !strings.Contains(out, "listeners_in_baseline") || !strings.Contains(out, "pid=") {
			t.Errorf("netsql %v did not run to the end:\n%s", args, out)
		}
	}
	// On the fixture tree the whole tour matches its golden output.
	_, golden, _ := runCLI(t, "", "--root", root, "-f", "examples.sql")
	goldenPath := filepath.Join("testdata", "examples.golden")
	if os.Getenv("NETSQL_UPDATE_GOLDEN") == "1" {
		if err := os.WriteFile(goldenPath, []byte(golden), 0o644); err != nil {
			t.Fatal(err)
		}
	} else if want, err := os.ReadFile(goldenPath); err != nil {
		t.Errorf("%v (NETSQL_UPDATE_GOLDEN=1 writes it)", err)
	} else if diff := cmp.Diff(string(want), golden); diff != "" {
		t.Errorf("examples.sql on the fixture (-want +got):\n%s", diff)
	}
	_, out, _ := runCLI(t, "", "--root", root, "--no-header", "-f", "examples.sql")
	for _, want := range []string{"all interfaces\ttcp\t0.0.0.0\t22\tsshd", "loopback only\ttcp\t127.0.0.1\t8080\tmy server",
		"\t0.0.0.0\t4\t0\t0"} {
		if !strings.Contains(out, want) {
			t.Errorf("examples.sql on the fixture lacks %q", want)
		}
	}
}

// Scripts (-f, stdin, -e) run dot-commands too; those that write files
// are refused there unless --allow-write.
func TestScriptsRunDotCommands(t *testing.T) {
	root := tablestest.Root(t, nil)
	dir := t.TempDir()
	out := filepath.Join(dir, "out.txt")
	script := filepath.Join(dir, "s.sql")
	text := ".mode csv\nSELECT 'a,b' AS x;\n.output " + out + "\nSELECT 1;\n"
	if err := os.WriteFile(script, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, errOut := runCLI(t, "", "--root", root, "-f", script)
	if code != exitFailed || stdout != "x\n\"a,b\"\n" || !strings.Contains(errOut, "line 3") || !strings.Contains(errOut, "--allow-write") {
		t.Errorf("-f with .output: exit %d, stdout %q, stderr %q", code, stdout, errOut)
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("%s was written without --allow-write", out)
	}
	code, _, errOut = runCLI(t, "", "--root", root, "--allow-write", "-f", script)
	if data, err := os.ReadFile(out); code != 0 || err != nil || string(data) != "1\n1\n" {
		t.Errorf("-f with .output and --allow-write: exit %d, stderr %q, file %q, %v", code, errOut, data, err)
	}
	code, stdout, _ = runCLI(t, ".headers off\nSELECT 2;\n", "--root", root)
	if code != 0 || stdout != "2\n" {
		t.Errorf("stdin with .headers off: exit %d, %q", code, stdout)
	}
}

// public_peers leaves out a connection to one of the host's own addresses:
// on a fixture tree with two more tcp6 connections, one to 2001:db8::2 (an
// address of eth0 in if_inet6) and one to 2001:db8:ffff::9, only the second
// is a public peer. Neither is private, so is_private alone keeps both.
func TestPublicPeersLeavesOutOwnAddresses(t *testing.T) {
	root := tablestest.Root(t, nil)
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	procHex := func(s string) string { // four native-endian words, as tcp6 holds an address
		b := netip.MustParseAddr(s).As16()
		var out strings.Builder
		for i := 0; i < 16; i += 4 {
			fmt.Fprintf(&out, "%08X", binary.NativeEndian.Uint32(b[i:i+4]))
		}
		return out.String()
	}
	path := filepath.Join(root, "proc", "net", "tcp6")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, remote := range []string{"2001:db8::2", "2001:db8:ffff::9"} {
		data = fmt.Appendf(data, "   %d: %s:%04X %s:01BB 01 00000000:00000000 00:00000000 00000000     0        0 %d 1 0000000000000000 20 4 30 10 -1\n",
			10+i, procHex("2001:db8::2"), 40100+i, procHex(remote), 9100+i)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "", "--root", root, "-o", "tsv", "--no-header", "-q", "public_peers")
	if code != 0 || errOut != "" {
		t.Fatalf("-q public_peers: exit %d, stderr %q", code, errOut)
	}
	want := "tcp6\t2001:db8::2\t40101\t2001:db8:ffff::9\t443\tESTABLISHED\t\t\n" +
		"tcp\t192.168.1.10\t22\t203.0.113.5\t51234\tESTABLISHED\t812\tsshd\n"
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("public_peers with a connection to the host's own 2001:db8::2 (-want +got):\n%s", diff)
	}
}
