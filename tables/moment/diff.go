package moment

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"netsql/tables/engine"
	"netsql/tables/kernel"
)

// Change is one difference between two moments, in the shape --diff
// prints as JSON: what a log shipper can forward as it is.
type Change struct {
	Table  string         `json:"table"`
	Change string         `json:"change"` // added, removed, changed, replaced, counters
	Key    map[string]any `json:"key"`
	Before map[string]any `json:"before,omitempty"`
	After  map[string]any `json:"after,omitempty"`
	// Columns are the columns that changed (changed, replaced).
	Columns []string `json:"columns,omitempty"`
	// Delta is how far each counter moved (new minus old), over ElapsedS
	// seconds.
	Delta    map[string]int64 `json:"delta,omitempty"`
	ElapsedS float64          `json:"elapsed_s,omitempty"`
}

// DiffResult is everything --diff found.
type DiffResult struct {
	Old, New     string        // where each moment came from: a file, or "now"
	OldAt, NewAt time.Time     // when each was taken
	Elapsed      time.Duration // NewAt - OldAt
	Changes      []Change
	Tables       []TableCount // per table compared, in the catalogue's order
	Skipped      []string     // tables that one moment lacks
	Warnings     []kernel.Warning
}

// TableCount sums the changes of one table.
type TableCount struct {
	Table                                          string
	Added, Removed, Changed, Replaced, CounterRows int
}

// Diff compares the moment attached as schema oldSchema with the one in
// newSchema ("main": the live tables, read at one moment; or an attached
// file), table by table, matching rows by each dataset's diff key
// (engine.DiffSpec).
//
// oldFile, when not "", is the file attached as oldSchema: its rows are
// then read on a connection of their own, beside the new moment's.
func Diff(ctx context.Context, e *engine.Engine, datasets []*engine.Dataset, oldSchema, newSchema, oldFile string) (*DiffResult, error) {
	res := &DiffResult{}
	var err error
	if res.OldAt, err = takenAt(ctx, e, oldSchema); err != nil {
		return nil, err
	}
	if newSchema == "main" {
		res.NewAt = time.Now().UTC()
		if !e.KeepSnapshot() {
			e.SetKeepSnapshot(true) // every live table at one moment
			defer e.SetKeepSnapshot(false)
		}
	} else if res.NewAt, err = takenAt(ctx, e, newSchema); err != nil {
		return nil, err
	}
	res.Elapsed = res.NewAt.Sub(res.OldAt)
	seen := map[string]bool{}
	note := func(warnings []kernel.Warning) {
		for _, w := range warnings {
			if !seen[w.String()] {
				seen[w.String()] = true
				res.Warnings = append(res.Warnings, w)
			}
		}
	}
	type plan struct {
		d    *engine.Dataset
		cols []string
		old  chan oldRows
	}
	var plans []plan
	for _, d := range datasets {
		oldCols, err := tableColumns(ctx, e, oldSchema, d)
		if err != nil {
			return nil, err
		}
		newCols, err := tableColumns(ctx, e, newSchema, d)
		if err != nil {
			return nil, err
		}
		// Volatile columns are neither compared nor shown: not read.
		cols := without(intersect(oldCols, newCols), d.Diff.Volatile)
		if len(oldCols) == 0 || len(newCols) == 0 || !containsAll(cols, d.Diff.Key) {
			res.Skipped = append(res.Skipped, d.Name)
			continue
		}
		plans = append(plans, plan{d: d, cols: cols, old: make(chan oldRows, 1)})
	}
	// The old moment is a file: a connection of its own reads it while
	// the engine reads the new one (two cores do twice the reading).
	if oldFile != "" {
		db, err := sql.Open("sqlite", engine.FileURI(oldFile, false))
		if err != nil {
			return nil, err
		}
		defer db.Close()
		readCtx, cancel := context.WithCancel(ctx)
		defer cancel()
		go func() {
			for _, p := range plans {
				rows, err := readAll(readCtx, db, "SELECT "+strings.Join(p.cols, ", ")+" FROM "+p.d.Name)
				p.old <- oldRows{rows, err}
				if err != nil {
					return
				}
			}
		}()
	}
	read := func(schema string, p plan) ([][]any, error) {
		_, rows, warnings, err := e.Query(ctx, "SELECT "+strings.Join(p.cols, ", ")+" FROM "+quote(schema)+"."+p.d.Name)
		note(warnings)
		return rows, err
	}
	for _, p := range plans {
		var before, after [][]any
		var err error
		if after, err = read(newSchema, p); err == nil {
			if oldFile != "" {
				select {
				case o := <-p.old:
					before, err = o.rows, o.err
				case <-ctx.Done():
					err = ctx.Err()
				}
			} else {
				before, err = read(oldSchema, p)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("diff %s: %s", p.d.Name, engine.CleanError(err))
		}
		count := compareTable(p.d, p.cols, before, after, res.Elapsed, &res.Changes)
		res.Tables = append(res.Tables, count)
	}
	return res, nil
}

// oldRows is one table of the old moment, read on its own connection.
type oldRows struct {
	rows [][]any
	err  error
}

// readAll runs query on db and returns every row.
func readAll(ctx context.Context, db *sql.DB, query string) ([][]any, error) {
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out [][]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		out = append(out, vals)
	}
	return out, rows.Err()
}

// compareTable appends the changes between two row sets of d.
func compareTable(d *engine.Dataset, cols []string, before, after [][]any, elapsed time.Duration, out *[]Change) TableCount {
	count := TableCount{Table: d.Name}
	pos := map[string]int{}
	for i, c := range cols {
		pos[c] = i
	}
	indexes := func(names []string) []int {
		var idx []int
		for _, n := range names {
			if i, ok := pos[n]; ok {
				idx = append(idx, i)
			}
		}
		return idx
	}
	key, identity, counters := indexes(d.Diff.Key), indexes(d.Diff.Identity), indexes(d.Diff.Counters)
	skip := map[int]bool{}
	for _, i := range indexes(d.Diff.Volatile) {
		skip[i] = true
	}
	for _, i := range key {
		skip[i] = true
	}
	for _, i := range counters {
		skip[i] = true
	}
	var compared []int // the columns whose change is a change
	for i := range cols {
		if !skip[i] {
			compared = append(compared, i)
		}
	}
	isIdentity := map[int]bool{}
	for _, i := range identity {
		isIdentity[i] = true
	}
	seconds := elapsed.Seconds()
	asMap := func(row []any, idx []int) map[string]any {
		m := make(map[string]any, len(idx))
		for _, i := range idx {
			m[cols[i]] = row[i]
		}
		return m
	}
	all := make([]int, len(cols))
	for i := range all {
		all[i] = i
	}
	// Rows by key, in the order they came.
	type group struct{ old, new []int }
	groups := map[string]*group{}
	var order []string
	add := func(rows [][]any, isNew bool) {
		for r, row := range rows {
			k := valuesKey(row, key)
			g := groups[k]
			if g == nil {
				g = &group{}
				groups[k] = g
				order = append(order, k)
			}
			if isNew {
				g.new = append(g.new, r)
			} else {
				g.old = append(g.old, r)
			}
		}
	}
	add(before, false)
	add(after, true)
	emit := func(c Change) { *out = append(*out, c) }
	pair := func(o, n []any) {
		var changed []string
		replaced := false
		for _, i := range compared {
			if !sameValue(o[i], n[i]) {
				changed = append(changed, cols[i])
				replaced = replaced || isIdentity[i]
			}
		}
		var delta map[string]int64
		for _, i := range counters {
			a, okA := o[i].(int64)
			b, okB := n[i].(int64)
			if okA && okB && a != b {
				if delta == nil {
					delta = map[string]int64{}
				}
				delta[cols[i]] = b - a
			}
		}
		switch {
		case replaced:
			count.Replaced++
			emit(Change{Table: d.Name, Change: "replaced", Key: asMap(n, key), Before: asMap(o, all), After: asMap(n, all), Columns: changed})
		case len(changed) > 0:
			count.Changed++
			c := Change{Table: d.Name, Change: "changed", Key: asMap(n, key), Before: asMap(o, all), After: asMap(n, all), Columns: changed, Delta: delta}
			if delta != nil {
				c.ElapsedS = seconds
			}
			emit(c)
		case delta != nil:
			count.CounterRows++
			emit(Change{Table: d.Name, Change: "counters", Key: asMap(n, key), Delta: delta, ElapsedS: seconds})
		}
	}
	for _, k := range order {
		g := groups[k]
		olds, news := g.old, g.new
		if len(identity) == 0 {
			// Without an identity the key is the row: pair in order.
			n := min(len(olds), len(news))
			for i := 0; i < n; i++ {
				pair(before[olds[i]], after[news[i]])
			}
			olds, news = olds[n:], news[n:]
		} else {
			byIdentity := map[string][]int{}
			for _, r := range news {
				id := valuesKey(after[r], identity)
				byIdentity[id] = append(byIdentity[id], r)
			}
			taken := map[int]bool{}
			var left []int
			for _, r := range olds {
				id := valuesKey(before[r], identity)
				if list := byIdentity[id]; len(list) > 0 {
					pair(before[r], after[list[0]])
					taken[list[0]] = true
					byIdentity[id] = list[1:]
				} else {
					left = append(left, r)
				}
			}
			var newLeft []int
			for _, r := range news {
				if !taken[r] {
					newLeft = append(newLeft, r)
				}
			}
			olds, news = left, newLeft
			// One row gone and one come under the same key: the same
			// thing with a new kernel object (a restarted listener).
			if len(olds) == 1 && len(news) == 1 {
				pair(before[olds[0]], after[news[0]])
				olds, news = nil, nil
			}
		}
		for _, r := range olds {
			count.Removed++
			emit(Change{Table: d.Name, Change: "removed", Key: asMap(before[r], key), Before: asMap(before[r], all)})
		}
		for _, r := range news {
			count.Added++
			emit(Change{Table: d.Name, Change: "added", Key: asMap(after[r], key), After: asMap(after[r], all)})
		}
	}
	return count
}

// valuesKey is a map key for the values at idx, types told apart.
func valuesKey(row []any, idx []int) string {
	b := make([]byte, 0, 64)
	for _, i := range idx {
		switch v := row[i].(type) {
		case nil:
			b = append(b, 'N')
		case int64:
			b = strconv.AppendInt(append(b, 'I'), v, 10)
		case float64:
			b = strconv.AppendFloat(append(b, 'F'), v, 'g', -1, 64)
		case string:
			b = append(append(b, 'S'), v...)
		case []byte:
			b = append(append(b, 'B'), v...)
		default:
			b = fmt.Appendf(append(b, '?'), "%v", v)
		}
		b = append(b, 0)
	}
	return string(b)
}

func sameValue(a, b any) bool {
	if ab, ok := a.([]byte); ok {
		bb, ok := b.([]byte)
		return ok && string(ab) == string(bb)
	}
	return a == b
}

// takenAt reads when the moment in schema was taken.
func takenAt(ctx context.Context, e *engine.Engine, schema string) (time.Time, error) {
	var text string
	if err := e.Conn().QueryRowContext(ctx, "SELECT taken_at FROM "+quote(schema)+"."+InfoTable).Scan(&text); err != nil {
		return time.Time{}, fmt.Errorf("%s: %s", schema, engine.CleanError(err))
	}
	return time.Parse(time.RFC3339Nano, text)
}

// tableColumns lists the columns of d that schema's table has: all of
// them for the live tables, those the file has for a saved moment (an
// older file may lack newer columns); none when the table is absent.
func tableColumns(ctx context.Context, e *engine.Engine, schema string, d *engine.Dataset) ([]string, error) {
	var names []string
	if schema == "main" {
		for _, ds := range e.Datasets() {
			if ds.Name == d.Name {
				for _, c := range d.Columns {
					names = append(names, c.Name)
				}
			}
		}
		return names, nil
	}
	rows, err := e.Conn().QueryContext(ctx, "SELECT name FROM pragma_table_info(?, ?)", d.Name, schema)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	have := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		have[n] = true
	}
	for _, c := range d.Columns {
		if have[c.Name] {
			names = append(names, c.Name)
		}
	}
	return names, rows.Err()
}

func intersect(a, b []string) []string {
	in := map[string]bool{}
	for _, s := range b {
		in[s] = true
	}
	var out []string
	for _, s := range a {
		if in[s] {
			out = append(out, s)
		}
	}
	return out
}

// without returns list less the names in drop.
func without(list, drop []string) []string {
	out := list[:0:0]
	for _, s := range list {
		if !slices.Contains(drop, s) {
			out = append(out, s)
		}
	}
	return out
}

func containsAll(list, want []string) bool {
	for _, w := range want {
		found := false
		for _, s := range list {
			found = found || s == w
		}
		if !found {
			return false
		}
	}
	return true
}
