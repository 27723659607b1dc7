package kernel

import (
	"errors"
	"fmt"
)

// ErrMalformed marks kernel text that could not be parsed; the error names
// the file and line.
var ErrMalformed = errors.New("malformed")

// LineErrorf reports a malformed line of a kernel file; the caller that
// knows the path prefixes it (see FileError).
func LineErrorf(line int, format string, args ...any) error {
	return fmt.Errorf("line %d: %w %s", line, ErrMalformed, fmt.Sprintf(format, args...))
}

// FileError prefixes an error from a parser with the file it came from,
// giving messages like `/proc/net/tcp line 3: malformed local address "zz"`.
func FileError(path string, err error) error {
	return fmt.Errorf("%s %w", path, err)
}
