package moment

import (
	"bytes"
	"database/sql/driver"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
)

// layout is how --diff reads one table: its columns in the order a row is
// encoded (the key's, then the identity's, then the rest), so a row's key
// and identity are prefixes of its encoding.
type layout struct {
	cols            []string // the columns compared, in the declaration's order
	order           []int    // positions in cols, in the encoding's order
	keyLen, withIDs int      // how many of order are key columns; key and identity columns
}

// newLayout lays out cols (which hold every key column) for d's key and
// identity columns.
func newLayout(cols, key, identity []string) *layout {
	l := &layout{cols: cols}
	add := func(names []string) int {
		for _, name := range names {
			if i := slices.Index(cols, name); i >= 0 && !slices.Contains(l.order, i) {
				l.order = append(l.order, i)
			}
		}
		return len(l.order)
	}
	l.keyLen = add(key)
	l.withIDs = add(identity)
	add(cols)
	return l
}

// selectList is the layout's columns, in the encoding's order.
func (l *layout) selectList() []string {
	names := make([]string, len(l.order))
	for j, i := range l.order {
		names[j] = l.cols[i]
	}
	return names
}

// rowSet is one moment's rows of a table, each encoded into one byte
// string (appendValue) laid out by a layout. It holds no pointer but its
// chunks, so the garbage collector hardly scans it, and a row costs its
// values' bytes and one span, not an interface value per column. Rows go
// into chunks of a fixed size, never moved once written (a growing slice
// would copy them again at every doubling).
type rowSet struct {
	chunks [][]byte
	rows   []rowSpan
	buf    []byte // the row being encoded
}

// rowSpan is where a row lies: chunks[chunk][start:end], its key
// [start:key], its key and identity [start:ids].
type rowSpan struct{ chunk, start, key, ids, end uint32 }

// chunkSize is the size of a rowSet's chunks; a longer row has a chunk of
// its own.
const chunkSize = 1 << 20

func (s *rowSet) row(i int32) []byte { r := s.rows[i]; return s.chunks[r.chunk][r.start:r.end] }
func (s *rowSet) key(i int32) []byte { r := s.rows[i]; return s.chunks[r.chunk][r.start:r.key] }
func (s *rowSet) ids(i int32) []byte { r := s.rows[i]; return s.chunks[r.chunk][r.start:r.ids] }

// sameRow tells whether row o of s and row n of t hold the same values.
func sameRow(s *rowSet, o int32, t *rowSet, n int32) bool { return bytes.Equal(s.row(o), t.row(n)) }

// add appends a row of values in the layout's encoding order (values
// engine.EachRow gives: a text is copied, not kept).
func (s *rowSet) add(l *layout, vals []driver.Value) error {
	s.buf = s.buf[:0]
	var key, ids int
	for j, v := range vals {
		var err error
		if s.buf, err = appendValue(s.buf, v); err != nil {
			return fmt.Errorf("column %s: %w", l.cols[l.order[j]], err)
		}
		if j+1 == l.keyLen {
			key = len(s.buf)
		}
		if j+1 == l.withIDs {
			ids = len(s.buf)
		}
	}
	if len(s.buf) > math.MaxUint32 {
		return errors.New("a row of more than 4 GiB")
	}
	last := len(s.chunks) - 1
	if last < 0 || len(s.chunks[last])+len(s.buf) > cap(s.chunks[last]) {
		s.chunks = append(s.chunks, make([]byte, 0, max(chunkSize, len(s.buf))))
		last++
	}
	start := len(s.chunks[last])
	s.chunks[last] = append(s.chunks[last], s.buf...)
	s.rows = append(s.rows, rowSpan{chunk: uint32(last), start: uint32(start),
		key: uint32(start + key), ids: uint32(start + ids), end: uint32(start + len(s.buf))})
	return nil
}

// decode returns row i's values in l.cols' order.
func (l *layout) decode(s *rowSet, i int32) []any {
	data := s.row(i)
	row := make([]any, len(l.cols))
	for _, c := range l.order {
		row[c], data = decodeValue(data)
	}
	return row
}

// Tags of an encoded value: one byte, then an integer as a varint, a
// float's bits, or a length and the bytes of a text or blob. The encoding
// is self-delimiting, so equal encodings of a row are equal values column
// by column, with their types (1, 1.0 and '1' differ).
const (
	tagNull  = 'N'
	tagInt   = 'I'
	tagFloat = 'F'
	tagText  = 'S'
	tagBlob  = 'B'
)

// appendValue appends v's encoding to b. The values are those the SQLite
// driver gives for columns declared INTEGER, TEXT or REAL, as a saved
// moment's are (it gives a time.Time only for a column declared DATE or
// TIMESTAMP).
func appendValue(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(b, tagNull), nil
	case int64:
		return binary.AppendVarint(append(b, tagInt), v), nil
	case float64:
		return binary.LittleEndian.AppendUint64(append(b, tagFloat), math.Float64bits(v)), nil
	case string:
		return append(binary.AppendUvarint(append(b, tagText), uint64(len(v))), v...), nil
	case []byte:
		return append(binary.AppendUvarint(append(b, tagBlob), uint64(len(v))), v...), nil
	}
	return b, fmt.Errorf("a value of type %T", v)
}

// decodeValue returns the value encoded at the start of data, and the rest.
func decodeValue(data []byte) (any, []byte) {
	tag, data := data[0], data[1:]
	switch tag {
	case tagInt:
		v, n := binary.Varint(data)
		return v, data[n:]
	case tagFloat:
		return math.Float64frombits(binary.LittleEndian.Uint64(data)), data[8:]
	case tagText, tagBlob:
		size, n := binary.Uvarint(data)
		data = data[n:]
		if tag == tagText {
			return string(data[:size]), data[size:]
		}
		return bytes.Clone(data[:size]), data[size:]
	}
	return nil, data
}
