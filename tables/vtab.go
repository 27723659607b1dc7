package tables

import (
	"fmt"
	"strings"

	"modernc.org/sqlite/vtab"
)

// module is the one SQLite module behind every dataset. A virtual table is
// created as `CREATE VIRTUAL TABLE name USING netsql(ENGINE_ID, DATASET)`,
// so per-engine settings travel in the arguments, not in globals.
type module struct{}

func (module) Create(ctx vtab.Context, args []string) (vtab.Table, error) { return connect(ctx, args) }
func (module) Connect(ctx vtab.Context, args []string) (vtab.Table, error) {
	return connect(ctx, args)
}

func connect(ctx vtab.Context, args []string) (vtab.Table, error) {
	if len(args) != 5 {
		return nil, fmt.Errorf("netsql module: want (engine, dataset) arguments, got %q", args[3:])
	}
	e, err := lookupEngine(strings.TrimSpace(args[3]))
	if err != nil {
		return nil, err
	}
	name := strings.TrimSpace(args[4])
	d := Find(e.datasets, name)
	if d == nil {
		return nil, fmt.Errorf("netsql module: no dataset %q", name)
	}
	cols := make([]string, len(d.Columns))
	for i, c := range d.Columns {
		cols[i] = c.Name + " " + c.Type.String()
	}
	if err := ctx.Declare(fmt.Sprintf("CREATE TABLE %s (%s)", d.Name, strings.Join(cols, ", "))); err != nil {
		return nil, err
	}
	return &table{e: e, ds: d, groups: d.groups()}, nil
}

type table struct {
	e      *Engine
	ds     *Dataset
	groups []string // column groups; bit i of idxNum asks for groups[i]
}

// BestIndex picks one equality constraint to serve as a lookup (a
// narrowing key column first, else any column via the statement's hash
// index) and asks for the column groups the statement uses. A dataset with
// NarrowBy gets one equality per key column instead, so `state = 'LISTEN'
// AND proto = 'tcp'` narrows on both. idxStr names the constraints used
// ("pid=", "state=,proto="), so EXPLAIN QUERY PLAN shows the pushdown.
func (t *table) BestIndex(info *vtab.IndexInfo) error {
	var mask int64
	for gi, g := range t.groups {
		for ci, c := range t.ds.Columns {
			if c.Group == g && usesColumn(info.ColUsed, ci) {
				mask |= 1 << gi
			}
		}
	}
	chosen := -1
	var keyed []int     // with NarrowBy: one usable equality per key column
	var keyedCols int64 // the columns in keyed (at most 62 columns)
	for i, c := range info.Constraints {
		info.Constraints[i].ArgIndex = -1
		if !c.Usable || c.Op != vtab.OpEQ || c.Column < 0 || c.Column >= len(t.ds.Columns) {
			continue
		}
		isKey := t.ds.key(c.Column) != nil
		if isKey && t.ds.NarrowBy != nil && keyedCols&(1<<c.Column) == 0 && len(keyed) < maxNarrowKeys {
			keyed = append(keyed, i)
			keyedCols |= 1 << c.Column
		}
		if chosen < 0 || (isKey && t.ds.key(info.Constraints[chosen].Column) == nil) {
			chosen = i
		}
	}
	rows := max(t.ds.EstimatedRows, 100)
	if chosen < 0 {
		info.EstimatedCost = float64(rows)
		info.EstimatedRows = rows
		info.IdxNum = mask
		return nil
	}
	used := []int{chosen}
	if len(keyed) > 1 {
		used = keyed
	}
	names := make([]string, len(used))
	for n, i := range used {
		c := &info.Constraints[i]
		c.ArgIndex = n
		c.Omit = false // SQLite re-checks: text lookups return a superset
		col := t.ds.Columns[c.Column]
		if col.Group != "" {
			mask |= 1 << indexOf(t.groups, col.Group)
		}
		names[n] = col.Name + "="
	}
	info.IdxNum = mask
	info.IdxStr = strings.Join(names, ",")
	switch {
	case len(used) > 1:
		info.EstimatedCost = 5 - float64(len(used))/2 // cheaper than one key alone
		info.EstimatedRows = 2
	case t.ds.key(info.Constraints[chosen].Column) != nil:
		info.EstimatedCost = 5
		info.EstimatedRows = 2
	default:
		info.EstimatedCost = 10
		info.EstimatedRows = max(rows/50, 2)
	}
	return nil
}

func usesColumn(used uint64, col int) bool {
	if col >= 63 {
		return used&(1<<63) != 0
	}
	return used&(1<<uint(col)) != 0
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

func (t *table) Open() (vtab.Cursor, error) { return &cursor{t: t}, nil }
func (t *table) Disconnect() error          { return nil }
func (t *table) Destroy() error             { return nil }

// cursor walks the rows of one scan; all fallible work happens in Filter,
// since errors from Next lose their text in the driver.
type cursor struct {
	t    *table
	rows []Row
	pos  []int32 // when set, the scan visits rows[pos[i]]
	i, n int
}

func (c *cursor) Filter(idxNum int, idxStr string, vals []vtab.Value) error {
	c.flush()
	c.rows, c.pos, c.i, c.n = nil, nil, 0, 0
	t := c.t
	t.e.count(func(s *Stats) map[string]int { return s.Scans }, t.ds.Name, 1)
	snap, err := t.e.current()
	if err != nil {
		return err
	}
	col := snap.col
	ts := snap.table(t.ds)
	var groups []string
	for gi, g := range t.groups {
		if idxNum&(1<<gi) != 0 {
			groups = append(groups, g)
			if prefetch := t.ds.Prefetch[g]; prefetch != nil {
				prefetch(col)
			}
		}
	}

	if idxStr == "" {
		rs, err := ts.collectWhole(t.e, col)
		if err != nil {
			return err
		}
		if err := ts.fill(t.e, col, rs, groups); err != nil {
			return err
		}
		c.rows, c.n = rs.rows, len(rs.rows)
		return nil
	}

	names := strings.Split(idxStr, ",")
	if len(names) != len(vals) || len(names) > maxNarrowKeys {
		return fmt.Errorf("netsql: bad plan %q for %s", idxStr, t.ds.Name)
	}
	var nk narrowKey
	for i, name := range names {
		column := t.ds.ColumnIndex(strings.TrimSuffix(name, "="))
		if column < 0 || (len(names) > 1 && t.ds.key(column) == nil) {
			return fmt.Errorf("netsql: bad plan %q for %s", idxStr, t.ds.Name)
		}
		key, ok := lookupKey(t.ds.Columns[column].Type, vals[i])
		if !ok {
			return nil // nothing of this column can equal the value
		}
		nk.cols[i], nk.vals[i] = column, key
	}
	nk.n = len(names)
	column, key := nk.cols[0], nk.vals[0]
	if t.ds.key(column) != nil && ts.whole == nil && ts.nNarrow < narrowLimit {
		rs, err := ts.collectNarrowed(t.e, col, nk)
		if err != nil {
			return err
		}
		if err := ts.fill(t.e, col, rs, groups); err != nil {
			return err
		}
		c.rows, c.n = rs.rows, len(rs.rows)
		return nil
	}
	rs, err := ts.collectWhole(t.e, col)
	if err != nil {
		return err
	}
	if err := ts.fill(t.e, col, rs, groups); err != nil {
		return err
	}
	// Served from the whole snapshot: the first constraint's index; SQLite
	// re-checks the others.
	c.rows = rs.rows
	c.pos = ts.lookup(column, key)
	c.n = len(c.pos)
	return nil
}

func (c *cursor) Next() error {
	c.i++
	return nil
}

func (c *cursor) Eof() bool { return c.i >= c.n }

func (c *cursor) Column(col int) (vtab.Value, error) {
	var row Row
	if c.pos != nil {
		row = c.rows[c.pos[c.i]]
	} else {
		row = c.rows[c.i]
	}
	if col < 0 || col >= len(row) {
		return nil, nil
	}
	return row[col], nil
}

func (c *cursor) Rowid() (int64, error) {
	if c.pos != nil {
		return int64(c.pos[c.i]), nil
	}
	return int64(c.i), nil
}

// flush adds the rows this cursor handed out to the engine's counters.
func (c *cursor) flush() {
	if c.n > 0 || c.i > 0 {
		c.t.e.count(func(s *Stats) map[string]int { return s.RowsVisited }, c.t.ds.Name, min(c.i, c.n))
	}
}

func (c *cursor) Close() error {
	c.flush()
	c.rows, c.pos, c.i, c.n = nil, nil, 0, 0
	return nil
}
