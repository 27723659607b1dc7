package output

import (
	"io"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// tableWriter prints an aligned table in Unicode box lines, like sqlite3's
// .mode box:
//
//	┌───────┬────────────┐
//	│ proto │ local_port │
//	├───────┼────────────┤
//	│ tcp   │         22 │
//	└───────┴────────────┘
//
// tablewriter's streaming mode sizes columns from the first rows and truncates
// later values, so the rows are kept and the table is drawn at End. A column
// whose non-NULL values are all numbers is right-aligned, header included.
// Values are shown exactly, with control characters escaped (\t, \n).
type tableWriter struct {
	w       io.Writer
	headers bool
	null    string
	columns []string
	rows    [][]string
	numeric numericColumns
}

func newTableWriter(w io.Writer, f Format) *tableWriter {
	return &tableWriter{w: w, headers: f.Headers, null: f.nullText("NULL")}
}

func (t *tableWriter) Begin(columns []string) error {
	t.columns = make([]string, len(columns))
	for i, name := range columns {
		t.columns[i] = displayText(name)
	}
	t.rows = nil
	t.numeric = newNumericColumns(len(columns))
	return nil
}

func (t *tableWriter) Row(values []any) error {
	if len(t.columns) == 0 {
		return nil
	}
	if err := checkRowWidth(values, len(t.columns)); err != nil {
		return err
	}
	t.numeric.add(values)
	cells := make([]string, len(values))
	for i, v := range values {
		cells[i] = displayCell(v, t.null)
	}
	t.rows = append(t.rows, cells)
	return nil
}

func (t *tableWriter) End() error {
	columns, rows := t.columns, t.rows
	t.columns, t.rows = nil, nil
	if len(columns) == 0 || len(rows) == 0 && !t.headers {
		return nil
	}
	align := make(tw.Alignment, len(columns))
	for i := range columns {
		align[i] = tw.AlignLeft
		if t.numeric.rightAligned(i) {
			align[i] = tw.AlignRight
		}
	}
	table := tablewriter.NewTable(t.w,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Symbols: tw.NewSymbols(tw.StyleLight),
		})),
		// Cell merging is off by default; its setters are deprecated, so they are not repeated here.
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAutoFormat(tw.Off),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithTrimSpace(tw.Off),
		tablewriter.WithTrimTab(tw.Off),
		tablewriter.WithTrimLine(tw.Off),
		tablewriter.WithAlignment(align),
	)
	if t.headers {
		table.Header(columns)
	}
	for _, cells := range rows {
		if err := table.Append(cells); err != nil {
			return err
		}
	}
	return table.Render()
}
