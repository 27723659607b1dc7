package tables

import (
	"context"
	"testing"

	"netsql/tables/engine"
)

// query runs one statement and returns its rows, failing the test on an
// error.
func query(t *testing.T, e *engine.Engine, q string, args ...any) [][]any {
	t.Helper()
	_, rows, _, err := e.Query(context.Background(), q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return rows
}

// delta returns how much each of the engine's counters moved across fn.
func delta(e *engine.Engine, fn func()) engine.Stats {
	before := e.Stats()
	fn()
	return e.Stats().Sub(before)
}
