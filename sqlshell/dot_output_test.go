package sqlshell

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
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
