package output

import (
	"fmt"
	"io"
	"math"
	"strconv"

	"netsql/tables/jsontext"
)

// jsonWriter prints the result as one JSON array of objects, one object per line:
//
//	[
//	{"proto":"tcp","local_port":22},
//	{"proto":"udp","local_port":53}
//	]
//
// In a run of several statements (Stream) each result is such an array, and the
// run's document is the array of them, one per statement that has columns:
//
//	[
//	[
//	{"a":1}
//	],
//	[
//	{"b":2}
//	]
//	]
//
// An array is opened at Begin and closed at End (the run's at Stream.Close), so
// the document stays valid when a statement fails after some rows.
type jsonWriter struct {
	w       io.Writer
	stream  *Stream
	keys    [][]byte // each column's key, quoted, with its colon
	started bool
	rows    int
	line    []byte
}

func newJSONWriter(w io.Writer, s *Stream) *jsonWriter {
	return &jsonWriter{w: w, stream: s}
}

func (j *jsonWriter) Begin(columns []string) error {
	if len(columns) == 0 {
		return nil
	}
	j.keys = jsonKeys(columns)
	j.started = true
	j.rows = 0
	opening := "["
	if j.stream.several {
		opening = ",\n["
		if !j.stream.open {
			opening = "[\n["
			j.stream.open = true
		}
	}
	_, err := io.WriteString(j.w, opening)
	return err
}

func (j *jsonWriter) Row(values []any) error {
	if !j.started {
		return nil
	}
	if err := checkRowWidth(values, len(j.keys)); err != nil {
		return err
	}
	j.line = j.line[:0]
	if j.rows > 0 {
		j.line = append(j.line, ',')
	}
	j.line = append(j.line, '\n')
	j.line = appendJSONObject(j.line, j.keys, values)
	j.rows++
	_, err := j.w.Write(j.line)
	return err
}

func (j *jsonWriter) End() error {
	if !j.started {
		return nil
	}
	j.started = false
	closing := "]"
	if j.rows > 0 {
		closing = "\n]"
	}
	if !j.stream.several {
		closing += "\n"
	}
	_, err := io.WriteString(j.w, closing)
	return err
}

// jsonKeys turns column names into unique object keys, each already quoted and
// followed by a colon. A repeated name gets _2, _3 (the second "inode" becomes
// "inode_2"), skipping any suffixed name the result already uses.
func jsonKeys(columns []string) [][]byte {
	original := make(map[string]bool, len(columns))
	for _, name := range columns {
		original[name] = true
	}
	used := make(map[string]bool, len(columns))
	keys := make([][]byte, len(columns))
	for i, name := range columns {
		key := name
		if used[key] {
			for n := 2; ; n++ {
				candidate := name + "_" + strconv.Itoa(n)
				if !used[candidate] && !original[candidate] {
					key = candidate
					break
				}
			}
		}
		used[key] = true
		keys[i] = append(jsontext.AppendString(nil, key), ':')
	}
	return keys
}

// appendJSONObject writes one row as an object whose keys keep the column order
// (a map would lose it).
func appendJSONObject(dst []byte, keys [][]byte, values []any) []byte {
	dst = append(dst, '{')
	for i, v := range values {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, keys[i]...)
		dst = appendJSONValue(dst, v)
	}
	return append(dst, '}')
}

// appendJSONValue writes v as JSON: integers and floats as numbers (NaN and
// infinities, which JSON lacks, as null), text and blobs as strings.
func appendJSONValue(dst []byte, v any) []byte {
	switch v := v.(type) {
	case nil:
		return append(dst, "null"...)
	case int64:
		return strconv.AppendInt(dst, v, 10)
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return append(dst, "null"...)
		}
		return append(dst, floatText(v)...)
	case string:
		return jsontext.AppendString(dst, v)
	case []byte:
		return jsontext.AppendString(dst, string(v))
	default:
		return jsontext.AppendString(dst, fmt.Sprint(v))
	}
}
