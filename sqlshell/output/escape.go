package output

import (
	"unicode/utf8"
)

// Values are hostile (ARCHITECTURE.md, "Output"): a process name, a command
// line or a unix socket path is chosen by whoever runs the process, and may
// hold escape sequences that would drive the terminal, line breaks that would
// forge rows, or bytes that are not UTF-8. The text modes write such bytes as
// escapes; every escape \xNN stands for one byte of the value.

const hexDigits = "0123456789abcdef"

// unsafeRune reports whether r, a valid non-ASCII character, is one a
// terminal may act on or one that hides the order of the text around it:
// the C1 controls (U+009B is CSI, U+009D is OSC), the line and paragraph
// separators, and the bidirectional controls that can make a name read
// backwards.
func unsafeRune(r rune) bool {
	switch {
	case r >= 0x80 && r <= 0x9f, r == 0x2028, r == 0x2029:
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

// needsEscape reports whether appendEscaped would change s.
func needsEscape(s string, backslash bool) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f || backslash && c == '\\' {
				return true
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || unsafeRune(r) {
			return true
		}
		i += size
	}
	return false
}

// appendEscaped appends s with every byte a terminal could act on escaped:
// tab, newline and carriage return as \t \n \r, the other C0 controls and
// DEL as \xNN, and each byte of an invalid UTF-8 sequence or of an unsafe
// character (unsafeRune) as \xNN. With backslash set, \ itself is written
// as \\, so that the text reads back to the same bytes.
func appendEscaped(dst []byte, s string, backslash bool) []byte {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		size := 1
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != 0x7f && (c != '\\' || !backslash) {
				i++
				continue
			}
		} else {
			var r rune
			r, size = utf8.DecodeRuneInString(s[i:])
			if !(r == utf8.RuneError && size == 1) && !unsafeRune(r) {
				i += size
				continue
			}
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '\t':
			dst = append(dst, '\\', 't')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\\':
			dst = append(dst, '\\', '\\')
		default:
			for _, b := range []byte(s[i : i+size]) {
				dst = append(dst, '\\', 'x', hexDigits[b>>4], hexDigits[b&0xf])
			}
		}
		i += size
		start = i
	}
	return append(dst, s[start:]...)
}

// displayText makes s safe to show on a terminal and in an aligned layout
// (table, markdown): control characters, unsafe characters and bytes that
// are not UTF-8 are escaped (appendEscaped); a backslash is left as it is.
func displayText(s string) string {
	if !needsEscape(s, false) {
		return s
	}
	return string(appendEscaped(make([]byte, 0, len(s)+8), s, false))
}

// exactText is displayText that also writes \ as \\, so that the text
// reads back unambiguously (the line mode, and tsv on a terminal).
func exactText(s string) string {
	if !needsEscape(s, true) {
		return s
	}
	return string(appendEscaped(make([]byte, 0, len(s)+8), s, true))
}

// displayCell is the text of v in the aligned modes (table, markdown).
func displayCell(v any, null string) string {
	if v == nil {
		return displayText(null)
	}
	return displayText(rawText(v))
}

// appendJSONString writes s as a JSON string. Quotes, backslashes and
// control characters are escaped as JSON requires (DEL, the C1 controls, the
// line separators and the bidirectional controls too, as \uXXXX, so JSON on a
// terminal is safe). A byte that is not part of valid UTF-8 is written as
// the lone surrogate \udcXX, XX being the byte, as Python's surrogateescape
// does: two different invalid bytes stay different, and no valid UTF-8 text
// can produce such an escape, so the bytes can be read back. HTML characters
// are left alone (encoding/json would write < as \u003c).
func appendJSONString(dst []byte, s string) []byte {
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
		case unsafeRune(r):
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
