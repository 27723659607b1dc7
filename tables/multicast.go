package tables

// The multicast dataset: group memberships, as `netstat -g` and `ip maddr`
// list them. It reads /proc/net/igmp (IPv4: a device line, then its groups
// on tab-indented lines), /proc/net/igmp6 (IPv6, one group per line) and
// /proc/net/dev_mcast (link-layer addresses).

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"

	"netsql/tables/engine"
	"netsql/tables/kernel"
)

// Multicast is every multicast group membership of this network namespace.
var Multicast = &engine.Dataset{
	Name:    "multicast",
	Doc:     "one row per multicast group membership of an interface (netstat -g, ip maddr)",
	Sources: []string{"/proc/net/igmp", "/proc/net/igmp6", "/proc/net/dev_mcast"},
	Columns: []engine.Column{
		{Name: "interface", Type: engine.Text, Doc: "interface name; joins interfaces.name"},
		{Name: "ifindex", Type: engine.Integer, Doc: "interface index"},
		{Name: "family", Type: engine.Text, Doc: "inet (IGMP), inet6 (MLD) or link (a link-layer address from dev_mcast)"},
		{Name: "group_addr", Type: engine.Text, Doc: "group: dotted IPv4, RFC 5952 IPv6, or a MAC address like 01:00:5e:00:00:01"},
		{Name: "users", Type: engine.Integer, Doc: "references to the membership (netstat -g RefCnt): sockets and the kernel's own joins"},
		{Name: "querier", Type: engine.Text, Doc: "IGMP version the interface answers queries with: V1, V2 or V3; NULL for inet6 and link"},
		{Name: "reporter", Type: engine.Integer, Doc: "1 when this host sent the last membership report for the group, else 0; NULL for link"},
		{Name: "timer_ms", Type: engine.Integer, Doc: "milliseconds until the pending membership report, 0 when none (10 ms resolution); NULL for link"},
		{Name: "global_use", Type: engine.Integer, Doc: "1 when the link-layer address was added by hand (ip maddr add; ip maddr shows static), else 0; NULL for inet and inet6"},
	},
	Collect:       collectMulticast,
	EstimatedRows: 30,
}

// multicastGroup is one membership from igmp, igmp6 or dev_mcast.
type multicastGroup struct {
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

func collectMulticast(c *kernel.Collector) ([]engine.Row, error) {
	var rows []engine.Row
	for _, f := range []struct {
		name  string
		parse func([]byte) ([]multicastGroup, error)
	}{{"igmp", parseIGMP}, {"igmp6", parseIGMP6}, {"dev_mcast", parseDevMcast}} {
		path := c.Source().ProcPath("net", f.name)
		data, ok, err := c.Source().ReadOptional(path)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		groups, err := f.parse(data)
		if err != nil {
			return nil, kernel.FileError(path, err)
		}
		for _, g := range groups {
			rows = append(rows, multicastRow(g))
		}
	}
	return rows, nil
}

func multicastRow(g multicastGroup) engine.Row {
	r := engine.Row{g.Interface, g.Ifindex, g.Family, g.Group, g.Users, nil, nil, nil, nil}
	if g.Family == "link" {
		r[8] = g.GlobalUse
		return r
	}
	if g.Family == "inet" {
		r[5] = g.Querier
	}
	r[6] = asFlag01(g.Reporter)
	r[7] = g.TimerMs
	return r
}

// asFlag01 is a flag as SQLite holds booleans: 1 or 0.
func asFlag01(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// parseIGMP parses the text of /proc/net/igmp, printed by igmp_mc_seq_show:
//
//	Idx	Device    : Count Querier	Group    Users Timer	Reporter
//	1	lo        :     1      V3
//					010000E0     1 0:00000000		0
//
// A device line ("%d\t%-10s: %5d %7s") precedes the tab-indented lines of
// its groups ("%08X %5d %d:%08lX\t\t%d": the group as a native-endian word,
// users, whether the report timer runs, its expiry in clock ticks, whether
// this host reported last).
func parseIGMP(data []byte) ([]multicastGroup, error) {
	var groups []multicastGroup
	var dev *multicastGroup // the current device line's fields
	lines := kernel.NewProcnetLines(data)
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
			return nil, kernel.LineErrorf(lines.Line(), "group line before any device line")
		}
		fields := bytes.Fields(line)
		if len(fields) < 4 {
			return nil, kernel.LineErrorf(lines.Line(), "group line has %d fields, want 4", len(fields))
		}
		word, ok := kernel.ProcnetHex(fields[0], 32)
		if !ok || len(fields[0]) != 8 {
			return nil, kernel.LineErrorf(lines.Line(), "group %q", kernel.ProcnetClip(fields[0]))
		}
		var raw [4]byte
		binary.NativeEndian.PutUint32(raw[:], uint32(word))
		users, ok := kernel.ProcnetInt(fields[1], 32)
		if !ok {
			return nil, kernel.LineErrorf(lines.Line(), "users %q", kernel.ProcnetClip(fields[1]))
		}
		running, expires, ok := kernel.ProcnetHexPair(fields[2], 8, 64)
		if !ok || running > 1 {
			return nil, kernel.LineErrorf(lines.Line(), "timer %q", kernel.ProcnetClip(fields[2]))
		}
		reporter, ok := kernel.ProcnetDec(fields[3], 8)
		if !ok || reporter > 1 {
			return nil, kernel.LineErrorf(lines.Line(), "reporter %q", kernel.ProcnetClip(fields[3]))
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
func parseIGMPDevice(line []byte, lineNum int) (multicastGroup, error) {
	d := multicastGroup{Family: "inet"}
	colon := bytes.IndexByte(line, ':')
	if colon < 0 {
		return d, kernel.LineErrorf(lineNum, "device line without a colon: %q", kernel.ProcnetClip(line))
	}
	head := bytes.Fields(line[:colon])
	if len(head) != 2 {
		return d, kernel.LineErrorf(lineNum, "device line %q, want index and name", kernel.ProcnetClip(line[:colon]))
	}
	ifindex, ok := kernel.ProcnetDec(head[0], 31)
	if !ok {
		return d, kernel.LineErrorf(lineNum, "ifindex %q", kernel.ProcnetClip(head[0]))
	}
	tail := bytes.Fields(line[colon+1:])
	if len(tail) != 2 {
		return d, kernel.LineErrorf(lineNum, "device %s: %d fields after the colon, want count and querier", kernel.ProcnetClip(head[1]), len(tail))
	}
	if _, ok := kernel.ProcnetDec(tail[0], 32); !ok {
		return d, kernel.LineErrorf(lineNum, "device %s: count %q", kernel.ProcnetClip(head[1]), kernel.ProcnetClip(tail[0]))
	}
	d.Ifindex, d.Interface, d.Querier = int64(ifindex), string(head[1]), string(tail[1])
	return d, nil
}

// parseIGMP6 parses the text of /proc/net/igmp6, one group per line as
// igmp6_mc_seq_show prints it ("%-4d %-15s %pi6 %5d %08X %ld"): ifindex,
// device, group in plain network order, users, MAF_* flags, timer in clock
// ticks.
func parseIGMP6(data []byte) ([]multicastGroup, error) {
	// MAF_LAST_REPORTER and MAF_TIMER_RUNNING from include/net/if_inet6.h.
	const lastReporter, timerRunning = 0x02, 0x01
	var groups []multicastGroup
	for num, fields := range kernel.ProcnetFieldLines(data) {
		if len(fields) != 6 {
			return nil, kernel.LineErrorf(num, "%d fields, want 6", len(fields))
		}
		ifindex, ok := kernel.ProcnetDec(fields[0], 31)
		if !ok {
			return nil, kernel.LineErrorf(num, "ifindex %q", kernel.ProcnetClip(fields[0]))
		}
		group, ok := multicastIPv6(fields[2])
		if !ok {
			return nil, kernel.LineErrorf(num, "group %q", kernel.ProcnetClip(fields[2]))
		}
		users, ok := kernel.ProcnetInt(fields[3], 32)
		if !ok {
			return nil, kernel.LineErrorf(num, "users %q", kernel.ProcnetClip(fields[3]))
		}
		flags, ok := kernel.ProcnetHex(fields[4], 32)
		if !ok {
			return nil, kernel.LineErrorf(num, "flags %q", kernel.ProcnetClip(fields[4]))
		}
		ticks, ok := kernel.ProcnetInt(fields[5], 64)
		if !ok {
			return nil, kernel.LineErrorf(num, "timer %q", kernel.ProcnetClip(fields[5]))
		}
		g := multicastGroup{Ifindex: int64(ifindex), Interface: string(fields[1]), Family: "inet6",
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
		b, ok := kernel.ProcnetHex(field[2*i:2*i+2], 8)
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
	const limit = uint64(1<<63-1) / (1000 / userHZ)
	if ticks > limit {
		ticks = limit
	}
	return int64(ticks) * (1000 / userHZ)
}

// parseDevMcast parses the text of /proc/net/dev_mcast, as dev_mc_seq_show
// prints it ("%-4d %-15s %-5d %-5d %*phN"): ifindex, device, reference
// count, global use, and the address as bare hex.
func parseDevMcast(data []byte) ([]multicastGroup, error) {
	var groups []multicastGroup
	for num, fields := range kernel.ProcnetFieldLines(data) {
		if len(fields) != 5 {
			return nil, kernel.LineErrorf(num, "%d fields, want 5", len(fields))
		}
		ifindex, ok := kernel.ProcnetDec(fields[0], 31)
		if !ok {
			return nil, kernel.LineErrorf(num, "ifindex %q", kernel.ProcnetClip(fields[0]))
		}
		users, ok := kernel.ProcnetInt(fields[2], 32)
		if !ok {
			return nil, kernel.LineErrorf(num, "users %q", kernel.ProcnetClip(fields[2]))
		}
		global, ok := kernel.ProcnetInt(fields[3], 32)
		if !ok {
			return nil, kernel.LineErrorf(num, "global use %q", kernel.ProcnetClip(fields[3]))
		}
		mac, ok := multicastHardwareAddr(fields[4])
		if !ok {
			return nil, kernel.LineErrorf(num, "address %q", kernel.ProcnetClip(fields[4]))
		}
		groups = append(groups, multicastGroup{Ifindex: int64(ifindex), Interface: string(fields[1]), Family: "link",
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
		b, ok := kernel.ProcnetHex(field[i:i+2], 8)
		if !ok {
			return "", false
		}
		parts = append(parts, fmt.Sprintf("%02x", b))
	}
	return strings.Join(parts, ":"), true
}
