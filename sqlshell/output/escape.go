package output

import (
	"unicode/utf8"

	"netsql/tables/jsontext"
)

// Values are hostile (ARCHITECTURE.md, "Output"): a process name, a command
// line or a unix socket path is chosen by whoever runs the process, and may
// hold escape sequences that would drive the terminal, line breaks that would
// forge rows, or bytes that are not UTF-8. The text modes write such bytes as
// escapes; every escape \xNN stands for one byte of the value.

const hexDigits = "0123456789abcdef"

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
		if r == utf8.RuneError && size == 1 || jsontext.UnsafeRune(r) {
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
			if !(r == utf8.RuneError && size == 1) && !jsontext.UnsafeRune(r) {
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
