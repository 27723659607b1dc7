// Package output prints results in every mode netsql has (table, tsv, csv,
// json, jsonl, markdown, line): one writer per file behind one interface,
// one registry of modes, the escaping of hostile values, the Stream that
// the results of one run share, and what a terminal needs (its size, text
// wrapped to it, the pager).
package output

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Format holds the output settings shared by every mode.
type Format struct {
	Mode    string // one of Modes (or an alias, see Lookup)
	Headers bool   // print the column names (table, tsv, csv, markdown); ignored by json, jsonl, line
	Null    string // the text printed for NULL in text modes
	NullSet bool   // Null was chosen by the user (--null / .nullvalue); otherwise each mode's default

	// Separator and RowSeparator go between the fields and after each row
	// in tsv and csv (.separator); "" is the mode's own (tab or comma, and
	// a newline). CheckSeparators tells which a mode accepts.
	Separator, RowSeparator string

	Wrap   bool  // table: wrap a value longer than its column onto more lines instead of shortening it with … (--wrap, .wrap)
	Widths []int // table: the width of each column in turn (.width); 0 automatic, negative right-aligned

	// Terminal says the output reaches a terminal, where a person reads it:
	// tsv and csv then escape control characters too (the other modes always
	// do), and table shortens what does not fit in Width. The runner sets
	// it, not the user.
	Terminal bool
	Width    int // the terminal's columns, which table fits in; 0 for no limit
}

// CheckSeparators reports whether mode (a mode or an alias) can separate
// fields with col and rows with row ("" for its own): tsv takes any text,
// csv a single character other than a quote or a line break between fields
// and a newline or CRLF between rows, and the other modes none.
func CheckSeparators(mode, col, row string) error {
	i, err := lookup(mode)
	if err != nil {
		return err
	}
	switch modes[i].name {
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
	return fmt.Errorf("the %s mode uses no separator (tsv and csv do)", modes[i].name)
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

// Keeps tells whether w may hold values past its Row call (table and
// markdown measure their first rows before printing them), so that values
// valid only during the call must be copied for it: every writer but
// those known to format a row within Row.
func Keeps(w Writer) bool {
	switch w.(type) {
	case *tsvWriter, *csvWriter, *jsonWriter, *jsonlWriter, *lineWriter:
		return false
	}
	return true
}

// modes is the one registry of output modes, in the order help text shows
// them: the CLI's -o and its help, .mode, its help and completion all read
// it (through Modes, Lookup and ModeHelp). Aliases are sqlite3's names for
// the same output.
var modes = []struct {
	name    string
	aliases []string
	open    func(io.Writer, Format, *Stream) Writer
}{
	{"table", []string{"box", "column"}, func(w io.Writer, f Format, _ *Stream) Writer { return newTableWriter(w, f) }},
	{"tsv", []string{"tabs"}, func(w io.Writer, f Format, s *Stream) Writer { return newTSVWriter(w, f, s) }},
	{"csv", nil, func(w io.Writer, f Format, s *Stream) Writer { return newCSVWriter(w, f, s) }},
	{"json", nil, func(w io.Writer, _ Format, s *Stream) Writer { return newJSONWriter(w, s) }},
	{"jsonl", nil, func(w io.Writer, _ Format, _ *Stream) Writer { return newJSONLWriter(w) }},
	{"markdown", nil, func(w io.Writer, f Format, _ *Stream) Writer { return newMarkdownWriter(w, f) }},
	{"line", []string{"lines"}, func(w io.Writer, f Format, _ *Stream) Writer { return newLineWriter(w, f) }},
}

// Modes lists the output modes' names in the order help text shows them.
var Modes = func() []string {
	names := make([]string, len(modes))
	for i, m := range modes {
		names[i] = m.name
	}
	return names
}()

// ModeHelp lists the modes for help text, each with its aliases:
// "table (or box, column), tsv (or tabs), csv, ...".
var ModeHelp = func() string {
	parts := make([]string, len(modes))
	for i, m := range modes {
		parts[i] = m.name
		if len(m.aliases) > 0 {
			parts[i] += " (or " + strings.Join(m.aliases, ", ") + ")"
		}
	}
	return strings.Join(parts, ", ")
}()

// ErrUnknownMode is returned by Lookup and NewWriter for a name that is
// neither a mode nor an alias.
var ErrUnknownMode = errors.New("unknown output mode")

// Lookup returns the mode called name (a mode or an alias, in any case):
// "box" is "table". An unknown name is an error naming it and listing the
// valid ones.
func Lookup(name string) (string, error) {
	i, err := lookup(name)
	if err != nil {
		return "", err
	}
	return modes[i].name, nil
}

// lookup returns the index in modes of the mode called name.
func lookup(name string) (int, error) {
	lower := strings.ToLower(name)
	for i, m := range modes {
		if m.name == lower || slices.Contains(m.aliases, lower) {
			return i, nil
		}
	}
	return 0, fmt.Errorf("%w %q (valid modes: %s)", ErrUnknownMode, name, ModeHelp)
}

// NewWriter returns the writer for f.Mode (a mode or an alias) writing
// one result to w, as the only result of its run, or Lookup's error.
func NewWriter(w io.Writer, f Format) (Writer, error) {
	return NewStream(false).Writer(w, f)
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

// WriteAll prints a whole result made in memory (a listing netsql makes
// itself) through w: Begin, every row, End.
func WriteAll(w Writer, columns []string, rows [][]any) error {
	if err := w.Begin(columns); err != nil {
		return err
	}
	for _, r := range rows {
		if err := w.Row(r); err != nil {
			return err
		}
	}
	return w.End()
}
