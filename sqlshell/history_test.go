package sqlshell

import (
	"strings"
	"testing"

	"netsql/sqlshell/prompt"
)

// TestHistoryEntrySameResult checks on a real engine that the one-line
// entry of a multi-line statement gives the same result.
func TestHistoryEntrySameResult(t *testing.T) {
	sh, out, _ := newTestShell(t)
	text := "SELECT 'x\ny' AS v, -- comment; with a semicolon\n  2 AS w;"
	for _, q := range []string{text, prompt.HistoryEntry(text)} {
		if err := sh.Exec(t.Context(), q); err != nil {
			t.Fatalf("%q: %v", q, err)
		}
	}
	results := strings.SplitAfter(out.String(), "\n")
	if half := len(results) / 2; out.Len() == 0 || strings.Join(results[:half], "") != strings.Join(results[half:], "") {
		t.Errorf("results differ:\n%s", out)
	}
}
