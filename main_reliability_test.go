package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// A statement that fails after some rows leaves those rows printed, a JSON
// array closed properly, and the error on stderr with exit 1; one that
// fails before its first row prints nothing.
func TestFailureMidStream(t *testing.T) {
	q := `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 5)
	      SELECT i, CASE WHEN i < 3 THEN i ELSE cidr_contains('bad', '1.2.3.4') END AS v FROM n`
	code, out, errOut := runCLI(t, "", "-o", "json", q)
	if code != exitFailed || !strings.Contains(errOut, `error: cidr_contains: argument 1: "bad" is not a CIDR block`) {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	var got []map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("partial output is not valid JSON: %v\n%s", err, out)
	}
	if len(got) != 2 {
		t.Errorf("partial JSON holds %d rows, want the 2 before the failure: %s", len(got), out)
	}
	for _, mode := range []string{"json", "tsv", "table", "csv"} {
		code, out, _ := runCLI(t, "", "-o", mode, "SELECT cidr_contains('bad', '1.2.3.4')")
		if code != exitFailed || out != "" {
			t.Errorf("-o %s, failing before the first row: exit %d, stdout %q", mode, code, out)
		}
	}
}
