package engine

import (
	"context"
	"fmt"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"

	"netsql/tables/kernel"
)

// snapshot is one statement's state (or, with .snapshot on, several
// statements'): each dataset read at one moment, in the mode the
// statement's plan chose, with hash indexes built on first use.
type snapshot struct {
	col    *kernel.Collector
	tables map[string]*tableState
	// plans holds the read decided for each dataset (by index in
	// Engine.datasets) before the statement's first row; a dataset without
	// a plan is read whole.
	plans map[int]*datasetPlan
}

func newSnapshot(ctx context.Context, src *kernel.Source) *snapshot {
	return &snapshot{col: kernel.NewCollector(ctx, src), tables: map[string]*tableState{}}
}

func (s *snapshot) table(d *Dataset, index int) *tableState {
	ts := s.tables[d.Name]
	if ts == nil {
		ts = &tableState{ds: d, plan: s.plans[index]}
		if ts.plan == nil {
			ts.plan = &datasetPlan{mode: readWhole}
		}
		s.tables[d.Name] = ts
	}
	return ts
}

// rowSet is rows read together, with the column groups already filled in
// them. Its rows' rowids are base, base+1, ... (or ids, when set): unique
// in the snapshot and the same in every scan that serves them.
type rowSet struct {
	// stream, while set, is the read still running: rows holds nothing
	// yet, scans are served from the stream, and settle ends it.
	stream  *rowStream
	rows    []Row
	base    int64
	ids     []int64 // per row, for a set merged from two reads (replan)
	filled  map[string]bool
	indexes map[string]*hashIndex // by the columns' positions, "3,5"
}

// maxIndexColumns bounds the columns of one hash index; a lookup offered
// more uses the first ones and SQLite checks the rest.
const maxIndexColumns = 8

// indexKey is the values of a row in an index's columns, as lookupKey
// converts them; arrays of interfaces compare element by element.
type indexKey [maxIndexColumns]any

type hashIndex struct {
	positions map[indexKey][]int32
}

type tableState struct {
	ds        *Dataset
	plan      *datasetPlan
	all       *rowSet         // readWhole, readUnion: the one read
	byValue   map[any]*rowSet // readPerValue: one read per key value
	nextRowid int64
}

func (ts *tableState) newRowSet(rows []Row) *rowSet {
	rs := &rowSet{rows: rows, base: ts.nextRowid, filled: map[string]bool{}}
	ts.nextRowid += int64(len(rows))
	return rs
}

// rowStream is a read running beside its statement (the plan's stream):
// a producer goroutine collects the dataset, handing rows over in batches
// through kernel.Sink, while the statement's scan serves them. The
// producer touches only the stream; the row set and the table state stay
// the statement goroutine's.
type rowStream struct {
	mu   sync.Mutex
	more sync.Cond // rows grew, or the read ended
	rows []Row
	done bool
	err  error
	end  chan struct{} // closed when the read ended
}

// startStream starts reading the dataset beside the statement: whole, or
// the plan's union.
func (ts *tableState) startStream(e *Engine, col *kernel.Collector) (*rowSet, error) {
	if err := col.Err(); err != nil {
		return nil, err
	}
	st := &rowStream{end: make(chan struct{})}
	st.more.L = &st.mu
	col.Progress().Reading(ts.ds.Name)
	e.count(func(s *Stats) map[string]int { return s.Streamed }, ts.ds.Name, 1)
	kernel.SetSink(col, st.emit)
	undo := ts.wantColumns(col)
	go func() {
		var rows []Row
		var err error
		resume := PauseGC()
		defer func() {
			// A panic in a reader fails the statement, as in Filter,
			// instead of the process.
			if p := recover(); p != nil {
				rows, err = nil, fmt.Errorf("netsql: internal error reading %s: %v", ts.ds.Name, p)
			}
			resume()
			undo()
			kernel.SetSink[Row](col, nil)
			st.finish(ts.ds.Name, rows, err)
		}()
		if ts.plan.mode == readUnion {
			rows, err = ts.narrow(e, col, ts.plan.union)
		} else if rows, err = ts.ds.Collect(col); err == nil {
			e.count(func(s *Stats) map[string]int { return s.Collections }, ts.ds.Name, 1)
			e.learnRows(ts.ds, len(rows))
		}
	}()
	return &rowSet{stream: st, base: ts.nextRowid, filled: map[string]bool{}}, nil
}

// wantColumns tells the collection about to run which columns the
// statement reads, when its plan prunes (kernel.SetColumns); the
// returned function undoes it.
func (ts *tableState) wantColumns(col *kernel.Collector) (undo func()) {
	if !ts.plan.prune {
		return func() {}
	}
	kernel.SetColumns(col, ts.plan.used)
	return func() { kernel.ResetColumns(col) }
}

// emit adds rows the collection has read. The batch's capacity tells how
// much room the collection made for the rows after it (collectSockets
// sizes its list from the kernel's counts): the stream's copy makes as
// much at once instead of growing by doubling.
func (st *rowStream) emit(batch []Row) {
	st.mu.Lock()
	if need := len(st.rows) + len(batch); need > cap(st.rows) {
		grown := make([]Row, len(st.rows), max(need, len(st.rows)+cap(batch), 2*cap(st.rows)))
		copy(grown, st.rows)
		st.rows = grown
	}
	st.rows = append(st.rows, batch...)
	st.mu.Unlock()
	st.more.Broadcast()
}

// finish ends the read with what the collection returned: the rows handed
// over must be its first ones, in order.
func (st *rowStream) finish(name string, rows []Row, err error) {
	st.mu.Lock()
	if err == nil {
		n := len(st.rows)
		if len(rows) < n || !samePrefix(rows[:n], st.rows) {
			err = fmt.Errorf("netsql: internal error reading %s: rows handed over early are not the first rows read", name)
		} else {
			st.rows = rows
		}
	}
	st.err, st.done = err, true
	st.mu.Unlock()
	st.more.Broadcast()
	close(st.end)
}

// samePrefix tells whether a and b hold the same rows (the same memory,
// not equal values), position by position.
func samePrefix(a, b []Row) bool {
	for i := range b {
		if len(a[i]) == 0 || len(b[i]) == 0 {
			if len(a[i]) != len(b[i]) {
				return false
			}
			continue
		}
		if &a[i][0] != &b[i][0] {
			return false
		}
	}
	return true
}

// ended tells whether the read has ended, without waiting.
func (st *rowStream) ended() bool {
	select {
	case <-st.end:
		return true
	default:
		return false
	}
}

// wait returns the rows read so far once there are more than have, or
// the read ended (done; the error is settle's to report).
func (st *rowStream) wait(have int) (rows []Row, done bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	for len(st.rows) <= have && !st.done {
		st.more.Wait()
	}
	return st.rows, st.done
}

// settle waits for rs's read to end and makes rs an ordinary row set.
func (ts *tableState) settle(e *Engine, rs *rowSet) error {
	st := rs.stream
	if st == nil {
		return nil
	}
	<-st.end
	rs.stream = nil
	if st.err != nil {
		rs.rows = nil
		if ts.all == rs {
			ts.all = nil
		}
		return st.err
	}
	rs.rows = st.rows
	ts.nextRowid = rs.base + int64(len(rs.rows))
	return nil
}

// settle ends every read still running in the snapshot, returning the
// first error of one.
func (s *snapshot) settle(e *Engine) error {
	var first error
	for _, ts := range s.tables {
		if ts.all != nil && ts.all.stream != nil {
			if err := ts.settle(e, ts.all); err != nil && first == nil {
				first = err
			}
		}
	}
	return first
}

// read returns the rows a scan is served from, reading them if this
// statement has not yet: the whole dataset, the union of the plan's key
// values, or the rows of one value of a stable key. eq holds the scan's
// equalities on key columns. A scan the plan did not foresee (it should
// not happen) switches the dataset to a whole read and is counted.
func (ts *tableState) read(e *Engine, col *kernel.Collector, eq []KeyValue) (*rowSet, error) {
	if ts.plan.stream && ts.all == nil && (ts.plan.mode == readWhole || ts.plan.inUnion[conjunctionKey(eq)]) {
		rs, err := ts.startStream(e, col)
		if err != nil {
			return nil, err
		}
		ts.all = rs
		return rs, nil
	}
	switch ts.plan.mode {
	case readUnion:
		if ts.plan.inUnion[conjunctionKey(eq)] {
			if ts.all == nil {
				rows, err := ts.narrow(e, col, ts.plan.union)
				if err != nil {
					return nil, err
				}
				ts.all = ts.newRowSet(rows)
			}
			return ts.all, nil
		}
		return ts.replan(e, col)
	case readPerValue:
		name := ts.ds.Columns[ts.plan.column].Name
		for _, kv := range eq {
			if kv.Column == name {
				return ts.readValue(e, col, kv.Value)
			}
		}
		return ts.replan(e, col)
	}
	return ts.collectWhole(e, col)
}

// warnTwoMoments says a statement read a dataset twice.
const warnTwoMoments = "%s read twice in one statement, by a scan its plan did not foresee: its rows may mix two moments"

// replan reads the dataset whole after a scan the plan did not foresee
// (a program EXPLAIN did not list, such as a trigger's). The rows already
// read keep their rowids and stand for their keys; the whole read adds
// only the rows outside those keys, so no row is served twice. It says so
// in a warning, since the two reads are two moments.
func (ts *tableState) replan(e *Engine, col *kernel.Collector) (*rowSet, error) {
	if ts.all != nil {
		if err := ts.settle(e, ts.all); err != nil {
			return nil, err
		}
	}
	e.count(func(s *Stats) map[string]int { return s.Replanned }, ts.ds.Name, 1)
	col.Notice(fmt.Sprintf(warnTwoMoments, ts.ds.Name))
	var kept []*rowSet
	var covered func(Row) bool
	switch ts.plan.mode {
	case readUnion:
		if ts.all != nil {
			kept = append(kept, ts.all)
		}
		union := ts.plan.union
		covered = func(r Row) bool {
			return slices.ContainsFunc(union, func(conj []KeyValue) bool { return RowMatches(ts.ds, r, conj) })
		}
	case readPerValue:
		column, typ := ts.plan.column, ts.ds.Columns[ts.plan.column].Type
		for _, rs := range ts.byValue {
			kept = append(kept, rs)
		}
		byValue := ts.byValue
		covered = func(r Row) bool {
			k, ok := rowKey(typ, r[column])
			return ok && byValue[k] != nil
		}
	}
	if ts.plan.prune {
		// Rows read for the plan hold only the columns it foresaw: the
		// whole read stands alone.
		kept, covered = nil, func(Row) bool { return false }
	}
	ts.plan = &datasetPlan{mode: readWhole}
	ts.all, ts.byValue = nil, nil
	whole, err := ts.collectWhole(e, col)
	if err != nil {
		return nil, err
	}
	merged := &rowSet{filled: map[string]bool{}}
	for _, rs := range kept {
		for i, r := range rs.rows {
			merged.rows = append(merged.rows, r)
			merged.ids = append(merged.ids, rs.rowid(i))
		}
	}
	for i, r := range whole.rows {
		if !covered(r) {
			merged.rows = append(merged.rows, r)
			merged.ids = append(merged.ids, whole.rowid(i))
		}
	}
	ts.all = merged
	return merged, nil
}

// rowid is the rowid of rows[i].
func (rs *rowSet) rowid(i int) int64 {
	if rs.ids != nil {
		return rs.ids[i]
	}
	return rs.base + int64(i)
}

// RowMatches tells whether r's key columns equal every value of conj.
func RowMatches(d *Dataset, r Row, conj []KeyValue) bool {
	for _, kv := range conj {
		i := d.ColumnIndex(kv.Column)
		if k, ok := rowKey(d.Columns[i].Type, r[i]); !ok || k != kv.Value {
			return false
		}
	}
	return true
}

// collectWhole collects the dataset once.
func (ts *tableState) collectWhole(e *Engine, col *kernel.Collector) (*rowSet, error) {
	if ts.all != nil {
		return ts.all, nil
	}
	if err := col.Err(); err != nil {
		return nil, err
	}
	col.Progress().Reading(ts.ds.Name)
	resume := PauseGC()
	undo := ts.wantColumns(col)
	rows, err := ts.ds.Collect(col)
	undo()
	resume()
	if err != nil {
		return nil, err
	}
	e.count(func(s *Stats) map[string]int { return s.Collections }, ts.ds.Name, 1)
	e.learnRows(ts.ds, len(rows))
	ts.all = ts.newRowSet(rows)
	return ts.all, nil
}

// narrow reads the rows matching any of the conjunctions in one read.
func (ts *tableState) narrow(e *Engine, col *kernel.Collector, union [][]KeyValue) ([]Row, error) {
	if err := col.Err(); err != nil {
		return nil, err
	}
	col.Progress().Reading(ts.ds.Name)
	resume := PauseGC()
	defer resume()
	defer ts.wantColumns(col)()
	e.count(func(s *Stats) map[string]int { return s.Narrowed }, ts.ds.Name, 1)
	if ts.ds.Narrow != nil {
		return ts.ds.Narrow(col, union)
	}
	var rows []Row
	for _, conj := range union {
		// Validate allows a dataset without Narrow one key only.
		got, err := ts.ds.key(ts.ds.ColumnIndex(conj[0].Column)).Collect(col, conj[0].Value)
		if err != nil {
			return nil, err
		}
		rows = append(rows, got...)
	}
	return rows, nil
}

// readValue reads the rows of one value of the plan's stable key, once per
// statement. Only rows whose key really equals the value are kept, so the
// row sets of two values never share a row.
func (ts *tableState) readValue(e *Engine, col *kernel.Collector, value any) (*rowSet, error) {
	if rs := ts.byValue[value]; rs != nil {
		return rs, nil
	}
	if err := col.Err(); err != nil {
		return nil, err
	}
	column := ts.plan.column
	col.Progress().Reading(ts.ds.Name)
	resume := PauseGC()
	undo := ts.wantColumns(col)
	rows, err := ts.ds.key(column).Collect(col, value)
	undo()
	resume()
	if err != nil {
		return nil, err
	}
	e.count(func(s *Stats) map[string]int { return s.Narrowed }, ts.ds.Name, 1)
	typ := ts.ds.Columns[column].Type
	kept := rows[:0]
	for _, r := range rows {
		if k, ok := rowKey(typ, r[column]); ok && k == value {
			kept = append(kept, r)
		}
	}
	if ts.byValue == nil {
		ts.byValue = map[any]*rowSet{}
	}
	rs := ts.newRowSet(kept)
	ts.byValue[value] = rs
	return rs, nil
}

// fill computes the named column groups of rs that are not yet filled.
func (ts *tableState) fill(e *Engine, col *kernel.Collector, rs *rowSet, groups []string) error {
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
		resume := PauseGC()
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

// lookup returns the positions of the rows whose columns match key,
// building the hash index over those columns on first use. The order of
// columns is canonical (BestIndex sorts them), so `a = x AND b = y` and
// `b = y AND a = x` share one index.
func (ts *tableState) lookup(e *Engine, rs *rowSet, columns []int, key indexKey) []int32 {
	if rs.indexes == nil {
		rs.indexes = map[string]*hashIndex{}
	}
	name := columnList(columns)
	idx := rs.indexes[name]
	if idx == nil {
		idx = &hashIndex{positions: map[indexKey][]int32{}}
	rows:
		for i, row := range rs.rows {
			var k indexKey
			for n, c := range columns {
				v, ok := rowKey(ts.ds.Columns[c].Type, row.At(c))
				if !ok {
					continue rows // NULL equals nothing
				}
				k[n] = v
			}
			idx.positions[k] = append(idx.positions[k], int32(i))
		}
		rs.indexes[name] = idx
		if rs == ts.all && ts.plan.mode == readWhole {
			e.learnDistinct(ts.ds, name, len(rs.rows), len(idx.positions))
		}
	}
	return idx.positions[key]
}

func columnList(columns []int) string {
	var b strings.Builder
	for i, c := range columns {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(c))
	}
	return b.String()
}

// gcPause counts the collections running with the garbage collector paused.
var gcPause struct {
	sync.Mutex
	depth   int
	percent int  // the setting to restore
	off     bool // SetGCPause(false): collections run with the collector on
}

// SetGCPause says whether collections pause the garbage collector (the
// default, PauseGC). A process that cares more for its peak memory than
// for the time of a collection (the exporter) turns it off: the garbage
// a collection makes (the owner walk's, the netlink buffers') is then
// reclaimed while it runs instead of adding to the peak.
func SetGCPause(on bool) {
	gcPause.Lock()
	defer gcPause.Unlock()
	gcPause.off = !on
}

// PauseGC stops garbage collection until the returned function is called.
// Nearly everything a collection allocates is kept (the rows), so a GC
// cycle in the middle of one finds no garbage: it only rescans the rows
// built so far, and slows every pointer written into them. At 100,000
// sockets that was half the time of decoding a netlink dump; after the
// collection the collector runs once, over the finished rows.
func PauseGC() (resume func()) {
	gcPause.Lock()
	if gcPause.off {
		gcPause.Unlock()
		return func() {}
	}
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
