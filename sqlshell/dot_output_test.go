package sqlshell

import (
	"bufio"
	"database/sql/driver"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"modernc.org/sqlite"
)

// onFakeTerminal makes sh print as to a terminal of cols columns and rows
// rows, without one.
func onFakeTerminal(sh *Shell, cols, rows int) {
	sh.onTerminal = true
	sh.termSize = func() (int, int) { return cols, rows }
}

func TestDotWidthWrap(t *testing.T) {
	sh, out, _ := newTestShell(t)
	onFakeTerminal(sh, 30, 0)
	ss := newSession(sh)
	const query = "SELECT 'a fairly long value for thirty columns' AS v;\n"
	if err := typed(t, ss, ".mode box\n"+query+".wrap on\n"+query+".wrap off\n.width 8\n"+query+".width\n.show\n"); err != nil {
		t.Fatal(err)
	}
	for _, part := range []string{
		"┌────────────────────────────┐\n│ v                          │\n├────────────────────────────┤\n│ a fairly long value for t… │\n└────────────────────────────┘\n",
		"│ a fairly long value for    │\n│ thirty columns             │\n",
		"┌──────────┐\n│ v        │\n├──────────┤\n│ a fairl… │\n└──────────┘\n",
		"width: automatic\n", "wrap: off\n",
	} {
		if !strings.Contains(out.String(), part) {
			t.Errorf("output lacks\n%s\ngot\n%s", part, out)
		}
	}
	for _, bad := range []string{".width x", ".width 1.5", ".wrap maybe"} {
		if err := typed(t, ss, bad); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}

	// A file gets the table whole, though the shell is on a terminal.
	file := filepath.Join(t.TempDir(), "out.txt")
	if err := typed(t, ss, ".once "+file+"\n"+query); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(file); !strings.Contains(string(data), "│ a fairly long value for thirty columns │\n") {
		t.Errorf(".once file:\n%s", data)
	}
}

// TestHelpAndSchemaWrap: on a terminal, .help and .schema wrap to its
// width, losing no word; in a file they are left as they are.
func TestHelpAndSchemaWrap(t *testing.T) {
	sh, out, _ := newTestShell(t)
	ss := newSession(sh)
	for _, cmd := range []string{".help", ".schema sockets"} {
		out.Reset()
		if err := typed(t, ss, cmd); err != nil {
			t.Fatal(err)
		}
		whole := out.String()
		onFakeTerminal(sh, 50, 0)
		for _, mode := range []string{"table", "tsv"} {
			out.Reset()
			if err := typed(t, ss, ".mode "+mode+"\n"+cmd); err != nil {
				t.Fatal(err)
			}
			wrapped := out.String()
			for _, line := range strings.Split(wrapped, "\n") {
				if w := utf8.RuneCountInString(line); w > 50 {
					t.Errorf("%s in %s: line of %d columns: %q", cmd, mode, w, line)
				}
			}
			if got, want := strings.Fields(strings.ReplaceAll(wrapped, "-- ", "")), strings.Fields(strings.ReplaceAll(whole, "-- ", "")); !slices.Equal(got, want) {
				t.Errorf("%s in %s: the words differ from the unwrapped text:\n%s", cmd, mode, wrapped)
			}
		}
		sh.onTerminal = false
	}
}

// TestRunSeveralStatements: in one run, tsv and csv repeat a header only
// when the columns change, and JSON is one document: an array of rows for
// one statement, an array of results for several, valid also when a
// statement fails.
func TestRunSeveralStatements(t *testing.T) {
	sh, out, _ := newTestShell(t)
	const script = "SELECT 1 AS a; SELECT 2 AS a;\nCREATE TEMP VIEW v AS SELECT 3 AS b;\nSELECT b FROM v;\nSELECT 4 AS a;\n"
	if err := sh.RunInput(t.Context(), "script", script); err != nil {
		t.Fatal(err)
	}
	if want := "a\n1\n2\nb\n3\na\n4\n"; out.String() != want {
		t.Errorf("tsv: got %q, want %q", out, want)
	}

	sh.Format.Mode = "json"
	for _, tt := range []struct {
		name, script string
		want         any
		fails        bool
	}{
		{"one statement", "SELECT 1 AS a;", []any{map[string]any{"a": 1.0}}, false},
		{"several", "SELECT 1 AS a;\nCREATE TEMP VIEW w AS SELECT 2 AS b;\nSELECT * FROM w;\nSELECT 3 AS c WHERE 0;",
			[]any{[]any{map[string]any{"a": 1.0}}, []any{map[string]any{"b": 2.0}}, []any{}}, false},
		{"a failure after a result", "SELECT 1 AS a; SELECT * FROM nope; SELECT 3 AS c;",
			[]any{[]any{map[string]any{"a": 1.0}}}, true},
		{"a mode set first", ".mode json\nSELECT 1 AS a;", []any{map[string]any{"a": 1.0}}, false},
	} {
		out.Reset()
		err := sh.RunInput(t.Context(), "script", tt.script)
		if (err != nil) != tt.fails {
			t.Errorf("%s: %v", tt.name, err)
		}
		var got any
		if err := json.Unmarshal(out.Bytes(), &got); err != nil {
			t.Errorf("%s: the output is not one JSON document: %v\n%s", tt.name, err, out)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}

	// .read of a file is shaped by the file's statements when it is the
	// whole run, at the prompt as in a script.
	dir := t.TempDir()
	one, two := filepath.Join(dir, "one.sql"), filepath.Join(dir, "two.sql")
	os.WriteFile(one, []byte("SELECT 1 AS a;\n"), 0o644)
	os.WriteFile(two, []byte("SELECT 1 AS a;\nSELECT 2 AS b;\n"), 0o644)
	ss := newSession(sh)
	for _, tt := range []struct {
		text, want string
	}{
		{".read " + one, "[\n{\"a\":1}\n]\n"},
		{".read " + two, "[\n[\n{\"a\":1}\n],\n[\n{\"b\":2}\n]\n]\n"},
	} {
		out.Reset()
		if err := typed(t, ss, tt.text); err != nil {
			t.Fatal(err)
		}
		if out.String() != tt.want {
			t.Errorf("%s: got %q, want %q", tt.text, out, tt.want)
		}
	}
	out.Reset()
	if err := sh.RunInput(t.Context(), "script", ".read "+one+"\nSELECT 2 AS b;\n"); err != nil {
		t.Fatal(err)
	}
	if want := "[\n[\n{\"a\":1}\n],\n[\n{\"b\":2}\n]\n]\n"; out.String() != want {
		t.Errorf(".read and a statement: got %q, want %q", out, want)
	}
}

// gate is what test_gate(x) waits on for x > 1; registered once, for the
// engines opened after.
var (
	gate         chan struct{}
	registerGate = sync.OnceValue(func() error {
		return sqlite.RegisterScalarFunction("test_gate", 1, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
			if n, _ := args[0].(int64); n > 1 {
				<-gate
			}
			return args[0], nil
		})
	})
)

// TestExecStreamsRows: a row reaches the output while its statement still
// runs (jsonl is read as a stream): the second row here is not computed
// until the first has been seen.
func TestExecStreamsRows(t *testing.T) {
	if err := registerGate(); err != nil {
		t.Fatal(err)
	}
	gate = make(chan struct{})
	sh, _, _ := newTestShell(t)
	var out syncBuffer
	sh.out = bufio.NewWriterSize(&out, 64<<10)
	sh.Format.Mode = "jsonl"
	done := make(chan error, 1)
	go func() {
		done <- sh.Exec(t.Context(), "SELECT test_gate(column1) AS x FROM (VALUES (1), (2))")
	}()
	deadline := time.After(10 * time.Second)
	for out.String() != "{\"x\":1}\n" {
		select {
		case <-deadline:
			close(gate)
			t.Fatalf("the first row was not written while the statement ran; output %q", out.String())
		case <-time.After(5 * time.Millisecond):
		}
	}
	close(gate)
	if err := <-done; err != nil || out.String() != "{\"x\":1}\n{\"x\":2}\n" {
		t.Errorf("Exec: %v, output %q", err, out.String())
	}
}

// TestTableTooManyColumns: when even the narrowest columns do not fit the
// terminal, the lines are cut at its width and stderr says so.
func TestTableTooManyColumns(t *testing.T) {
	sh, out, errOut := newTestShell(t)
	onFakeTerminal(sh, 20, 0)
	sh.Format.Mode = "table"
	if err := sh.RunInput(t.Context(), "stdin", "SELECT 'alpha' AS a, 'bravo' AS b, 'charlie' AS c, 'delta' AS d;"); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
		if n := utf8.RuneCountInString(line); n > 20 || !strings.HasSuffix(line, "…") {
			t.Errorf("line %q (%d columns) is not cut at 20", line, n)
		}
	}
	if want := "(rows wider than the terminal's 20 columns were cut: .mode line shows every column)\n"; errOut.String() != want {
		t.Errorf("stderr %q, want %q", errOut, want)
	}
}
