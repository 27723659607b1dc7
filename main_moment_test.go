package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"netsql/tables"
	"netsql/tables/tablestest"
)

// A saved moment reads back the same rows, with the same types, for
// every dataset; snapshot_info describes it.
func TestSaveAndQueryRoundTrip(t *testing.T) {
	root := tablestest.Root(t, nil)
	file := filepath.Join(t.TempDir(), "moment.db")
	code, out, errOut := runCLI(t, "", "--root", root, "--save", file)
	if code != 0 || out != "" || !strings.Contains(errOut, fmt.Sprintf("saved %d tables", len(tables.All))) {
		t.Fatalf("--save: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	for _, d := range tables.All {
		exprs := make([]string, len(d.Columns))
		for i, c := range d.Columns {
			exprs[i] = fmt.Sprintf("typeof(%s) || ':' || quote(%s)", c.Name, c.Name)
		}
		q := "SELECT " + strings.Join(exprs, " || ' ' || ") + " AS r FROM " + d.Name + " ORDER BY r"
		_, live, _ := runCLI(t, "", "--root", root, "--no-header", q)
		code, saved, errOut := runCLI(t, "", "--from", file, "--no-header", q)
		if code != 0 || errOut != "" {
			t.Errorf("%s from the file: exit %d, stderr %q", d.Name, code, errOut)
			continue
		}
		if diff := cmp.Diff(live, saved); diff != "" {
			t.Errorf("%s: the tree (-) and the saved moment (+) differ:\n%s", d.Name, diff)
		}
		if d.Name == "sockets" && strings.Count(saved, "\n") < 10 {
			t.Errorf("sockets: only %d rows saved", strings.Count(saved, "\n"))
		}
	}
	code, out, _ = runCLI(t, "", "--from", file, "-o", "json", "SELECT * FROM snapshot_info")
	var info []map[string]any
	if err := json.Unmarshal([]byte(out), &info); code != 0 || err != nil || len(info) != 1 {
		t.Fatalf("snapshot_info: exit %d, %v: %s", code, err, out)
	}
	i := info[0]
	if i["format"] != 1.0 || i["netsql_version"] != version || i["source"] != root+"/proc "+root+"/sys "+root+"/etc" {
		t.Errorf("snapshot_info = %v", i)
	}
	if at, err := time.Parse(time.RFC3339Nano, fmt.Sprint(i["taken_at"])); err != nil || time.Since(at) > time.Minute || at.Location() != time.UTC {
		t.Errorf("taken_at %v: %v", i["taken_at"], err)
	}
	var perTable map[string]map[string]any
	if err := json.Unmarshal([]byte(fmt.Sprint(i["tables"])), &perTable); err != nil || len(perTable) != len(tables.All) || perTable["sockets"]["rows"] == 0.0 {
		t.Errorf("snapshot_info.tables = %v (%v)", i["tables"], err)
	}
	// Each table's rows in snapshot_info are the rows the file holds.
	for name, v := range perTable {
		code, out, errOut := runCLI(t, "", "--from", file, "--no-header", "SELECT count(*) FROM "+name)
		if code != 0 || strings.TrimSpace(out) != fmt.Sprint(v["rows"]) {
			t.Errorf("%s: snapshot_info says %v rows, the file holds %q (exit %d, %s)", name, v["rows"], out, code, errOut)
		}
	}
	// Saved queries run unchanged on it.
	if code, out, errOut := runCLI(t, "", "--from", file, "-q", "listening", "--no-header"); code != 0 || !strings.Contains(out, "sshd") {
		t.Errorf("-q listening --from: exit %d, %q, %q", code, out, errOut)
	}
	// --tables saves some; --baseline attaches beside the live tables.
	some := filepath.Join(t.TempDir(), "some.db")
	if code, _, errOut := runCLI(t, "", "--root", root, "--save", some, "--tables", "sockets, routes"); code != 0 {
		t.Fatalf("--tables: exit %d, %q", code, errOut)
	}
	code, out, errOut = runCLI(t, "", "--root", root, "--baseline", some, "--no-header",
		"SELECT (SELECT count(*) FROM (SELECT * FROM sockets EXCEPT SELECT * FROM baseline.sockets)), (SELECT count(*) FROM baseline.sockets) > 0, (SELECT group_concat(name) FROM baseline.sqlite_schema WHERE type = 'table')")
	if code != 0 || out != "0\t1\tsockets,routes,snapshot_info\n" {
		t.Errorf("--baseline: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// --save never replaces a file unless --force, never leaves a temporary
// file, and its usage errors are one line.
func TestSaveRefusesToOverwrite(t *testing.T) {
	root := tablestest.Root(t, nil)
	dir := t.TempDir()
	file := filepath.Join(dir, "m.db")
	if err := os.WriteFile(file, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runCLI(t, "", "--root", root, "--save", file)
	if code != exitUsage || errOut != "netsql: --save "+file+": file exists (use --force to replace it)\n" {
		t.Errorf("existing file: exit %d, %q", code, errOut)
	}
	if data, _ := os.ReadFile(file); string(data) != "keep me" {
		t.Errorf("the existing file was changed: %q", data)
	}
	if code, _, errOut := runCLI(t, "", "--root", root, "--save", file, "--force", "--quiet"); code != 0 || errOut != "" {
		t.Fatalf("--force: exit %d, %q", code, errOut)
	}
	if code, out, _ := runCLI(t, "", "--from", file, "--no-header", "SELECT count(*) > 0 FROM routes"); code != 0 || out != "1\n" {
		t.Errorf("the replaced file: exit %d, %q", code, out)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("the directory holds %d entries, want the one file: %v", len(entries), entries)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--save", file, "SELECT 1"}, "--save writes a file and runs no statement"},
		{[]string{"--save", filepath.Join(dir, "x.db"), "--tables", "sockets,nope"}, `--save ` + filepath.Join(dir, "x.db") + `: no table "nope"`},
		{[]string{"--tables", "sockets"}, "--tables goes with --save or --export"},
		{[]string{"--force", "SELECT 1"}, "--force goes with --save"},
		{[]string{"--from", file, "--root", root, "SELECT 1"}, "--from reads a saved moment"},
		{[]string{"--save", filepath.Join(dir, "no", "such", "x.db")}, "no such directory"},
	} {
		code, out, errOut := runCLI(t, "", tc.args...)
		if code == 0 || out != "" || !strings.Contains(errOut, tc.want) || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want one line with %q", tc.args, code, out, errOut, tc.want)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("a failed --save left files: %v", entries)
	}
}

// A file that is not a saved moment gives one error naming it, and a FIFO
// does not hang.
func TestFromDamagedFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	plain := filepath.Join(dir, "plain.db")
	db, err := sql.Open("sqlite", plain)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("CREATE TABLE sockets (x INTEGER)"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	root := tablestest.Root(t, nil)
	good := filepath.Join(dir, "good.db")
	if code, _, errOut := runCLI(t, "", "--root", root, "--save", good, "--tables", "routes"); code != 0 {
		t.Fatal(errOut)
	}
	data, _ := os.ReadFile(good)
	newer := filepath.Join(dir, "newer.db")
	if code, _, errOut := runCLI(t, "", "--root", root, "--save", newer, "--tables", "routes"); code != 0 {
		t.Fatal(errOut)
	}
	db, _ = sql.Open("sqlite", newer)
	if _, err := db.Exec("UPDATE snapshot_info SET format = 99"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	fifo := filepath.Join(dir, "fifo.db")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ file, want string }{
		{write("text.db", []byte("this is not a database, just text that is long enough to have a header of 100 bytes or so...........")), "not a netsql snapshot: file is not a database"},
		{write("empty.db", nil), "not a netsql snapshot (no snapshot_info table"},
		{plain, "not a netsql snapshot (no snapshot_info table"},
		{write("truncated.db", data[:len(data)/3]), "not a netsql snapshot"},
		{newer, "written by netsql " + version + " in file format 99; this netsql reads format 1"},
		{fifo, "not a regular file"},
		{filepath.Join(dir, "missing.db"), "no such file"},
	} {
		for _, flag := range []string{"--from", "--baseline"} {
			code, out, errOut := runCLI(t, "", flag, tc.file, "SELECT 1")
			if code == 0 || out != "" || !strings.Contains(errOut, flag+" "+tc.file+": "+tc.want) || strings.Count(errOut, "\n") != 1 {
				t.Errorf("%s %s: exit %d, stdout %q, stderr %q; want one line with %q", flag, filepath.Base(tc.file), code, out, errOut, tc.want)
			}
		}
	}
}

// A baseline with a listener later closed, another opened and a third
// restarted (same address, new socket) shows exactly one removed, one
// added and one replaced; the JSON parses and names the changes.
func TestDiffListeners(t *testing.T) {
	root := tablestest.Root(t, nil)
	dir := t.TempDir()
	old, new := filepath.Join(dir, "old.db"), filepath.Join(dir, "new.db")
	if code, _, errOut := runCLI(t, "", "--root", root, "--save", old, "--tables", "sockets,routes"); code != 0 {
		t.Fatal(errOut)
	}
	tcp := filepath.Join(root, "proc", "net", "tcp")
	data, err := os.ReadFile(tcp)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	var kept []string
	for _, l := range lines {
		switch {
		case strings.Contains(l, " 0100007F:1F90 00000000:0000 0A "): // 127.0.0.1:8080 closes
			continue
		case strings.Contains(l, " 00000000:0016 00000000:0000 0A "): // :22 restarts: a new inode
			l = strings.Replace(l, " 1001 ", " 1099 ", 1)
		}
		kept = append(kept, l)
	}
	kept = append(kept[:len(kept)-1], "  90: 00000000:115C 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1098 1 0000000000000000 100 0 0 10 0", "")
	if err := os.WriteFile(tcp, []byte(strings.Join(kept, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runCLI(t, "", "--root", root, "--save", new, "--tables", "sockets,routes"); code != 0 {
		t.Fatal(errOut)
	}
	code, out, errOut := runCLI(t, "", "--diff", old, new, "-o", "json")
	if code != 0 || errOut != "" {
		t.Fatalf("--diff: exit %d, stderr %q", code, errOut)
	}
	var changes []map[string]any
	if err := json.Unmarshal([]byte(out), &changes); err != nil {
		t.Fatalf("--diff -o json is not JSON: %v\n%s", err, out)
	}
	var got []string
	for _, c := range changes {
		key := c["key"].(map[string]any)
		got = append(got, fmt.Sprintf("%s %s %v:%v %v", c["table"], c["change"], key["local_addr"], key["local_port"], c["columns"]))
	}
	slices.Sort(got)
	want := []string{"sockets added 0.0.0.0:4444 <nil>", "sockets removed 127.0.0.1:8080 <nil>", "sockets replaced 0.0.0.0:22 [inode pid]"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("changes (-want +got):\n%s\n%s", diff, out)
	}
	// The text summary says the same; jsonl is one object per line.
	_, text, _ := runCLI(t, "", "--diff", old, new)
	for _, w := range []string{"sockets: 1 added, 1 removed, 1 replaced", "  + proto=tcp local_addr=0.0.0.0 local_port=4444",
		"  ! proto=tcp local_addr=0.0.0.0 local_port=22 remote_addr=0.0.0.0 remote_port=0: inode 1001 → 1099, pid 812 → NULL", "no change in: routes"} {
		if !strings.Contains(text, w) {
			t.Errorf("text summary lacks %q:\n%s", w, text)
		}
	}
	_, jsonl, _ := runCLI(t, "", "--diff", old, new, "-o", "jsonl")
	if n := strings.Count(jsonl, "\n"); n != 3 {
		t.Errorf("jsonl: %d lines, want 3:\n%s", n, jsonl)
	}
	// Against now: the live side is this tree, at one moment.
	if code, out, _ := runCLI(t, "", "--root", root, "--diff", new, "-o", "json"); code != 0 || out != "[]\n" {
		t.Errorf("--diff NEW against the same tree now: exit %d, %q", code, out)
	}
}

// A baseline query without --baseline says what it needs.
func TestBaselineQueryWithoutBaseline(t *testing.T) {
	code, _, errOut := runCLI(t, "", "-q", "new_listeners")
	if code != exitFailed || !strings.Contains(errOut, "no such table: baseline.sockets (the baseline is a saved moment: run with --baseline FILE") {
		t.Errorf("-q new_listeners alone: exit %d, %q", code, errOut)
	}
}

func TestWatchUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--count", "3", "SELECT 1"}, "--count goes with --watch"},
		{[]string{"--watch", "0", "SELECT 1"}, "must be more than 0"},
		{[]string{"--watch", "2"}, "--watch needs a statement"},
		{[]string{"--watch", "2", "-f", "x.sql"}, "--watch reruns one statement"},
		{[]string{"--watch", "2", "--count", "-1", "SELECT 1"}, "--count must not be negative"},
	} {
		code, out, errOut := runCLI(t, "", tc.args...)
		if code != exitUsage || out != "" || !strings.Contains(errOut, tc.want) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want %q", tc.args, code, out, errOut, tc.want)
		}
	}
	code, out, _ := runCLI(t, "", "--watch", "0.01", "--count", "2", "-o", "jsonl", "SELECT 'x' AS a")
	var obj map[string]any
	if code != 0 || strings.Count(out, "\n") != 1 || json.Unmarshal([]byte(out), &obj) != nil || obj["change"] != "added" {
		t.Errorf("--watch -o jsonl: exit %d, %q", code, out)
	}
	if code, _, errOut := runCLI(t, "", "-q", "interface_rates"); code != exitFailed || !strings.Contains(errOut, "run the statement with --watch") {
		t.Errorf("a rates query without --watch: exit %d, %q", code, errOut)
	}
}
