package sqlshell

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"netsql/sqlshell/output"
	"netsql/tables"
	"netsql/tables/kernel"
	"netsql/tables/tablestest"
)

// Rows printed through the engine's direct path come as views into
// SQLite's memory; a mode that holds rows before printing them (table,
// markdown) must get copies. Every mode prints the rows the statement
// gives through database/sql (Engine.Query), in their order.
func TestExecDirectRowsEveryMode(t *testing.T) {
	eng, err := tables.Open(t.Context(), kernel.RootSource(tablestest.Root(t, nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	const q = "SELECT proto, local_addr, local_port, x'00ff' AS raw FROM sockets WHERE local_addr IS NOT NULL ORDER BY proto, local_addr, local_port"
	_, want, _, err := eng.Query(context.Background(), q)
	if err != nil || len(want) < 3 {
		t.Fatalf("%d rows, %v", len(want), err)
	}
	for _, mode := range output.Modes {
		var out, errOut bytes.Buffer
		sh := New(eng, output.Format{Mode: mode, Headers: true}, &out, &errOut)
		before := eng.Stats()
		if err := sh.Exec(context.Background(), q); err != nil {
			t.Fatalf("%s: %v", mode, err)
		}
		if d := eng.Stats().Sub(before); d.Streamed["sockets"] != 1 {
			t.Errorf("%s: sockets streamed %d times, want once (the direct path)", mode, d.Streamed["sockets"])
		}
		text := out.String()
		at := 0
		for _, row := range want {
			addr := row[1].(string)
			i := strings.Index(text[at:], addr)
			if i < 0 {
				t.Errorf("%s: %s (row %v) missing or out of order in:\n%s", mode, addr, row, text)
				break
			}
			at += i + len(addr)
		}
	}
}
