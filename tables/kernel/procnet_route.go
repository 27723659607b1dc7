package kernel

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"math/bits"
	"net/netip"
	"strconv"
)

// ProcRoute is one line of /proc/net/route or /proc/net/ipv6_route.
type ProcRoute struct {
	Iface   string // "" when the kernel prints "*" (a route without a device)
	Dst     netip.Prefix
	Gateway netip.Addr // the file's gateway or next hop; the zero address when all zero
	Flags   uint32     // RTF_* bits
	Metric  int64      // unsigned 32-bit
}

// RTF_* route flags as /proc/net/route and /proc/net/ipv6_route print them.
const (
	RtfUp        = 0x0001
	RtfGateway   = 0x0002
	RtfHost      = 0x0004
	rtfReinstate = 0x0008
	rtfDynamic   = 0x0010
	rtfModified  = 0x0020
	RtfReject    = 0x0200
	RtfDefault   = 0x00010000
	rtfAllOnLink = 0x00020000
	RtfAddrconf  = 0x00040000
	RtfAnycast   = 0x00100000
	RtfNoNextHop = 0x00200000
	RtfExpires   = 0x00400000
	rtfCache     = 0x01000000
	rtfFlow      = 0x02000000
	RtfLocal     = 0x80000000
)

// ParseProcNetRoute parses /proc/net/route: the main IPv4 table, one
// tab-separated line per route after the "Iface Destination ..." header.
// Destination, Gateway and Mask are %08X of a network-order u32, so the
// bytes read reversed on little-endian hosts (0100007F is 127.0.0.1).
// The file's MTU column is really advmss+40 and is not kept.
func ParseProcNetRoute(data []byte) ([]ProcRoute, error) {
	var routes []ProcRoute
	for num, line := range Lines(data) {
		fields := bytes.Fields(line)
		if len(fields) == 0 || (num == 1 && string(fields[0]) == "Iface") {
			continue
		}
		if len(fields) < 8 {
			return nil, LineErrorf(num, "route line has %d fields, want 11", len(fields))
		}
		dst, ok := hexIPv4(fields[1])
		if !ok {
			return nil, LineErrorf(num, "destination %q", fields[1])
		}
		gw, ok := hexIPv4(fields[2])
		if !ok {
			return nil, LineErrorf(num, "gateway %q", fields[2])
		}
		flags, err := strconv.ParseUint(string(fields[3]), 16, 32)
		if err != nil {
			return nil, LineErrorf(num, "flags %q", fields[3])
		}
		metric, err := strconv.ParseInt(string(fields[6]), 10, 64)
		if err != nil || metric < math32Min || metric > math32Max {
			return nil, LineErrorf(num, "metric %q", fields[6])
		}
		mask, ok := hexIPv4(fields[7])
		if !ok {
			return nil, LineErrorf(num, "mask %q", fields[7])
		}
		m := binary.BigEndian.Uint32(mask.AsSlice())
		ones := bits.LeadingZeros32(^m)
		if m<<ones != 0 {
			return nil, LineErrorf(num, "mask %q is not a prefix", fields[7])
		}
		r := ProcRoute{Dst: netip.PrefixFrom(dst, ones), Flags: uint32(flags), Metric: metric & 0xffffffff}
		if string(fields[0]) != "*" {
			r.Iface = string(fields[0])
		}
		if !gw.IsUnspecified() {
			r.Gateway = gw
		}
		routes = append(routes, r)
	}
	return routes, nil
}

// The metric is a u32 printed with %d, so it may read negative.
const (
	math32Min = -1 << 31
	math32Max = 1<<32 - 1
)

// hexIPv4 decodes the %08X form of a network-order IPv4 address.
func hexIPv4(field []byte) (netip.Addr, bool) {
	if len(field) != 8 {
		return netip.Addr{}, false
	}
	v, err := strconv.ParseUint(string(field), 16, 32)
	if err != nil {
		return netip.Addr{}, false
	}
	var b [4]byte
	binary.NativeEndian.PutUint32(b[:], uint32(v))
	return netip.AddrFrom4(b), true
}

// hexIPv6 decodes 32 hex digits in plain network order (%pi6 without
// colons), the form of ipv6_route, if_inet6 and igmp6.
func hexIPv6(field []byte) (netip.Addr, bool) {
	var b [16]byte
	if len(field) != 32 {
		return netip.Addr{}, false
	}
	if _, err := hex.Decode(b[:], field); err != nil {
		return netip.Addr{}, false
	}
	return netip.AddrFrom16(b), true
}

// ParseProcNetIPv6Route parses /proc/net/ipv6_route: `dest plen src splen
// nexthop metric refcnt use flags dev`, all hex, addresses in plain network
// order. The file mixes every table (local too) and names none; reject
// routes, and the empty root of each table (::/0 metric ffffffff), show
// device lo.
func ParseProcNetIPv6Route(data []byte) ([]ProcRoute, error) {
	var routes []ProcRoute
	for num, line := range Lines(data) {
		fields := bytes.Fields(line)
		if len(fields) == 0 {
			continue
		}
		if len(fields) != 10 {
			return nil, LineErrorf(num, "ipv6_route line has %d fields, want 10", len(fields))
		}
		dst, ok := hexIPv6(fields[0])
		if !ok {
			return nil, LineErrorf(num, "destination %q", fields[0])
		}
		plen, err := strconv.ParseUint(string(fields[1]), 16, 8)
		if err != nil || plen > 128 {
			return nil, LineErrorf(num, "prefix length %q", fields[1])
		}
		gw, ok := hexIPv6(fields[4])
		if !ok {
			return nil, LineErrorf(num, "next hop %q", fields[4])
		}
		metric, err := strconv.ParseUint(string(fields[5]), 16, 32)
		if err != nil {
			return nil, LineErrorf(num, "metric %q", fields[5])
		}
		flags, err := strconv.ParseUint(string(fields[8]), 16, 32)
		if err != nil {
			return nil, LineErrorf(num, "flags %q", fields[8])
		}
		r := ProcRoute{Dst: netip.PrefixFrom(dst, int(plen)), Flags: uint32(flags), Metric: int64(metric), Iface: string(fields[9])}
		if !gw.IsUnspecified() {
			r.Gateway = gw
		}
		routes = append(routes, r)
	}
	return routes, nil
}

// RouteFlags4 spells IPv4 RTF_* bits as netstat -r does: U G H R D M, and a
// reject route is "!" in place of U and G.
func RouteFlags4(flags uint32) string {
	var b []byte
	if flags&RtfReject != 0 {
		b = append(b, '!')
	} else {
		if flags&RtfUp != 0 {
			b = append(b, 'U')
		}
		if flags&RtfGateway != 0 {
			b = append(b, 'G')
		}
	}
	for _, f := range []struct {
		bit    uint32
		letter byte
	}{{RtfHost, 'H'}, {rtfReinstate, 'R'}, {rtfDynamic, 'D'}, {rtfModified, 'M'}} {
		if flags&f.bit != 0 {
			b = append(b, f.letter)
		}
	}
	return string(b)
}

// RouteFlags6 spells IPv6 RTF_* bits as netstat -6r does.
func RouteFlags6(flags uint32) string {
	var b []byte
	for _, f := range []struct {
		bit    uint32
		letter byte
	}{{RtfUp, 'U'}, {RtfReject, '!'}, {RtfGateway, 'G'}, {RtfHost, 'H'}, {RtfDefault, 'D'}, {RtfAddrconf, 'A'},
		{rtfCache, 'C'}, {rtfAllOnLink, 'a'}, {RtfExpires, 'e'}, {rtfModified, 'm'}, {RtfNoNextHop, 'n'}, {rtfFlow, 'f'}} {
		if flags&f.bit != 0 {
			b = append(b, f.letter)
		}
	}
	return string(b)
}
