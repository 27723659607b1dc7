package engine

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// directRows runs q through Direct, copying every value (texts are views).
func directRows(t *testing.T, e *Engine, q string, args ...any) (cols []string, rows [][]any, ran bool, err error) {
	t.Helper()
	_, ran, err = e.Direct(context.Background(), q, args, func(c []string) error {
		cols = c
		return nil
	}, func(values []driver.Value) error {
		row := make([]any, len(values))
		for i, v := range values {
			switch x := v.(type) {
			case string:
				v = strings.Clone(x)
			case []byte:
				v = slices.Clone(x)
			}
			row[i] = v
		}
		rows = append(rows, row)
		return nil
	})
	return cols, rows, ran, err
}

// statementRows runs q through Statement and database/sql.
func statementRows(t *testing.T, e *Engine, q string, args ...any) (cols []string, rows [][]any) {
	t.Helper()
	_, err := e.Statement(context.Background(), q, args, func(r *sql.Rows) error {
		var err error
		if cols, err = r.Columns(); err != nil {
			return err
		}
		for r.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := r.Scan(ptrs...); err != nil {
				return err
			}
			rows = append(rows, vals)
		}
		return r.Err()
	})
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return cols, rows
}

// Direct hands over the same columns and the same rows in the same order
// as database/sql does, for the statements it takes; the others it leaves
// to Statement without running them.
func TestDirectMatchesStatement(t *testing.T) {
	s := &streamer{n: 300, batch: 7}
	e := openStreamer(t, s, true)
	taken := []string{
		"SELECT * FROM streamed",
		"SELECT id, kind FROM streamed WHERE kind = 'kind-2' ORDER BY id DESC",
		"SELECT id FROM streamed WHERE kind IN ('kind-0', 'kind-1') ORDER BY grp, id DESC LIMIT 17",
		"SELECT kind, count(*) AS n, sum(grp) FROM streamed GROUP BY kind ORDER BY n DESC, kind",
		"SELECT a.id, b.id FROM streamed a JOIN streamed b ON a.id = b.grp WHERE a.kind = 'kind-0' ORDER BY a.id, b.id",
		"WITH k AS (SELECT kind, max(id) AS top FROM streamed GROUP BY kind) SELECT * FROM k ORDER BY top",
		"WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 4) SELECT i, id FROM n JOIN streamed ON id = i * 7 ORDER BY i",
		"SELECT id, row_number() OVER (PARTITION BY kind ORDER BY id DESC) FROM streamed WHERE id < 20 ORDER BY id",
		"SELECT id FROM streamed WHERE id < 5 UNION ALL SELECT grp FROM streamed WHERE id < 3 ORDER BY 1",
		"SELECT id, NULL, 1.5, x'00ff', 'a''b' FROM streamed WHERE id < 4 ORDER BY id -- a trailing comment",
		"SELECT id FROM streamed WHERE id > 1000",                        // no rows: columns still come
		"SELECT count(*) FROM streamed WHERE grp = ?;  ",                 // a parameter, a trailing semicolon
		"SELECT id AS x, grp AS x FROM streamed WHERE id < 3 ORDER BY 1", // two columns of one name
	}
	for _, q := range taken {
		var args []any
		if strings.Contains(q, "?") {
			args = []any{int64(2)}
		}
		wantCols, want := statementRows(t, e, q, args...)
		cols, got, ran, err := directRows(t, e, q, args...)
		if err != nil || !ran {
			t.Errorf("%s: ran %v, %v", q, ran, err)
			continue
		}
		if diff := cmp.Diff(wantCols, cols); diff != "" {
			t.Errorf("%s: columns (-database/sql +direct):\n%s", q, diff)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: rows (-database/sql +direct):\n%s", q, diff)
		}
	}
	for _, q := range []string{
		"PRAGMA table_info(streamed)",
		"SELECT 1",                          // reads no dataset
		"SELECT name FROM sqlite_schema",    // a stored table
		"EXPLAIN SELECT * FROM streamed",    // not a SELECT's rows
		"SELECT id FROM streamed; SELECT 2", // not one statement
		"VALUES (1), (2)",
	} {
		before := e.Stats()
		_, _, ran, err := directRows(t, e, q)
		if ran || err != nil {
			t.Errorf("%s: Direct ran it (%v, %v); Statement should", q, ran, err)
		}
		if d := e.Stats().Sub(before); len(d.Collections)+len(d.Narrowed)+len(d.Streamed) != 0 {
			t.Errorf("%s: Direct read datasets without running: %+v", q, d)
		}
	}
	e.SetKeepSnapshot(true)
	if _, _, ran, _ := directRows(t, e, "SELECT * FROM streamed"); ran {
		t.Error("Direct ran a statement with a kept snapshot")
	}
}

// The dry run that names the columns reads nothing: one read per
// statement, as with Statement.
func TestDirectReadsOnce(t *testing.T) {
	s := &streamer{n: 50, batch: 4}
	e := openStreamer(t, s, true)
	d := delta(e, func() {
		if _, _, ran, err := directRows(t, e, "SELECT id FROM streamed WHERE kind = 'kind-1'"); !ran || err != nil {
			t.Fatalf("ran %v, %v", ran, err)
		}
	})
	if d.Narrowed["streamed"]+d.Collections["streamed"] != 1 || d.Streamed["streamed"] != 1 {
		t.Errorf("one Direct statement: %+v, want one streamed read", d)
	}
}

// An error from the row callback ends the statement and is returned.
func TestDirectCallbackError(t *testing.T) {
	s := &streamer{n: 100, batch: 10}
	e := openStreamer(t, s, true)
	stop := errStop("enough")
	n := 0
	_, ran, err := e.Direct(context.Background(), "SELECT id FROM streamed", nil, func([]string) error { return nil },
		func([]driver.Value) error {
			if n++; n == 5 {
				return stop
			}
			return nil
		})
	if !ran || err != stop || n != 5 {
		t.Errorf("ran %v, %d rows, %v; want the callback's error after 5 rows", ran, n, err)
	}
}

type errStop string

func (e errStop) Error() string { return string(e) }

// Direct reads the values by position (directPick) exactly for the
// statements whose every result column is a bare column of their one
// scan, with the step inside that scan's loop; either way the columns
// and rows are database/sql's, on a streamed and a whole read, with the
// columns nobody else reads poisoned (a pruned read would show them) and
// a column group filled only on demand.
func TestDirectByPosition(t *testing.T) {
	picked := []string{
		"SELECT * FROM streamed",
		"SELECT kind, id FROM streamed",
		"SELECT extra, id, extra FROM streamed WHERE grp = 3",
		"SELECT id FROM streamed WHERE kind IN ('kind-0', 'kind-2')",
		"SELECT id, kind FROM streamed WHERE kind = 'kind-1' AND id > 100",
		"SELECT id AS a, grp AS a FROM streamed WHERE id < 9",
		"SELECT id FROM streamed WHERE id > 10000",
	}
	computed := []string{
		"SELECT id + 0 FROM streamed",
		"SELECT id, 7 FROM streamed WHERE id < 5",
		"SELECT id FROM streamed ORDER BY grp, id",
		"SELECT DISTINCT kind FROM streamed",
		"SELECT kind, count(*) FROM streamed GROUP BY kind",
		"SELECT a.id FROM streamed a JOIN streamed b ON a.id = b.grp",
		"SELECT id FROM streamed UNION ALL SELECT grp FROM streamed",
		"SELECT rowid, id FROM streamed WHERE id < 3",
		"SELECT id AS a, grp AS a FROM streamed WHERE id < 9 LIMIT 5 OFFSET 2",   // a LIMIT keeps the body apart
		"SELECT grp FROM streamed WHERE id = (SELECT max(id) FROM streamed) - 3", // two scans
	}
	for _, streams := range []bool{true, false} {
		e := openStreamer(t, &streamer{n: 400, batch: 9, poison: true}, streams)
		for _, q := range append(append([]string{}, picked...), computed...) {
			wantCols, want := statementRows(t, e, q)
			before := e.Stats()
			cols, got, ran, err := directRows(t, e, q)
			if err != nil || !ran {
				t.Errorf("%s: ran %v, %v", q, ran, err)
				continue
			}
			wasPicked := e.Stats().Sub(before).Picked["streamed"] == 1
			if wantPicked := slices.Contains(picked, q); wasPicked != wantPicked {
				t.Errorf("%s (streams %v): read by position %v, want %v", q, streams, wasPicked, wantPicked)
			}
			if diff := cmp.Diff(wantCols, cols); diff != "" {
				t.Errorf("%s: columns (-database/sql +direct):\n%s", q, diff)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s (streams %v): rows (-database/sql +direct):\n%s", q, streams, diff)
			}
		}
	}
}

// ScanAll hands over the rows SELECT * gives, column groups filled and no
// column left out by pruning, streamed or whole; with a snapshot kept it
// reads nothing again and hands over the snapshot's rows.
func TestScanAll(t *testing.T) {
	scan := func(e *Engine) [][]any {
		t.Helper()
		d := e.Datasets()[0]
		var rows [][]any
		_, ran, err := e.ScanAll(context.Background(), d, func(r Row) error {
			vals := make([]any, len(d.Columns))
			for i := range vals {
				vals[i] = r.At(i)
			}
			rows = append(rows, vals)
			return nil
		})
		if err != nil || !ran {
			t.Fatalf("ScanAll: ran %v, %v", ran, err)
		}
		return rows
	}
	for _, streams := range []bool{true, false} {
		s := &streamer{n: 300, batch: 7, poison: true}
		e := openStreamer(t, s, streams)
		_, want := statementRows(t, e, "SELECT * FROM streamed")
		before := e.Stats()
		got := scan(e)
		d := e.Stats().Sub(before)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("streams %v: rows (-SELECT * +ScanAll):\n%s", streams, diff)
		}
		if d.Picked["streamed"] != 1 || d.Narrowed["streamed"]+d.Collections["streamed"] != 1 {
			t.Errorf("streams %v: %+v, want one read by position", streams, d)
		}
		// One moment kept: ScanAll reads it, not the kernel again.
		e.SetKeepSnapshot(true)
		_, kept := statementRows(t, e, "SELECT * FROM streamed")
		if d := delta(e, func() { got = scan(e) }); d.Narrowed["streamed"]+d.Collections["streamed"] != 0 {
			t.Errorf("streams %v: ScanAll read again with a snapshot kept: %+v", streams, d)
		}
		if diff := cmp.Diff(kept, got); diff != "" {
			t.Errorf("streams %v, kept: rows (-SELECT * +ScanAll):\n%s", streams, diff)
		}
		e.SetKeepSnapshot(false)
		// The callback's error ends the scan and is returned.
		calls := 0
		_, _, err := e.ScanAll(context.Background(), e.Datasets()[0], func(Row) error {
			if calls++; calls == 5 {
				return errStop("enough")
			}
			return nil
		})
		if !errors.Is(err, errStop("enough")) || calls != 5 {
			t.Errorf("streams %v: callback error: %v after %d calls", streams, err, calls)
		}
	}
	e := openStreamer(t, &streamer{n: 1}, false)
	other := &Dataset{Name: "other"}
	if _, _, err := e.ScanAll(context.Background(), other, func(Row) error { return nil }); err == nil {
		t.Error("ScanAll of a dataset not the engine's: no error")
	}
}
