package output

import "io"

// tsvWriter prints tab-separated lines, one per row as it comes, after a header
// line unless the run's previous result had the same columns. Inside a value
// backslash, tab, newline and carriage return are written as \\ \t \n \r, so every
// row stays on one line and any byte string reads back exactly (bytes that are not
// UTF-8 are written as they are). NULL is an empty field unless the user chose a text.
// On a terminal the other control characters and the bytes that are not UTF-8 are
// escaped as well, as \xNN (appendEscaped), so none reaches the terminal.
// .separator replaces the tab between fields and the newline after a row; the
// escapes stay those of tsv.
type tsvWriter struct {
	w           io.Writer
	headers     bool
	null        string
	sep, rowSep string
	terminal    bool
	stream      *Stream // the run's, which says whether the header is new
	columns     int
	line        []byte
}

func newTSVWriter(w io.Writer, f Format, s *Stream) *tsvWriter {
	t := &tsvWriter{w: w, headers: f.Headers, null: f.nullText(""), sep: f.Separator, rowSep: f.RowSeparator,
		terminal: f.Terminal, stream: s}
	if t.sep == "" {
		t.sep = "\t"
	}
	if t.rowSep == "" {
		t.rowSep = "\n"
	}
	return t
}

func (t *tsvWriter) Begin(columns []string) error {
	t.columns = len(columns)
	if len(columns) == 0 || !t.stream.needsHeader(t.headers, columns) {
		return nil
	}
	t.line = t.line[:0]
	for i, name := range columns {
		if i > 0 {
			t.line = append(t.line, t.sep...)
		}
		t.line = t.appendField(t.line, name)
	}
	t.line = append(t.line, t.rowSep...)
	_, err := t.w.Write(t.line)
	return err
}

func (t *tsvWriter) Row(values []any) error {
	if t.columns == 0 {
		return nil
	}
	if err := checkRowWidth(values, t.columns); err != nil {
		return err
	}
	t.line = t.line[:0]
	for i, v := range values {
		if i > 0 {
			t.line = append(t.line, t.sep...)
		}
		if v == nil {
			t.line = t.appendField(t.line, t.null)
		} else {
			t.line = t.appendField(t.line, rawText(v))
		}
	}
	t.line = append(t.line, t.rowSep...)
	_, err := t.w.Write(t.line)
	return err
}

func (t *tsvWriter) End() error { return nil }

// appendField writes one field, escaped for a file or for a terminal.
func (t *tsvWriter) appendField(dst []byte, s string) []byte {
	if t.terminal {
		return appendEscaped(dst, s, true)
	}
	return appendTSVField(dst, s)
}

// appendTSVField writes s with backslash, tab, newline and carriage return escaped.
func appendTSVField(dst []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); i++ {
		var esc byte
		switch s[i] {
		case '\\':
			esc = '\\'
		case '\t':
			esc = 't'
		case '\n':
			esc = 'n'
		case '\r':
			esc = 'r'
		default:
			continue
		}
		dst = append(dst, s[start:i]...)
		dst = append(dst, '\\', esc)
		start = i + 1
	}
	return append(dst, s[start:]...)
}
