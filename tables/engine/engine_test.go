package engine

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"netsql/tables/kernel"

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
		Collect: func(c *kernel.Collector) ([]Row, error) {
			if s.err != nil {
				return nil, s.err
			}
			rows := make([]Row, s.n)
			for i := range rows {
				rows[i] = row(i)
			}
			return rows, nil
		},
		Keys: []Key{{Column: "id", Stable: true, Collect: func(c *kernel.Collector, v any) ([]Row, error) {
			s.narrowed = append(s.narrowed, v)
			id := int(v.(int64))
			if id < 0 || id >= s.n {
				return nil, nil
			}
			return []Row{row(id)}, nil
		}}},
		Fill: map[string]func(*kernel.Collector, []int, []Row) error{"extra": func(c *kernel.Collector, cols []int, rows []Row) error {
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
	e, err := Open(context.Background(), kernel.RootSource(t.TempDir()), ds)
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
		{d.Scans, after.Scans, before.Scans}, {d.RowsVisited, after.RowsVisited, before.RowsVisited},
		{d.Streamed, after.Streamed, before.Streamed}} {
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
	if len(rows) != 3 || d.Collections["alpha"] != 0 || d.Narrowed["alpha"] != 1 {
		t.Errorf("IN: %d rows, %d collections, %d narrowed reads; want 3 rows from one narrowed read", len(rows), d.Collections["alpha"], d.Narrowed["alpha"])
	}
	if diff := cmp.Diff([]any{int64(1), int64(2), int64(3)}, s.narrowed); diff != "" {
		t.Errorf("narrowed keys (-want +got):\n%s", diff)
	}
	// One reference that cannot narrow (a.id < 500) makes the statement
	// read alpha whole, once, and the key lookups are served from it.
	d = delta(e, func() {
		rows = query(t, e, "SELECT count(*) FROM alpha a JOIN alpha b ON b.id = a.id WHERE a.id < 500")
	})
	if rows[0][0] != int64(500) {
		t.Errorf("join count = %v, want 500", rows[0][0])
	}
	if d.Narrowed["alpha"] != 0 || d.Collections["alpha"] != 1 {
		t.Errorf("join on the key: narrowed %d, collections %d; want none narrowed and one collection",
			d.Narrowed["alpha"], d.Collections["alpha"])
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

// twoKeys is a dataset narrowing on id (stable) and on kind ("even"/"odd",
// not stable) at once, recording every narrowed read it is asked for.
type twoKeys struct {
	n        int
	single   []any
	combined [][]KeyValue
	prefetch int
}

func (s *twoKeys) dataset() *Dataset {
	kind := func(i int) string {
		if i%2 == 0 {
			return "even"
		}
		return "odd"
	}
	row := func(i int) Row { return Row{int64(i), kind(i), int64(i % 7), nil} }
	match := func(i int, eq []KeyValue) bool {
		for _, kv := range eq {
			switch kv.Column {
			case "id":
				if kv.Value != int64(i) {
					return false
				}
			case "kind":
				if kv.Value != kind(i) {
					return false
				}
			}
		}
		return true
	}
	where := func(eq []KeyValue) []Row {
		var rows []Row
		for i := range s.n {
			if match(i, eq) {
				rows = append(rows, row(i))
			}
		}
		return rows
	}
	return &Dataset{
		Name: "pairs", Doc: "made-up rows with two narrowing keys", Sources: []string{"memory"},
		Columns: []Column{
			{Name: "id", Type: Integer, Doc: "key column"},
			{Name: "kind", Type: Text, Doc: "even or odd, a key column"},
			{Name: "bucket", Type: Integer, Doc: "id mod 7, not a key"},
			{Name: "extra", Type: Integer, Doc: "filled on demand", Group: "extra"},
		},
		Collect: func(*kernel.Collector) ([]Row, error) { return where(nil), nil },
		Keys: []Key{
			{Column: "id", Stable: true, Collect: func(c *kernel.Collector, v any) ([]Row, error) {
				s.single = append(s.single, v)
				return where([]KeyValue{{Column: "id", Value: v}}), nil
			}},
			{Column: "kind", Collect: func(c *kernel.Collector, v any) ([]Row, error) {
				s.single = append(s.single, v)
				return where([]KeyValue{{Column: "kind", Value: v}}), nil
			}},
		},
		Narrow: func(c *kernel.Collector, any [][]KeyValue) ([]Row, error) {
			s.combined = append(s.combined, any...)
			var rows []Row
			for _, eq := range any {
				rows = append(rows, where(eq)...)
			}
			return rows, nil
		},
		Fill: map[string]func(*kernel.Collector, []int, []Row) error{"extra": func(c *kernel.Collector, cols []int, rows []Row) error {
			for _, r := range rows {
				r[cols[0]] = r[0].(int64) * 10
			}
			return nil
		}},
		Prefetch:      map[string]func(*kernel.Collector){"extra": func(*kernel.Collector) { s.prefetch++ }},
		EstimatedRows: int64(s.n),
	}
}

// Equality on two key columns with constant values (IN lists of constants
// too) reaches the dataset as one Narrow read carrying every combination;
// values known only while running, on a key that is not stable, make the
// statement read whole.
func TestEngineNarrowTwoKeys(t *testing.T) {
	s := &twoKeys{n: 100}
	e, err := Open(context.Background(), kernel.RootSource(t.TempDir()), []*Dataset{s.dataset()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })

	var rows [][]any
	d := delta(e, func() { rows = query(t, e, "SELECT id FROM pairs WHERE kind = 'ODD' COLLATE NOCASE AND id = '7'") })
	if diff := cmp.Diff([][]any{{int64(7)}}, rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	want := [][]KeyValue{{{Column: "kind", Value: "odd"}, {Column: "id", Value: int64(7)}}}
	sortKV := func(list [][]KeyValue) {
		for _, eq := range list {
			slices.SortFunc(eq, func(a, b KeyValue) int { return strings.Compare(a.Column, b.Column) })
		}
	}
	sortKV(want)
	sortKV(s.combined)
	if diff := cmp.Diff(want, s.combined); diff != "" || len(s.single) != 0 {
		t.Errorf("narrowed reads: combined (-want +got):\n%s single %v", diff, s.single)
	}
	if d.Collections["pairs"] != 0 || d.Narrowed["pairs"] != 1 {
		t.Errorf("collections %d narrowed %d, want 0 and 1", d.Collections["pairs"], d.Narrowed["pairs"])
	}

	s.combined, s.single = nil, nil
	d = delta(e, func() {
		rows = query(t, e, "SELECT id FROM pairs WHERE kind IN ('even', 'odd') AND id IN (3, 4) ORDER BY id")
	})
	if diff := cmp.Diff([][]any{{int64(3)}, {int64(4)}}, rows); diff != "" {
		t.Errorf("IN rows (-want +got):\n%s", diff)
	}
	if len(s.combined) != 4 || len(s.single) != 0 || d.Narrowed["pairs"] != 1 || d.Collections["pairs"] != 0 {
		t.Errorf("IN × IN: %d conjunctions, %d narrowed, %d collections; want one read of 4 conjunctions", len(s.combined), d.Narrowed["pairs"], d.Collections["pairs"])
	}
	// Constants beyond 32 bits, and reals, are read off the program too.
	s.combined, s.single = nil, nil
	d = delta(e, func() {
		rows = query(t, e, "SELECT id FROM pairs WHERE kind = 'odd' AND id IN (4026532100, -4026532100, 3.0)")
	})
	if diff := cmp.Diff([][]any{{int64(3)}}, rows); diff != "" {
		t.Errorf("64-bit constants (-want +got):\n%s", diff)
	}
	var ids []any
	for _, conj := range s.combined {
		for _, kv := range conj {
			if kv.Column == "id" {
				ids = append(ids, kv.Value)
			}
		}
	}
	slices.SortFunc(ids, func(a, b any) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
	if diff := cmp.Diff([]any{int64(-4026532100), int64(3), int64(4026532100)}, ids); diff != "" || d.Narrowed["pairs"] != 1 || d.Collections["pairs"] != 0 {
		t.Errorf("64-bit constants: one narrowed read of each id wanted, %d narrowed, %d collections; ids (-want +got):\n%s",
			d.Narrowed["pairs"], d.Collections["pairs"], diff)
	}

	// Values known only while running (a subquery) on a key that is not
	// stable make the statement read whole.
	s.combined, s.single = nil, nil
	d = delta(e, func() {
		rows = query(t, e, "SELECT count(*) FROM pairs WHERE kind IN (SELECT 'even' UNION SELECT 'odd') AND id IN (3, 4)")
	})
	if rows[0][0] != int64(2) || len(s.combined)+len(s.single) != 0 || d.Collections["pairs"] != 1 {
		t.Errorf("IN (subquery): count %v, reads %v %v, %d collections; want 2 from one whole collection", rows[0][0], s.combined, s.single, d.Collections["pairs"])
	}

	// An OR of constant conjunctions is one read of their union.
	s.combined, s.single = nil, nil
	d = delta(e, func() {
		rows = query(t, e, "SELECT count(*) FROM pairs WHERE (kind = 'even' AND bucket = 0) OR (kind = 'odd' AND id = 3)")
	})
	if diff := cmp.Diff([][]any{{int64(9)}}, rows); diff != "" { // 0, 14, 28, ..., 98 and 3
		t.Errorf("OR of two keys (-want +got):\n%s", diff)
	}
	want = [][]KeyValue{{{Column: "kind", Value: "even"}}, {{Column: "id", Value: int64(3)}, {Column: "kind", Value: "odd"}}}
	sortKV(want)
	sortKV(s.combined)
	slices.SortFunc(s.combined, func(a, b []KeyValue) int { return len(a) - len(b) })
	if diff := cmp.Diff(want, s.combined); diff != "" || len(s.single) != 0 || d.Narrowed["pairs"] != 1 || d.Collections["pairs"] != 0 {
		t.Errorf("OR: one Narrow read of both conjunctions wanted; combined (-want +got):\n%s single %v, narrowed %d, collections %d",
			diff, s.single, d.Narrowed["pairs"], d.Collections["pairs"])
	}

	plan := query(t, e, "EXPLAIN QUERY PLAN SELECT * FROM pairs WHERE id = 1 AND kind = 'odd'")
	if p := fmt.Sprint(plan[0][len(plan[0])-1]); !strings.Contains(p, "id=") || !strings.Contains(p, "kind=") {
		t.Errorf("plan %q does not name both constraints", p)
	}

	// A value no row can have (text for an INTEGER key) ends the scan
	// without a read.
	s.combined, s.single = nil, nil
	rows = query(t, e, "SELECT id FROM pairs WHERE id = 'x' AND kind = 'odd'")
	if len(rows) != 0 || len(s.combined)+len(s.single) != 0 {
		t.Errorf("id = 'x': rows %v, reads %v %v; want none", rows, s.combined, s.single)
	}
	d = delta(e, func() {
		rows = query(t, e, "SELECT count(*) FROM pairs a JOIN pairs b ON b.id = a.id AND b.kind = a.kind WHERE a.bucket = 1")
	})
	if rows[0][0] != int64(15) || d.Narrowed["pairs"] != 0 || d.Collections["pairs"] != 1 {
		t.Errorf("join on both keys: count %v, narrowed %d, collections %d; want 15 from one collection", rows[0][0], d.Narrowed["pairs"], d.Collections["pairs"])
	}
	// A join whose inner side narrows on the stable key alone reads value
	// by value, each once.
	s.combined, s.single = nil, nil
	d = delta(e, func() {
		rows = query(t, e, "SELECT count(*) FROM (SELECT 3 AS x UNION ALL SELECT 5 UNION ALL SELECT 3) v JOIN pairs p ON p.id = v.x")
	})
	if rows[0][0] != int64(3) || d.Collections["pairs"] != 0 || !cmp.Equal(s.single, []any{int64(3), int64(5)}) {
		t.Errorf("join on the stable key: count %v, collections %d, reads %v; want 3, 0, [3 5]", rows[0][0], d.Collections["pairs"], s.single)
	}
}

// Prefetch is called before a collection whose rows a scan fills, and only
// then.
func TestEnginePrefetchBeforeCollectingFilledRows(t *testing.T) {
	s := &twoKeys{n: 10}
	e, err := Open(context.Background(), kernel.RootSource(t.TempDir()), []*Dataset{s.dataset()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	query(t, e, "SELECT id FROM pairs")
	if s.prefetch != 0 {
		t.Errorf("a statement not using extra prefetched %d times", s.prefetch)
	}
	rows := query(t, e, "SELECT extra FROM pairs WHERE id = 3")
	if s.prefetch == 0 || !cmp.Equal(rows, [][]any{{int64(30)}}) {
		t.Errorf("prefetch %d, rows %v; want a prefetch and [[30]]", s.prefetch, rows)
	}
}

func TestValidateNarrowAndPrefetch(t *testing.T) {
	d := (&twoKeys{n: 1}).dataset()
	if err := d.Validate(); err != nil {
		t.Fatalf("a good declaration fails: %v", err)
	}
	two := (&twoKeys{n: 1}).dataset()
	two.Narrow = nil
	if err := two.Validate(); err == nil {
		t.Error("two keys without a Narrow were accepted")
	}
	bad := (&twoKeys{n: 1}).dataset()
	bad.Prefetch = map[string]func(*kernel.Collector){"nothing": func(*kernel.Collector) {}}
	if err := bad.Validate(); err == nil {
		t.Error("a Prefetch for a group without Fill was accepted")
	}
}

// EachRow hands every row of a virtual table, and of a table in an
// attached file (EachRowOf too, on a connection of its own), with the
// values a plain SELECT gives, in its order; an error from the callback
// ends the statement and is returned as it is.
func TestEachRow(t *testing.T) {
	ctx := context.Background()
	e := openSynthetic(t, &synthetic{name: "alpha", n: 300})
	want := query(t, e, "SELECT id, label, extra, val FROM alpha")
	collect := func(got *[][]any) func([]driver.Value) error {
		return func(values []driver.Value) error {
			row := make([]any, len(values))
			for i, v := range values {
				switch w := v.(type) { // views into SQLite's memory
				case string:
					v = strings.Clone(w)
				case []byte:
					v = bytes.Clone(w)
				}
				row[i] = v
			}
			*got = append(*got, row)
			return nil
		}
	}
	var got [][]any
	if _, err := e.EachRow(ctx, []string{"id", "label", "extra", "val"}, "alpha", collect(&got)); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("EachRow over the virtual table (-SELECT +EachRow):\n%s", diff)
	}

	path := filepath.Join(t.TempDir(), "copy.db")
	if err := os.WriteFile(path, nil, 0o644); err != nil { // an empty database
		t.Fatal(err)
	}
	if err := e.Attach(ctx, path, "copy", true); err != nil {
		t.Fatal(err)
	}
	query(t, e, "CREATE TABLE copy.alpha AS SELECT id, label, extra, val, 1.5 AS ratio, x'00ff' AS raw FROM alpha")
	want = query(t, e, "SELECT * FROM copy.alpha")
	got = nil
	if _, err := e.EachRow(ctx, []string{"id", "label", "extra", "val", "ratio", "raw"}, "copy.alpha", collect(&got)); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("EachRow over an attached table (-SELECT +EachRow):\n%s", diff)
	}
	db, err := sql.Open("sqlite", FileURI(path, false))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got = nil
	if err := EachRowOf(ctx, db, []string{"id", "label", "extra", "val", "ratio", "raw"}, "alpha", collect(&got)); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("EachRowOf (-SELECT +EachRowOf):\n%s", diff)
	}

	stop := errors.New("enough")
	n := 0
	_, err = e.EachRow(ctx, []string{"id"}, "alpha", func([]driver.Value) error {
		if n++; n == 10 {
			return stop
		}
		return nil
	})
	if err != stop || n != 10 {
		t.Errorf("EachRow with a callback failing at row 10: %v after %d rows, want %v after 10", err, n, stop)
	}
	if err := EachRowOf(ctx, db, nil, "alpha", func([]driver.Value) error { return stop }); err != stop {
		t.Errorf("EachRowOf with a failing callback: %v, want %v", err, stop)
	}
	// Called by a statement of someone else's, the aggregate says so.
	if _, _, _, err := e.Query(ctx, "SELECT "+eachRowFunction+"(42, id) FROM alpha"); err == nil || !strings.Contains(err.Error(), "not called by netsql") {
		t.Errorf("%s from SQL: %v", eachRowFunction, err)
	}
}
