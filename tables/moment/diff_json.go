package moment

import (
	"encoding/json"
	"io"
	"math"
	"slices"
	"strconv"

	"netsql/tables/jsontext"
)

// WriteDiffJSON prints a diff's changes as JSON: one array (-o json), or
// one object a line when lines is set (-o jsonl), each in the Change
// shape a log shipper can forward as it is.
//
// The document is the one encoding/json writes for the changes (the same
// values, keys and order), written here without reflection, streamed change
// by change, and without sorting the columns of every row again: a busy
// host's diff has a change for every connection whose counters moved.
// Texts are written as the query output's JSON writes them (jsontext): a
// byte that is not UTF-8 as \udcXX, so it is not lost, and the controls a
// terminal acts on escaped.
// A value JSON cannot hold (NaN, an infinity) fails the output as
// encoding/json does: the array before anything is written, JSON lines
// after the lines before it.
func WriteDiffJSON(w io.Writer, res *DiffResult, lines bool) error {
	if !lines {
		for i := range res.Changes {
			if err := checkJSON(&res.Changes[i]); err != nil {
				return err
			}
		}
	}
	enc := jsonWriter{sorted: map[sortedKey][]string{}}
	var buf []byte
	if !lines {
		buf = append(buf, '[')
	}
	for i := range res.Changes {
		if !lines && i > 0 {
			buf = append(buf, ',')
		}
		if lines {
			if err := checkJSON(&res.Changes[i]); err != nil {
				if _, werr := w.Write(buf); werr != nil {
					return werr
				}
				return err
			}
		}
		var err error
		if buf, err = enc.appendChange(buf, &res.Changes[i]); err != nil {
			return err
		}
		if lines {
			buf = append(buf, '\n')
		}
		if len(buf) >= 64<<10 {
			if _, err := w.Write(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	if !lines {
		buf = append(buf, ']', '\n')
	}
	_, err := w.Write(buf)
	return err
}

// checkJSON returns encoding/json's error for a value of c it cannot
// encode, or nil.
func checkJSON(c *Change) error {
	for _, m := range []map[string]any{c.Key, c.Before, c.After} {
		for _, v := range m {
			switch v := v.(type) {
			case nil, int64, string, []byte:
			case float64:
				if math.IsInf(v, 0) || math.IsNaN(v) {
					_, err := json.Marshal(v)
					return err
				}
			default:
				if _, err := json.Marshal(v); err != nil {
					return err
				}
			}
		}
	}
	if math.IsInf(c.ElapsedS, 0) || math.IsNaN(c.ElapsedS) {
		_, err := json.Marshal(c.ElapsedS)
		return err
	}
	return nil
}

// jsonWriter writes Changes as encoding/json would.
type jsonWriter struct {
	// sorted keeps the names of a table's maps in order: the same
	// columns come in every change of a kind.
	sorted map[sortedKey][]string
}

type sortedKey struct{ table, field string }

func (j *jsonWriter) appendChange(b []byte, c *Change) ([]byte, error) {
	var err error
	b = append(b, `{"table":`...)
	b = jsontext.AppendString(b, c.Table)
	b = append(b, `,"change":`...)
	b = jsontext.AppendString(b, c.Change)
	b = append(b, `,"key":`...)
	if b, err = j.appendMap(b, c.Key, sortedKey{c.Table, "key"}); err != nil {
		return nil, err
	}
	if len(c.Before) > 0 {
		b = append(b, `,"before":`...)
		if b, err = j.appendMap(b, c.Before, sortedKey{c.Table, "row"}); err != nil {
			return nil, err
		}
	}
	if len(c.After) > 0 {
		b = append(b, `,"after":`...)
		if b, err = j.appendMap(b, c.After, sortedKey{c.Table, "row"}); err != nil {
			return nil, err
		}
	}
	if len(c.Columns) > 0 {
		b = append(b, `,"columns":[`...)
		for i, col := range c.Columns {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsontext.AppendString(b, col)
		}
		b = append(b, ']')
	}
	if len(c.Delta) > 0 {
		b = append(b, `,"delta":{`...)
		names := make([]string, 0, len(c.Delta))
		for n := range c.Delta {
			names = append(names, n)
		}
		slices.Sort(names)
		for i, n := range names {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(jsontext.AppendString(b, n), ':')
			b = strconv.AppendInt(b, c.Delta[n], 10)
		}
		b = append(b, '}')
	}
	if c.ElapsedS != 0 {
		b = append(b, `,"elapsed_s":`...)
		b = appendJSONFloat(b, c.ElapsedS)
	}
	return append(b, '}'), nil
}

// appendMap writes m with its keys in order (encoding/json's), taken from
// the names kept under k when m has the same keys.
func (j *jsonWriter) appendMap(b []byte, m map[string]any, k sortedKey) ([]byte, error) {
	if m == nil {
		return append(b, "null"...), nil
	}
	names := j.sorted[k]
	same := len(names) == len(m)
	for _, n := range names {
		if !same {
			break
		}
		_, same = m[n]
	}
	if !same {
		names = make([]string, 0, len(m))
		for n := range m {
			names = append(names, n)
		}
		slices.Sort(names)
		j.sorted[k] = names
	}
	b = append(b, '{')
	for i, n := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(jsontext.AppendString(b, n), ':')
		var err error
		if b, err = appendJSONValue(b, m[n]); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// appendJSONValue writes a value of a row: the driver's types by hand,
// anything else through encoding/json.
func appendJSONValue(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case int64:
		return strconv.AppendInt(b, v, 10), nil
	case string:
		return jsontext.AppendString(b, v), nil
	case float64:
		if !math.IsInf(v, 0) && !math.IsNaN(v) {
			return appendJSONFloat(b, v), nil
		}
	}
	data, err := json.Marshal(v) // []byte as base64, and the rare rest
	return append(b, data...), err
}

// appendJSONFloat writes a finite f as encoding/json does (as ES6 prints
// a number: exponent form below 1e-6 and from 1e21, no leading zero in
// the exponent).
func appendJSONFloat(b []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if n := len(b); format == 'e' && n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
		b[n-2] = b[n-1]
		b = b[:n-1]
	}
	return b
}
