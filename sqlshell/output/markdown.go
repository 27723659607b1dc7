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
// A column whose non-NULL values are all numbers gets the right-alignment marker;
// both that and the widths are taken from the first measureRows rows, which are
// held until then; later rows are printed as they come, a longer value simply
// widening its own line. Pipes in values are escaped as \|, line breaks become
// <br>, other control characters are escaped as in the table mode. tablewriter's
// Markdown renderer is not used: it marks every column with a colon (|:----|) and
// pads differently.
//
// Without headers the header row is left blank, since a Markdown table needs one;
// a result without headers and without rows prints nothing, as in the table mode.
type markdownWriter struct {
	w       io.Writer
	headers bool
	null    string
	columns []string
	pending [][]string // rows held until the widths are fixed
	numeric numericColumns
	widths  []int // nil until fixed
	right   []bool
	b       strings.Builder
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
	m.pending, m.widths, m.right = nil, nil, nil
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
	cells := make([]string, len(values))
	for i, v := range values {
		if v == nil {
			cells[i] = m.null
		} else {
			cells[i] = markdownText(rawText(v))
		}
	}
	if m.widths != nil {
		m.b.Reset()
		m.writeLine(cells)
		_, err := io.WriteString(m.w, m.b.String())
		return err
	}
	m.numeric.add(values)
	m.pending = append(m.pending, cells)
	if len(m.pending) < measureRows {
		return nil
	}
	return m.start()
}

func (m *markdownWriter) End() error {
	defer func() { m.columns, m.widths, m.pending = nil, nil, nil }()
	if len(m.columns) == 0 || m.widths != nil || len(m.pending) == 0 && !m.headers {
		return nil
	}
	return m.start()
}

// start fixes the widths and alignments from the rows held, and prints the
// header, the alignment line and those rows.
func (m *markdownWriter) start() error {
	m.widths = make([]int, len(m.columns))
	m.right = make([]bool, len(m.columns))
	for i, name := range m.columns {
		m.widths[i] = max(1, twwidth.Width(name))
		m.right[i] = m.numeric.rightAligned(i)
	}
	for _, cells := range m.pending {
		for i, cell := range cells {
			m.widths[i] = max(m.widths[i], twwidth.Width(cell))
		}
	}
	m.b.Reset()
	m.writeLine(m.columns)
	m.b.WriteByte('|')
	for i, width := range m.widths {
		if m.right[i] {
			m.b.WriteString(strings.Repeat("-", width+1))
			m.b.WriteByte(':')
		} else {
			m.b.WriteString(strings.Repeat("-", width+2))
		}
		m.b.WriteByte('|')
	}
	m.b.WriteByte('\n')
	for _, cells := range m.pending {
		m.writeLine(cells)
	}
	m.pending = nil
	_, err := io.WriteString(m.w, m.b.String())
	return err
}

// writeLine adds one line of cells, padded to the widths, to m.b.
func (m *markdownWriter) writeLine(cells []string) {
	m.b.WriteByte('|')
	for i, cell := range cells {
		m.b.WriteByte(' ')
		pad := strings.Repeat(" ", max(0, m.widths[i]-twwidth.Width(cell)))
		if m.right[i] {
			m.b.WriteString(pad)
			m.b.WriteString(cell)
		} else {
			m.b.WriteString(cell)
			m.b.WriteString(pad)
		}
		m.b.WriteString(" |")
	}
	m.b.WriteByte('\n')
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
