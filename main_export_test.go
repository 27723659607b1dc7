package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"netsql/tables"
	"netsql/tables/tablestest"
)

// --export writes one file a table in Hive-style partitions; --from
// exports a saved moment the same way, under the moment's own time.
func TestExportCLI(t *testing.T) {
	root := tablestest.Root(t, nil)
	dir := t.TempDir()
	code, out, errOut := runCLI(t, "", "--root", root, "--export", dir)
	if code != 0 || out != "" || !strings.Contains(errOut, fmt.Sprintf("netsql: exported %d tables, ", len(tables.All))) {
		t.Fatalf("--export: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "table=*", "host=*", "date=*", "*Z.parquet"))
	if len(files) != len(tables.All) {
		t.Errorf("%d files: %q", len(files), files)
	}
	saved := filepath.Join(t.TempDir(), "m.db")
	if code, _, errOut := runCLI(t, "", "--root", root, "--save", saved, "--tables", "routes,snmp"); code != 0 {
		t.Fatalf("--save: %s", errOut)
	}
	_, taken, _ := runCLI(t, "", "--from", saved, "--no-header", "SELECT strftime('date=%Y-%m-%d/%H%M%SZ', taken_at) FROM snapshot_info")
	jsonDir := t.TempDir()
	code, _, errOut = runCLI(t, "", "--from", saved, "--export", jsonDir, "--format", "jsonl", "--tables", "snmp")
	if code != 0 || !strings.Contains(errOut, "exported 1 tables") {
		t.Fatalf("--from --export: exit %d, stderr %q", code, errOut)
	}
	path := filepath.Join(jsonDir, "table=snmp", "host=__HIVE_DEFAULT_PARTITION__", strings.TrimSpace(taken)+".jsonl")
	if data, err := os.ReadFile(path); err != nil || !strings.Contains(string(data), `"key":"TcpRetransSegs","value":57,`) {
		t.Errorf("%s: %v %.200q", path, err, data)
	}
	// The same moment again would replace the files: refused, exit 1.
	code, _, errOut = runCLI(t, "", "--from", saved, "--export", jsonDir, "--format", "jsonl", "--tables", "snmp")
	if code != exitFailed || !strings.Contains(errOut, "file exists (an export of this host at this second)") || strings.Count(errOut, "\n") != 1 {
		t.Errorf("again: exit %d, stderr %q", code, errOut)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--format", "jsonl", "SELECT 1"}, "--format goes with --export"},
		{[]string{"--export", dir, "--format", "csv"}, `--format "csv": want parquet or jsonl`},
		{[]string{"--export", dir, "SELECT 1"}, "--export writes files and runs no statement"},
		{[]string{"--root", root, "--export", filepath.Join(dir, "nope")}, "no such directory"},
		{[]string{"--root", root, "--export", dir, "--tables", "nope"}, `no table "nope"`},
	} {
		code, out, errOut := runCLI(t, "", c.args...)
		if code == 0 || out != "" || !strings.Contains(errOut, c.want) || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want one line with %q", c.args, code, out, errOut, c.want)
		}
	}
}
