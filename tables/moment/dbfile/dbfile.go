// Package dbfile writes a SQLite database file whose tables are filled
// once, row after row, without going through SQLite: each row becomes a
// record in SQLite's record format, records fill the leaf pages of the
// table's b-tree in rowid order (1, 2, ...), and the interior pages above
// them are built when the table ends. --save writes the big tables of a
// moment this way: inserted through SQLite from a virtual table, every
// value costs a column call into SQLite and two copies, and that was most
// of the time --save took over reading the same rows (ARCHITECTURE.md,
// "Saved moments"). The file is an ordinary database afterwards: SQLite
// opens it, checks it (PRAGMA integrity_check in the tests) and adds to it.
//
// The layout follows SQLite's file format document (sqlite.org/fileformat2):
// a 100-byte header on page 1, then page 1 is the root of sqlite_schema;
// no reserved bytes in a page, no free pages, rollback journal mode.
package dbfile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"sync"
)

// PageSize is the page size --save writes: 64 KiB, the largest SQLite
// has. Fewer, larger writes; the file is read whole.
const PageSize = 65536

// Page types (the first byte of a b-tree page's header).
const (
	interiorTable = 0x05
	leafTable     = 0x0d
)

// sqliteVersion is written at offset 96 of the header: the SQLite
// release whose format the file follows (modernc.org/sqlite v1.62's,
// 3.54.1). SQLite reads it for information only.
const sqliteVersion = 3054001

// ErrUnfit is returned by Append for a value SQLite would have changed on
// the way in (text in a numeric column, a number in a text column: the
// column's affinity) or a Go type it does not store. The caller writes the
// table through SQLite instead.
var ErrUnfit = errors.New("value does not fit its column unchanged")

// Affinity is a column's declared type, which decides the values it takes
// unchanged.
type Affinity int

// Affinities.
const (
	Integer Affinity = iota + 1
	Text
	Real
)

// Writer writes one database file. Tables may be filled from several
// goroutines at once, each table from one.
type Writer struct {
	f        *os.File
	pageSize int
	lockPage uint32 // the page holding byte 2^30, which SQLite keeps for its locks and never uses
	mu       sync.Mutex
	pages    uint32   // the highest page number handed out; page 1 is the schema's
	tables   []*Table // in the order they were declared: sqlite_schema's rows
	closed   bool
}

// Create starts the database file path, which must not exist or be empty,
// with pages of pageSize bytes (a power of two from 512 to 65536).
func Create(path string, pageSize int) (*Writer, error) {
	if pageSize < 512 || pageSize > 65536 || pageSize&(pageSize-1) != 0 {
		return nil, fmt.Errorf("dbfile: page size %d: not a power of two from 512 to 65536", pageSize)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	if st, err := f.Stat(); err != nil || st.Size() != 0 {
		f.Close()
		if err == nil {
			err = fmt.Errorf("%s: not empty", path)
		}
		return nil, err
	}
	return &Writer{f: f, pageSize: pageSize, lockPage: uint32(1<<30/pageSize + 1), pages: 1}, nil
}

// allocate hands out the next page number.
func (w *Writer) allocate() uint32 {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.pages++
	if w.pages == w.lockPage {
		w.pages++
	}
	return w.pages
}

func (w *Writer) writePage(n uint32, page []byte) error {
	_, err := w.f.WriteAt(page, int64(n-1)*int64(w.pageSize))
	return err
}

// Abandon closes the file unfinished, for a caller that gives it up (and
// removes it): tables still being filled fail their next write.
func (w *Writer) Abandon() {
	if !w.closed {
		w.closed = true
		w.f.Close()
	}
}

// Table declares a table: create is its CREATE TABLE statement as
// sqlite_schema keeps it, with plain columns of the declared types
// INTEGER, TEXT or REAL (no constraint, no INTEGER PRIMARY KEY), whose
// affinities are given, at least one. Its rows are appended with Append
// and it ends with Close.
func (w *Writer) Table(name, create string, affinities []Affinity) (*Table, error) {
	if len(affinities) == 0 {
		return nil, fmt.Errorf("dbfile: table %s has no column", name)
	}
	t := &Table{w: w, name: name, create: create, affinities: affinities,
		leaf: leaf{page: make([]byte, w.pageSize), top: w.pageSize}, types: make([]uint64, len(affinities))}
	w.mu.Lock()
	w.tables = append(w.tables, t)
	w.mu.Unlock()
	return t, nil
}

// Close writes page 1, the header and sqlite_schema, once every table is
// closed, and closes the file. The file is not synced.
func (w *Writer) Close() error {
	if w.closed {
		return errors.New("dbfile: closed twice")
	}
	w.closed = true
	err := w.writeFirst()
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// writeFirst writes page 1: the header, then sqlite_schema's one leaf,
// a row per table.
func (w *Writer) writeFirst() error {
	page := make([]byte, w.pageSize)
	l := leaf{page: page, header: 100, top: w.pageSize}
	types := make([]uint64, len(schemaAffinities))
	for i, t := range w.tables {
		if !t.closed {
			return fmt.Errorf("dbfile: table %s not closed", t.name)
		}
		row := []any{"table", t.name, t.name, int64(t.root), t.create}
		for j, v := range row {
			types[j], _ = serialType(v, schemaAffinities[j])
		}
		rec := appendRecord(nil, row, types)
		cell := appendCell(nil, int64(i+1), rec, len(rec))
		if len(rec) > w.maxLocal() || !l.fits(len(cell)) {
			return fmt.Errorf("dbfile: the schema of %d tables does not fit on page 1", len(w.tables))
		}
		l.add(cell)
	}
	l.finish(leafTable)
	h := page[:100]
	copy(h, "SQLite format 3\x00")
	binary.BigEndian.PutUint16(h[16:], uint16(w.pageSize)) // 65536 is written as 1
	if w.pageSize == 65536 {
		binary.BigEndian.PutUint16(h[16:], 1)
	}
	h[18], h[19] = 1, 1                   // rollback journal
	h[20] = 0                             // reserved bytes per page
	h[21], h[22], h[23] = 64, 32, 32      // payload fractions (fixed)
	binary.BigEndian.PutUint32(h[24:], 1) // file change counter
	binary.BigEndian.PutUint32(h[28:], w.pages)
	binary.BigEndian.PutUint32(h[40:], 1) // schema cookie
	binary.BigEndian.PutUint32(h[44:], 4) // schema format
	binary.BigEndian.PutUint32(h[56:], 1) // UTF-8
	binary.BigEndian.PutUint32(h[92:], 1) // version-valid-for: the change counter
	binary.BigEndian.PutUint32(h[96:], sqliteVersion)
	return w.writePage(1, page)
}

// Table is one table being written.
type Table struct {
	w          *Writer
	name       string
	create     string
	affinities []Affinity
	root       uint32
	closed     bool
	rows       int64 // appended so far: the last row's rowid

	leaf     leaf     // the leaf being filled
	children []child  // the leaves written
	last     int64    // the rowid of the leaf's last cell
	types    []uint64 // serial types of the record being encoded
	rec      []byte   // the record being encoded
	cell     []byte
}

// child is a page of a b-tree level and the largest rowid under it.
type child struct {
	page uint32
	key  int64
}

// Rows is how many rows were appended.
func (t *Table) Rows() int64 { return t.rows }

// Append adds a row: one value per column, int64, int, bool, float64,
// string, []byte or nil; a row shorter than the columns ends in NULLs.
// The values are copied.
func (t *Table) Append(row []any) error {
	if t.closed {
		return fmt.Errorf("dbfile: %s: append after close", t.name)
	}
	if len(row) > len(t.affinities) {
		return fmt.Errorf("dbfile: %s: %d values for %d columns", t.name, len(row), len(t.affinities))
	}
	body := 0
	for i, a := range t.affinities {
		var v any
		if i < len(row) {
			v = row[i]
		}
		st, ok := serialType(v, a)
		if !ok {
			return fmt.Errorf("%s column %d: %T: %w", t.name, i+1, v, ErrUnfit)
		}
		t.types[i] = st
		body += bodySize(st)
	}
	rowid := t.rows + 1
	size := headerSize(t.types) + body
	local := t.w.localSize(size)
	if local < size { // the rest on overflow pages
		t.rec = appendRecord(t.rec[:0], row, t.types)
		t.cell = appendCell(t.cell[:0], rowid, t.rec, local)
		var err error
		if t.cell, err = t.overflow(t.cell, t.rec[local:]); err != nil {
			return err
		}
		if err := t.room(len(t.cell)); err != nil {
			return err
		}
		t.leaf.add(t.cell)
	} else { // the cell is encoded in place, in the page
		n := varintLen(uint64(size)) + varintLen(uint64(rowid)) + size
		if err := t.room(n); err != nil {
			return err
		}
		b := t.leaf.reserve(n)
		b = appendVarint(b, uint64(size))
		b = appendVarint(b, uint64(rowid))
		appendRecord(b, row, t.types)
	}
	t.rows, t.last = rowid, rowid
	return nil
}

// room makes room for a cell of n bytes in the leaf being filled: when
// it is full, it is written and an empty one started.
func (t *Table) room(n int) error {
	if t.leaf.fits(n) {
		return nil
	}
	return t.flush()
}

// overflow writes the part of a record that is not in its cell to a chain
// of overflow pages and appends the first one's number to the cell.
func (t *Table) overflow(cell, rest []byte) ([]byte, error) {
	first := t.w.allocate()
	cell = binary.BigEndian.AppendUint32(cell, first)
	page := make([]byte, t.w.pageSize)
	for n := first; len(rest) > 0; {
		clear(page)
		k := copy(page[4:], rest)
		rest = rest[k:]
		next := uint32(0)
		if len(rest) > 0 {
			next = t.w.allocate()
		}
		binary.BigEndian.PutUint32(page, next)
		if err := t.w.writePage(n, page); err != nil {
			return nil, err
		}
		n = next
	}
	return cell, nil
}

// flush writes the leaf being filled and starts an empty one.
func (t *Table) flush() error {
	t.leaf.finish(leafTable)
	n := t.w.allocate()
	if err := t.w.writePage(n, t.leaf.page); err != nil {
		return err
	}
	t.children = append(t.children, child{page: n, key: t.last})
	clear(t.leaf.page)
	t.leaf.cells, t.leaf.top = t.leaf.cells[:0], t.w.pageSize
	return nil
}

// Close writes the last leaf and the interior pages above the leaves; the
// top one is the table's root.
func (t *Table) Close() error {
	if t.closed {
		return nil
	}
	// The last leaf: rows appended since the last flush, or the empty
	// root of a table without rows.
	if len(t.leaf.cells) > 0 || len(t.children) == 0 {
		if err := t.flush(); err != nil {
			return err
		}
	}
	level := t.children
	for len(level) > 1 {
		var err error
		if level, err = t.interior(level); err != nil {
			return err
		}
	}
	t.root = level[0].page
	t.closed = true
	t.leaf.page, t.rec, t.cell = nil, nil, nil
	return nil
}

// interior writes the interior pages over one level of pages and returns
// them as the next level up. Each page holds a cell (left child, its
// largest rowid) per child but the last, which is its right-most pointer;
// no page is left with a single child.
func (t *Table) interior(level []child) ([]child, error) {
	var groups [][]child
	for start := 0; start < len(level); {
		size := 12
		end := start
		for end < len(level) {
			need := 2 + 4 + varintLen(uint64(level[end].key))
			if end > start && size+need > t.w.pageSize {
				break
			}
			size += need
			end++
		}
		groups = append(groups, level[start:end])
		start = end
	}
	if n := len(groups); n > 1 && len(groups[n-1]) == 1 {
		prev := groups[n-2]
		groups[n-2] = prev[:len(prev)-1]
		groups[n-1] = level[len(level)-2:]
	}
	var up []child
	page := make([]byte, t.w.pageSize)
	for _, g := range groups {
		clear(page)
		l := leaf{page: page, top: t.w.pageSize, interior: true}
		var cell []byte
		for _, c := range g[:len(g)-1] {
			cell = binary.BigEndian.AppendUint32(cell[:0], c.page)
			cell = appendVarint(cell, uint64(c.key))
			l.add(cell)
		}
		right := g[len(g)-1]
		binary.BigEndian.PutUint32(page[8:], right.page)
		l.finish(interiorTable)
		n := t.w.allocate()
		if err := t.w.writePage(n, page); err != nil {
			return nil, err
		}
		up = append(up, child{page: n, key: right.key})
	}
	return up, nil
}

// leaf is a b-tree page being filled: the cell pointer array grows after
// the header, the cells' content grows down from the page's end.
type leaf struct {
	page     []byte
	header   int // where the page header starts: 100 on page 1, else 0
	cells    []uint16
	top      int
	interior bool
}

func (l *leaf) headerSize() int {
	if l.interior {
		return 12
	}
	return 8
}

func (l *leaf) fits(cellLen int) bool {
	return l.header+l.headerSize()+2*(len(l.cells)+1) <= l.top-cellLen
}

func (l *leaf) add(cell []byte) {
	copy(l.reserve(len(cell))[:len(cell)], cell)
}

// reserve takes n bytes for a cell and returns them empty, with room for
// n bytes: appending to it writes the cell in place.
func (l *leaf) reserve(n int) []byte {
	l.top -= n
	l.cells = append(l.cells, uint16(l.top))
	return l.page[l.top : l.top : l.top+n]
}

// finish writes the page header and the cell pointers.
func (l *leaf) finish(kind byte) {
	h := l.page[l.header:]
	h[0] = kind
	binary.BigEndian.PutUint16(h[1:], 0) // no free blocks
	binary.BigEndian.PutUint16(h[3:], uint16(len(l.cells)))
	binary.BigEndian.PutUint16(h[5:], uint16(l.top)) // 65536 is written as 0
	h[7] = 0                                         // no fragmented bytes
	p := h[l.headerSize():]
	for i, c := range l.cells {
		binary.BigEndian.PutUint16(p[2*i:], c)
	}
}

// maxLocal and minLocal are SQLite's limits on how much of a record a
// table leaf cell holds before the rest goes to overflow pages.
func (w *Writer) maxLocal() int { return w.pageSize - 35 }
func (w *Writer) minLocal() int { return (w.pageSize-12)*32/255 - 23 }

// localSize is how many bytes of a record of n bytes its cell holds.
func (w *Writer) localSize(n int) int {
	if n <= w.maxLocal() {
		return n
	}
	k := w.minLocal() + (n-w.minLocal())%(w.pageSize-4)
	if k <= w.maxLocal() {
		return k
	}
	return w.minLocal()
}

// appendCell appends a table leaf cell: the record's size, the rowid and
// the record's first local bytes.
func appendCell(b []byte, rowid int64, rec []byte, local int) []byte {
	b = appendVarint(b, uint64(len(rec)))
	b = appendVarint(b, uint64(rowid))
	return append(b, rec[:local]...)
}

// serialType is the record serial type of v in a column of affinity a;
// ok is false when SQLite would have converted v or cannot store it.
func serialType(v any, a Affinity) (uint64, bool) {
	switch x := v.(type) {
	case nil:
		return 0, true
	case int64:
		return intType(x), a == Integer
	case int:
		return intType(int64(x)), a == Integer
	case bool:
		if x {
			return 9, a == Integer
		}
		return 8, a == Integer
	case float64:
		if math.IsNaN(x) {
			return 0, true // SQLite stores NaN as NULL
		}
		if x == 0 && math.Signbit(x) {
			return 7, false // SQLite stores -0.0 as the integer 0: +0.0 back
		}
		// An integral REAL in an INTEGER column becomes an integer.
		return 7, a == Real || (a == Integer && x != math.Trunc(x))
	case string:
		return uint64(len(x))*2 + 13, a == Text
	case []byte:
		return uint64(len(x))*2 + 12, true
	}
	return 0, false
}

func intType(x int64) uint64 {
	switch {
	case x == 0:
		return 8
	case x == 1:
		return 9
	case x >= math.MinInt8 && x <= math.MaxInt8:
		return 1
	case x >= math.MinInt16 && x <= math.MaxInt16:
		return 2
	case x >= -1<<23 && x < 1<<23:
		return 3
	case x >= math.MinInt32 && x <= math.MaxInt32:
		return 4
	case x >= -1<<47 && x < 1<<47:
		return 5
	}
	return 6
}

// intSizes are the body bytes of serial types 0 to 9.
var intSizes = [10]int{0, 1, 2, 3, 4, 6, 8, 8, 0, 0}

// schemaAffinities are sqlite_schema's columns: type, name, tbl_name,
// rootpage, sql.
var schemaAffinities = []Affinity{Text, Text, Text, Integer, Text}

// bodySize is how many bytes a value of serial type st takes in a
// record's body.
func bodySize(st uint64) int {
	if st >= 12 {
		return int(st-12) / 2
	}
	return intSizes[st]
}

// headerSize is the size of a record's header with these serial types:
// the size's own varint, then theirs.
func headerSize(types []uint64) int {
	n := 0
	for _, st := range types {
		n += varintLen(st)
	}
	size := n + 1
	for varintLen(uint64(size))+n != size {
		size = varintLen(uint64(size)) + n
	}
	return size
}

// appendRecord appends the record of values with their serial types
// (NULL past the end of values): the header's size, the serial types,
// then the values.
func appendRecord(b []byte, values []any, types []uint64) []byte {
	b = appendVarint(b, uint64(headerSize(types)))
	for _, st := range types {
		b = appendVarint(b, st)
	}
	for i, st := range types {
		if i >= len(values) {
			break
		}
		switch {
		case st >= 12 && st%2 == 0:
			b = append(b, values[i].([]byte)...)
		case st >= 13:
			b = append(b, values[i].(string)...)
		case st == 7:
			b = binary.BigEndian.AppendUint64(b, math.Float64bits(values[i].(float64)))
		case st >= 1 && st <= 6:
			var x int64
			switch v := values[i].(type) {
			case int64:
				x = v
			case int:
				x = int64(v)
			}
			size := intSizes[st]
			for k := size - 1; k >= 0; k-- {
				b = append(b, byte(x>>(8*k)))
			}
		}
	}
	return b
}

// varintLen is the length of x as a SQLite varint.
func varintLen(x uint64) int {
	n := 1
	for x >= 0x80 && n < 9 {
		x >>= 7
		n++
	}
	if n == 9 {
		return 9
	}
	return n
}

// appendVarint appends x as a SQLite varint: big-endian groups of seven
// bits, the high bit set on all but the last; a ninth byte carries eight.
func appendVarint(b []byte, x uint64) []byte {
	if x <= 0x7f {
		return append(b, byte(x))
	}
	if x > 1<<56-1 {
		var buf [9]byte
		buf[8] = byte(x)
		x >>= 8
		for i := 7; i >= 0; i-- {
			buf[i] = byte(x&0x7f) | 0x80
			x >>= 7
		}
		return append(b, buf[:]...)
	}
	var buf [9]byte
	i := 8
	buf[i] = byte(x & 0x7f)
	x >>= 7
	for x > 0 {
		i--
		buf[i] = byte(x&0x7f) | 0x80
		x >>= 7
	}
	return append(b, buf[i:]...)
}
