package output

import (
	"io"
	"strings"

	"github.com/olekukonko/tablewriter/pkg/twwidth"
)

// lineWriter prints each row as one "column = value" line per column, the names
// right-aligned to the widest, with a blank line between rows, like sqlite3's
// .mode line. It suits wide rows. Control characters in values are escaped as in
// the table mode so a value never spills onto the next line, and a backslash is
// written as \\, so that every line reads back to the value's exact bytes.
type lineWriter struct {
	w      io.Writer
	null   string
	names  []string // padded to the widest name, followed by " = "
	rows   int
	buffer strings.Builder
}

func newLineWriter(w io.Writer, f Format) *lineWriter {
	return &lineWriter{w: w, null: exactText(f.nullText("NULL"))}
}

func (l *lineWriter) Begin(columns []string) error {
	l.rows = 0
	widest := 0
	names := make([]string, len(columns))
	for i, name := range columns {
		names[i] = exactText(name)
		widest = max(widest, twwidth.Width(names[i]))
	}
	for i, name := range names {
		names[i] = strings.Repeat(" ", widest-twwidth.Width(name)) + name + " = "
	}
	l.names = names
	return nil
}

func (l *lineWriter) Row(values []any) error {
	if len(l.names) == 0 {
		return nil
	}
	if err := checkRowWidth(values, len(l.names)); err != nil {
		return err
	}
	l.buffer.Reset()
	if l.rows > 0 {
		l.buffer.WriteByte('\n')
	}
	l.rows++
	for i, v := range values {
		l.buffer.WriteString(l.names[i])
		if v == nil {
			l.buffer.WriteString(l.null)
		} else {
			l.buffer.WriteString(exactText(rawText(v)))
		}
		l.buffer.WriteByte('\n')
	}
	_, err := io.WriteString(l.w, l.buffer.String())
	return err
}

func (l *lineWriter) End() error { return nil }
