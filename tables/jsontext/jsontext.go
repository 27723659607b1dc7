// Package jsontext writes text as JSON strings that lose nothing and are
// safe on a terminal. Values are hostile (ARCHITECTURE.md, "Output"): a
// process name or a unix socket path is chosen by whoever runs the process
// and may hold escape sequences, line breaks or bytes that are not UTF-8.
// The query output modes (sqlshell/output) and --diff's JSON
// (tables/moment) write strings the same way through it.
package jsontext

import "unicode/utf8"

const hexDigits = "0123456789abcdef"

// UnsafeRune reports whether r, a valid non-ASCII character, is one a
// terminal may act on or one that hides the order of the text around it:
// the C1 controls (U+009B is CSI, U+009D is OSC), the line and paragraph
// separators, and the bidirectional controls that can make a name read
// backwards.
func UnsafeRune(r rune) bool {
	switch {
	case r >= 0x80 && r <= 0x9f, r == 0x2028, r == 0x2029:
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

// AppendString writes s as a JSON string. Quotes, backslashes and
// control characters are escaped as JSON requires (DEL, the C1 controls, the
// line separators and the bidirectional controls too, as \uXXXX, so JSON on a
// terminal is safe). A byte that is not part of valid UTF-8 is written as
// the lone surrogate \udcXX, XX being the byte, as Python's surrogateescape
// does: two different invalid bytes stay different, and no valid UTF-8 text
// can produce such an escape, so the bytes can be read back. HTML characters
// are left alone (encoding/json would write < as \u003c).
func AppendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != 0x7f {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', 'd', 'c', hexDigits[c>>4], hexDigits[c&0xf])
		case UnsafeRune(r):
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u',
				hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
