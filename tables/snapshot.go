package tables

import (
	"context"
	"runtime/debug"
	"sync"
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
	narrowed map[narrowKey]*rowSet   // key columns and values -> rows
	nNarrow  int
}

// maxNarrowKeys is how many key columns one narrowed scan may combine.
const maxNarrowKeys = 4

// narrowKey names one narrowed read: equality on n key columns.
type narrowKey struct {
	n    int
	cols [maxNarrowKeys]int
	vals [maxNarrowKeys]any // converted by lookupKey: int64, float64 or string
}

// collectWhole collects the dataset once per statement.
func (ts *tableState) collectWhole(e *Engine, col *Collector) (*rowSet, error) {
	if ts.whole != nil {
		return ts.whole, nil
	}
	if err := col.Err(); err != nil {
		return nil, err
	}
	resume := pauseGC()
	rows, err := ts.ds.Collect(col)
	resume()
	if err != nil {
		return nil, err
	}
	e.count(func(s *Stats) map[string]int { return s.Collections }, ts.ds.Name, 1)
	ts.whole = &rowSet{rows: rows, filled: map[string]bool{}}
	return ts.whole, nil
}

// collectNarrowed returns the rows whose key columns equal the values of
// nk, reading only what those keys need, at most once per key: one key
// through its Key.Collect, several through the dataset's NarrowBy.
func (ts *tableState) collectNarrowed(e *Engine, col *Collector, nk narrowKey) (*rowSet, error) {
	if rs := ts.narrowed[nk]; rs != nil {
		return rs, nil
	}
	if err := col.Err(); err != nil {
		return nil, err
	}
	var rows []Row
	var err error
	resume := pauseGC()
	defer resume()
	if nk.n == 1 {
		rows, err = ts.ds.key(nk.cols[0]).Collect(col, nk.vals[0])
	} else {
		eq := make([]KeyValue, nk.n)
		for i := range eq {
			eq[i] = KeyValue{Column: ts.ds.Columns[nk.cols[i]].Name, Value: nk.vals[i]}
		}
		rows, err = ts.ds.NarrowBy(col, eq)
	}
	if err != nil {
		return nil, err
	}
	e.count(func(s *Stats) map[string]int { return s.Narrowed }, ts.ds.Name, 1)
	if ts.narrowed == nil {
		ts.narrowed = map[narrowKey]*rowSet{}
	}
	rs := &rowSet{rows: rows, filled: map[string]bool{}}
	ts.narrowed[nk] = rs
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
		resume := pauseGC()
		err := ts.ds.Fill[g](col, columns, rs.rows)
		resume()
		if err != nil {
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

// gcPause counts the collections running with the garbage collector paused.
var gcPause struct {
	sync.Mutex
	depth   int
	percent int // the setting to restore
}

// pauseGC stops garbage collection until the returned function is called.
// Nearly everything a collection allocates is kept (the rows), so a GC
// cycle in the middle of one finds no garbage: it only rescans the rows
// built so far, and slows every pointer written into them. At 100,000
// sockets that was half the time of decoding a netlink dump; after the
// collection the collector runs once, over the finished rows.
func pauseGC() (resume func()) {
	gcPause.Lock()
	if gcPause.depth == 0 {
		gcPause.percent = debug.SetGCPercent(-1)
	}
	gcPause.depth++
	gcPause.Unlock()
	return func() {
		gcPause.Lock()
		gcPause.depth--
		if gcPause.depth == 0 {
			debug.SetGCPercent(gcPause.percent)
		}
		gcPause.Unlock()
	}
}
