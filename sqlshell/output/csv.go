package output

import (
	"bytes"
	"encoding/csv"
	"io"
	"unicode/utf8"
)

// csvWriter prints RFC 4180 comma-separated values through encoding/csv (a field
// is quoted when it holds a comma, a quote, a line break or leading space), lines
// ending in "\n", one row handed on as it comes, after a header line unless the
// run's previous result had the same columns. NULL is an empty field unless the
// user chose a text. Bytes that are not UTF-8 are written as they are, except on a
// terminal, where a field is shown as the table mode shows it (displayText: control
// characters and bytes that are not UTF-8 escaped) before it is quoted.
// .separator may choose another field separator (one character) and CRLF
// line ends (CheckSeparators).
type csvWriter struct {
	w        io.Writer
	headers  bool
	null     string
	terminal bool
	stream   *Stream // the run's, which says whether the header is new
	columns  int
	buf      bytes.Buffer
	enc      *csv.Writer
	record   []string
}

func newCSVWriter(w io.Writer, f Format, s *Stream) *csvWriter {
	c := &csvWriter{w: w, headers: f.Headers, null: f.nullText(""), terminal: f.Terminal, stream: s}
	c.enc = csv.NewWriter(&c.buf)
	if f.Separator != "" {
		c.enc.Comma, _ = utf8.DecodeRuneInString(f.Separator)
	}
	c.enc.UseCRLF = f.RowSeparator == "\r\n"
	return c
}

func (c *csvWriter) Begin(columns []string) error {
	c.columns = len(columns)
	if len(columns) == 0 || !c.stream.needsHeader(c.headers, columns) {
		return nil
	}
	return c.write(columns)
}

func (c *csvWriter) Row(values []any) error {
	if c.columns == 0 {
		return nil
	}
	if err := checkRowWidth(values, c.columns); err != nil {
		return err
	}
	c.record = c.record[:0]
	for _, v := range values {
		if v == nil {
			c.record = append(c.record, c.null)
		} else {
			c.record = append(c.record, rawText(v))
		}
	}
	return c.write(c.record)
}

func (c *csvWriter) End() error { return nil }

// write encodes one record and hands the line to the output in one Write.
func (c *csvWriter) write(record []string) error {
	if c.terminal {
		shown := make([]string, len(record))
		for i, field := range record {
			shown[i] = displayText(field)
		}
		record = shown
	}
	c.buf.Reset()
	if len(record) == 1 && record[0] == "" {
		// encoding/csv writes a lone empty field as an empty line, which readers skip.
		c.buf.WriteString("\"\"")
		if c.enc.UseCRLF {
			c.buf.WriteByte('\r')
		}
		c.buf.WriteByte('\n')
	} else {
		if err := c.enc.Write(record); err != nil {
			return err
		}
		c.enc.Flush()
		if err := c.enc.Error(); err != nil {
			return err
		}
	}
	_, err := c.w.Write(c.buf.Bytes())
	return err
}
