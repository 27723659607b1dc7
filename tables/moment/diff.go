package moment

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"hash/maphash"
	"slices"
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
		d      *engine.Dataset
		layout *layout
		old    chan oldRows
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
		plans = append(plans, plan{d: d, layout: newLayout(cols, d.Diff.Key, d.Diff.Identity), old: make(chan oldRows, 1)})
	}
	seed := maphash.MakeSeed()
	hash := func(key []byte) uint64 { return maphash.Bytes(seed, key) }
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
				// The old rows' groups are made here too, beside the
				// engine's reading.
				rows := &rowSet{}
				err := engine.EachRowOf(readCtx, db, p.layout.selectList(), p.d.Name, func(values []driver.Value) error {
					return rows.add(p.layout, values)
				})
				var groups *keyGroups
				if err == nil {
					groups = groupOld(rows, hash)
				}
				p.old <- oldRows{groups, err}
				if err != nil {
					return
				}
			}
		}()
	}
	read := func(schema string, p plan) (*rowSet, error) {
		set := &rowSet{}
		warnings, err := e.EachRow(ctx, p.layout.selectList(), quote(schema)+"."+p.d.Name, func(values []driver.Value) error {
			return set.add(p.layout, values)
		})
		note(warnings)
		return set, err
	}
	for _, p := range plans {
		var groups *keyGroups
		after, err := read(newSchema, p)
		if err == nil {
			if oldFile != "" {
				select {
				case o := <-p.old:
					groups, err = o.groups, o.err
				case <-ctx.Done():
					err = ctx.Err()
				}
			} else {
				var before *rowSet
				if before, err = read(oldSchema, p); err == nil {
					groups = groupOld(before, hash)
				}
			}
		}
		if err != nil {
			return nil, fmt.Errorf("diff %s: %s", p.d.Name, engine.CleanError(err))
		}
		groups.addNew(after)
		count := compareTable(p.d, p.layout, groups, res.Elapsed, &res.Changes)
		res.Tables = append(res.Tables, count)
	}
	return res, nil
}

// oldRows is one table of the old moment, read on its own connection and
// grouped by key.
type oldRows struct {
	groups *keyGroups
	err    error
}

// compareTable appends the changes between two row sets of d. Rows are
// grouped by key in the order they came (the old moment's first); under
// one key, rows are paired by identity (or in order, without one), and a
// lone pair left is the same thing replaced. A pair whose encodings are
// equal has no change, so only the rows of a change are decoded.
func compareTable(d *engine.Dataset, l *layout, groups *keyGroups, elapsed time.Duration, out *[]Change) TableCount {
	before, after := groups.before, groups.after
	cols := l.cols
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
	emit := func(c Change) { *out = append(*out, c) }
	pair := func(or, nr int32) {
		if sameRow(before, or, after, nr) {
			return
		}
		o, n := l.decode(before, or), l.decode(after, nr)
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
	var olds, news []int32
	for g := range groups.groups {
		olds, news = groups.rows(g, olds[:0], news[:0])
		switch {
		case len(olds) == 1 && len(news) == 1:
			// Paired by identity or, failing that, as a lone pair: paired.
			pair(olds[0], news[0])
			olds, news = olds[:0], news[:0]
		case len(identity) == 0:
			// Without an identity the key is the row: pair in order.
			n := min(len(olds), len(news))
			for i := range n {
				pair(olds[i], news[i])
			}
			olds, news = olds[n:], news[n:]
		default:
			byIdentity := map[string][]int32{}
			for _, r := range news {
				id := string(after.ids(r))
				byIdentity[id] = append(byIdentity[id], r)
			}
			taken := map[int32]bool{}
			var left []int32
			for _, r := range olds {
				id := string(before.ids(r))
				if list := byIdentity[id]; len(list) > 0 {
					pair(r, list[0])
					taken[list[0]] = true
					byIdentity[id] = list[1:]
				} else {
					left = append(left, r)
				}
			}
			var newLeft []int32
			for _, r := range news {
				if !taken[r] {
					newLeft = append(newLeft, r)
				}
			}
			olds, news = left, newLeft
			// One row gone and one come under the same key: the same
			// thing with a new kernel object (a restarted listener).
			if len(olds) == 1 && len(news) == 1 {
				pair(olds[0], news[0])
				olds, news = nil, nil
			}
		}
		for _, r := range olds {
			count.Removed++
			row := l.decode(before, r)
			emit(Change{Table: d.Name, Change: "removed", Key: asMap(row, key), Before: asMap(row, all)})
		}
		for _, r := range news {
			count.Added++
			row := l.decode(after, r)
			emit(Change{Table: d.Name, Change: "added", Key: asMap(row, key), After: asMap(row, all)})
		}
	}
	return count
}

// keyGroups are the rows of two moments grouped by key, in the order the
// keys came (the old moment's rows first). Each group's rows on each side
// are a chain through next, in the order they came. Groups are found by
// the hash of the key's encoding (a map of numbers: no string made per
// key, nothing for the garbage collector to scan), the keys of one hash
// told apart by their bytes.
type keyGroups struct {
	before, after *rowSet
	groups        []keyGroup
	oldNext       []int32 // the next old row of the same group, or -1
	newNext       []int32
	hash          func(key []byte) uint64
	byHash        map[uint64]int32 // the last group made of each hash
}

// keyGroup is one key's first and last row in each moment, -1 for none,
// and the group made before it with the same hash, -1 for none.
type keyGroup struct{ oldFirst, oldLast, newFirst, newLast, sameHash int32 }

// groupOld groups the old moment's rows by key.
func groupOld(before *rowSet, hash func(key []byte) uint64) *keyGroups {
	k := &keyGroups{before: before, after: &rowSet{}, groups: make([]keyGroup, 0, len(before.rows)),
		hash: hash, byHash: make(map[uint64]int32, len(before.rows))}
	k.oldNext = k.add(before, false)
	return k
}

// addNew adds the new moment's rows to the groups.
func (k *keyGroups) addNew(after *rowSet) {
	k.after = after
	k.newNext = k.add(after, true)
}

// add puts each row of set in its key's group and returns the chains.
func (k *keyGroups) add(set *rowSet, isNew bool) (next []int32) {
	next = make([]int32, len(set.rows))
	for r := range set.rows {
		r := int32(r)
		next[r] = -1
		key := set.key(r)
		h := k.hash(key)
		g, ok := k.byHash[h]
		for ok && !bytes.Equal(k.keyOf(g), key) {
			g = k.groups[g].sameHash
			ok = g >= 0
		}
		if !ok {
			g = int32(len(k.groups))
			sameHash, seen := k.byHash[h]
			if !seen {
				sameHash = -1
			}
			k.byHash[h] = g
			k.groups = append(k.groups, keyGroup{-1, -1, -1, -1, sameHash})
		}
		first, last := &k.groups[g].oldFirst, &k.groups[g].oldLast
		if isNew {
			first, last = &k.groups[g].newFirst, &k.groups[g].newLast
		}
		if *last >= 0 {
			next[*last] = r
		} else {
			*first = r
		}
		*last = r
	}
	return next
}

// keyOf is group g's key: its first row's.
func (k *keyGroups) keyOf(g int32) []byte {
	if first := k.groups[g].oldFirst; first >= 0 {
		return k.before.key(first)
	}
	return k.after.key(k.groups[g].newFirst)
}

// rows appends group g's old and new rows to olds and news.
func (k *keyGroups) rows(g int, olds, news []int32) ([]int32, []int32) {
	for r := k.groups[g].oldFirst; r >= 0; r = k.oldNext[r] {
		olds = append(olds, r)
	}
	for r := k.groups[g].newFirst; r >= 0; r = k.newNext[r] {
		news = append(news, r)
	}
	return olds, news
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
