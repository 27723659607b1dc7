package output

import (
	"io"
	"slices"
)

// A Stream prints the results of one run — the statements of a command
// line, a file or one input at the prompt — to one destination, and keeps
// what those results share there:
//
//   - tsv and csv print a result's header only when its columns differ from
//     the last header printed;
//   - json makes one document of the run: a single result is an array of
//     rows, and a run of several statements (several) is an array holding
//     one array of rows per result, closed by Close.
//
// A result in another mode than the one before, or with other separators,
// ends the document so far (and prints its header again).
// A stream of a single result needs no Close.
type Stream struct {
	several bool
	mode    string    // the mode of the results printed so far
	seps    [2]string // and their separators (Format.Separator, RowSeparator)
	open    bool      // json: the outer array of a run of several results is open
	header  []string  // tsv, csv: the columns of the last header printed
}

// NewStream returns the stream of a run; several says the run may print
// more than one result.
func NewStream(several bool) *Stream {
	return &Stream{several: several}
}

// Writer returns the writer of the run's next result, printed to w in the
// format f (the writer's mode may be an alias).
func (s *Stream) Writer(w io.Writer, f Format) (Writer, error) {
	i, err := lookup(f.Mode)
	if err != nil {
		return nil, err
	}
	if f.Separator != "" || f.RowSeparator != "" {
		if err := CheckSeparators(modes[i].name, f.Separator, f.RowSeparator); err != nil {
			return nil, err
		}
	}
	if mode, seps := modes[i].name, [2]string{f.Separator, f.RowSeparator}; mode != s.mode || seps != s.seps {
		if err := s.Close(w); err != nil {
			return nil, err
		}
		s.mode, s.seps = mode, seps
	}
	return modes[i].open(w, f, s), nil
}

// Close ends the run's document: the outer array of several JSON results.
func (s *Stream) Close(w io.Writer) error {
	s.header = nil
	if !s.open {
		return nil
	}
	s.open = false
	_, err := io.WriteString(w, "\n]\n")
	return err
}

// needsHeader tells a tsv or csv result with these columns whether to
// print its header, and remembers it as printed.
func (s *Stream) needsHeader(headers bool, columns []string) bool {
	if !headers {
		s.header = nil // turned back on, headers start again
		return false
	}
	if s.header != nil && slices.Equal(s.header, columns) {
		return false
	}
	s.header = slices.Clone(columns)
	return true
}
