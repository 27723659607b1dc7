package output

import (
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/olekukonko/tablewriter/pkg/twwidth"
)

// measureRows is how many rows the table and markdown modes hold to size
// their columns; the rows after them are printed as they come, in those
// widths, so a result of any size is never held whole.
const measureRows = 1000

// minCellWidth is the narrowest a column is made to fit a terminal: three
// characters and the … of a shortened value.
const minCellWidth = 4

// tableWriter prints an aligned table in Unicode box lines, like sqlite3's
// .mode box:
//
//	┌───────┬────────────┐
//	│ proto │ local_port │
//	├───────┼────────────┤
//	│ tcp   │         22 │
//	└───────┴────────────┘
//
// Each column is as wide as its widest value among the first measureRows
// rows (or as .width sets it). On a terminal the columns are then narrowed
// to fit its width, and a longer value is shortened with … or, with
// Format.Wrap, wrapped onto more lines of its row; off a terminal nothing
// is shortened: a value longer than its column (a later row, a .width) is
// wrapped. A column whose non-NULL values are all numbers is right-aligned,
// header included. Values are shown with control characters escaped
// (displayText).
type tableWriter struct {
	w       io.Writer
	f       Format
	null    string
	columns []string   // the names, shown
	pending [][]string // rows held until the widths are fixed
	numeric numericColumns
	widths  []int // nil until fixed
	right   []bool
	buf     []byte
}

func newTableWriter(w io.Writer, f Format) *tableWriter {
	return &tableWriter{w: w, f: f, null: f.nullText("NULL")}
}

func (t *tableWriter) Begin(columns []string) error {
	t.columns = make([]string, len(columns))
	for i, name := range columns {
		t.columns[i] = displayText(name)
	}
	t.pending, t.widths, t.right = nil, nil, nil
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
	cells := make([]string, len(values))
	for i, v := range values {
		cells[i] = displayCell(v, t.null)
	}
	if t.widths != nil {
		t.buf = t.appendRow(t.buf[:0], cells)
		_, err := t.w.Write(t.buf)
		return err
	}
	t.numeric.add(values)
	t.pending = append(t.pending, cells)
	if len(t.pending) < measureRows {
		return nil
	}
	return t.start()
}

func (t *tableWriter) End() error {
	if len(t.columns) == 0 || t.widths == nil && len(t.pending) == 0 && !t.f.Headers {
		t.columns = nil
		return nil
	}
	if t.widths == nil {
		if err := t.start(); err != nil {
			return err
		}
	}
	t.buf = t.appendBorder(t.buf[:0], "└", "┴", "┘")
	t.columns, t.widths = nil, nil
	_, err := t.w.Write(t.buf)
	return err
}

// start fixes the widths from the rows held, and prints the top border,
// the header and those rows.
func (t *tableWriter) start() error {
	natural := make([]int, len(t.columns))
	for i, name := range t.columns {
		if t.f.Headers {
			natural[i] = twwidth.Width(name)
		}
	}
	for _, cells := range t.pending {
		for i, cell := range cells {
			natural[i] = max(natural[i], twwidth.Width(cell))
		}
	}
	total := 0 // off a terminal no width limits the table
	if t.f.Terminal {
		total = t.f.Width
	}
	t.widths = fitWidths(natural, t.f.Widths, total)
	t.right = make([]bool, len(t.columns))
	for i := range t.columns {
		t.right[i] = t.numeric.rightAligned(i)
		if i < len(t.f.Widths) && t.f.Widths[i] != 0 {
			t.right[i] = t.f.Widths[i] < 0
		}
	}
	b := t.appendBorder(t.buf[:0], "┌", "┬", "┐")
	if t.f.Headers {
		b = t.appendRow(b, t.columns)
		if len(t.pending) > 0 {
			b = t.appendBorder(b, "├", "┼", "┤")
		}
	}
	for _, cells := range t.pending {
		b = t.appendRow(b, cells)
	}
	t.buf, t.pending = b, nil
	_, err := t.w.Write(b)
	return err
}

// fitWidths returns each column's width: its natural width (at least 1), or
// the user's (.width, negative meaning right-aligned), and, when total is a
// terminal's width, the automatic columns narrowed so that a line of
// "│ cell │ cell │" fits in it: the narrow columns keep their width and the
// wide ones share what is left, none narrower than minCellWidth (a line may
// then be wider than total).
func fitWidths(natural, user []int, total int) []int {
	widths := make([]int, len(natural))
	var auto []int // indexes of the automatic columns, narrowest first
	room := total - 3*len(natural) - 1
	for i, n := range natural {
		if i < len(user) && user[i] != 0 {
			widths[i] = max(user[i], -user[i])
			room -= widths[i]
			continue
		}
		widths[i] = max(n, 1)
		auto = append(auto, i)
	}
	if total <= 0 {
		return widths
	}
	need := 0
	for _, i := range auto {
		need += widths[i]
	}
	if need <= room {
		return widths
	}
	// Narrowest first, so that each wide column's share counts what the
	// narrow ones left.
	slices.SortStableFunc(auto, func(a, b int) int { return widths[a] - widths[b] })
	for k, i := range auto {
		share := room / (len(auto) - k)
		w := min(widths[i], max(share, minCellWidth))
		widths[i] = w
		room -= w
	}
	return widths
}

// appendBorder appends a horizontal line of the box.
func (t *tableWriter) appendBorder(b []byte, left, middle, right string) []byte {
	b = append(b, left...)
	for i, w := range t.widths {
		if i > 0 {
			b = append(b, middle...)
		}
		for range w + 2 {
			b = append(b, "─"...)
		}
	}
	b = append(b, right...)
	return append(b, '\n')
}

// appendRow appends one row: one line, or more where a value is wrapped.
func (t *tableWriter) appendRow(b []byte, cells []string) []byte {
	wrap := t.f.Wrap || !t.f.Terminal
	lines := make([][]string, len(cells))
	height := 1
	for i, cell := range cells {
		lines[i] = fitCell(cell, t.widths[i], wrap)
		height = max(height, len(lines[i]))
	}
	for k := range height {
		b = append(b, "│"...)
		for i := range cells {
			text := ""
			if k < len(lines[i]) {
				text = lines[i][k]
			}
			pad := t.widths[i] - twwidth.Width(text)
			b = append(b, ' ')
			if t.right[i] {
				b = appendSpaces(b, pad)
				b = append(b, text...)
			} else {
				b = append(b, text...)
				b = appendSpaces(b, pad)
			}
			b = append(b, " │"...)
		}
		b = append(b, '\n')
	}
	return b
}

func appendSpaces(b []byte, n int) []byte {
	for range n {
		b = append(b, ' ')
	}
	return b
}

// fitCell returns the lines a value takes in a column width wide: the
// value itself when it fits; else, wrapping, as many lines as it needs (cut
// after a space where that keeps a word whole; no character is dropped), or,
// not wrapping, its start and …
func fitCell(s string, width int, wrap bool) []string {
	if twwidth.Width(s) <= width {
		return []string{s}
	}
	if !wrap {
		if width < 2 {
			return []string{"…"}
		}
		head, _ := cutWidth(s, width-1)
		return []string{head + "…"}
	}
	var lines []string
	for s != "" {
		head, rest := cutWidth(s, width)
		// Break after the last space instead, when the word cut would then
		// fit on a line of its own.
		if sp := strings.LastIndexByte(head, ' '); rest != "" && sp > 0 {
			next := head[sp+1:] + rest
			if end := strings.IndexByte(next, ' '); end >= 0 {
				next = next[:end]
			}
			if twwidth.Width(next) <= width {
				head, rest = head[:sp+1], head[sp+1:]+rest
			}
		}
		lines = append(lines, head)
		s = rest
	}
	return lines
}

// cutWidth splits s after the longest start that is at most width columns
// wide on a terminal, and at least one character, so a wrap always moves on.
func cutWidth(s string, width int) (head, rest string) {
	used := 0
	for i, r := range s {
		w := 1
		if r >= utf8.RuneSelf {
			w = twwidth.Width(string(r))
		}
		if used+w > width && i > 0 {
			return s[:i], s[i:]
		}
		used += w
	}
	return s, ""
}
