package engine

import (
	"context"
	"database/sql/driver"
	"fmt"
	"math"
	"strings"

	"netsql/tables/kernel"
)

// Direct runs query as Statement does, but hands the rows over through the
// netsql_each_row aggregate (EachRow) instead of database/sql: the
// statement runs as the body of a CTE whose columns are named by position,
// and SQLite calls the aggregate once a row with the row's values. Read
// through database/sql and the driver, each value costs column calls into
// SQLite that take the connection's mutex, and half of a 40k-socket
// listing's time went there (ARCHITECTURE.md, "Direct rows").
//
// begin gets the column names before the first row (or after the
// statement, when it gave none and did not fail); row gets each row's
// values, valid only during the call (a text is a view into SQLite's
// memory). ran is false when the statement is not one Direct takes (it
// writes, reads a stored table, is not a SELECT, or a snapshot is kept):
// nothing ran then, and the caller uses Statement.
func (e *Engine) Direct(ctx context.Context, query string, args []any, begin func(columns []string) error, row func(values []driver.Value) error) (warnings []kernel.Warning, ran bool, err error) {
	if e.KeepSnapshot() {
		return nil, false, nil
	}
	n, pick, ok := e.directColumns(ctx, query, args)
	if !ok {
		return nil, false, nil
	}
	columns, ok := e.dryColumns(ctx, query, args)
	if !ok || len(columns) != n {
		return nil, false, nil
	}
	begun := false
	each := func(values []driver.Value) error {
		if !begun {
			begun = true
			if err := begin(columns); err != nil {
				return err
			}
		}
		return row(values)
	}
	token, sink, done := newEachRowSink(each)
	defer done()
	wrapped := ""
	if pick != nil {
		// By position: the step reads the values from the row the scan
		// is on, and SQLite computes none of them.
		wrapped = pickQuery(query, token)
		if e.planPick(ctx, wrapped, args, pick) {
			values := make([]driver.Value, len(pick.columns))
			sink.each = func([]driver.Value) error {
				r := pick.cur.current()
				for i, col := range pick.columns {
					values[i] = sqliteValue(r.At(col))
				}
				return each(values)
			}
			defer func() { e.picked = nil }()
		} else {
			wrapped = ""
		}
	}
	if wrapped == "" {
		wrapped = directQuery(query, n, token)
		if _, err := e.explain(ctx, wrapped, args); err != nil {
			e.denied = ""
			return nil, false, nil // not a statement that can be a CTE's body
		}
		e.denied = ""
	}
	warnings, err = e.runEachRow(ctx, wrapped, args, sink)
	if err == nil && !begun {
		err = begin(columns)
	}
	return warnings, true, err
}

// ScanAll hands fn every row of dataset d that `SELECT * FROM main.d` would
// give now, from the kept snapshot when one is kept (SetKeepSnapshot), by
// position (directPick): each row is the one the scan's cursor is on, its
// values as the dataset made them (int64, float64, string or nil; a row
// may be shorter than the columns, the rest NULL), and no value goes
// through SQLite. The row is valid only during the call and must not be
// changed. --save writes the rows it gets into its file this way. ran is
// false, and nothing ran, when SQLite does not plan the statement as one
// scan whose rows reach the step in turn.
func (e *Engine) ScanAll(ctx context.Context, d *Dataset, fn func(Row) error) (warnings []kernel.Warning, ran bool, err error) {
	index := -1
	for i, x := range e.datasets {
		if x == d {
			index = i
		}
	}
	if index < 0 {
		return nil, false, fmt.Errorf("%s: not a dataset of this engine", d.Name)
	}
	pick := &directPick{dataset: index, columns: make([]int, len(d.Columns))}
	for i := range pick.columns {
		pick.columns[i] = i
		pick.used |= 1 << min(i, 63)
	}
	token, sink, done := newEachRowSink(func([]driver.Value) error { return fn(pick.cur.current()) })
	defer done()
	query := pickQuery(`SELECT * FROM main."`+d.Name+`"`, token)
	if !e.planPick(ctx, query, nil, pick) {
		return nil, false, nil
	}
	defer func() { e.picked = nil }()
	warnings, err = e.runEachRow(ctx, query, nil, sink)
	return warnings, true, err
}

// planPick plans wrapped, a pickQuery, with BestIndex counting pick's
// columns as used, and tells whether SQLite calls the step inside pick's
// scan (stepInScan). If it does, pick stays set for the run (the caller
// clears e.picked after it) and the read by position is counted.
func (e *Engine) planPick(ctx context.Context, wrapped string, args []any, pick *directPick) bool {
	e.picked = pick
	ops, err := e.explain(ctx, wrapped, args)
	e.denied = ""
	if err != nil || !stepInScan(ops, e.datasets, pick.dataset) {
		e.picked = nil
		return false
	}
	e.count(func(s *Stats) map[string]int { return s.Picked }, e.datasets[pick.dataset].Name, 1)
	return true
}

// directQuery is query as the body of a CTE whose n columns are c1..cn,
// each row handed to token's sink. The body ends on a line of its own, so
// a trailing -- comment cannot swallow the parenthesis.
func directQuery(query string, n int, token int64) string {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("c%d", i+1)
	}
	list := strings.Join(names, ", ")
	body := strings.TrimRight(strings.TrimSpace(query), "; \t\r\n")
	return fmt.Sprintf("WITH netsql_direct(%s) AS (\n%s\n) SELECT %s(%d, %s) FROM netsql_direct", list, body, eachRowFunction, token, list)
}

// pickQuery is query as the body of a CTE whose rows token's sink reads
// by position (directPick): the aggregate gets no value.
func pickQuery(query string, token int64) string {
	body := strings.TrimRight(strings.TrimSpace(query), "; \t\r\n")
	return fmt.Sprintf("WITH netsql_direct AS (\n%s\n) SELECT %s(%d) FROM netsql_direct", body, eachRowFunction, token)
}

// directPick is a statement whose every result column is a column of the
// row one scan of one dataset is on (SELECT a, b FROM sockets WHERE ...,
// in any order, without expressions): Direct's step then reads the
// values from that row (cur, set by Filter) instead of SQLite computing
// them through a column call each and the step's arguments. At 40,000
// sockets those calls were most of the plain TCP list's time in SQLite.
type directPick struct {
	dataset int     // index into Engine.datasets
	columns []int   // the dataset's column of each result column
	used    uint64  // the columns as SQLite's colUsed mask (bit 63: 63 and beyond)
	cur     *cursor // the scan's cursor, once Filter ran
}

// directColumns reads the statement's program (EXPLAIN, which prepares
// without running) and returns how many columns a row has, when Direct
// takes it: a SELECT that reads at least one of our datasets and no stored
// table (its dry run must cost nothing) and writes nothing. pick is set
// when every result column is a bare column of the one dataset scanned:
// the program has one scan of ours and one ResultRow, right after one
// VColumn of that scan's cursor per result register, in order, none of
// them a jump target.
func (e *Engine) directColumns(ctx context.Context, query string, args []any) (n int, pick *directPick, ok bool) {
	ops, err := e.explain(ctx, query, args)
	e.denied = ""
	if err != nil {
		return 0, nil, false
	}
	scans := false
	n = -1
	results := 0
	last := -1
	for i, op := range ops {
		switch op.opcode {
		case "ResultRow":
			if n >= 0 && int64(n) != op.p2 {
				return 0, nil, false
			}
			n = int(op.p2)
			results++
			last = i
		case "VFilter":
			scans = true
		case "OpenRead", "OpenWrite", "VUpdate", "ParseSchema", "VCreate", "VDestroy":
			return 0, nil, false
		}
	}
	if !scans || n <= 0 {
		return 0, nil, false
	}
	if results != 1 || last < n {
		return n, nil, true
	}
	ds, cursor, ok := onlyScan(ops, e.datasets)
	if !ok {
		return n, nil, true
	}
	targets := jumpTargets(ops)
	start := ops[last].p1
	pick = &directPick{dataset: ds, columns: make([]int, n)}
	for j := range n {
		at := last - n + j
		op := ops[at]
		if op.opcode != "VColumn" || op.p1 != cursor || op.p3 != start+int64(j) || (j > 0 && len(targets[int64(at)]) > 0) {
			return n, nil, true
		}
		pick.columns[j] = int(op.p2)
		pick.used |= 1 << min(op.p2, 63)
	}
	if len(targets[int64(last)]) > 0 {
		return n, nil, true
	}
	return n, pick, true
}

// onlyScan returns the dataset and cursor of a program's one VFilter when
// it scans one of ours; ok is false for none or several.
func onlyScan(ops []vdbeOp, datasets []*Dataset) (dataset int, cursor int64, ok bool) {
	sites, ok := scanSites(ops, datasets)
	if !ok || len(sites) != 1 {
		return 0, 0, false
	}
	filters := 0
	for _, op := range ops {
		if op.opcode == "VFilter" {
			filters++
			cursor = op.p1
		}
	}
	return sites[0].dataset, cursor, filters == 1
}

// stepInScan tells whether the program of pickQuery calls the aggregate's
// step inside the loop of its one scan, of dataset: between the VFilter
// and the VNext of that cursor, so at each step the cursor is on the row
// the step stands for. Not when the rows go through a sorter or a
// subroutine first (ORDER BY, a CTE not flattened).
func stepInScan(ops []vdbeOp, datasets []*Dataset, dataset int) bool {
	ds, cursor, ok := onlyScan(ops, datasets)
	if !ok || ds != dataset {
		return false
	}
	filter, next, step := -1, -1, -1
	for i, op := range ops {
		switch {
		case op.opcode == "VFilter" && op.p1 == cursor:
			filter = i
		case op.opcode == "VNext" && op.p1 == cursor:
			if next >= 0 {
				return false
			}
			next = i
		case op.opcode == "AggStep" || op.opcode == "AggStep1":
			if step >= 0 || !strings.HasPrefix(op.p4.String, eachRowFunction+"(") {
				return false
			}
			step = i
		case strings.HasPrefix(op.opcode, "Sorter"), op.opcode == "Yield", op.opcode == "InitCoroutine", op.opcode == "Gosub":
			return false
		}
	}
	return filter >= 0 && filter < step && step < next && ops[next].p2 > int64(filter)
}

// sqliteValue is v as SQLite hands it back after the virtual table gave
// it (what the step's arguments would hold): NaN becomes NULL.
func sqliteValue(v any) driver.Value {
	switch x := v.(type) {
	case float64:
		if math.IsNaN(x) {
			return nil
		}
	case int:
		return int64(x)
	case bool:
		if x {
			return int64(1)
		}
		return int64(0)
	}
	return v
}

// dryColumns runs the statement with every dataset empty (no dataset is
// read: Filter serves no rows) for the names SQLite gives its columns,
// which the driver knows only after a first step.
func (e *Engine) dryColumns(ctx context.Context, query string, args []any) ([]string, bool) {
	e.dry.Store(true)
	defer e.dry.Store(false)
	rows, err := e.conn.QueryContext(ctx, query, args...)
	e.denied = ""
	if err != nil {
		return nil, false
	}
	defer rows.Close()
	columns, err := rows.Columns()
	return columns, err == nil
}
