package engine

import (
	"math"
	"strconv"
	"strings"
)

// Values reach a virtual table as SQLite holds them, without the column's
// affinity applied: `local_port = '22'` arrives as the text "22", and a
// COLLATE NOCASE or RTRIM comparison arrives without its collation. The
// functions here turn a value into the key SQLite's own comparison would
// match, and for text return a key that matches a superset (ASCII case and
// trailing spaces folded); SQLite re-checks every row we hand it.

// lookupKey converts a constraint value by the column's affinity. ok is
// false when no row of that column can equal it (NULL, a blob, or text that
// is not a number for a numeric column).
func lookupKey(t Type, v any) (key any, ok bool) {
	switch t {
	case Integer, Real:
		f, isInt, i, ok := NumericValue(v)
		if !ok {
			return nil, false
		}
		if t == Integer {
			if isInt {
				return i, true
			}
			if f == math.Trunc(f) && f >= -9.2e18 && f <= 9.2e18 {
				return int64(f), true
			}
			return nil, false
		}
		return f, true
	case Text:
		switch x := v.(type) {
		case string:
			return foldText(x), true
		case int64:
			return strconv.FormatInt(x, 10), true
		case float64:
			return foldText(RealText(x)), true
		}
	}
	return nil, false
}

// rowKey is the index key of a row's value in a column of type t.
func rowKey(t Type, v any) (key any, ok bool) {
	if v == nil {
		return nil, false
	}
	return lookupKey(t, v)
}

// keyMatches tells whether a row's value v matches key, a lookupKey
// result, as `k, ok := rowKey(t, v); ok && k == key` would, without
// building the row's key: text is compared folded in place, so a scan
// that filters rows as they stream allocates nothing per row.
func keyMatches(t Type, v any, key any) bool {
	if s, isText := v.(string); isText && t == Text {
		k, ok := key.(string)
		return ok && foldedEqual(s, k)
	}
	k, ok := rowKey(t, v)
	return ok && k == key
}

// foldedEqual tells whether foldText(s) == folded.
func foldedEqual(s, folded string) bool {
	s = strings.TrimRight(s, " ")
	if len(s) != len(folded) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != folded[i] {
			return false
		}
	}
	return true
}

// NumericValue applies numeric affinity: integers stay integers, text that
// looks like a number (spaces around allowed) becomes one; ok is false for
// NULL, NaN, blobs and other text. SQL functions that take numbers use it
// too, so they convert text as a comparison does.
func NumericValue(v any) (f float64, isInt bool, i int64, ok bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true, x, true
	case float64:
		return x, false, 0, !math.IsNaN(x)
	case string:
		s := strings.TrimSpace(x)
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return float64(n), true, n, true
		}
		if n, err := strconv.ParseFloat(s, 64); err == nil && !strings.ContainsAny(s, "xXnN") {
			return n, false, 0, true
		}
	}
	return 0, false, 0, false
}

// foldText folds ASCII case and trailing spaces, what NOCASE and RTRIM ignore.
func foldText(s string) string {
	s = strings.TrimRight(s, " ")
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			return asciiLower(s)
		}
	}
	return s
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// RealText renders a float as SQLite's text affinity does: 15
// significant digits, with ".0" kept on whole numbers.
func RealText(f float64) string {
	s := strconv.FormatFloat(f, 'g', 15, 64)
	if !strings.ContainsAny(s, ".eEnN") {
		s += ".0"
	}
	return s
}
