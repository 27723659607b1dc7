package kernel

// Parsers for the inet socket files of /proc/net: tcp, tcp6, udp, udp6,
// udplite, udplite6, raw, raw6, icmp and icmp6. They share one layout,
// printed by the kernel's tcp4_seq_show, udp4_format_sock, raw_sock_seq_show
// and ping_v4_format_sock (and their IPv6 twins). The file also holds the
// small helpers the other /proc/net socket parsers use.

import (
	"bytes"
	"encoding/binary"
	"iter"
	"net/netip"
)

// inetSocketLine is one row of /proc/net/{tcp,tcp6,udp,udp6,udplite,udplite6,raw,raw6,icmp,icmp6}.
type inetSocketLine struct {
	Local, Remote netip.AddrPort // IPv4 addresses from the v4 files; IPv6 from the *6 files, IPv4-mapped (::ffff:a.b.c.d) kept as the kernel holds them (do not Unmap)
	State         uint8          // the kernel's st code (hex in the file)
	TxQueue       uint64         // tx_queue (hex)
	RxQueue       uint64         // rx_queue (hex)
	Timer         uint8          // tr: 0 none, 1 retransmit, 2 keepalive, 3 TIME_WAIT, 4 zero-window probe
	TimerTicks    uint64         // tm->when in USER_HZ (100 Hz) ticks (hex); a value >= 1<<63 counts as 0
	Retransmits   uint64         // retrnsmt (hex)
	UID           uint32         // decimal
	Inode         uint64         // decimal; 0 for TIME_WAIT and SYN_RECV rows
	Drops         int64          // the trailing drops column of udp/raw/icmp files; -1 when the file has none (tcp) or the line lacks it
}

// Field positions in an inet socket line; inetMinFields is what a TIME_WAIT
// row (which stops after "inode refcnt pointer") is sure to have.
const (
	inetFieldLocal    = 1
	inetFieldRemote   = 2
	inetFieldState    = 3
	inetFieldQueues   = 4
	inetFieldTimer    = 5
	inetFieldRetrans  = 6
	inetFieldUID      = 7
	inetFieldTimeout  = 8
	inetFieldInode    = 9
	inetFieldDrops    = 12
	inetMinFields     = 10
	inetWantedFields  = inetFieldDrops + 1
	inetTicksNegative = uint64(1) << 63
)

// ParseInetSockets parses the text of one of those files. ipv6 selects the 32-hex-digit address form;
// withDrops says the file is a udp/udplite/raw/icmp file whose 13th field is drops.
func ParseInetSockets(data []byte, ipv6, withDrops bool) ([]inetSocketLine, error) {
	return parseSocketTable(data, "sl", inetWantedFields, inetMinFields, func(fields [][]byte, line int) (inetSocketLine, error) {
		return parseInetSocketFields(fields, withDrops && len(fields) > inetFieldDrops, ipv6, line)
	})
}

// parseSocketTable is the loop of the /proc/net socket tables (tcp, udp,
// raw, netlink, packet ...): an optional header line whose first field is
// header, then one socket a line, each split into at most maxFields fields
// and decoded by row; a line with fewer than minFields is an error. One
// row a line at most, so one allocation even for 100,000 sockets.
func parseSocketTable[T any](data []byte, header string, maxFields, minFields int, row func(fields [][]byte, line int) (T, error)) ([]T, error) {
	if len(data) == 0 {
		return nil, nil
	}
	rows := make([]T, 0, bytes.Count(data, []byte{'\n'})+1)
	fieldBuf := make([][]byte, 0, maxFields)
	lines := ProcnetLines{data: data}
	seenHeader := false
	for {
		line, ok := lines.Next()
		if !ok {
			return rows, nil
		}
		fields := procnetFields(line, fieldBuf[:0])
		if len(fields) == 0 {
			continue
		}
		if !seenHeader {
			seenHeader = true
			if string(fields[0]) == header {
				continue
			}
		}
		if len(fields) < minFields {
			return nil, LineErrorf(lines.num, "too few fields (%d)", len(fields))
		}
		r, err := row(fields, lines.num)
		if err != nil {
			return nil, err
		}
		rows = append(rows, r)
	}
}

// parseInetSocketFields decodes the fields of one line; sl (field 0) and
// everything after the inode except drops is ignored.
func parseInetSocketFields(fields [][]byte, hasDrops, ipv6 bool, lineNum int) (inetSocketLine, error) {
	var row inetSocketLine
	var ok bool
	if row.Local, ok = parseInetAddrPort(fields[inetFieldLocal], ipv6); !ok {
		return row, LineErrorf(lineNum, "local address %q", ProcnetClip(fields[inetFieldLocal]))
	}
	if row.Remote, ok = parseInetAddrPort(fields[inetFieldRemote], ipv6); !ok {
		return row, LineErrorf(lineNum, "remote address %q", ProcnetClip(fields[inetFieldRemote]))
	}
	state, ok := ProcnetHex(fields[inetFieldState], 8)
	if !ok {
		return row, LineErrorf(lineNum, "state %q", ProcnetClip(fields[inetFieldState]))
	}
	row.State = uint8(state)
	if row.TxQueue, row.RxQueue, ok = ProcnetHexPair(fields[inetFieldQueues], 64, 64); !ok {
		return row, LineErrorf(lineNum, "tx_queue:rx_queue %q", ProcnetClip(fields[inetFieldQueues]))
	}
	timer, ticks, ok := ProcnetHexPair(fields[inetFieldTimer], 8, 64)
	if !ok {
		return row, LineErrorf(lineNum, "tr:tm->when %q", ProcnetClip(fields[inetFieldTimer]))
	}
	row.Timer = uint8(timer)
	// tm->when is a signed clock_t printed with %lX: an expired timer shows
	// as a huge number, which means "due now".
	if ticks < inetTicksNegative {
		row.TimerTicks = ticks
	}
	if row.Retransmits, ok = ProcnetHex(fields[inetFieldRetrans], 64); !ok {
		return row, LineErrorf(lineNum, "retrnsmt %q", ProcnetClip(fields[inetFieldRetrans]))
	}
	uid, ok := ProcnetDec(fields[inetFieldUID], 32)
	if !ok {
		return row, LineErrorf(lineNum, "uid %q", ProcnetClip(fields[inetFieldUID]))
	}
	row.UID = uint32(uid)
	// timeout (icsk_probes_out, printed with %d) is not kept, but a line
	// where it is not a number is not a line of this file.
	if _, ok = ProcnetInt(fields[inetFieldTimeout], 64); !ok {
		return row, LineErrorf(lineNum, "timeout %q", ProcnetClip(fields[inetFieldTimeout]))
	}
	if row.Inode, ok = ProcnetDec(fields[inetFieldInode], 64); !ok {
		return row, LineErrorf(lineNum, "inode %q", ProcnetClip(fields[inetFieldInode]))
	}
	row.Drops = -1
	if hasDrops {
		drops, ok := ProcnetDec(fields[inetFieldDrops], 63)
		if !ok {
			return row, LineErrorf(lineNum, "drops %q", ProcnetClip(fields[inetFieldDrops]))
		}
		row.Drops = int64(drops)
	}
	return row, nil
}

// parseInetAddrPort decodes "0100007F:20FB" (8 hex digits of a native-endian
// u32, then the port in host order) or its IPv6 form with four such words.
func parseInetAddrPort(field []byte, ipv6 bool) (netip.AddrPort, bool) {
	colon := bytes.IndexByte(field, ':')
	if colon < 0 {
		return netip.AddrPort{}, false
	}
	hexAddr, hexPort := field[:colon], field[colon+1:]
	port, ok := ProcnetHex(hexPort, 16)
	if !ok {
		return netip.AddrPort{}, false
	}
	var addr netip.Addr
	if ipv6 {
		if len(hexAddr) != 32 {
			return netip.AddrPort{}, false
		}
		var raw [16]byte
		for i := 0; i < 4; i++ {
			word, ok := ProcnetHex(hexAddr[8*i:8*i+8], 32)
			if !ok {
				return netip.AddrPort{}, false
			}
			binary.NativeEndian.PutUint32(raw[4*i:], uint32(word))
		}
		addr = netip.AddrFrom16(raw)
	} else {
		if len(hexAddr) != 8 {
			return netip.AddrPort{}, false
		}
		word, ok := ProcnetHex(hexAddr, 32)
		if !ok {
			return netip.AddrPort{}, false
		}
		var raw [4]byte
		binary.NativeEndian.PutUint32(raw[:], uint32(word))
		addr = netip.AddrFrom4(raw)
	}
	return netip.AddrPortFrom(addr, uint16(port)), true
}

// ProcnetLines walks kernel text line by line without copying; num is the
// 1-based number of the line last returned, so errors can name it.
type ProcnetLines struct {
	data []byte
	num  int
}

// NewProcnetLines walks the lines of data.
func NewProcnetLines(data []byte) *ProcnetLines { return &ProcnetLines{data: data} }

// Line is the number of the line Next returned last, from 1.
func (l *ProcnetLines) Line() int { return l.num }

// Next returns the next line without its newline; a last line without a
// trailing newline is returned too.
func (l *ProcnetLines) Next() ([]byte, bool) {
	if len(l.data) == 0 {
		return nil, false
	}
	l.num++
	var line []byte
	if i := bytes.IndexByte(l.data, '\n'); i >= 0 {
		line, l.data = l.data[:i], l.data[i+1:]
	} else {
		line, l.data = l.data, nil
	}
	return line, true
}

// procnetFields splits line at runs of spaces and tabs into at most cap(dst)
// fields appended to dst. It stops there, so the padding and the columns a
// parser does not read cost nothing; a caller wanting n fields passes cap n.
func procnetFields(line []byte, dst [][]byte) [][]byte {
	i := 0
	for len(dst) < cap(dst) {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		if i == len(line) {
			break
		}
		start := i
		for i < len(line) && line[i] != ' ' && line[i] != '\t' {
			i++
		}
		dst = append(dst, line[start:i])
	}
	return dst
}

// procnetHexValue maps a byte to its hex digit value, or to 0xFF for a byte
// that is not a hex digit; a table beats a switch on 15 MB of text.
var procnetHexValue = func() (table [256]byte) {
	for c := range table {
		switch {
		case '0' <= c && c <= '9':
			table[c] = byte(c - '0')
		case 'a' <= c && c <= 'f':
			table[c] = byte(c-'a') + 10
		case 'A' <= c && c <= 'F':
			table[c] = byte(c-'A') + 10
		default:
			table[c] = 0xFF
		}
	}
	return table
}()

// ProcnetHex parses unsigned hex digits (either case) that fit in bitSize
// bits; leading zeros are allowed, signs and prefixes are not.
func ProcnetHex(digits []byte, bitSize uint) (uint64, bool) {
	if len(digits) == 0 {
		return 0, false
	}
	limit := ^uint64(0) >> (64 - bitSize)
	var value uint64
	for _, c := range digits {
		digit := procnetHexValue[c]
		if digit == 0xFF || value > limit>>4 {
			return 0, false
		}
		value = value<<4 | uint64(digit)
	}
	return value, true
}

// ProcnetHexPair parses "a:b", two hex numbers of the given widths.
func ProcnetHexPair(field []byte, bitsA, bitsB uint) (uint64, uint64, bool) {
	colon := bytes.IndexByte(field, ':')
	if colon < 0 {
		return 0, 0, false
	}
	a, okA := ProcnetHex(field[:colon], bitsA)
	b, okB := ProcnetHex(field[colon+1:], bitsB)
	return a, b, okA && okB
}

// ProcnetDec parses unsigned decimal digits that fit in bitSize bits.
func ProcnetDec(digits []byte, bitSize uint) (uint64, bool) {
	if len(digits) == 0 {
		return 0, false
	}
	limit := ^uint64(0) >> (64 - bitSize)
	var value uint64
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
		digit := uint64(c - '0')
		if value > (limit-digit)/10 {
			return 0, false
		}
		value = value*10 + digit
	}
	return value, true
}

// ProcnetInt parses a decimal number with an optional minus sign that fits
// in a signed integer of bitSize bits.
func ProcnetInt(digits []byte, bitSize uint) (int64, bool) {
	negative := len(digits) > 0 && digits[0] == '-'
	if negative {
		digits = digits[1:]
	}
	magnitude, ok := ProcnetDec(digits, 64)
	if !ok {
		return 0, false
	}
	limit := uint64(1) << (bitSize - 1)
	if negative {
		if magnitude > limit {
			return 0, false
		}
		return -int64(magnitude-1) - 1, true
	}
	if magnitude >= limit {
		return 0, false
	}
	return int64(magnitude), true
}

// ProcnetClip shortens a field quoted in an error message, so an overlong
// line does not become an overlong error.
func ProcnetClip(field []byte) string {
	const maxQuoted = 64
	if len(field) > maxQuoted {
		return string(field[:maxQuoted]) + "..."
	}
	return string(field)
}

// Lines yields each line of data with its number from 1, without its
// newline: the one loop every kernel text file is read with.
func Lines(data []byte) iter.Seq2[int, []byte] {
	return func(yield func(int, []byte) bool) {
		lines := ProcnetLines{data: data}
		for {
			line, ok := lines.Next()
			if !ok || !yield(lines.num, line) {
				return
			}
		}
	}
}

// ProcnetFieldLines yields the 1-based number and the whitespace-separated
// fields of every line of data that is not blank: the loop most kernel
// text parsers share.
func ProcnetFieldLines(data []byte) iter.Seq2[int, [][]byte] {
	return func(yield func(int, [][]byte) bool) {
		lines := ProcnetLines{data: data}
		for {
			line, ok := lines.Next()
			if !ok {
				return
			}
			fields := bytes.Fields(line)
			if len(fields) == 0 {
				continue
			}
			if !yield(lines.num, fields) {
				return
			}
		}
	}
}
