package kernel

// Parser for /proc/net/unix, printed by the kernel's unix_seq_show as
// "%pK: %08X %08X %08X %04X %02X %5lu" and, for a bound socket, one space and
// the raw name bytes. Names are not escaped, so a name may hold spaces or
// newlines; a newline shows up as a line that does not start with a pointer.

import (
	"bytes"
)

// unixSocketLine is one row of /proc/net/unix.
type unixSocketLine struct {
	RefCount uint32 // hex
	Flags    uint32 // hex; 0x10000 (__SO_ACCEPTCON) marks a listener
	Type     uint16 // 1 stream, 2 dgram, 5 seqpacket (hex)
	State    uint8  // 1 unconnected, 2 connecting, 3 connected, 4 disconnecting (hex)
	Inode    uint64 // decimal, right-aligned with leading spaces in the file
	Path     string // "" when unbound; abstract names start with '@' as the kernel prints them
}

// ParseUnixSockets parses the text of /proc/net/unix. A line that does not
// have the kernel's fixed layout (a pointer, then refcount, protocol,
// flags, type, state and inode) continues the path of the row before it:
// the name held a newline. So a name cannot fail the table, and cannot add
// a row unless it copies the layout exactly, which no reader of this text
// can tell apart (netlink, the live source, is exact). A blank line does the
// same after a bound row and is skipped otherwise.
func ParseUnixSockets(data []byte) ([]unixSocketLine, error) {
	if len(data) == 0 {
		return nil, nil
	}
	rows := make([]unixSocketLine, 0, bytes.Count(data, []byte{'\n'})+1)
	lines := ProcnetLines{data: data}
	seenHeader := false
	lastBound := false // whether the last row printed a name, so a blank line is part of it
	for {
		line, ok := lines.Next()
		if !ok {
			break
		}
		blank := len(bytes.Trim(line, " \t")) == 0
		if blank && !lastBound {
			continue
		}
		if !seenHeader && !blank {
			seenHeader = true
			if bytes.HasPrefix(bytes.TrimLeft(line, " \t"), []byte("Num ")) {
				continue
			}
		}
		var row unixSocketLine
		var bound bool
		err := LineErrorf(lines.num, "path continuation %q before any socket row", ProcnetClip(line))
		if unixHasPointer(line) {
			row, bound, err = parseUnixSocketLine(line, lines.num)
		}
		if err != nil {
			if len(rows) == 0 {
				return nil, err // the first row: a damaged file, not a name
			}
			last := &rows[len(rows)-1]
			last.Path += "\n" + string(line)
			lastBound = true
			continue
		}
		rows = append(rows, row)
		lastBound = bound
	}
	return rows, nil
}

// unixHasPointer reports whether line starts with a %pK kernel pointer and
// its colon: 16 hex digits on 64-bit kernels, 8 on 32-bit ones. Demanding
// the full width keeps path text like "cafe: x" a continuation.
func unixHasPointer(line []byte) bool {
	colon := bytes.IndexByte(line, ':')
	if colon != 16 && colon != 8 {
		return false
	}
	_, ok := ProcnetHex(line[:colon], 64)
	return ok
}

// parseUnixSocketLine decodes one row that starts with a pointer; bound
// reports whether the kernel printed a name after the inode.
func parseUnixSocketLine(line []byte, lineNum int) (row unixSocketLine, bound bool, err error) {
	rest := line[bytes.IndexByte(line, ':')+1:]
	next := func() []byte {
		rest = bytes.TrimLeft(rest, " ")
		end := bytes.IndexByte(rest, ' ')
		if end < 0 {
			end = len(rest)
		}
		field := rest[:end]
		rest = rest[end:]
		return field
	}
	field := next()
	refCount, ok := ProcnetHex(field, 32)
	if !ok {
		return row, false, unixFieldError(lineNum, "refcount", field)
	}
	row.RefCount = uint32(refCount)
	// The Protocol column is always 0; it is checked but not kept.
	if field = next(); !unixValidHex(field, 32) {
		return row, false, unixFieldError(lineNum, "protocol", field)
	}
	field = next()
	flags, ok := ProcnetHex(field, 32)
	if !ok {
		return row, false, unixFieldError(lineNum, "flags", field)
	}
	row.Flags = uint32(flags)
	field = next()
	socketType, ok := ProcnetHex(field, 16)
	if !ok {
		return row, false, unixFieldError(lineNum, "type", field)
	}
	row.Type = uint16(socketType)
	field = next()
	state, ok := ProcnetHex(field, 8)
	if !ok {
		return row, false, unixFieldError(lineNum, "state", field)
	}
	row.State = uint8(state)
	field = next()
	if row.Inode, ok = ProcnetDec(field, 64); !ok {
		return row, false, unixFieldError(lineNum, "inode", field)
	}
	// rest is now empty (unbound) or one space and the name, kept byte for
	// byte: leading and trailing spaces are part of it.
	if len(rest) == 0 {
		return row, false, nil
	}
	row.Path = string(rest[1:])
	return row, true, nil
}

// unixValidHex reports whether field is a hex number of bitSize bits.
func unixValidHex(field []byte, bitSize uint) bool {
	_, ok := ProcnetHex(field, bitSize)
	return ok
}

// unixFieldError reports a bad column of a /proc/net/unix row; an empty
// field means the line ended before it.
func unixFieldError(lineNum int, column string, field []byte) error {
	if len(field) == 0 {
		return LineErrorf(lineNum, "row: %s column missing", column)
	}
	return LineErrorf(lineNum, "%s %q", column, ProcnetClip(field))
}
