package kernel

import (
	"bytes"
	"net/netip"
	"strconv"
)

// ifInet6 is one line of /proc/net/if_inet6: an IPv6 address of an interface.
type ifInet6 struct {
	Addr      netip.Addr
	Ifindex   uint32
	PrefixLen uint8
	Scope     uint8 // IPV6_ADDR_* scope bits: 0x00 global, 0x10 loopback, 0x20 link, 0x40 site
	Flags     uint8 // IFA_F_* cut to 8 bits
	Name      string
}

// ParseIfInet6 parses /proc/net/if_inet6: `addr ifindex plen scope flags
// dev`, the address as 32 hex digits in network order, the numbers in hex.
func ParseIfInet6(data []byte) ([]ifInet6, error) {
	var addrs []ifInet6
	for num, line := range Lines(data) {
		fields := bytes.Fields(line)
		if len(fields) == 0 {
			continue
		}
		if len(fields) != 6 {
			return nil, LineErrorf(num, "if_inet6 line has %d fields, want 6", len(fields))
		}
		addr, ok := hexIPv6(fields[0])
		if !ok {
			return nil, LineErrorf(num, "address %q", fields[0])
		}
		var nums [4]uint64
		for j, f := range fields[1:5] {
			size := 8
			if j == 0 {
				size = 32
			}
			v, err := strconv.ParseUint(string(f), 16, size)
			if err != nil {
				return nil, LineErrorf(num, "%s %q", [...]string{"ifindex", "prefix length", "scope", "flags"}[j], f)
			}
			nums[j] = v
		}
		if nums[1] > 128 {
			return nil, LineErrorf(num, "prefix length %q", fields[2])
		}
		addrs = append(addrs, ifInet6{Addr: addr, Ifindex: uint32(nums[0]), PrefixLen: uint8(nums[1]),
			Scope: uint8(nums[2]), Flags: uint8(nums[3]), Name: string(fields[5])})
	}
	return addrs, nil
}
