package sqlshell

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"netsql/tables"
)

// testCompleter completes over a small fixed vocabulary, so the tests do
// not change when datasets are added.
func testCompleter(pending string) *completer {
	v := &vocabulary{
		queries: func() []string { return []string{"listening", "port_owner"} },
		params:  func() []string { return []string{"port", "host"} },
	}
	v.setTables([]string{"sockets", "sockstat", "processes", "process_sockets", "my_view"}, map[string][]string{
		"sockets":         {"proto", "local_addr", "local_port", "inode", "pid", "process"},
		"sockstat":        {"protocol", "name", "value"},
		"processes":       {"pid", "ppid", "name", "cmdline"},
		"process_sockets": {"pid", "fd", "inode", "netns"},
		"my_view":         {"port", "owner"},
	})
	v.setFunctions([]string{"count", "coalesce", "service"})
	return &completer{vocab: v, dotCommands: dotCommands, pending: func() string { return pending }}
}

// do runs the completer the way readline does, with the cursor at the |
// in line (else at its end), and returns the sorted suffixes and the
// length of the word completed.
func do(c *completer, line string) ([]string, int) {
	before, after, _ := strings.Cut(line, "|")
	got, n := c.Do([]rune(before+after), len([]rune(before)))
	var out []string
	for _, g := range got {
		out = append(out, string(g))
	}
	sort.Strings(out)
	return out, n
}

func TestCompleteSQL(t *testing.T) {
	cases := []struct {
		name    string
		pending string
		line    string
		want    []string
		wantLen int
	}{
		{"table after FROM", "", "SELECT * FROM sock", []string{"ets ", "stat "}, 4},
		{"table after FROM, any case", "", "select * from PROC", []string{"ESSES ", "ESS_SOCKETS "}, 4},
		{"tables only after FROM, no keywords", "", "SELECT * FROM ", []string{"my_view ", "process_sockets ", "processes ", "sockets ", "sockstat "}, 0},
		{"table after JOIN", "", "SELECT * FROM sockets s JOIN process_s", []string{"ockets "}, 9},
		{"table after a comma in FROM", "", "SELECT * FROM sockets s, proc", []string{"ess_sockets ", "esses "}, 4},
		{"column after alias.", "", "SELECT s.local_| FROM sockets s", []string{"addr", "port"}, 6},
		{"column after alias. with AS", "", "SELECT * FROM processes AS p WHERE p.c", []string{"mdline"}, 1},
		{"column after table.", "", "SELECT * FROM sockets WHERE sockets.in", []string{"ode"}, 2},
		{"column after alias. named on an earlier line", "SELECT s.proto\nFROM sockets s JOIN process_sockets ps USING (inode)\n", "WHERE ps.", []string{"fd", "inode", "netns", "pid"}, 0},
		{"column of a quoted alias", "", `SELECT * FROM sockets "x y" WHERE "x y".pr`, nil, 0},
		{"unknown alias completes nothing", "", "SELECT q.", nil, 0},
		{"columns of the statement's tables", "", "SELECT * FROM sockets s JOIN processes p USING (pid) WHERE cm", []string{"dline"}, 2},
		{"columns, tables, functions and keywords by prefix", "", "SELECT * FROM sockets WHERE pro", []string{"cess", "cess_sockets ", "cesses ", "to"}, 3},
		{"function gets a parenthesis", "", "SELECT coa", []string{"lesce("}, 3},
		{"keyword in lower case", "", "sel", []string{"ect "}, 3},
		{"keyword in upper case", "", "SEL", []string{"ECT "}, 3},
		{"keyword in mixed case", "", "Sel", []string{"ECT "}, 3},
		{"keyword after a statement on the same line", "", "SELECT 1; SELECT * FROM sockets ORD", []string{"ER "}, 3},
		{"empty word offers the statement's columns", "", "SELECT * FROM process_sockets WHERE ", []string{"fd", "inode", "netns", "pid"}, 0},
		{"empty word without tables offers nothing", "", "SELECT ", nil, 0},
		{"nothing inside a string", "", "SELECT 'sel", nil, 0},
		{"nothing inside a line comment", "", "SELECT 1 -- sel", nil, 0},
		{"nothing inside a block comment", "", "SELECT /* sel", nil, 0},
		{"after a finished comment", "", "SELECT /* x */ coa", []string{"lesce("}, 3},
		{"parameter after :", "", "SELECT * FROM sockets WHERE local_port = :po", []string{"rt"}, 2},
		{"parameter after $", "", "SELECT $h", []string{"ost"}, 1},
		{"user view and its columns", "", "SELECT ow| FROM my_view", []string{"ner"}, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, n := do(testCompleter(c.pending), c.line)
			if diff := cmp.Diff(c.want, got); diff != "" || n != c.wantLen && len(c.want) > 0 {
				t.Errorf("Do(%q) = %q, %d; want %q, %d (-want +got):\n%s", c.line, got, n, c.want, c.wantLen, diff)
			}
		})
	}
}

func TestCompleteCursorInside(t *testing.T) {
	// Tab in the middle of a line completes the word before the cursor;
	// the tables named after it count.
	got, n := do(testCompleter(""), "SELECT s.lo| FROM sockets s")
	if want := []string{"cal_addr", "cal_port"}; !cmp.Equal(got, want) || n != 2 {
		t.Errorf("got %q, %d; want %q, 2", got, n, want)
	}
}

func TestCompleteDotCommands(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"checks.sql", "check_more.sql"} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "checkdir"), 0o755); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		line string
		want []string
	}{
		{".mo", []string{"de "}},
		{".he", []string{"aders ", "lp "}},
		{".mode ", []string{"csv ", "json ", "jsonl ", "line ", "markdown ", "table ", "tsv "}},
		{".mode js", []string{"on ", "onl "}},
		{".mode json ", nil},
		{".headers o", []string{"ff ", "n "}},
		{".timer ", []string{"off ", "on "}},
		{".run ", []string{"listening ", "port_owner "}},
		{".run po", []string{"rt_owner "}},
		{".schema proc", []string{"ess_sockets ", "esses "}},
		{".tables so", []string{"ckets ", "ckstat "}},
		{".param ", []string{"clear ", "list ", "set ", "unset "}},
		{".param unset h", []string{"ost "}},
		{".read " + dir + "/che", []string{"ck_more.sql", "ckdir/", "cks.sql"}},
		{".nosuch ", nil},
		{"  .mo", []string{"de "}},
	}
	for _, c := range cases {
		got, _ := do(testCompleter(""), c.line)
		if diff := cmp.Diff(c.want, got); diff != "" {
			t.Errorf("Do(%q) (-want +got):\n%s", c.line, diff)
		}
	}
	// In the middle of a statement a leading dot is SQL, not a command.
	if got, _ := do(testCompleter("SELECT 1\n"), ".mo"); got != nil {
		t.Errorf("continuation line .mo completed to %q", got)
	}
}

func TestCompleteEveryDataset(t *testing.T) {
	// Every dataset and every one of its columns completes.
	ss := &session{vocab: &vocabulary{}}
	names := []string{}
	columns := map[string][]string{}
	for _, d := range tables.All {
		names = append(names, d.Name)
		for _, col := range d.Columns {
			columns[d.Name] = append(columns[d.Name], col.Name)
		}
	}
	ss.vocab.setTables(names, columns)
	c := &completer{vocab: ss.vocab}
	for _, d := range tables.All {
		got, _ := do(c, "SELECT * FROM "+d.Name[:len(d.Name)-1])
		if !contains(got, d.Name[len(d.Name)-1:]+" ") {
			t.Errorf("table %s: got %q", d.Name, got)
		}
		for _, col := range d.Columns {
			got, _ := do(c, "SELECT t."+col.Name[:1]+"| FROM "+d.Name+" t")
			if !contains(got, col.Name[1:]) {
				t.Errorf("column %s.%s: got %q", d.Name, col.Name, got)
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
