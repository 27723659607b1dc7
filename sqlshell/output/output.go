// Package output prints results in every mode netsql has (table, tsv, csv,
// json, jsonl, markdown, line): one writer per file behind one interface,
// and one registry of modes.
package output

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Format holds the output settings shared by every mode.
type Format struct {
	Mode    string // table, tsv, csv, json, jsonl, markdown, line
	Headers bool   // print the column names (table, tsv, csv, markdown); ignored by json, jsonl, line
	Null    string // the text printed for NULL in text modes
	NullSet bool   // Null was chosen by the user (--null / .nullvalue); otherwise each mode's default
	// Separator and RowSeparator go between the fields and after each row
	// in tsv and csv (.separator); "" is the mode's own (tab or comma, and
	// a newline). CheckSeparators tells which a mode accepts.
	Separator, RowSeparator string
}

// CheckSeparators reports whether mode can separate fields with col and
// rows with row ("" for its own): tsv takes any text, csv a single
// character other than a quote or a line break between fields and a
// newline or CRLF between rows, and the other modes none.
func CheckSeparators(mode, col, row string) error {
	switch mode {
	case "tsv":
		return nil
	case "csv":
		if r, size := utf8.DecodeRuneInString(col); col != "" && (size != len(col) || r == utf8.RuneError ||
			r == '"' || r == '\r' || r == '\n') {
			return fmt.Errorf("csv separates fields with one character other than a quote or a line break, not %q", col)
		}
		if row != "" && row != "\n" && row != "\r\n" {
			return fmt.Errorf("csv ends rows with \\n or \\r\\n, not %q", row)
		}
		return nil
	}
	return fmt.Errorf("the %s mode uses no separator (tsv and csv do)", mode)
}

// Writer prints one statement's result as it streams.
//
// A result with zero columns prints nothing in every mode. The streaming modes
// (tsv, csv, json, jsonl) hand each row to the underlying io.Writer in one
// Write call; the caller wraps it in a bufio.Writer if it wants fewer syscalls.
type Writer interface {
	Begin(columns []string) error // called once, before any row (also for a result of zero rows)
	Row(values []any) error       // values are int64, float64, string, []byte or nil (NULL); the slice is reused by the caller, copy what you keep
	End() error                   // called once after the last row, also after an error mid-stream: it must leave well-formed output (close the JSON array)
}

// modes is the one registry of output modes, in the order help text shows
// them: the CLI's -o, .mode and completion all read it (through Modes).
var modes = []struct {
	name string
	open func(io.Writer, Format) Writer
}{
	{"table", func(w io.Writer, f Format) Writer { return newTableWriter(w, f) }},
	{"tsv", func(w io.Writer, f Format) Writer { return newTSVWriter(w, f) }},
	{"csv", func(w io.Writer, f Format) Writer { return newCSVWriter(w, f) }},
	{"json", func(w io.Writer, _ Format) Writer { return newJSONWriter(w) }},
	{"jsonl", func(w io.Writer, _ Format) Writer { return newJSONLWriter(w) }},
	{"markdown", func(w io.Writer, f Format) Writer { return newMarkdownWriter(w, f) }},
	{"line", func(w io.Writer, f Format) Writer { return newLineWriter(w, f) }},
}

// Modes lists the output modes' names in the order help text shows them.
var Modes = func() []string {
	names := make([]string, len(modes))
	for i, m := range modes {
		names[i] = m.name
	}
	return names
}()

// ErrUnknownMode is returned by NewWriter for a mode not in Modes.
var ErrUnknownMode = errors.New("unknown output mode")

// NewWriter returns the writer for f.Mode writing to w, or an error naming
// the unknown mode and listing the valid ones.
func NewWriter(w io.Writer, f Format) (Writer, error) {
	for _, m := range modes {
		if m.name != f.Mode {
			continue
		}
		if f.Separator != "" || f.RowSeparator != "" {
			if err := CheckSeparators(f.Mode, f.Separator, f.RowSeparator); err != nil {
				return nil, err
			}
		}
		return m.open(w, f), nil
	}
	return nil, fmt.Errorf("%w %q (valid modes: %s)", ErrUnknownMode, f.Mode, strings.Join(Modes, ", "))
}

// nullText is the text a mode prints for NULL: the user's choice when set, else the mode's default.
func (f Format) nullText(modeDefault string) string {
	if f.NullSet {
		return f.Null
	}
	return modeDefault
}

// checkRowWidth reports a row whose length differs from the column count given to Begin.
func checkRowWidth(values []any, columns int) error {
	if len(values) != columns {
		return fmt.Errorf("output: row has %d values for %d columns", len(values), columns)
	}
	return nil
}

// rawText is the text form of a non-NULL value, bytes as they are (tsv and csv keep them so).
func rawText(v any) string {
	switch v := v.(type) {
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return floatText(v)
	case string:
		return v
	case []byte:
		return string(v)
	default:
		return fmt.Sprint(v)
	}
}

// isNumber tells whether v is one of the numeric types a result row holds.
func isNumber(v any) bool {
	switch v.(type) {
	case int64, float64:
		return true
	}
	return false
}

// floatText prints f with the fewest digits that read back to the same float64.
//
// It uses plain notation unless the magnitude is below 1e-6 or at least 1e21 (the
// rule of encoding/json and JavaScript): strconv's 'g' switches to an exponent from
// 1e6 on, which turns ordinary byte averages into 1.2345675e+06. A whole number
// keeps a ".0" (2.0, as SQLite prints it) so a REAL never reads as an INTEGER.
func floatText(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Inf"
	case math.IsInf(f, -1):
		return "-Inf"
	}
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		return strconv.FormatFloat(f, 'e', -1, 64)
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// displayText makes s safe to show in an aligned layout: invalid UTF-8 becomes
// U+FFFD, and tab, newline, carriage return and other control characters are
// written as escapes (\t, \n, \r, \x1b, \u0085) so they neither break the
// alignment nor reach the terminal as commands.
func displayText(s string) string {
	if !needsDisplayEscape(s) {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	b.Grow(len(s) + 8)
	for _, r := range s {
		switch {
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r >= 0x80 && r <= 0x9f:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// needsDisplayEscape reports whether displayText would change s.
func needsDisplayEscape(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return true
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r >= 0x80 && r <= 0x9f {
			return true
		}
		i += size
	}
	return false
}

// displayCell is the text of v in the aligned modes (table, markdown, line).
func displayCell(v any, null string) string {
	if v == nil {
		return displayText(null)
	}
	return displayText(rawText(v))
}

// numericColumns tracks, per column, whether every non-NULL value seen is a number
// (and at least one was): such columns are right-aligned.
type numericColumns struct {
	numbers []bool // some value was a number
	others  []bool // some non-NULL value was not a number
}

func newNumericColumns(n int) numericColumns {
	return numericColumns{numbers: make([]bool, n), others: make([]bool, n)}
}

func (c numericColumns) add(values []any) {
	for i, v := range values {
		switch {
		case v == nil:
		case isNumber(v):
			c.numbers[i] = true
		default:
			c.others[i] = true
		}
	}
}

func (c numericColumns) rightAligned(i int) bool {
	return c.numbers[i] && !c.others[i]
}
