package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"netsql/tables"
	"netsql/tables/tablestest"
)

// runCLI runs the whole command in-process.
func runCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestCLIVersionAndHelp(t *testing.T) {
	code, out, _ := runCLI(t, "", "--version")
	if code != 0 || !strings.HasPrefix(out, "netsql ") {
		t.Errorf("--version: exit %d, %q", code, out)
	}
	code, out, _ = runCLI(t, "", "--help")
	if code != 0 || !strings.Contains(out, "-schema") || !strings.Contains(out, "usage: netsql") {
		t.Errorf("--help: exit %d, %q", code, out)
	}
}

func TestCLIUsageErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "plain-file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--root", "/nonexistent/netsql-root", "SELECT 1"}, "--root /nonexistent/netsql-root: no such directory"},
		{[]string{"--root", file, "SELECT 1"}, "--root " + file + ": not a directory"},
		{[]string{"--proc", "/nonexistent/p", "SELECT 1"}, "--proc /nonexistent/p: no such directory"},
		{[]string{"--sys", file, "SELECT 1"}, "--sys " + file + ": not a directory"},
		{[]string{"-o", "bogus", "SELECT 1"}, `-o: unknown output mode "bogus" (valid modes: table (or box, column), tsv`},
		{[]string{"--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"SELECT 1", "SELECT 2"}, "expected one SQL argument, got 2"},
		{[]string{"-e", "SELECT 1", "-f", "x.sql"}, "-e and -f cannot be used together"},
		{[]string{"--schema", "nope"}, `no table matches "nope"`},
		{[]string{"-f", "/nonexistent/q.sql"}, "/nonexistent/q.sql"},
	}
	for _, c := range cases {
		code, out, errOut := runCLI(t, "", c.args...)
		if code != exitUsage || !strings.Contains(errOut, c.want) || out != "" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 2 and %q", c.args, code, out, errOut, c.want)
		}
		if strings.Count(strings.TrimSuffix(errOut, "\n"), "\n") != 0 {
			t.Errorf("%q: error is not one line: %q", c.args, errOut)
		}
	}
}

func TestCLIStatementErrors(t *testing.T) {
	root := tablestest.Root(t, nil)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--root", root, "SELECT * FROM nope"}, "error: no such table: nope\n"},
		{[]string{"--root", root, "SELECT nope FROM sockets"}, "error: no such column: nope\n"},
		{[]string{"--root", root, "SELEC 1"}, "error: near \"SELEC\": syntax error\n"},
	}
	for _, c := range cases {
		code, out, errOut := runCLI(t, "", c.args...)
		if code != exitFailed || errOut != c.want || out != "" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 1 and %q", c.args, code, out, errOut, c.want)
		}
	}
}

func TestCLIOneShotOnFixture(t *testing.T) {
	root := tablestest.Root(t, nil)
	q := "SELECT local_port, pid, process FROM sockets WHERE state = 'LISTEN' ORDER BY local_port"
	for _, args := range [][]string{{"--root", root, "-o", "json", q}, {"--root", root, "-o", "json", "-e", q}} {
		code, out, errOut := runCLI(t, "", args...)
		if code != 0 || errOut != "" {
			t.Fatalf("exit %d, stderr %q", code, errOut)
		}
		var got []map[string]any
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("output is not JSON: %v\n%s", err, out)
		}
		want := []map[string]any{
			{"local_port": 22.0, "pid": 812.0, "process": "sshd"},
			{"local_port": 80.0, "pid": 1500.0, "process": "nginx"},
			{"local_port": 8080.0, "pid": 2044.0, "process": "my server"},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("listeners (-want +got):\n%s", diff)
		}
	}
	// Piped output defaults to tsv with a header; --no-header and --null apply.
	code, out, _ := runCLI(t, "", "--root", root, "SELECT inode, pid FROM sockets WHERE inode IN (1001, 1013) ORDER BY inode")
	if code != 0 || out != "inode\tpid\n1001\t812\n1013\t\n" {
		t.Errorf("tsv: exit %d, %q", code, out)
	}
	code, out, _ = runCLI(t, "", "--root", root, "--no-header", "--null", "-", "SELECT inode, pid FROM sockets WHERE inode = 1013")
	if code != 0 || out != "1013\t-\n" {
		t.Errorf("--no-header --null -: exit %d, %q", code, out)
	}
}

// TestCLIModeNames: -o takes every name .mode takes, from the one registry,
// and --help lists them.
func TestCLIModeNames(t *testing.T) {
	root := tablestest.Root(t, nil)
	for alias, mode := range map[string]string{"box": "table", "BOX": "table", "column": "table", "tabs": "tsv", "lines": "line", "Json": "json"} {
		_, want, _ := runCLI(t, "", "--root", root, "-o", mode, "SELECT 1 AS one")
		code, got, errOut := runCLI(t, "", "--root", root, "-o", alias, "SELECT 1 AS one")
		if code != 0 || got != want || errOut != "" {
			t.Errorf("-o %s: exit %d, %q, stderr %q; want the output of -o %s: %q", alias, code, got, errOut, mode, want)
		}
	}
	_, out, _ := runCLI(t, "", "--help")
	if !strings.Contains(out, "table (or box, column), tsv (or tabs), csv, json, jsonl, markdown, line (or lines)") {
		t.Errorf("--help does not list the modes:\n%s", out)
	}
}

// TestCLISeveralStatements: a one-shot run of several statements prints one
// JSON document, and a tsv header only when the columns change.
func TestCLISeveralStatements(t *testing.T) {
	root := tablestest.Root(t, nil)
	const q = "SELECT local_port FROM sockets WHERE state = 'LISTEN' ORDER BY 1; SELECT 7 AS local_port; SELECT 'x' AS other"
	code, out, errOut := runCLI(t, "", "--root", root, "-o", "json", q)
	var got [][]map[string]any
	if err := json.Unmarshal([]byte(out), &got); code != 0 || errOut != "" || err != nil {
		t.Fatalf("exit %d, stderr %q, %v:\n%s", code, errOut, err, out)
	}
	want := [][]map[string]any{{{"local_port": 22.0}, {"local_port": 80.0}, {"local_port": 8080.0}}, {{"local_port": 7.0}}, {{"other": "x"}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("json (-want +got):\n%s", diff)
	}
	code, out, _ = runCLI(t, "", "--root", root, q)
	if want := "local_port\n22\n80\n8080\n7\nother\nx\n"; code != 0 || out != want {
		t.Errorf("tsv: exit %d, %q, want %q", code, out, want)
	}
}

func TestCLIScripts(t *testing.T) {
	root := tablestest.Root(t, nil)
	dir := t.TempDir()
	script := filepath.Join(dir, "checks.sql")
	text := "-- listeners\nSELECT count(*) FROM sockets WHERE state = 'LISTEN';\n\nSELECT 'a;b';\nSELECT * FROM nope;\nSELECT 'never';\n"
	if err := os.WriteFile(script, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "", "--root", root, "--no-header", "-f", script)
	if code != exitFailed {
		t.Errorf("exit %d, want 1", code)
	}
	if out != "3\na;b\n" {
		t.Errorf("stdout %q, want the rows of the two statements before the failure", out)
	}
	if want := "error: " + script + " line 5: no such table: nope\n"; errOut != want {
		t.Errorf("stderr %q, want %q", errOut, want)
	}
	// The same script on standard input.
	code, out, errOut = runCLI(t, text, "--root", root, "--no-header")
	if code != exitFailed || out != "3\na;b\n" || errOut != "error: stdin line 5: no such table: nope\n" {
		t.Errorf("stdin script: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

func TestCLIListTablesAndSchema(t *testing.T) {
	code, out, _ := runCLI(t, "", "--list-tables")
	if code != 0 {
		t.Fatalf("--list-tables exit %d", code)
	}
	for _, d := range tables.All {
		if !strings.Contains(out, d.Name+"\t"+d.Doc+"\n") {
			t.Errorf("--list-tables lacks %s:\n%s", d.Name, out)
		}
	}
	code, out, _ = runCLI(t, "", "--schema", "all")
	if code != 0 || strings.Count(out, "CREATE TABLE") != len(tables.All) {
		t.Errorf("--schema all: exit %d:\n%s", code, out)
	}
	code, out, _ = runCLI(t, "", "--schema", "sockets")
	if code != 0 || out != tables.Sockets.CreateTableSQL()+"\n" {
		t.Errorf("--schema sockets: exit %d:\n%s", code, out)
	}
}

// The README carries the table reference generated from the registry; this
// fails when they drift. NETSQL_UPDATE_GOLDEN=1 rewrites it.
func TestREADMETableReference(t *testing.T) {
	const begin, end = "<!-- tables:begin (generated; NETSQL_UPDATE_GOLDEN=1 go test . rewrites it) -->\n", "<!-- tables:end -->"
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	i, j := strings.Index(readme, begin), strings.Index(readme, end)
	if i < 0 || j < i {
		t.Fatalf("README.md lacks the %q ... %q markers", begin, end)
	}
	want := tables.ReferenceMarkdown(tables.All)
	got := readme[i+len(begin) : j]
	if got == want {
		return
	}
	if os.Getenv("NETSQL_UPDATE_GOLDEN") == "1" {
		if err := os.WriteFile("README.md", []byte(readme[:i+len(begin)]+want+readme[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README table reference drifted from tables.All (-want +got):\n%s", cmp.Diff(want, got))
}

// The README's first lines are the two commands a newcomer runs.
func TestREADMEFirstCommands(t *testing.T) {
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	var commands []string
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "    ") || strings.HasPrefix(line, "go ") {
			commands = append(commands, strings.TrimSpace(line))
		}
		if len(commands) == 2 {
			break
		}
	}
	if len(commands) != 2 || !strings.HasPrefix(commands[0], "go run . ") || commands[1] != "go test ./..." {
		t.Errorf("README's first commands are %q; want `go run . ...` then `go test ./...`", commands)
	}
}

// TestMain removes the netsql binary the live tests built.
func TestMain(m *testing.M) {
	// Run as netsql itself (the shell completion tests put this binary on
	// PATH under that name).
	if os.Getenv("NETSQL_TEST_AS_CLI") == "1" {
		os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	code := m.Run()
	tablestest.RemoveBuilt()
	os.Exit(code)
}

// --proc alone says once on stderr what the parts not given leave empty.
func TestCLIHalfTreeSaysWhatIsAbsent(t *testing.T) {
	root := tablestest.Root(t, nil)
	code, out, errOut := runCLI(t, "", "--proc", root+"/proc", "--no-header", "SELECT count(*) FROM interfaces")
	if code != 0 || strings.TrimSpace(out) == "0" {
		t.Fatalf("exit %d, out %q, stderr %q", code, out, errOut)
	}
	if strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "no --sys: interfaces come from proc/net/dev alone") ||
		!strings.Contains(errOut, "no etc:") {
		t.Errorf("stderr %q; want one line naming what --sys and etc leave empty", errOut)
	}
}

// A relative --root or --proc is taken from the working directory.
func TestCLIRelativeTree(t *testing.T) {
	root := tablestest.Root(t, nil)
	t.Chdir(filepath.Dir(root))
	for _, args := range [][]string{{"--root", filepath.Base(root)}, {"--proc", filepath.Join(filepath.Base(root), "proc")}} {
		code, out, errOut := runCLI(t, "", append(args, "--no-header", "SELECT count(*) FROM sockets")...)
		if code != 0 || strings.TrimSpace(out) == "0" {
			t.Errorf("%v: exit %d, out %q, stderr %q", args, code, out, errOut)
		}
	}
}

// Flags as people type them: after the SQL, "--" ending them, a bare
// number of seconds for --timeout.
func TestCLIFlagsAnywhere(t *testing.T) {
	root := tablestest.Root(t, nil)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"SELECT 1 AS a", "-o", "json"}, "[\n{\"a\":1}\n]\n"},
		{[]string{"--root", root, "SELECT count(*) FROM sockets WHERE state = 'LISTEN'", "--no-header"}, "3\n"},
		{[]string{"--no-header", "--", "-- a comment first\nSELECT 'after --'"}, "after --\n"},
		{[]string{"--no-header", "-- a comment, no --\nSELECT 2"}, "2\n"},
		{[]string{"--no-header", "-e", "SELECT -1", "--null=-"}, "-1\n"},
		{[]string{"--timeout", "5", "--no-header", "SELECT 'five seconds'"}, "five seconds\n"},
		{[]string{"--timeout=0.5", "--no-header", "SELECT 'half a second'"}, "half a second\n"},
		{[]string{"--timeout", "1m30s", "--no-header", "SELECT 'go duration'"}, "go duration\n"},
	} {
		code, out, errOut := runCLI(t, "", tc.args...)
		if code != 0 || out != tc.want || errOut != "" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want %q", tc.args, code, out, errOut, tc.want)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"SELECT 1", "-o"}, "flag needs an argument: -o"},
		{[]string{"SELECT 1", "--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"--timeout", "-2", "SELECT 1"}, "must not be negative"},
		{[]string{"--timeout", "soon", "SELECT 1"}, "want seconds (5, 0.5) or a duration (1m30s, 500ms)"},
		{[]string{"SELECT 1", "--", "SELECT 2"}, "expected one SQL argument, got 2"},
	} {
		code, out, errOut := runCLI(t, "", tc.args...)
		if code != exitUsage || out != "" || !strings.Contains(errOut, tc.want) || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 2 and one line with %q", tc.args, code, out, errOut, tc.want)
		}
	}
	// The timeout is seconds: a statement that runs longer than 0.2 is stopped.
	code, _, errOut := runCLI(t, "", "--timeout", "0.2", "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n")
	if code != exitFailed || !strings.Contains(errOut, "statement stopped after --timeout 200ms") {
		t.Errorf("--timeout 0.2: exit %d, stderr %q", code, errOut)
	}
	if _, out, _ := runCLI(t, "", "--help"); !strings.Contains(out, "a bare number is seconds") {
		t.Errorf("--help does not say a bare --timeout number is seconds:\n%s", out)
	}
}

// --quiet silences warnings, not errors.
func TestCLIQuiet(t *testing.T) {
	root := tablestest.Root(t, nil)
	code, out, errOut := runCLI(t, "", "--quiet", "--proc", root+"/proc", "--no-header", "SELECT count(*) > 0 FROM interfaces")
	if code != 0 || out != "1\n" || errOut != "" {
		t.Errorf("--quiet on a half tree: exit %d, stdout %q, stderr %q; want no warning", code, out, errOut)
	}
	code, _, errOut = runCLI(t, "", "--quiet", "SELECT * FROM nope")
	if code != exitFailed || !strings.Contains(errOut, "no such table: nope") {
		t.Errorf("--quiet with an error: exit %d, stderr %q; want the error", code, errOut)
	}
}

// --schema takes a LIKE pattern, ignores case, and honours -o.
func TestCLISchemaPattern(t *testing.T) {
	code, out, _ := runCLI(t, "", "--schema", "SOCK%")
	if code != 0 || strings.Count(out, "CREATE TABLE") != 2 || !strings.Contains(out, "CREATE TABLE sockets (") ||
		!strings.Contains(out, "CREATE TABLE sockstat (") {
		t.Errorf("--schema SOCK%%: exit %d:\n%s", code, out)
	}
	code, out, _ = runCLI(t, "", "--schema", "Routes")
	if code != 0 || out != tables.Routes.CreateTableSQL()+"\n" {
		t.Errorf("--schema Routes: exit %d:\n%s", code, out)
	}
	code, out, _ = runCLI(t, "", "--schema", "routes", "-o", "json")
	var cols []map[string]any
	if err := json.Unmarshal([]byte(out), &cols); code != 0 || err != nil || len(cols) != len(tables.Routes.Columns) {
		t.Fatalf("--schema routes -o json: exit %d, %v:\n%s", code, err, out)
	}
	if want := (map[string]any{"table_name": "routes", "column_name": "family", "type": "TEXT", "description": tables.Routes.Columns[0].Doc}); !cmp.Equal(want, cols[0]) {
		t.Errorf("--schema routes -o json: first row %v, want %v", cols[0], want)
	}
	code, out, _ = runCLI(t, "", "--list-tables", "-o", "json")
	var list []map[string]any
	if err := json.Unmarshal([]byte(out), &list); code != 0 || err != nil || len(list) != len(tables.All) {
		t.Errorf("--list-tables -o json: exit %d, %v:\n%s", code, err, out)
	}
}
