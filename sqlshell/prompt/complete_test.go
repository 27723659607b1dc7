package prompt

import (
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// testCompleter completes over a small fixed vocabulary, so the tests do
// not change when datasets are added.
func testCompleter(pending string) *Completer {
	v := &Vocabulary{
		Queries: func() []string { return []string{"listening", "port_owner"} },
		Params:  func() []string { return []string{"port", "host"} },
	}
	v.SetTables([]string{"sockets", "sockstat", "processes", "process_sockets", "my_view"}, map[string][]string{
		"sockets":         {"proto", "local_addr", "local_port", "inode", "pid", "process"},
		"sockstat":        {"protocol", "name", "value"},
		"processes":       {"pid", "ppid", "name", "cmdline"},
		"process_sockets": {"pid", "fd", "inode", "netns"},
		"my_view":         {"port", "owner"},
	})
	v.SetFunctions([]string{"count", "coalesce", "service"})
	return &Completer{Vocab: v, Pending: func() string { return pending }}
}

// do runs the completer the way readline does, with the cursor at the |
// in line (else at its end), and returns the sorted suffixes and the
// length of the word completed.
func do(c *Completer, line string) ([]string, int) {
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

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
