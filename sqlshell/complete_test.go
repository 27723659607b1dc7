package sqlshell

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"netsql/sqlshell/prompt"
	"netsql/tables"
)

// testCompleter completes over a small fixed vocabulary and the shell's
// own dot-commands, as the prompt is given them.
func testCompleter(pending string) *prompt.Completer {
	v := &prompt.Vocabulary{
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
	return &prompt.Completer{Vocab: v, Commands: promptCommands, Resolve: resolveDotName, Pending: func() string { return pending }}
}

// do runs the completer the way readline does, with the cursor at the |
// in line (else at its end), and returns the sorted suffixes and the
// length of the word completed.
func do(c *prompt.Completer, line string) ([]string, int) {
	before, after, _ := strings.Cut(line, "|")
	got, n := c.Do([]rune(before+after), len([]rune(before)))
	var out []string
	for _, g := range got {
		out = append(out, string(g))
	}
	sort.Strings(out)
	return out, n
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
	ss := &session{vocab: &prompt.Vocabulary{}}
	names := []string{}
	columns := map[string][]string{}
	for _, d := range tables.All {
		names = append(names, d.Name)
		for _, col := range d.Columns {
			columns[d.Name] = append(columns[d.Name], col.Name)
		}
	}
	ss.vocab.SetTables(names, columns)
	c := &prompt.Completer{Vocab: ss.vocab}
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
