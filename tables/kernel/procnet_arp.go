package kernel

import (
	"bytes"
	"net/netip"
	"strconv"
)

// arpEntry is one line of /proc/net/arp.
type arpEntry struct {
	Addr   netip.Addr
	HWType uint16
	Flags  uint32 // ATF_*: 0x2 complete, 0x4 permanent, 0x8 published (proxy)
	MAC    string // as printed; 00:00:00:00:00:00 while incomplete
	Device string
}

// ATF_* flags of /proc/net/arp.
const (
	AtfComplete  = 0x02
	AtfPermanent = 0x04
	AtfPublished = 0x08
)

// ParseProcNetArp parses /proc/net/arp: a header ("IP address HW type
// Flags HW address Mask Device"), then one dotted IPv4 neighbour per line
// with hex type and flags. IPv6 neighbours are not in any file.
func ParseProcNetArp(data []byte) ([]arpEntry, error) {
	var entries []arpEntry
	for num, line := range Lines(data) {
		fields := bytes.Fields(line)
		if len(fields) == 0 || (num == 1 && bytes.HasPrefix(bytes.TrimSpace(line), []byte("IP address"))) {
			continue
		}
		if len(fields) != 6 {
			return nil, LineErrorf(num, "arp line has %d fields, want 6", len(fields))
		}
		addr, err := netip.ParseAddr(string(fields[0]))
		if err != nil || !addr.Is4() {
			return nil, LineErrorf(num, "address %q", fields[0])
		}
		hwType, err := strconv.ParseUint(string(fields[1]), 0, 16)
		if err != nil {
			return nil, LineErrorf(num, "HW type %q", fields[1])
		}
		flags, err := strconv.ParseUint(string(fields[2]), 0, 32)
		if err != nil {
			return nil, LineErrorf(num, "flags %q", fields[2])
		}
		entries = append(entries, arpEntry{Addr: addr, HWType: uint16(hwType), Flags: uint32(flags),
			MAC: string(fields[3]), Device: string(fields[5])})
	}
	return entries, nil
}
