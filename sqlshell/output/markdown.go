package output

import (
	"io"
	"strings"

	"github.com/olekukonko/tablewriter/pkg/twwidth"
)

// markdownWriter prints a GitHub-flavoured Markdown table, padded so the source
// lines up too:
//
//	| proto | local_port |
//	|-------|-----------:|
//	| tcp   |         22 |
//
// A column whose non-NULL values are all numbers gets the right-alignment marker,
// which is known only once every row is in, so rows are kept until End. Pipes in
// values are escaped as \|, line breaks become <br>, other control characters are
// escaped as in the table mode. tablewriter's Markdown renderer is not used: it
// marks every column with a colon (|:----|) and pads differently.
//
// Without headers the header row is left blank, since a Markdown table needs one;
// a result without headers and without rows prints nothing, as in the table mode.
type markdownWriter struct {
	w       io.Writer
	headers bool
	null    string
	columns []string
	rows    [][]string
	numeric numericColumns
}

func newMarkdownWriter(w io.Writer, f Format) *markdownWriter {
	return &markdownWriter{w: w, headers: f.Headers, null: markdownText(f.nullText("NULL"))}
}

func (m *markdownWriter) Begin(columns []string) error {
	m.columns = make([]string, len(columns))
	for i, name := range columns {
		if m.headers {
			m.columns[i] = markdownText(name)
		}
	}
	m.rows = nil
	m.numeric = newNumericColumns(len(columns))
	return nil
}

func (m *markdownWriter) Row(values []any) error {
	if len(m.columns) == 0 {
		return nil
	}
	if err := checkRowWidth(values, len(m.columns)); err != nil {
		return err
	}
	m.numeric.add(values)
	cells := make([]string, len(values))
	for i, v := range values {
		if v == nil {
			cells[i] = m.null
		} else {
			cells[i] = markdownText(rawText(v))
		}
	}
	m.rows = append(m.rows, cells)
	return nil
}

func (m *markdownWriter) End() error {
	columns, rows := m.columns, m.rows
	m.columns, m.rows = nil, nil
	if len(columns) == 0 || len(rows) == 0 && !m.headers {
		return nil
	}
	widths := make([]int, len(columns))
	right := make([]bool, len(columns))
	for i, name := range columns {
		widths[i] = max(1, twwidth.Width(name))
		right[i] = m.numeric.rightAligned(i)
	}
	for _, cells := range rows {
		for i, cell := range cells {
			widths[i] = max(widths[i], twwidth.Width(cell))
		}
	}
	var b strings.Builder
	writeLine := func(cells []string) {
		b.WriteByte('|')
		for i, cell := range cells {
			b.WriteByte(' ')
			pad := strings.Repeat(" ", widths[i]-twwidth.Width(cell))
			if right[i] {
				b.WriteString(pad)
				b.WriteString(cell)
			} else {
				b.WriteString(cell)
				b.WriteString(pad)
			}
			b.WriteString(" |")
		}
		b.WriteByte('\n')
	}
	writeLine(columns)
	b.WriteByte('|')
	for i, width := range widths {
		if right[i] {
			b.WriteString(strings.Repeat("-", width+1))
			b.WriteByte(':')
		} else {
			b.WriteString(strings.Repeat("-", width+2))
		}
		b.WriteByte('|')
	}
	b.WriteByte('\n')
	for _, cells := range rows {
		writeLine(cells)
	}
	_, err := io.WriteString(m.w, b.String())
	return err
}

// markdownText escapes s for a Markdown table cell: pipes as \|, line breaks
// (\n, \r\n) as <br>, and other control characters as displayText does.
func markdownText(s string) string {
	if strings.ContainsAny(s, "|\n") {
		s = strings.ReplaceAll(s, "|", `\|`)
		s = strings.ReplaceAll(s, "\r\n", "<br>")
		s = strings.ReplaceAll(s, "\n", "<br>")
	}
	return displayText(s)
}
