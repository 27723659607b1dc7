package sqlshell

import (
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"netsql/tables"
)

// .eqp prints each statement's plan before its rows: a scan of a dataset
// shows the columns its lookup uses, the pushdown ARCHITECTURE.md
// describes.
func TestDotEQP(t *testing.T) {
	sh, out, _ := newTestShell(t)
	ss := newSession(sh)
	err := typed(t, ss, ".headers off\n.eqp on\nSELECT count(*) FROM sockets WHERE proto = 'tcp' AND state = 'LISTEN';\n"+
		"CREATE TEMP TABLE t(x);\nEXPLAIN QUERY PLAN SELECT 1;\n.eqp off\nSELECT 2;\n")
	if err != nil {
		t.Fatal(err)
	}
	want := "QUERY PLAN\n`--SCAN sockets VIRTUAL TABLE INDEX N:proto=,state=\n2\n" +
		"1\t0\t0\tSCAN CONSTANT ROW\n" + // an EXPLAIN typed is run as it is, with no plan of its own
		"2\n"
	if diff := cmp.Diff(want, indexNumbers(out.String())); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
	// A statement that cannot be planned reports its error once.
	if err := typed(t, ss, ".eqp on\nSELECT * FROM nope;\n"); err == nil || err.Error() != "no such table: nope" {
		t.Errorf("bad statement: %v", err)
	}
}

// .explain shows a plan without running the statement: nothing is read
// from the system.
func TestDotExplain(t *testing.T) {
	sh, out, _ := newTestShell(t)
	ss := newSession(sh)
	before := sh.eng.Stats()
	err := typed(t, ss, ".param set port 22\n"+
		".explain SELECT p.name FROM sockets s JOIN processes p ON p.pid = s.pid WHERE s.local_port = :port AND s.state = 'LISTEN';\n"+
		".explain WITH x AS MATERIALIZED (SELECT pid FROM processes) SELECT * FROM x, x AS y\n")
	if err != nil {
		t.Fatal(err)
	}
	want := "QUERY PLAN\n" +
		"|--SCAN s VIRTUAL TABLE INDEX N:local_port=,state=\n" +
		"`--SCAN p VIRTUAL TABLE INDEX N:pid=\n" +
		"QUERY PLAN\n" +
		"|--MATERIALIZE x\n" +
		"|  `--SCAN processes VIRTUAL TABLE INDEX N:\n" +
		"|--SCAN x\n" +
		"`--SCAN y\n"
	if diff := cmp.Diff(want, indexNumbers(out.String())); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
	if d := sh.eng.Stats().Sub(before); len(d.Collections)+len(d.Narrowed) != 0 {
		t.Errorf(".explain read from the system: %+v", d)
	}
	if err := typed(t, ss, ".explain on"); err != nil || !ss.eqp {
		t.Errorf(".explain on: %v, eqp %v", err, ss.eqp)
	}
	if err := typed(t, ss, ".explain off"); err != nil || ss.eqp {
		t.Errorf(".explain off: %v, eqp %v", err, ss.eqp)
	}
	for line, want := range map[string]string{
		".explain":                      "usage: .explain STATEMENT | on|off",
		".explain SELECT 1; SELECT 2":   ".explain takes one statement, not 2",
		".explain explain SELECT 1":     ".explain: explain is an EXPLAIN already: run it as a statement",
		".explain SELECT * FROM nope":   "no such table: nope",
		".explain SELECT :nobody":       "missing parameter :nobody (give --param nobody=VALUE, or .param set nobody VALUE)",
		".explain SELECT 'it''s' FROM":  `incomplete input`,
		".explain SELECT * FROM socket": "no such table: socket",
	} {
		if err := typed(t, ss, line); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", line, err, want)
		}
	}
}

// indexNumbers hides the idxNum of each lookup, which numbers the dataset
// and its columns (tables/engine/vtab.go), leaving the columns' names.
func indexNumbers(plan string) string {
	return regexp.MustCompile(`INDEX \d+:`).ReplaceAllString(plan, "INDEX N:")
}

func TestDotIndexes(t *testing.T) {
	sh, out, _ := newTestShell(t)
	ss := newSession(sh)
	err := typed(t, ss, ".headers off\n.indexes processes\n"+
		"CREATE TABLE seen(id INTEGER PRIMARY KEY, addr TEXT UNIQUE, port INTEGER, at TEXT);\n"+
		"CREATE INDEX seen_port ON seen(port, addr);\nCREATE INDEX seen_recent ON seen(at) WHERE at > '2024';\n"+
		"CREATE TABLE pairs(a, b, PRIMARY KEY (a, b)) WITHOUT ROWID;\n"+
		".indexes seen\n.indexes pairs\n")
	if err != nil {
		t.Fatal(err)
	}
	want := "processes\tpid\tkey\tpid = ... narrows what is read from the system, with constants, and value by value in a join\n" +
		"processes\tany\thash\tequalities on any columns are looked up in one hash index, built on first use over the rows read\n" +
		"seen\tport, addr\tindex\tseen_port\n" +
		"seen\tat\tindex\tseen_recent (partial)\n" +
		"seen\taddr\tunique index\tsqlite_autoindex_seen_1\n" +
		"pairs\ta, b\tprimary key\tsqlite_autoindex_pairs_1\n"
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
	// Every dataset is listed with each of its keys.
	out.Reset()
	if err := typed(t, ss, ".indexes\n"); err != nil {
		t.Fatal(err)
	}
	for _, d := range tables.All {
		for _, k := range d.Keys {
			if !strings.Contains(out.String(), d.Name+"\t"+k.Column+"\tkey\t") {
				t.Errorf(".indexes lacks the key %s.%s", d.Name, k.Column)
			}
		}
		if !strings.Contains(out.String(), d.Name+"\tany\thash\t") {
			t.Errorf(".indexes lacks %s's hash lookups", d.Name)
		}
	}
	if !strings.Contains(out.String(), "sockets\tstate\tkey\tstate = ... narrows what is read from the system, only with values known before the first row") {
		t.Errorf(".indexes does not say sockets.state is not stable:\n%s", out)
	}
	if err := typed(t, ss, ".indexes nope"); err == nil || err.Error() != `no table matches "nope" (.tables lists them)` {
		t.Errorf(".indexes nope: %v", err)
	}
}
