package sqlshell

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"netsql/sqlshell/prompt"
)

// At the end of input (Ctrl-D) a statement being typed runs when it lacks
// only its `;`, and is dropped in one line when it could not end there.
func TestREPLEndOfInputWithAPendingStatement(t *testing.T) {
	cases := []struct {
		input, stdout, stderr string
		history               []string
	}{
		{"SELECT 'last'\n", "'last'\nlast\n", "", []string{"SELECT 'last'"}},
		{"SELECT 1 AS a,\n  2 AS b -- no semicolon\n", "a\tb\n1\t2\n", "", []string{"SELECT 1 AS a, 2 AS b /* no semicolon */"}},
		{"SELECT 'open\n", "", "dropped the unfinished statement: SELECT 'open\n", nil},
		{"SELECT 1 /* open comment\n", "", "dropped the unfinished statement: SELECT 1 /* open comment\n", nil},
		{"CREATE TRIGGER tr AFTER INSERT ON x BEGIN\n  SELECT 1;\n", "",
			"dropped the unfinished statement: CREATE TRIGGER tr AFTER INSERT ON x BEGIN SELECT 1;\n", nil},
		{"SELECT 'a very long statement that goes on and on past sixty characters\n", "",
			"dropped the unfinished statement: SELECT 'a very long statement that goes on and on past sixt…\n", nil},
		{"SELECT * FROM nope\n", "", "error: no such table: nope\n", []string{"SELECT * FROM nope"}},
		{"SELECT 'done';\n", "'done'\ndone\n", "", []string{"SELECT 'done';"}},
	}
	for _, c := range cases {
		sh, out, errOut := newTestShell(t)
		history := filepath.Join(t.TempDir(), "history")
		if _, err := replOverPipe(t, sh, REPLOptions{HistoryFile: history}, c.input); err != nil {
			t.Fatalf("%q: %v", c.input, err)
		}
		if out.String() != c.stdout || errOut.String() != c.stderr {
			t.Errorf("%q: stdout %q, stderr %q; want %q, %q", c.input, out, errOut, c.stdout, c.stderr)
		}
		entries, _ := prompt.HistoryFile{Path: history}.Load()
		if diff := cmp.Diff(c.history, entries); diff != "" {
			t.Errorf("%q: history (-want +got):\n%s", c.input, diff)
		}
	}
}
