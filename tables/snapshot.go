package tables

import (
	"context"
)

// narrowLimit is how many distinct narrowed reads of one dataset a
// statement makes before collecting it whole instead: a join that looks up
// every process by pid is cheaper as one walk of /proc.
const narrowLimit = 32

// snapshot is one statement's state: each dataset collected at most once,
// narrowed reads cached by key, hash indexes built on first use.
type snapshot struct {
	col    *Collector
	tables map[string]*tableState
}

func newSnapshot(ctx context.Context, src *Source) *snapshot {
	return &snapshot{col: newCollector(ctx, src), tables: map[string]*tableState{}}
}

func (s *snapshot) table(d *Dataset) *tableState {
	ts := s.tables[d.Name]
	if ts == nil {
		ts = &tableState{ds: d}
		s.tables[d.Name] = ts
	}
	return ts
}

// rowSet is a list of rows with the column groups already filled in them.
type rowSet struct {
	rows   []Row
	filled map[string]bool
}

type tableState struct {
	ds       *Dataset
	whole    *rowSet                 // nil until collected whole
	index    map[int]map[any][]int32 // column -> key -> positions in whole
	narrowed map[int]map[any]*rowSet // key column -> key -> rows
	nNarrow  int
}

// collectWhole collects the dataset once per statement.
func (ts *tableState) collectWhole(e *Engine, col *Collector) (*rowSet, error) {
	if ts.whole != nil {
		return ts.whole, nil
	}
	if err := col.Err(); err != nil {
		return nil, err
	}
	rows, err := ts.ds.Collect(col)
	if err != nil {
		return nil, err
	}
	e.count(func(s *Stats) map[string]int { return s.Collections }, ts.ds.Name, 1)
	ts.whole = &rowSet{rows: rows, filled: map[string]bool{}}
	return ts.whole, nil
}

// collectNarrowed returns the rows whose key column equals key, reading
// only what that key needs, at most once per key.
func (ts *tableState) collectNarrowed(e *Engine, col *Collector, column int, k *Key, key any) (*rowSet, error) {
	if rs := ts.narrowed[column][key]; rs != nil {
		return rs, nil
	}
	if err := col.Err(); err != nil {
		return nil, err
	}
	rows, err := k.Collect(col, key)
	if err != nil {
		return nil, err
	}
	e.count(func(s *Stats) map[string]int { return s.Narrowed }, ts.ds.Name, 1)
	if ts.narrowed == nil {
		ts.narrowed = map[int]map[any]*rowSet{}
	}
	if ts.narrowed[column] == nil {
		ts.narrowed[column] = map[any]*rowSet{}
	}
	rs := &rowSet{rows: rows, filled: map[string]bool{}}
	ts.narrowed[column][key] = rs
	ts.nNarrow++
	return rs, nil
}

// fill computes the named column groups of rs that are not yet filled.
func (ts *tableState) fill(e *Engine, col *Collector, rs *rowSet, groups []string) error {
	for _, g := range groups {
		if rs.filled[g] {
			continue
		}
		var columns []int
		for i, c := range ts.ds.Columns {
			if c.Group == g {
				columns = append(columns, i)
			}
		}
		if err := ts.ds.Fill[g](col, columns, rs.rows); err != nil {
			return err
		}
		rs.filled[g] = true
		e.count(func(s *Stats) map[string]int { return s.Fills }, ts.ds.Name+"."+g, 1)
	}
	return nil
}

// lookup returns the positions in whole of the rows whose column matches
// key, building the column's hash index on first use.
func (ts *tableState) lookup(column int, key any) []int32 {
	if ts.index == nil {
		ts.index = map[int]map[any][]int32{}
	}
	idx := ts.index[column]
	if idx == nil {
		idx = map[any][]int32{}
		t := ts.ds.Columns[column].Type
		for i, row := range ts.whole.rows {
			if k, ok := rowKey(t, row[column]); ok {
				idx[k] = append(idx[k], int32(i))
			}
		}
		ts.index[column] = idx
	}
	return idx[key]
}
