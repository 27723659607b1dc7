package tables

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// synthetic is a dataset made up in the test, so the engine's promises can
// be checked by counting collections and rows without depending on /proc.
type synthetic struct {
	name     string
	n        int
	narrowed []any // keys passed to the narrowing Collect
	err      error // returned by Collect when set
}

func (s *synthetic) dataset() *Dataset {
	row := func(i int) Row {
		return Row{int64(i), int64(i * 3), fmt.Sprintf("Item-%d", i), nil}
	}
	return &Dataset{
		Name:    s.name,
		Doc:     "made-up rows for engine tests",
		Sources: []string{"memory"},
		Columns: []Column{
			{Name: "id", Type: Integer, Doc: "key column"},
			{Name: "val", Type: Integer, Doc: "three times id, not a key"},
			{Name: "label", Type: Text, Doc: "Item-N"},
			{Name: "extra", Type: Integer, Doc: "filled on demand", Group: "extra"},
		},
		Collect: func(c *Collector) ([]Row, error) {
			if s.err != nil {
				return nil, s.err
			}
			rows := make([]Row, s.n)
			for i := range rows {
				rows[i] = row(i)
			}
			return rows, nil
		},
		Keys: []Key{{Column: "id", Collect: func(c *Collector, v any) ([]Row, error) {
			s.narrowed = append(s.narrowed, v)
			id := int(v.(int64))
			if id < 0 || id >= s.n {
				return nil, nil
			}
			return []Row{row(id)}, nil
		}}},
		Fill: map[string]func(*Collector, []int, []Row) error{"extra": func(c *Collector, cols []int, rows []Row) error {
			for _, r := range rows {
				r[cols[0]] = r[0].(int64) + 1000
			}
			return nil
		}},
		EstimatedRows: int64(s.n),
	}
}

func openSynthetic(t *testing.T, sets ...*synthetic) *Engine {
	t.Helper()
	var ds []*Dataset
	for _, s := range sets {
		ds = append(ds, s.dataset())
	}
	e, err := Open(context.Background(), RootSource(t.TempDir()), ds)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func query(t *testing.T, e *Engine, q string, args ...any) [][]any {
	t.Helper()
	_, rows, _, err := e.Query(context.Background(), q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return rows
}

// delta returns how much each counter moved across fn.
func delta(e *Engine, fn func()) Stats {
	before := e.Stats()
	fn()
	after := e.Stats()
	d := newStats()
	for _, pair := range [][3]map[string]int{{d.Collections, after.Collections, before.Collections},
		{d.Narrowed, after.Narrowed, before.Narrowed}, {d.Fills, after.Fills, before.Fills},
		{d.Scans, after.Scans, before.Scans}, {d.RowsVisited, after.RowsVisited, before.RowsVisited}} {
		for k, v := range pair[1] {
			if v-pair[2][k] != 0 {
				pair[0][k] = v - pair[2][k]
			}
		}
	}
	return d
}

func TestEngineCollectsOnlyWhatAStatementReads(t *testing.T) {
	e := openSynthetic(t, &synthetic{name: "alpha", n: 10}, &synthetic{name: "beta", n: 10})
	d := delta(e, func() { query(t, e, "SELECT count(*) FROM alpha") })
	if d.Collections["alpha"] != 1 || d.Collections["beta"] != 0 {
		t.Errorf("collections = %v, want alpha once and beta never", d.Collections)
	}
	d = delta(e, func() { query(t, e, "SELECT 1") })
	if len(d.Collections) != 0 {
		t.Errorf("SELECT 1 collected %v", d.Collections)
	}
}

func TestEngineOneSnapshotPerStatement(t *testing.T) {
	e := openSynthetic(t, &synthetic{name: "alpha", n: 200})
	// A self-join and a correlated subquery make SQLite scan alpha many times.
	q := `SELECT count(*) FROM alpha a JOIN alpha b ON a.label = b.label
	      WHERE a.id < (SELECT max(id) FROM alpha c WHERE c.val = a.val)`
	var rows [][]any
	d := delta(e, func() { rows = query(t, e, q) })
	if d.Collections["alpha"] != 1 {
		t.Errorf("collections in one statement = %d, want 1", d.Collections["alpha"])
	}
	if d.Scans["alpha"] < 3 {
		t.Errorf("scans = %d; the test needs a statement that scans alpha several times", d.Scans["alpha"])
	}
	if got := rows[0][0]; got != int64(0) {
		t.Errorf("count = %v, want 0 (every id equals the max id of its own val)", got)
	}
	d = delta(e, func() { query(t, e, q) })
	if d.Collections["alpha"] != 1 {
		t.Errorf("the next statement collected %d times, want afresh once", d.Collections["alpha"])
	}
}

func TestEngineKeepSnapshotAcrossStatements(t *testing.T) {
	e := openSynthetic(t, &synthetic{name: "alpha", n: 20})
	e.SetKeepSnapshot(true)
	d := delta(e, func() {
		query(t, e, "SELECT count(*) FROM alpha")
		query(t, e, "SELECT count(*) FROM alpha")
	})
	if d.Collections["alpha"] != 1 {
		t.Errorf("with the snapshot kept, collections = %d, want 1", d.Collections["alpha"])
	}
	e.Refresh()
	d = delta(e, func() { query(t, e, "SELECT count(*) FROM alpha") })
	if d.Collections["alpha"] != 1 {
		t.Errorf("after Refresh, collections = %d, want 1", d.Collections["alpha"])
	}
	e.SetKeepSnapshot(false)
	d = delta(e, func() {
		query(t, e, "SELECT count(*) FROM alpha")
		query(t, e, "SELECT count(*) FROM alpha")
	})
	if d.Collections["alpha"] != 2 {
		t.Errorf("with the snapshot off, collections = %d, want 2", d.Collections["alpha"])
	}
}

// A join of two 20,000-row datasets on a column neither can narrow must
// visit O(n) rows through the hash index, not n² through rescans.
func TestEngineEquiJoinOnNonKeyColumnIsLinear(t *testing.T) {
	const n = 20000
	e := openSynthetic(t, &synthetic{name: "alpha", n: n}, &synthetic{name: "beta", n: n})
	var rows [][]any
	d := delta(e, func() { rows = query(t, e, "SELECT count(*) FROM alpha a JOIN beta b ON a.val = b.val") })
	if rows[0][0] != int64(n) {
		t.Fatalf("count = %v, want %d", rows[0][0], n)
	}
	visited := d.RowsVisited["alpha"] + d.RowsVisited["beta"]
	if visited > 3*n {
		t.Errorf("visited %d rows for a join of 2×%d; want O(n), at most %d", visited, n, 3*n)
	}
	if d.Collections["alpha"] != 1 || d.Collections["beta"] != 1 {
		t.Errorf("collections = %v, want one each", d.Collections)
	}
}

func TestEngineNarrowingKey(t *testing.T) {
	s := &synthetic{name: "alpha", n: 1000}
	e := openSynthetic(t, s)
	var rows [][]any
	d := delta(e, func() { rows = query(t, e, "SELECT id, label FROM alpha WHERE id = 42") })
	if diff := cmp.Diff([][]any{{int64(42), "Item-42"}}, rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if d.Collections["alpha"] != 0 || d.Narrowed["alpha"] != 1 {
		t.Errorf("WHERE id = 42: collections %d narrowed %d, want 0 and 1", d.Collections["alpha"], d.Narrowed["alpha"])
	}
	s.narrowed = nil
	d = delta(e, func() { rows = query(t, e, "SELECT id FROM alpha WHERE id IN (1, 2, 3, 2) ORDER BY id") })
	if len(rows) != 3 || d.Collections["alpha"] != 0 {
		t.Errorf("IN: %d rows, %d collections; want 3 rows, no whole collection", len(rows), d.Collections["alpha"])
	}
	if diff := cmp.Diff([]any{int64(1), int64(2), int64(3)}, s.narrowed); diff != "" {
		t.Errorf("narrowed keys (-want +got):\n%s", diff)
	}
	// Looking up more keys than narrowLimit in one statement collects whole once.
	d = delta(e, func() {
		rows = query(t, e, "SELECT count(*) FROM alpha a JOIN alpha b ON b.id = a.id WHERE a.id < 500")
	})
	if rows[0][0] != int64(500) {
		t.Errorf("join count = %v, want 500", rows[0][0])
	}
	if d.Narrowed["alpha"] > narrowLimit || d.Collections["alpha"] != 1 {
		t.Errorf("join on the key: narrowed %d, collections %d; want at most %d narrowed, then one collection",
			d.Narrowed["alpha"], d.Collections["alpha"], narrowLimit)
	}
}

func TestEngineLookupsFollowSQLiteComparison(t *testing.T) {
	e := openSynthetic(t, &synthetic{name: "alpha", n: 100})
	cases := []struct {
		q    string
		args []any
		want int
	}{
		{"SELECT id FROM alpha WHERE val = '30'", nil, 1},
		{"SELECT id FROM alpha WHERE val = ' 30 '", nil, 1},
		{"SELECT id FROM alpha WHERE val = 30.0", nil, 1},
		{"SELECT id FROM alpha WHERE val = 30.5", nil, 0},
		{"SELECT id FROM alpha WHERE val = 'x30'", nil, 0},
		{"SELECT id FROM alpha WHERE val = ?", []any{"30"}, 1},
		{"SELECT id FROM alpha WHERE id = ?", []any{"7"}, 1},
		{"SELECT id FROM alpha WHERE val = :v", []any{sql.Named("v", "30")}, 1},
		{"SELECT id FROM alpha WHERE label = 'item-7' COLLATE NOCASE", nil, 1},
		{"SELECT id FROM alpha WHERE label = 'ITEM-7' COLLATE NOCASE", nil, 1},
		{"SELECT id FROM alpha WHERE label = 'item-7'", nil, 0},
		{"SELECT id FROM alpha WHERE label = 'Item-7   ' COLLATE RTRIM", nil, 1},
		{"SELECT id FROM alpha WHERE label = NULL", nil, 0},
		{"SELECT id FROM alpha WHERE extra = 1007", nil, 1},
		{"SELECT id FROM alpha WHERE extra = '1007'", nil, 1},
	}
	for _, c := range cases {
		rows := query(t, e, c.q, c.args...)
		if len(rows) != c.want {
			t.Errorf("%s %v: %d rows, want %d", c.q, c.args, len(rows), c.want)
		}
	}
}

func TestEngineExplainShowsPushdown(t *testing.T) {
	e := openSynthetic(t, &synthetic{name: "alpha", n: 100})
	plan := func(q string) string {
		rows := query(t, e, "EXPLAIN QUERY PLAN "+q)
		var parts []string
		for _, r := range rows {
			parts = append(parts, fmt.Sprint(r[len(r)-1]))
		}
		return strings.Join(parts, "; ")
	}
	if p := plan("SELECT * FROM alpha WHERE id = 3"); !strings.Contains(p, "id=") {
		t.Errorf("plan %q does not name the id= constraint", p)
	}
	if p := plan("SELECT * FROM alpha a JOIN alpha b ON a.label = b.label"); !strings.Contains(p, "label=") {
		t.Errorf("plan %q does not use a label= lookup for the join", p)
	}
}

func TestEngineFillsGroupsOnlyWhenUsed(t *testing.T) {
	e := openSynthetic(t, &synthetic{name: "alpha", n: 50})
	d := delta(e, func() { query(t, e, "SELECT id, label FROM alpha") })
	if d.Fills["alpha.extra"] != 0 {
		t.Errorf("statement not using extra filled it %d times", d.Fills["alpha.extra"])
	}
	var rows [][]any
	d = delta(e, func() { rows = query(t, e, "SELECT a.extra FROM alpha a JOIN alpha b ON a.id = b.id WHERE a.id = 5") })
	if d.Fills["alpha.extra"] != 1 {
		t.Errorf("fills = %d, want 1", d.Fills["alpha.extra"])
	}
	if diff := cmp.Diff([][]any{{int64(1005)}}, rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
}

func TestEngineCollectErrorReachesCaller(t *testing.T) {
	s := &synthetic{name: "alpha", n: 5, err: errors.New("/proc/net/tcp line 3: malformed local address \"zz\"")}
	e := openSynthetic(t, s, &synthetic{name: "beta", n: 5})
	_, _, _, err := e.Query(context.Background(), "SELECT * FROM alpha")
	if err == nil || !strings.Contains(CleanError(err), `/proc/net/tcp line 3: malformed local address "zz"`) {
		t.Fatalf("error = %v, want the collector's message", err)
	}
	if msg := CleanError(err); strings.Contains(msg, "SQL logic error") || strings.HasSuffix(msg, "(1)") {
		t.Errorf("CleanError left the driver's decoration: %q", msg)
	}
	// Other tables stay queryable.
	if rows := query(t, e, "SELECT count(*) FROM beta"); rows[0][0] != int64(5) {
		t.Errorf("beta count = %v after alpha failed", rows[0][0])
	}
}

func TestEngineCancelledStatement(t *testing.T) {
	e := openSynthetic(t, &synthetic{name: "alpha", n: 5})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, _, err := e.Query(ctx, "SELECT * FROM alpha")
	if err == nil {
		t.Fatal("a cancelled statement succeeded")
	}
}

func TestEngineReadOutsideStatementIsAnError(t *testing.T) {
	e := openSynthetic(t, &synthetic{name: "alpha", n: 5})
	rows, err := e.Conn().QueryContext(context.Background(), "SELECT * FROM alpha")
	if err == nil {
		for rows.Next() {
		}
		err = rows.Err()
		rows.Close()
	}
	if err == nil || !strings.Contains(err.Error(), "outside a statement") {
		t.Errorf("err = %v, want a read-outside-a-statement error", err)
	}
}
