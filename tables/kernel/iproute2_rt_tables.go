package kernel

import (
	"bytes"
	"strconv"
	"strings"
)

// ParseRTTables parses one of iproute2's rt_tables files: `id name` per
// line, the id decimal or 0x-hex, `#` starting a comment. Like ip, it skips
// a line it cannot read rather than failing; their numbers are returned in
// bad so the caller can say so.
func ParseRTTables(data []byte) (names map[uint32]string, bad []int) {
	names = map[uint32]string{}
	for num, line := range Lines(data) {
		if j := bytes.IndexByte(line, '#'); j >= 0 {
			line = line[:j]
		}
		fields := strings.Fields(string(line))
		if len(fields) == 0 {
			continue
		}
		var id uint64
		var err error
		if hexDigits, ok := strings.CutPrefix(fields[0], "0x"); ok {
			id, err = strconv.ParseUint(hexDigits, 16, 32)
		} else {
			id, err = strconv.ParseUint(fields[0], 10, 32)
		}
		if err != nil || len(fields) < 2 {
			bad = append(bad, num)
			continue
		}
		names[uint32(id)] = fields[1]
	}
	return names, bad
}
