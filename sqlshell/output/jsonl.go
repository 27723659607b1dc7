package output

import "io"

// jsonlWriter prints one JSON object per row, one per line (JSON Lines), with
// the value and key rules of the json mode and nothing before or after.
type jsonlWriter struct {
	w    io.Writer
	keys [][]byte
	line []byte
}

func newJSONLWriter(w io.Writer) *jsonlWriter {
	return &jsonlWriter{w: w}
}

func (j *jsonlWriter) Begin(columns []string) error {
	j.keys = jsonKeys(columns)
	return nil
}

func (j *jsonlWriter) Row(values []any) error {
	if len(j.keys) == 0 {
		return nil
	}
	if err := checkRowWidth(values, len(j.keys)); err != nil {
		return err
	}
	j.line = appendJSONObject(j.line[:0], j.keys, values)
	j.line = append(j.line, '\n')
	_, err := j.w.Write(j.line)
	return err
}

func (j *jsonlWriter) End() error { return nil }
