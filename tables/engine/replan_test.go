package engine

import (
	"context"
	"strings"
	"testing"

	"netsql/tables/kernel"
)

// A scan the plan did not foresee (the planner guessed wrong, or a program
// EXPLAIN does not list) makes the dataset be read again whole. The rows
// already served keep their rowids and stand for their keys, the new read
// adds only the others, so an OR over both reads counts every row once;
// and the statement warns that it mixed two moments.
func TestReplanServesEveryRowOnce(t *testing.T) {
	s := &twoKeys{n: 20}
	e, err := Open(context.Background(), kernel.RootSource(t.TempDir()), []*Dataset{s.dataset()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	d := e.Datasets()[0]
	col := kernel.NewCollector(context.Background(), e.src)
	odd := []KeyValue{{Column: "kind", Value: "odd"}}
	ts := &tableState{ds: d, plan: &datasetPlan{mode: readUnion, union: [][]KeyValue{odd},
		inUnion: map[string]bool{conjunctionKey(odd): true}}}

	first, err := ts.read(e, col, odd)
	if err != nil || len(first.rows) != 10 {
		t.Fatalf("union read: %d rows, %v; want the 10 odd ones", len(first.rows), err)
	}
	oddIDs := map[int64]bool{}
	for i := range first.rows {
		oddIDs[first.rowid(i)] = true
	}
	second, err := ts.read(e, col, []KeyValue{{Column: "kind", Value: "even"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(second.rows) != 20 {
		t.Errorf("after the replan: %d rows, want 20, each once", len(second.rows))
	}
	seen := map[int64]bool{}
	kept := 0
	for i, r := range second.rows {
		id := second.rowid(i)
		if seen[id] {
			t.Errorf("rowid %d twice", id)
		}
		seen[id] = true
		if r[1] == "odd" {
			if !oddIDs[id] {
				t.Errorf("odd row %v got a new rowid %d", r, id)
			}
			kept++
		}
	}
	if kept != 10 {
		t.Errorf("%d odd rows kept from the first read, want 10", kept)
	}
	if got := e.Stats().Replanned["pairs"]; got != 1 {
		t.Errorf("Replanned = %d, want 1", got)
	}
	if w := col.Warnings(); len(w) != 1 || !strings.Contains(w[0].String(), "pairs read twice in one statement") {
		t.Errorf("warnings %q, want one saying pairs was read twice", w)
	}
}
