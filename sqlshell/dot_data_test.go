package sqlshell

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// .dump prints the user's tables as SQL that rebuilds them, one INSERT a
// row and no raw control byte; a fresh shell that runs it holds the same
// values, types and temporariness.
func TestDotDump(t *testing.T) {
	sh, out, _ := newTestShell(t)
	ss := newSession(sh)
	setup := `CREATE TABLE seen(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT, n, at DATETIME, blob BLOB,
  doubled INTEGER GENERATED ALWAYS AS (id * 2));
INSERT INTO seen(name, n, at, blob) VALUES ('it''s' || char(10) || 'esc' || char(27) || '[31m', 1.5, '2024-05-01 10:00:00', X'00ff'),
  (NULL, 100.0, NULL, NULL), ('', 9007199254740993, 'é', X''), (CAST(X'61ff62' AS TEXT), 1e300, NULL, NULL);
DELETE FROM seen WHERE n = 1e300 AND 0;
CREATE INDEX seen_name ON seen(name);
CREATE VIEW seen_names AS SELECT name FROM seen;
CREATE TEMP TABLE scratch(x);
INSERT INTO scratch VALUES (0.1), (-7);
CREATE TEMP VIEW listeners AS SELECT local_port FROM sockets WHERE state = 'LISTEN';
CREATE TEMP TRIGGER seen_log AFTER INSERT ON seen BEGIN INSERT INTO scratch VALUES (NEW.id); END;
`
	if err := typed(t, ss, setup+".dump\n"); err != nil {
		t.Fatal(err)
	}
	dump := out.String()
	want := `PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE seen(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT, n, at DATETIME, blob BLOB,
  doubled INTEGER GENERATED ALWAYS AS (id * 2));
INSERT INTO "seen"("id","name","n","at","blob") VALUES(1,'it''s'||char(10)||'esc'||char(27)||'[31m',1.5,'2024-05-01 10:00:00',X'00FF');
INSERT INTO "seen"("id","name","n","at","blob") VALUES(2,NULL,100.0,NULL,NULL);
INSERT INTO "seen"("id","name","n","at","blob") VALUES(3,'',9007199254740993,'é',X'');
INSERT INTO "seen"("id","name","n","at","blob") VALUES(4,'a'||CAST(X'FF' AS TEXT)||'b',1.0e+300,NULL,NULL);
DELETE FROM sqlite_sequence;
INSERT INTO sqlite_sequence VALUES('seen',4);
CREATE INDEX seen_name ON seen(name);
CREATE VIEW seen_names AS SELECT name FROM seen;
CREATE TEMP TABLE scratch(x);
INSERT INTO temp."scratch" VALUES(0.1);
INSERT INTO temp."scratch" VALUES(-7);
CREATE TEMP VIEW listeners AS SELECT local_port FROM sockets WHERE state = 'LISTEN';
CREATE TEMP TRIGGER seen_log AFTER INSERT ON seen BEGIN INSERT INTO scratch VALUES (NEW.id); END;
COMMIT;
`
	if diff := cmp.Diff(want, dump); diff != "" {
		t.Errorf(".dump (-want +got):\n%s", diff)
	}

	// The dump rebuilds the same rows, value for value and type for type.
	snapshot := "SELECT id, quote(name), typeof(name), quote(n), typeof(n), quote(at), quote(blob), doubled FROM seen;\n" +
		"SELECT quote(x), typeof(x) FROM temp.scratch;\nSELECT type, name FROM sqlite_temp_schema ORDER BY name;\n" +
		"SELECT seq FROM sqlite_sequence;\nSELECT * FROM listeners;\n"
	out.Reset()
	if err := typed(t, ss, snapshot); err != nil {
		t.Fatal(err)
	}
	before := out.String()
	fresh, freshOut, _ := newTestShell(t)
	if err := fresh.RunInput(t.Context(), "dump.sql", dump+snapshot); err != nil {
		t.Fatalf("running the dump: %v", err)
	}
	if diff := cmp.Diff(before, freshOut.String()); diff != "" {
		t.Errorf("rebuilt from the dump (-before +after):\n%s", diff)
	}

	// A pattern dumps one table with its index; netsql's tables are not dumped.
	out.Reset()
	if err := typed(t, ss, ".dump scr%\n"); err != nil {
		t.Fatal(err)
	}
	if want := "PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\nCREATE TEMP TABLE scratch(x);\n" +
		"INSERT INTO temp.\"scratch\" VALUES(0.1);\nINSERT INTO temp.\"scratch\" VALUES(-7);\nCOMMIT;\n"; out.String() != want {
		t.Errorf(".dump scr%%:\n%s", out)
	}
	for line, want := range map[string]string{
		".dump sockets": ".dump: sockets is read from the system, not stored: .dump prints the tables you created",
		".dump nope":    `.dump: no table of yours matches "nope" (.tables lists them)`,
		".dump a b":     "usage: .dump [TABLE]",
	} {
		if err := typed(t, ss, line); err == nil || err.Error() != want {
			t.Errorf("%s: %v, want %q", line, err, want)
		}
	}
}

func TestDotDumpNothing(t *testing.T) {
	sh, out, _ := newTestShell(t)
	if err := sh.RunInput(t.Context(), "stdin", ".dump\n"); err != nil {
		t.Fatal(err)
	}
	if want := "PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\nCOMMIT;\n"; out.String() != want {
		t.Errorf("got %q", out)
	}
}

func TestDotImportCSV(t *testing.T) {
	sh, out, _ := newTestShell(t)
	ss := newSession(sh)
	dir := t.TempDir()
	file := filepath.Join(dir, "services.csv")
	os.WriteFile(file, []byte("\uFEFFname,port,\"note, quoted\"\nssh,22,\"two\nlines\"\nhttps,443,\n"), 0o644)
	// A script may import without --allow-write: no file is written.
	err := sh.RunInput(t.Context(), "stdin", ".import "+file+" svc\n.mode csv\n"+
		"SELECT name, port, typeof(port), \"note, quoted\" FROM svc;\n.schema svc\n")
	if err != nil {
		t.Fatal(err)
	}
	want := "name,port,typeof(port),\"note, quoted\"\nssh,22,text,\"two\nlines\"\nhttps,443,text,\n" +
		"CREATE TABLE \"svc\"(\"name\" TEXT, \"port\" TEXT, \"note, quoted\" TEXT);\n"
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}

	// Into a table that exists, every row is data and the columns' types
	// apply; --skip 1 drops the header.
	out.Reset()
	err = typed(t, ss, "CREATE TABLE ports(name TEXT, port INTEGER, note TEXT);\n.import --csv --skip 1 "+file+" ports\n"+
		".headers off\nSELECT name, port, typeof(port) FROM ports;\n.import "+file+" ports\nSELECT count(*) FROM ports;\n")
	if err != nil {
		t.Fatal(err)
	}
	if want := "ssh,22,integer\nhttps,443,integer\n5\n"; out.String() != want {
		t.Errorf("existing table: %q, want %q", out, want)
	}
}

// A bad file leaves nothing behind: no table, no row.
func TestDotImportAllOrNothing(t *testing.T) {
	sh, out, _ := newTestShell(t)
	ss := newSession(sh)
	dir := t.TempDir()
	write := func(name, text string) string {
		path := filepath.Join(dir, name)
		os.WriteFile(path, []byte(text), 0o644)
		return path
	}
	var long strings.Builder
	long.WriteString("a,b\n")
	for i := 0; i < 2500; i++ {
		long.WriteString("x,y\n")
	}
	long.WriteString("x,y,z\n")
	cases := []struct{ file, table, want string }{
		{write("short.csv", "a,b\n1\n"), "t1", "short.csv: line 2 has 1 fields, t1 has 2 columns"},
		{write("long.csv", long.String()), "t2", "long.csv: line 2502 has 3 fields, t2 has 2 columns"},
		{write("quote.csv", "a,b\n1,\"open\n"), "t3", `quote.csv: parse error on line 2, column 9: extraneous or missing " in quoted-field`},
		{write("empty.csv", ""), "t4", "empty.csv: the file is empty: no header row to create t4 from"},
		{write("dup.csv", "a,a\n1,2\n"), "t5", "dup.csv: duplicate column name: a"},
	}
	for _, c := range cases {
		err := typed(t, ss, ".import "+c.file+" "+c.table)
		if err == nil || !strings.HasSuffix(err.Error(), c.want) {
			t.Errorf("%s: %v, want ...%q", c.file, err, c.want)
		}
	}
	out.Reset()
	if err := typed(t, ss, ".headers off\nSELECT count(*) FROM sqlite_schema WHERE name GLOB 't[0-9]';\n"); err != nil {
		t.Fatal(err)
	}
	if out.String() != "0\n" {
		t.Errorf("a failed import left tables: %q", out)
	}

	// Rows already in an existing table stay; none of a bad file is added,
	// even inside the user's own transaction.
	out.Reset()
	err := typed(t, ss, "CREATE TABLE keep(a, b);\nINSERT INTO keep VALUES ('old', 1);\nBEGIN;\n")
	if err != nil {
		t.Fatal(err)
	}
	if err := typed(t, ss, ".import "+filepath.Join(dir, "long.csv")+" keep"); err == nil {
		t.Error("no error")
	}
	if err := typed(t, ss, "COMMIT;\nSELECT count(*) FROM keep;\n"); err != nil || out.String() != "1\n" {
		t.Errorf("after a failed import into keep: %v, %q", err, out)
	}
}

func TestDotImportRefusals(t *testing.T) {
	sh, _, _ := newTestShell(t)
	ss := newSession(sh)
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	csvFile := filepath.Join(dir, "x.csv")
	os.WriteFile(csvFile, []byte("a\n1\n"), 0o644)
	done := make(chan error, 1)
	go func() { done <- typed(t, ss, ".import "+fifo+" t") }()
	select {
	case err := <-done:
		if err == nil || err.Error() != ".import: "+fifo+": not a regular file" {
			t.Errorf("fifo: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal(".import of a FIFO hangs")
	}
	for line, want := range map[string]string{
		".import " + dir + " t":              ".import: " + dir + ": not a regular file",
		".import " + csvFile + " sockets":    ".import: sockets is read from the system and takes no rows: import into a table of your own",
		".import " + csvFile + " Processes":  ".import: processes is read from the system and takes no rows: import into a table of your own",
		".import " + dir + "/nope.csv t":     ".import: open " + dir + "/nope.csv: no such file or directory",
		".import " + csvFile:                 "usage: .import [--csv|--tsv] [--skip N] FILE TABLE",
		".import --json " + csvFile + " t":   "usage: .import [--csv|--tsv] [--skip N] FILE TABLE",
		".import --skip x " + csvFile + " t": ".import --skip x: want a number of rows",
	} {
		if err := typed(t, ss, line); err == nil || err.Error() != want {
			t.Errorf("%s: %v, want %q", line, err, want)
		}
	}
}

// What the tsv mode writes, .import --tsv reads back exactly.
func TestDotImportTSVRoundTrip(t *testing.T) {
	sh, out, _ := newTestShell(t)
	ss := newSession(sh)
	values := "SELECT 'tab\there' AS a, 'new\nline' AS b, 'back\\slash' AS c UNION ALL SELECT 'cr\r', '', 'plain'"
	file := filepath.Join(t.TempDir(), "out.tsv")
	if err := typed(t, ss, ".mode tsv\n.once "+file+"\n"+values+";\n"); err != nil {
		t.Fatal(err)
	}
	if err := typed(t, ss, ".import --tsv "+file+" back\n.mode json\nSELECT * FROM back;\n"); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	out.Reset()
	if err := typed(t, ss, values+";\n"); err != nil {
		t.Fatal(err)
	}
	if got != out.String() {
		t.Errorf("read back\n%s\nwant\n%s", got, out)
	}
}
