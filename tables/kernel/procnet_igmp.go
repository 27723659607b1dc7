package kernel

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"
)

// Multicast memberships: /proc/net/igmp, igmp6 and dev_mcast.

// MulticastGroup is one membership from igmp, igmp6 or dev_mcast.
type MulticastGroup struct {
	Ifindex   int64
	Interface string
	Family    string // inet, inet6 or link
	Group     string
	Users     int64
	Querier   string // igmp only
	Reporter  bool
	TimerMs   int64
	GlobalUse int64 // dev_mcast only
}

// ParseIGMP parses the text of /proc/net/igmp, printed by igmp_mc_seq_show:
//
//	Idx	Device    : Count Querier	Group    Users Timer	Reporter
//	1	lo        :     1      V3
//					010000E0     1 0:00000000		0
//
// A device line ("%d\t%-10s: %5d %7s") precedes the tab-indented lines of
// its groups ("%08X %5d %d:%08lX\t\t%d": the group as a native-endian word,
// users, whether the report timer runs, its expiry in clock ticks, whether
// this host reported last).
func ParseIGMP(data []byte) ([]MulticastGroup, error) {
	var groups []MulticastGroup
	var dev *MulticastGroup // the current device line's fields
	lines := NewProcnetLines(data)
	for {
		line, ok := lines.Next()
		if !ok {
			break
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if line[0] != '\t' && line[0] != ' ' {
			if bytes.HasPrefix(line, []byte("Idx")) {
				continue
			}
			d, err := parseIGMPDevice(line, lines.Line())
			if err != nil {
				return nil, err
			}
			dev = &d
			continue
		}
		if dev == nil {
			return nil, LineErrorf(lines.Line(), "group line before any device line")
		}
		fields := bytes.Fields(line)
		if len(fields) < 4 {
			return nil, LineErrorf(lines.Line(), "group line has %d fields, want 4", len(fields))
		}
		word, ok := ProcnetHex(fields[0], 32)
		if !ok || len(fields[0]) != 8 {
			return nil, LineErrorf(lines.Line(), "group %q", ProcnetClip(fields[0]))
		}
		var raw [4]byte
		binary.NativeEndian.PutUint32(raw[:], uint32(word))
		users, ok := ProcnetInt(fields[1], 32)
		if !ok {
			return nil, LineErrorf(lines.Line(), "users %q", ProcnetClip(fields[1]))
		}
		running, expires, ok := ProcnetHexPair(fields[2], 8, 64)
		if !ok || running > 1 {
			return nil, LineErrorf(lines.Line(), "timer %q", ProcnetClip(fields[2]))
		}
		reporter, ok := ProcnetDec(fields[3], 8)
		if !ok || reporter > 1 {
			return nil, LineErrorf(lines.Line(), "reporter %q", ProcnetClip(fields[3]))
		}
		g := *dev
		g.Group = netip.AddrFrom4(raw).String()
		g.Users = users
		g.Reporter = reporter == 1
		if running == 1 {
			g.TimerMs = multicastTicksMs(expires)
		}
		groups = append(groups, g)
	}
	return groups, nil
}

// parseIGMPDevice parses "1\tlo        :     1      V3". A name of ten
// bytes or more touches the colon.
func parseIGMPDevice(line []byte, lineNum int) (MulticastGroup, error) {
	d := MulticastGroup{Family: "inet"}
	colon := bytes.IndexByte(line, ':')
	if colon < 0 {
		return d, LineErrorf(lineNum, "device line without a colon: %q", ProcnetClip(line))
	}
	head := bytes.Fields(line[:colon])
	if len(head) != 2 {
		return d, LineErrorf(lineNum, "device line %q, want index and name", ProcnetClip(line[:colon]))
	}
	ifindex, ok := ProcnetDec(head[0], 31)
	if !ok {
		return d, LineErrorf(lineNum, "ifindex %q", ProcnetClip(head[0]))
	}
	tail := bytes.Fields(line[colon+1:])
	if len(tail) != 2 {
		return d, LineErrorf(lineNum, "device %s: %d fields after the colon, want count and querier", ProcnetClip(head[1]), len(tail))
	}
	if _, ok := ProcnetDec(tail[0], 32); !ok {
		return d, LineErrorf(lineNum, "device %s: count %q", ProcnetClip(head[1]), ProcnetClip(tail[0]))
	}
	d.Ifindex, d.Interface, d.Querier = int64(ifindex), string(head[1]), string(tail[1])
	return d, nil
}

// ParseIGMP6 parses the text of /proc/net/igmp6, one group per line as
// igmp6_mc_seq_show prints it ("%-4d %-15s %pi6 %5d %08X %ld"): ifindex,
// device, group in plain network order, users, MAF_* flags, timer in clock
// ticks.
func ParseIGMP6(data []byte) ([]MulticastGroup, error) {
	// MAF_LAST_REPORTER and MAF_TIMER_RUNNING from include/net/if_inet6.h.
	const lastReporter, timerRunning = 0x02, 0x01
	var groups []MulticastGroup
	for num, fields := range ProcnetFieldLines(data) {
		if len(fields) != 6 {
			return nil, LineErrorf(num, "%d fields, want 6", len(fields))
		}
		ifindex, ok := ProcnetDec(fields[0], 31)
		if !ok {
			return nil, LineErrorf(num, "ifindex %q", ProcnetClip(fields[0]))
		}
		group, ok := multicastIPv6(fields[2])
		if !ok {
			return nil, LineErrorf(num, "group %q", ProcnetClip(fields[2]))
		}
		users, ok := ProcnetInt(fields[3], 32)
		if !ok {
			return nil, LineErrorf(num, "users %q", ProcnetClip(fields[3]))
		}
		flags, ok := ProcnetHex(fields[4], 32)
		if !ok {
			return nil, LineErrorf(num, "flags %q", ProcnetClip(fields[4]))
		}
		ticks, ok := ProcnetInt(fields[5], 64)
		if !ok {
			return nil, LineErrorf(num, "timer %q", ProcnetClip(fields[5]))
		}
		g := MulticastGroup{Ifindex: int64(ifindex), Interface: string(fields[1]), Family: "inet6",
			Group: group.String(), Users: users, Reporter: flags&lastReporter != 0}
		if flags&timerRunning != 0 && ticks > 0 {
			g.TimerMs = multicastTicksMs(uint64(ticks))
		}
		groups = append(groups, g)
	}
	return groups, nil
}

// multicastIPv6 decodes 32 hex digits in network order (%pi6).
func multicastIPv6(field []byte) (netip.Addr, bool) {
	if len(field) != 32 {
		return netip.Addr{}, false
	}
	var raw [16]byte
	for i := range raw {
		b, ok := ProcnetHex(field[2*i:2*i+2], 8)
		if !ok {
			return netip.Addr{}, false
		}
		raw[i] = byte(b)
	}
	return netip.AddrFrom16(raw), true
}

// multicastTicksMs converts clock ticks (USER_HZ) to milliseconds, saturating
// instead of overflowing on nonsense.
func multicastTicksMs(ticks uint64) int64 {
	const limit = uint64(1<<63-1) / (1000 / UserHZ)
	if ticks > limit {
		ticks = limit
	}
	return int64(ticks) * (1000 / UserHZ)
}

// ParseDevMcast parses the text of /proc/net/dev_mcast, as dev_mc_seq_show
// prints it ("%-4d %-15s %-5d %-5d %*phN"): ifindex, device, reference
// count, global use, and the address as bare hex.
func ParseDevMcast(data []byte) ([]MulticastGroup, error) {
	var groups []MulticastGroup
	for num, fields := range ProcnetFieldLines(data) {
		if len(fields) != 5 {
			return nil, LineErrorf(num, "%d fields, want 5", len(fields))
		}
		ifindex, ok := ProcnetDec(fields[0], 31)
		if !ok {
			return nil, LineErrorf(num, "ifindex %q", ProcnetClip(fields[0]))
		}
		users, ok := ProcnetInt(fields[2], 32)
		if !ok {
			return nil, LineErrorf(num, "users %q", ProcnetClip(fields[2]))
		}
		global, ok := ProcnetInt(fields[3], 32)
		if !ok {
			return nil, LineErrorf(num, "global use %q", ProcnetClip(fields[3]))
		}
		mac, ok := multicastHardwareAddr(fields[4])
		if !ok {
			return nil, LineErrorf(num, "address %q", ProcnetClip(fields[4]))
		}
		groups = append(groups, MulticastGroup{Ifindex: int64(ifindex), Interface: string(fields[1]), Family: "link",
			Group: mac, Users: users, GlobalUse: global})
	}
	return groups, nil
}

// multicastHardwareAddr turns bare hex (01005e000001) into 01:00:5e:00:00:01.
func multicastHardwareAddr(field []byte) (string, bool) {
	if len(field)%2 != 0 {
		return "", false
	}
	parts := make([]string, 0, len(field)/2)
	for i := 0; i < len(field); i += 2 {
		b, ok := ProcnetHex(field[i:i+2], 8)
		if !ok {
			return "", false
		}
		parts = append(parts, fmt.Sprintf("%02x", b))
	}
	return strings.Join(parts, ":"), true
}
