package engine

import (
	"fmt"
	"slices"
	"strings"
	"sync"

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
	return &table{e: e, ds: d, index: slices.Index(e.datasets, d), groups: d.groups()}, nil
}

type table struct {
	e      *Engine
	ds     *Dataset
	index  int      // the dataset's position in e.datasets
	groups []string // column groups; bit i of idxNum asks for groups[i]

	mu     sync.Mutex
	parsed map[string][]int // idxStr -> columns, parsed once
}

// idxNum holds the dataset's position plus one in its low byte, so the
// statement planner can tell from EXPLAIN which dataset each scan reads
// (plan.go), and above it one bit per column group the scan fills.
const (
	idxNumDatasetBits = 8
	idxNumDatasetMask = 1<<idxNumDatasetBits - 1
	// maxGroups keeps idxNum within the 32 bits SQLite gives it.
	maxGroups = 31 - idxNumDatasetBits
)

// BestIndex offers one lookup that uses every usable equality constraint,
// one per column, whatever order the statement wrote them in: the columns
// are put in a canonical order (non-key columns, then key columns, each by
// position), so `a.x = b.x AND a.y = b.y` and its reverse get the same plan
// and the same hash index. Key columns come last so that their constant
// values are the last loads before the scan in SQLite's program, where the
// planner reads them. idxStr names the columns ("local_port=,state="), so
// EXPLAIN QUERY PLAN shows the pushdown; costs come from the rows and
// distinct values the engine has seen.
func (t *table) BestIndex(info *vtab.IndexInfo) error {
	if p := t.e.picked; p != nil && p.dataset == t.index {
		// Direct by position: SQLite computes none of the result
		// columns, but the step reads them from the row.
		info.ColUsed |= p.used
	}
	if t.e.colsUsed != nil { // planStatement's EXPLAIN
		t.e.colsUsed[t.index] |= info.ColUsed
	}
	var mask int64
	for gi, g := range t.groups {
		for ci, c := range t.ds.Columns {
			if c.Group == g && usesColumn(info.ColUsed, ci) {
				mask |= 1 << gi
			}
		}
	}
	byColumn := map[int]int{} // column -> the constraint used for it
	var keys, others []int
	for i, c := range info.Constraints {
		info.Constraints[i].ArgIndex = -1
		if !c.Usable || c.Op != vtab.OpEQ || c.Column < 0 || c.Column >= len(t.ds.Columns) {
			continue
		}
		if _, seen := byColumn[c.Column]; seen {
			continue
		}
		byColumn[c.Column] = i
		if t.ds.key(c.Column) != nil {
			keys = append(keys, c.Column)
		} else {
			others = append(others, c.Column)
		}
	}
	slices.Sort(keys)
	slices.Sort(others)
	if len(keys)+len(others) > maxIndexColumns {
		others = others[:max(0, maxIndexColumns-len(keys))]
		keys = keys[:min(len(keys), maxIndexColumns)]
	}
	columns := append(others, keys...)
	names := make([]string, len(columns))
	for n, column := range columns {
		c := &info.Constraints[byColumn[column]]
		c.ArgIndex = n
		c.Omit = false // SQLite re-checks: text lookups return a superset
		col := t.ds.Columns[column]
		if col.Group != "" {
			mask |= 1 << indexOf(t.groups, col.Group)
		}
		names[n] = col.Name + "="
	}
	info.IdxNum = mask<<idxNumDatasetBits | int64(t.index+1)
	info.IdxStr = strings.Join(names, ",")
	info.EstimatedCost, info.EstimatedRows = t.e.estimate(t.ds, columns)
	return nil
}

// columns parses an idxStr BestIndex wrote back into column positions.
func (t *table) columns(idxStr string) ([]int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if cols, ok := t.parsed[idxStr]; ok {
		return cols, nil
	}
	cols, err := parseIdxStr(t.ds, idxStr)
	if err != nil {
		return nil, err
	}
	if t.parsed == nil {
		t.parsed = map[string][]int{}
	}
	t.parsed[idxStr] = cols
	return cols, nil
}

func parseIdxStr(d *Dataset, idxStr string) ([]int, error) {
	if idxStr == "" {
		return nil, nil
	}
	var cols []int
	for _, name := range strings.Split(idxStr, ",") {
		column := d.ColumnIndex(strings.TrimSuffix(name, "="))
		if column < 0 || !strings.HasSuffix(name, "=") || len(cols) >= maxIndexColumns {
			return nil, fmt.Errorf("netsql: bad plan %q for %s", idxStr, d.Name)
		}
		cols = append(cols, column)
	}
	return cols, nil
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
	set  *rowSet // where rows come from, for their rowids
	pos  []int32 // when set, the scan visits rows[pos[i]]
	i, n int

	// A scan served while its dataset is read (rowStream): rows is what
	// has arrived, i the current row, and a row is visited when its
	// match columns hold key (no index can be built before the end).
	stream  *rowStream
	done    bool // the read ended: rows is all there is
	eof     bool
	match   []int
	key     indexKey
	visited int
}

func (c *cursor) Filter(idxNum int, idxStr string, vals []vtab.Value) (err error) {
	// A panic in a reader must fail the statement, not unwind through
	// SQLite's C frames, which left the statement hanging.
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("netsql: internal error reading %s: %v", c.t.ds.Name, p)
		}
	}()
	c.flush()
	c.rows, c.pos, c.set, c.i, c.n = nil, nil, nil, 0, 0
	c.stream, c.done, c.eof, c.match, c.visited = nil, false, false, nil, 0
	t := c.t
	if t.e.dry.Load() {
		return nil // Direct asks for column names: no rows
	}
	if p := t.e.picked; p != nil && p.dataset == t.index {
		p.cur = c // Direct's step reads the row this cursor is on
	}
	t.e.count(func(s *Stats) map[string]int { return s.Scans }, t.ds.Name, 1)
	snap, err := t.e.current()
	if err != nil {
		return err
	}
	col := snap.col
	ts := snap.table(t.ds, t.index)
	var groups []string
	for gi, g := range t.groups {
		if idxNum>>idxNumDatasetBits&(1<<gi) != 0 {
			groups = append(groups, g)
			if prefetch := t.ds.Prefetch[g]; prefetch != nil {
				prefetch(col)
			}
		}
	}
	columns, err := t.columns(idxStr)
	if err != nil {
		return err
	}
	if len(columns) != len(vals) {
		return fmt.Errorf("netsql: bad plan %q for %s: %d values", idxStr, t.ds.Name, len(vals))
	}
	var eq []KeyValue
	var indexed []int
	var key indexKey
	for i, column := range columns {
		decl := t.ds.Columns[column]
		isKey := t.ds.key(column) != nil
		v, ok := lookupKey(decl.Type, vals[i])
		if !ok {
			return nil // no value of this column can equal it
		}
		if decl.Type == Text && !isKey && isNumber(vals[i]) {
			// Compared with a numeric column, SQLite turns the text into a
			// number ('0443' = 443): an index on the text would miss rows.
			continue
		}
		if isKey {
			eq = append(eq, KeyValue{Column: decl.Name, Value: v})
		}
		key[len(indexed)] = v
		indexed = append(indexed, column)
	}
	rs, err := ts.read(t.e, col, eq)
	if err != nil {
		return err
	}
	if rs.stream != nil && (len(groups) > 0 || rs.stream.ended()) {
		// Filling needs every row (a scan that fills groups is not
		// planned to stream); a read that ended serves scans as any
		// other, by index.
		if err := ts.settle(t.e, rs); err != nil {
			return err
		}
	}
	if st := rs.stream; st != nil {
		c.set, c.stream, c.match, c.key = rs, st, indexed, key
		c.i = -1
		c.advance()
		return nil
	}
	if err := ts.fill(t.e, col, rs, groups); err != nil {
		return err
	}
	c.rows, c.set = rs.rows, rs
	if len(indexed) == 0 {
		c.n = len(rs.rows)
		return nil
	}
	c.pos = ts.lookup(t.e, rs, indexed, key)
	c.n = len(c.pos)
	return nil
}

func isNumber(v any) bool {
	switch v.(type) {
	case int64, float64:
		return true
	}
	return false
}

func (c *cursor) Next() error {
	if c.stream != nil {
		c.advance()
		return nil
	}
	c.i++
	return nil
}

// advance moves a streamed scan to its next matching row, waiting for
// the read when it has served all that arrived.
func (c *cursor) advance() {
	types := c.t.ds.Columns
	for {
		c.i++
		if c.i >= len(c.rows) {
			if c.done {
				c.eof = true
				return
			}
			c.rows, c.done = c.stream.wait(c.i)
			if c.i >= len(c.rows) {
				c.eof = true // ended; settle reports an error
				return
			}
		}
		row, ok := c.rows[c.i], true
		for n, col := range c.match {
			if !keyMatches(types[col].Type, row.At(col), c.key[n]) {
				ok = false
				break
			}
		}
		if ok {
			c.visited++
			return
		}
	}
}

func (c *cursor) Eof() bool {
	if c.stream != nil {
		return c.eof
	}
	return c.i >= c.n
}

func (c *cursor) Column(col int) (vtab.Value, error) {
	return c.current().At(col), nil
}

// current is the row the cursor is on.
func (c *cursor) current() Row {
	if c.pos != nil {
		return c.rows[c.pos[c.i]]
	}
	return c.rows[c.i]
}

// Rowid is the row's identity in the statement's snapshot: its row set's
// base plus its position there, the same in every scan that serves it, so
// SQLite's OR (one scan per term, duplicates dropped by rowid) neither
// loses nor repeats a row.
func (c *cursor) Rowid() (int64, error) {
	if c.pos != nil {
		return c.set.rowid(int(c.pos[c.i])), nil
	}
	return c.set.rowid(c.i), nil
}

// flush adds the rows this cursor handed out to the engine's counters.
func (c *cursor) flush() {
	if c.stream != nil {
		if c.visited > 0 {
			c.t.e.count(func(s *Stats) map[string]int { return s.RowsVisited }, c.t.ds.Name, c.visited)
		}
		return
	}
	if c.n > 0 || c.i > 0 {
		c.t.e.count(func(s *Stats) map[string]int { return s.RowsVisited }, c.t.ds.Name, min(c.i, c.n))
	}
}

func (c *cursor) Close() error {
	c.flush()
	c.rows, c.pos, c.i, c.n = nil, nil, 0, 0
	c.stream, c.match, c.visited = nil, nil, 0
	return nil
}
