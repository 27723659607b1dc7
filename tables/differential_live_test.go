//go:build live

package tables

import (
	"context"
	"testing"

	"netsql/tables/engine"
	"netsql/tables/kernel"
	"netsql/tables/tablestest"
)

// liveCopyRows bounds each dataset's rows in the live copy.
const liveCopyRows = 400

// TestDifferentialLiveCopy copies every dataset of this host once and runs
// the random statements over that copy, so the engine meets a real
// machine's values (sockets sharing ports and addresses, sysctls, routes)
// at one fixed moment; each dataset is sampled to liveCopyRows rows.
func TestDifferentialLiveCopy(t *testing.T) {
	tablestest.RequireRoot(t)
	live := openFixture(t, kernel.LiveSource())
	var replayed []*engine.Dataset
	for _, d := range live.Datasets() {
		_, rows, _, err := live.Query(context.Background(), "SELECT * FROM "+d.Name)
		if err != nil {
			t.Fatalf("copy %s: %v", d.Name, err)
		}
		// Every k-th row, at most liveCopyRows: a random self-join on a
		// column with few values (state, on a host holding thousands of
		// TIME_WAIT sockets) returns rows² rows, which must stay in memory
		// to be compared.
		stride := max(1, (len(rows)+liveCopyRows-1)/liveCopyRows)
		var captured []engine.Row
		for i := 0; i < len(rows); i += stride {
			captured = append(captured, engine.Row(rows[i]))
		}
		replayed = append(replayed, replayDataset(d, captured))
	}
	e, err := Open(context.Background(), kernel.RootSource(t.TempDir()), replayed)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	tables := copyToReference(t, e)
	n, seed := diffStatements(t, 1000)
	runDifferential(t, e, tables, n, seed+1)
}
