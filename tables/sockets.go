package tables

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"netsql/tables/engine"
	"netsql/tables/kernel"

	"golang.org/x/sys/unix"
)

// socketColumns declares the columns of Sockets; the positions below are
// looked up by name in it.
var socketColumns = []engine.Column{
	{Name: "proto", Type: engine.Text, Doc: "netstat's Proto: tcp tcp6 udp udp6 udplite udplite6 raw raw6 icmp icmp6 unix packet netlink"},
	{Name: "family", Type: engine.Text, Doc: "address family: inet, inet6, unix, packet or netlink"},
	{Name: "type", Type: engine.Text, Doc: "socket type: stream, dgram, raw or seqpacket; NULL for netlink (not in /proc)"},
	{Name: "local_addr", Type: engine.Text, Doc: "local address as ss prints it, without brackets; ip prints addresses alike (inet_ntop): dotted IPv4, IPv6 per RFC 5952 except that IPv4-mapped ::ffff:1.2.3.4 and IPv4-compatible ::1.2.3.4 keep a dotted tail (netstat alone prints ::ffff:1.2.3.4 as 1.2.3.4); :: where ss shows * for a socket that takes IPv4 too (v6only 0); the protocol name (rtnl, tcpdiag, ...) for netlink, as ss names it; NULL for unix and packet"},
	{Name: "local_port", Type: engine.Integer, Doc: "local port; the IP protocol number for raw, the ethertype for packet, the port id for netlink"},
	{Name: "remote_addr", Type: engine.Text, Doc: "remote address, printed as local_addr is; 0.0.0.0 or :: when unconnected (ss shows the port as *); NULL for unix, packet, netlink"},
	{Name: "remote_port", Type: engine.Integer, Doc: "remote port; 0 when unconnected"},
	{Name: "state", Type: engine.Text, Doc: "TCP state (LISTEN, ESTABLISHED, TIME_WAIT, ...; BOUND_INACTIVE for a bound socket neither listening nor connecting, seen over netlink only); UNCONN or ESTABLISHED for udp, raw, icmp; LISTENING, CONNECTED, ... for unix; an unknown code as its hex number"},
	{Name: "recv_q", Type: engine.Integer, Doc: "bytes received not yet read (a listener: connections waiting in the accept queue); unix from netlink only; NULL for packet, netlink"},
	{Name: "send_q", Type: engine.Integer, Doc: "bytes sent not yet acknowledged (tcp) or queued; a listener's is its backlog over netlink (as ss shows) but 0 from /proc, so read backlog instead; unix from netlink only; NULL for packet, netlink"},
	{Name: "uid", Type: engine.Integer, Doc: "user id that created the socket; unix from netlink only; NULL for netlink"},
	{Name: "user", Type: engine.Text, Doc: "name of uid from etc/passwd"},
	{Name: "inode", Type: engine.Integer, Doc: "socket inode; 0 for TIME_WAIT and SYN_RECV; joins process_sockets.inode"},
	{Name: "netns", Type: engine.Integer, Doc: "inode of the network namespace the sockets were listed in"},
	{Name: "pid", Type: engine.Integer, Group: "owners", Doc: "lowest pid holding the socket; NULL when no readable process holds it (all owners: process_sockets)"},
	{Name: "process", Type: engine.Text, Group: "owners", Doc: "name (comm) of the process pid"},
	{Name: "timer", Type: engine.Text, Doc: "pending timer, in netstat's words: off, on (retransmit), keepalive, timewait, probe (zero window)"},
	{Name: "timer_ms", Type: engine.Integer, Doc: "milliseconds until the timer fires (1 ms resolution over netlink, 10 ms in /proc)"},
	{Name: "retransmits", Type: engine.Integer, Doc: "unrecovered retransmissions of the current segment (or probes); for SYN_RECV the SYN-ACKs sent again, by timer or for a repeated SYN (NULL from /proc, whose field counts only the timer's expiries)"},
	{Name: "path", Type: engine.Text, Doc: "unix socket path; abstract names start with @; NULL when unbound; from /proc a name holding a newline may be cut where the rest copies a socket line (netlink, the live source, is exact)"},
	{Name: "drops", Type: engine.Integer, Group: "meminfo", Doc: "packets dropped before they were queued (udp, raw, icmp, netlink in /proc; every family over netlink)"},
	{Name: "rmem", Type: engine.Integer, Group: "meminfo", Doc: "receive memory in use in bytes (packet, netlink in /proc; every family over netlink)"},
	{Name: "wmem", Type: engine.Integer, Group: "meminfo", Doc: "send memory in use in bytes (netlink in /proc; every family over netlink)"},
	{Name: "peer_inode", Type: engine.Integer, Doc: "unix: inode of the socket at the other end; NULL when unconnected or from /proc"},
	{Name: "cookie", Type: engine.Integer, Doc: "the kernel's socket cookie, unique while the machine runs (ss -e sk:); NULL from /proc"},
	{Name: "interface", Type: engine.Text, Doc: "device the socket is bound to (SO_BINDTODEVICE; a packet socket's interface); joins interfaces.name; NULL when unbound or from /proc"},
	{Name: "fwmark", Type: engine.Integer, Doc: "firewall mark (SO_MARK); NULL from /proc, for TIME_WAIT, and for a reader without CAP_NET_ADMIN (the kernel gives the mark to such readers only, so as non-root it is NULL, not 0)"},
	{Name: "v6only", Type: engine.Integer, Doc: "1 when a tcp6/udp6 listener or unbound socket takes IPv6 only (IPV6_V6ONLY), 0 when it also takes IPv4; NULL otherwise and from /proc"},
	{Name: "backlog", Type: engine.Integer, Doc: "a listener's accept-queue limit (its listen() backlog capped by net.core.somaxconn); NULL for other sockets and from /proc"},
}

// Sockets is every socket of the statement's network namespaces (netsql's
// own unless --netns), of every family, as
// `netstat -a` and `ss -a` list them. On the live system it asks the kernel
// over NETLINK_SOCK_DIAG (inet_diag for tcp, tcp6, udp, udp6, udplite,
// udplite6; unix_diag; packet_diag) and reads /proc/net/{raw,raw6,icmp,
// icmp6,netlink}, which have no diag here; with --root, or when netlink is
// refused, it reads every /proc/net file. The owner columns walk
// /proc/PID/fd only when a statement uses them; rmem, wmem and drops cost a
// second dump, only when used.
var Sockets = &engine.Dataset{
	Name: "sockets",
	Doc:  "one row per socket, every family (netstat -a, ss -a)",
	Sources: []string{"netlink sock_diag (inet_diag, unix_diag, packet_diag)", "/proc/net/tcp", "/proc/net/tcp6",
		"/proc/net/udp", "/proc/net/udp6", "/proc/net/udplite", "/proc/net/udplite6", "/proc/net/raw", "/proc/net/raw6",
		"/proc/net/icmp", "/proc/net/icmp6", "/proc/net/unix", "/proc/net/packet", "/proc/net/netlink",
		"/proc/PID/fd/* (pid, process)"},
	Columns: socketColumns,
	Collect: func(c *kernel.Collector) ([]engine.Row, error) {
		return socketsWhere(c, [][]engine.KeyValue{nil})
	},
	Keys: []engine.Key{
		// A socket's protocol and family never change: a join may read
		// them value by value.
		{Column: "proto", Stable: true, Collect: func(c *kernel.Collector, v any) ([]engine.Row, error) {
			return socketsWhere(c, [][]engine.KeyValue{{{Column: "proto", Value: v}}})
		}},
		{Column: "family", Stable: true, Collect: func(c *kernel.Collector, v any) ([]engine.Row, error) {
			return socketsWhere(c, [][]engine.KeyValue{{{Column: "family", Value: v}}})
		}},
		// The kernel filters on state: WHERE state = 'LISTEN' never walks
		// the established connections. A socket's state changes, so it is
		// read only through Narrow, with values known before the first row.
		{Column: "state"},
		netnsKey,
	},
	Narrow: socketsWhere,
	Fill: map[string]func(*kernel.Collector, []int, []engine.Row) error{
		"owners":  fillSocketOwners,
		"meminfo": fillSocketMeminfo,
	},
	// The owner walk reads /proc while the kernel dumps the sockets.
	Prefetch: map[string]func(*kernel.Collector){"owners": func(c *kernel.Collector) {
		if c.Source().Owners == nil { // with the cache of a watch, the walk may not be needed
			kernel.StartOwners(c)
		}
	}},
	// Rows go to kernel.Sink as the dumps are decoded (socketRowBuilder).
	Streams:       true,
	EstimatedRows: 1000,
	Diff: engine.DiffSpec{
		Key:      []string{"netns", "proto", "local_addr", "local_port", "remote_addr", "remote_port", "path", "interface"},
		Identity: []string{"inode", "cookie", "pid"},
		Counters: []string{"drops"},
		Volatile: []string{"timer", "timer_ms", "recv_q", "send_q", "retransmits", "rmem", "wmem", "process", "peer_inode"},
	},
}

// Positions of Sockets's columns, by name: a column moved in the list moves
// its position with it.
var (
	sockProtoCol    = columnIndex(socketColumns, "proto")
	sockFamily      = columnIndex(socketColumns, "family")
	sockType        = columnIndex(socketColumns, "type")
	sockLocalAddr   = columnIndex(socketColumns, "local_addr")
	sockLocalPort   = columnIndex(socketColumns, "local_port")
	sockRemoteAddr  = columnIndex(socketColumns, "remote_addr")
	sockRemotePort  = columnIndex(socketColumns, "remote_port")
	sockState       = columnIndex(socketColumns, "state")
	sockRecvQ       = columnIndex(socketColumns, "recv_q")
	sockSendQ       = columnIndex(socketColumns, "send_q")
	sockUID         = columnIndex(socketColumns, "uid")
	sockUser        = columnIndex(socketColumns, "user")
	sockInode       = columnIndex(socketColumns, "inode")
	sockNetns       = columnIndex(socketColumns, "netns")
	sockPID         = columnIndex(socketColumns, "pid")
	sockProcess     = columnIndex(socketColumns, "process")
	sockTimer       = columnIndex(socketColumns, "timer")
	sockTimerMs     = columnIndex(socketColumns, "timer_ms")
	sockRetransmits = columnIndex(socketColumns, "retransmits")
	sockPath        = columnIndex(socketColumns, "path")
	sockDrops       = columnIndex(socketColumns, "drops")
	sockRmem        = columnIndex(socketColumns, "rmem")
	sockWmem        = columnIndex(socketColumns, "wmem")
	sockPeerInode   = columnIndex(socketColumns, "peer_inode")
	sockCookie      = columnIndex(socketColumns, "cookie")
	sockInterface   = columnIndex(socketColumns, "interface")
	sockFwmark      = columnIndex(socketColumns, "fwmark")
	sockV6only      = columnIndex(socketColumns, "v6only")
	sockBacklog     = columnIndex(socketColumns, "backlog")
	sockColumns     = len(socketColumns)
)

// protoFile is one protocol: its /proc/net file, what its rows are, and
// the sock_diag request that lists it on the live system.
type protoFile struct {
	proto, family, sockType string
	kind                    int // which /proc parser
	ipv6, drops             bool
	diag                    int   // diagNone (/proc only), diagInet, diagUnix or diagPacket
	afamily, protocol       uint8 // the diag request's family and protocol
	boxed                   [3]any
}

const (
	kindInet = iota
	kindUnix
	kindPacket
	kindNetlink
)

var allProtos = boxProtos([]protoFile{
	{"tcp", "inet", "stream", kindInet, false, false, diagInet, unix.AF_INET, unix.IPPROTO_TCP, [3]any{}},
	{"tcp6", "inet6", "stream", kindInet, true, false, diagInet, unix.AF_INET6, unix.IPPROTO_TCP, [3]any{}},
	{"udp", "inet", "dgram", kindInet, false, true, diagInet, unix.AF_INET, unix.IPPROTO_UDP, [3]any{}},
	{"udp6", "inet6", "dgram", kindInet, true, true, diagInet, unix.AF_INET6, unix.IPPROTO_UDP, [3]any{}},
	{"udplite", "inet", "dgram", kindInet, false, true, diagInet, unix.AF_INET, unix.IPPROTO_UDPLITE, [3]any{}},
	{"udplite6", "inet6", "dgram", kindInet, true, true, diagInet, unix.AF_INET6, unix.IPPROTO_UDPLITE, [3]any{}},
	{"raw", "inet", "raw", kindInet, false, true, diagNone, 0, 0, [3]any{}},
	{"raw6", "inet6", "raw", kindInet, true, true, diagNone, 0, 0, [3]any{}},
	{"icmp", "inet", "dgram", kindInet, false, true, diagNone, 0, 0, [3]any{}},
	{"icmp6", "inet6", "dgram", kindInet, true, true, diagNone, 0, 0, [3]any{}},
	{"unix", "unix", "", kindUnix, false, false, diagUnix, unix.AF_UNIX, 0, [3]any{}},
	{"packet", "packet", "", kindPacket, false, false, diagPacket, unix.AF_PACKET, 0, [3]any{}},
	{"netlink", "netlink", "", kindNetlink, false, false, diagNone, 0, 0, [3]any{}},
})

// boxProtos boxes each protocol's proto, family and type words once, so
// rows share them instead of allocating an interface each.
func boxProtos(list []protoFile) []protoFile {
	for i := range list {
		p := &list[i]
		p.boxed = [3]any{p.proto, p.family, nil}
		if p.sockType != "" {
			p.boxed[2] = p.sockType
		}
	}
	return list
}

func protoByName(name string) *protoFile {
	for i := range allProtos {
		if allProtos[i].proto == name {
			return &allProtos[i]
		}
	}
	return nil
}

func protosWhere(keep func(protoFile) bool) []protoFile {
	var out []protoFile
	for _, p := range allProtos {
		if keep(p) {
			out = append(out, p)
		}
	}
	return out
}

// protoWant is one protocol to list and the states wanted of it (nil for
// every state).
type protoWant struct {
	p      protoFile
	states []string
}

func wantAll(protos []protoFile) []protoWant {
	out := make([]protoWant, len(protos))
	for i, p := range protos {
		out[i] = protoWant{p: p}
	}
	return out
}

// socketsWhere collects in one pass the sockets matching any of the
// conjunctions of equalities on proto, family, state and netns (values as
// lookupKey folded them): in each namespace named, or every one of the
// scope, asking the kernel for exactly those protocols and states where
// netlink serves the protocol.
func socketsWhere(c *kernel.Collector, any [][]engine.KeyValue) ([]engine.Row, error) {
	list, per, err := splitByNetns(c, any)
	if err != nil {
		return nil, err
	}
	return acrossNetns(c, list, sockNetns, func(c *kernel.Collector, i int) ([]engine.Row, error) {
		return collectSockets(c, wantsWhere(per[i]))
	})
}

// wantsWhere turns conjunctions of equalities on proto, family and state
// into the protocols to list and the states wanted of each.
func wantsWhere(any [][]engine.KeyValue) []protoWant {
	var wants []protoWant
	for _, p := range allProtos {
		want := protoWant{p: p}
		matched, allStates := false, false
		for _, conj := range any {
			proto, family, state := "", "", ""
			for _, kv := range conj {
				v, _ := kv.Value.(string)
				switch kv.Column {
				case "proto":
					proto = v
				case "family":
					family = v
				case "state":
					state = strings.ToUpper(v)
				}
			}
			if (proto != "" && p.proto != proto) || (family != "" && p.family != family) {
				continue
			}
			hasState := slices.ContainsFunc(conj, func(kv engine.KeyValue) bool { return kv.Column == "state" })
			switch {
			case hasState && state == "":
				continue // no socket has an empty state
			case !hasState:
				allStates = true
			case !slices.Contains(want.states, state):
				want.states = append(want.states, state)
			}
			matched = true
		}
		if !matched {
			continue
		}
		if allStates {
			want.states = nil
		}
		wants = append(wants, want)
	}
	return wants
}

// collectSockets lists the sockets of the given protocols in the states
// wanted of each. On the live system the protocols with a diag module come
// from netlink, the states going into the request; the others, and all of
// them with --root or when netlink is refused, come from their /proc/net
// files (a file this kernel lacks gives no rows; one that does not parse
// is an error naming it).
func collectSockets(c *kernel.Collector, wants []protoWant) ([]engine.Row, error) {
	rows := make([]engine.Row, 0, socketsCapacity(c, wants))
	netns := kernel.SelfNetns(c)
	var diag *kernel.DiagConn
	var builder *socketRowBuilder
	diagErr := error(nil)
	if c.Source().Live {
		defer func() {
			if diag != nil {
				diag.Close()
			}
		}()
	}
	// TCP over both families with the same states: one walk of the
	// kernel's socket hash instead of two (each walk costs as much as the
	// host's sockets, in every namespace read).
	bothTCP := -1
	if c.Source().Live && !c.Source().RefuseDiag {
		v4 := slices.IndexFunc(wants, func(w protoWant) bool { return w.p.proto == "tcp" })
		v6 := slices.IndexFunc(wants, func(w protoWant) bool { return w.p.proto == "tcp6" })
		if v4 >= 0 && v6 >= 0 && slices.Equal(wants[v4].states, wants[v6].states) {
			if diag, diagErr = kernel.OpenDiag(); diagErr == nil {
				builder = socketsBuilder(c)
				mask := diagStatesMask(&wants[v4].p, wants[v4].states)
				var err error
				if rows, err = diagBothTCP(diag, builder, mask, rows); err == nil {
					bothTCP = v4
				} else if !errors.Is(err, kernel.ErrRefused) {
					return nil, err
				}
			}
			diagErr = nil // refused: each family is asked on its own below
		}
	}
	for i := range wants {
		p, states := &wants[i].p, wants[i].states
		if err := c.Err(); err != nil {
			return nil, err
		}
		if bothTCP >= 0 && (p.proto == "tcp" || p.proto == "tcp6") {
			continue
		}
		if c.Source().Live && p.diag != diagNone {
			if diag == nil && diagErr == nil {
				if c.Source().RefuseDiag {
					diagErr = kernel.ErrRefused
				} else {
					diag, diagErr = kernel.OpenDiag()
				}
				builder = socketsBuilder(c)
			}
			if diagErr == nil {
				var err error
				rows, err = diagSockets(diag, builder, p, diagStatesMask(p, states), rows)
				if err == nil {
					continue
				}
				if !errors.Is(err, kernel.ErrRefused) {
					return nil, err
				}
			}
			// UDP-Lite without a diag module is expected: read /proc quietly.
			if p.protocol != unix.IPPROTO_UDPLITE {
				c.Warn(kernel.WarnNetlinkRefused, int64(p.afamily)<<8|int64(p.protocol))
			}
		}
		got, err := procSockets(c, p)
		if err != nil {
			return nil, err
		}
		for _, r := range got {
			if states != nil && !slices.Contains(states, r[sockState].(string)) {
				continue
			}
			r[sockNetns] = netns
			rows = append(rows, r)
		}
	}
	return rows, nil
}

// socketsCapacity is how many rows collectSockets should make room for
// up front: the kernel's count of the sockets of every protocol asked in
// all states (/proc/net/sockstat and sockstat6: inuse of each, plus the
// TIME_WAIT sockets for TCP), 0 when unknown or when states narrow the
// read. Growing the list by doubling instead wrote each row header about
// three times, into memory the kernel had to fault in and zero each time
// (a fifth of a 40,000-socket read's page faults); room reserved and not
// used costs no fault. Only the live system is asked (sockstatCounts).
func socketsCapacity(c *kernel.Collector, wants []protoWant) int {
	for _, w := range wants {
		if w.states != nil {
			return 0 // a narrowed read: its sockets are not what sockstat counts
		}
	}
	counts := sockstatCounts(c)
	var n, tw int64
	for _, w := range wants {
		n += counts[strings.ToUpper(w.p.proto)+" inuse"]
		if w.p.proto == "tcp" || w.p.proto == "tcp6" {
			tw = counts["TCP tw"]
		}
	}
	return int(min(n+tw, 1<<22))
}

// sockstatCounts is the live system's /proc/net/sockstat and sockstat6 by
// "PROTOCOL name" ("TCP inuse"), for sizing lists up front; empty for a
// tree, whose sockets come from its /proc files, read whole. Read once per
// statement (sockets and tcp_info both ask).
func sockstatCounts(c *kernel.Collector) map[string]int64 {
	if !c.Source().Live {
		return map[string]int64{}
	}
	counts, _ := kernel.Memoize(c, "sockstat-counts", func() (map[string]int64, error) { return readSockstatCounts(c), nil })
	return counts
}

func readSockstatCounts(c *kernel.Collector) map[string]int64 {
	counts := map[string]int64{}
	for _, name := range []string{"sockstat", "sockstat6"} {
		data, ok, err := c.ReadOptional(c.NetPath(name))
		if err != nil || !ok {
			continue
		}
		counters, err := kernel.ParseSockstat(data)
		if err != nil {
			continue // only a hint; the sockstat dataset reports the file
		}
		for _, ctr := range counters {
			counts[ctr.Protocol+" "+ctr.Name] = ctr.Value
		}
	}
	return counts
}

// diagStatesMask is the kernel state bits a dump of p must ask for to find
// the sockets in any of states (nil for all).
func diagStatesMask(p *protoFile, states []string) uint32 {
	if states == nil {
		return diagStateMask(p, "")
	}
	var mask uint32
	for _, st := range states {
		mask |= diagStateMask(p, st)
	}
	return mask
}

// procSockets reads the /proc/net file of one protocol.
func procSockets(c *kernel.Collector, p *protoFile) ([]engine.Row, error) {
	path := c.NetPath(p.proto)
	data, ok, err := c.ReadOptional(path)
	if err != nil || !ok {
		return nil, err
	}
	var got []engine.Row
	switch p.kind {
	case kindInet:
		got, err = inetRows(c, *p, data)
	case kindUnix:
		got, err = unixRows(data)
	case kindPacket:
		got, err = packetRows(c, data)
	case kindNetlink:
		got, err = netlinkRows(data)
	}
	if err != nil {
		return nil, kernel.FileError(path, err)
	}
	return got, nil
}

var tcpStates = [...]string{1: "ESTABLISHED", 2: "SYN_SENT", 3: "SYN_RECV", 4: "FIN_WAIT1", 5: "FIN_WAIT2",
	6: "TIME_WAIT", 7: "CLOSE", 8: "CLOSE_WAIT", 9: "LAST_ACK", 10: "LISTEN", 11: "CLOSING",
	12: "NEW_SYN_RECV", 13: "BOUND_INACTIVE"}

var timerNames = [...]string{0: "off", 1: "on", 2: "keepalive", 3: "timewait", 4: "probe"}

// hexCode renders an unknown state or timer code as the kernel prints it.
func hexCode(code uint8) string { return fmt.Sprintf("%02X", code) }

func inetState(p protoFile, st uint8) string {
	if p.sockType == "stream" {
		if int(st) < len(tcpStates) && tcpStates[st] != "" {
			return tcpStates[st]
		}
		return hexCode(st)
	}
	switch st {
	case 7:
		return "UNCONN"
	case 1:
		return "ESTABLISHED"
	}
	return hexCode(st)
}

func inetRows(c *kernel.Collector, p protoFile, data []byte) ([]engine.Row, error) {
	lines, err := kernel.ParseInetSockets(data, p.ipv6, p.drops)
	if err != nil {
		return nil, err
	}
	rows := make([]engine.Row, len(lines))
	alloc := rowAlloc{cols: sockColumns}
	for i, l := range lines {
		r := alloc.next()
		r[sockProtoCol], r[sockFamily], r[sockType] = p.proto, p.family, p.sockType
		r[sockLocalAddr] = addrText(l.Local.Addr())
		r[sockLocalPort] = int64(l.Local.Port())
		r[sockRemoteAddr] = addrText(l.Remote.Addr())
		r[sockRemotePort] = int64(l.Remote.Port())
		r[sockState] = inetState(p, l.State)
		r[sockRecvQ] = int64(l.RxQueue)
		r[sockSendQ] = int64(l.TxQueue)
		r[sockUID] = int64(l.UID)
		r[sockUser] = kernel.UserName(c, int64(l.UID))
		r[sockInode] = int64(l.Inode)
		if int(l.Timer) < len(timerNames) {
			r[sockTimer] = timerNames[l.Timer]
		} else {
			r[sockTimer] = hexCode(l.Timer)
		}
		r[sockTimerMs] = int64(l.TimerTicks) * (1000 / kernel.UserHZ)
		if r[sockState] != "SYN_RECV" || p.protocol != unix.IPPROTO_TCP {
			// A request's field counts its timer's expiries, not the
			// SYN-ACKs sent again that the column means (see its Doc).
			r[sockRetransmits] = int64(l.Retransmits)
		}
		if l.Drops >= 0 {
			r[sockDrops] = l.Drops
		}
		rows[i] = r
	}
	return rows, nil
}

// socketTypes names the kernel socket types (SOCK_STREAM ...) that unix
// and packet sockets report, from /proc and from sock_diag alike.
var socketTypes = map[uint16]string{1: "stream", 2: "dgram", 3: "raw", 5: "seqpacket"}

var unixStates = [...]string{1: "UNCONNECTED", 2: "CONNECTING", 3: "CONNECTED", 4: "DISCONNECTING"}

// unixAcceptCon is __SO_ACCEPTCON, the flag of a listening unix socket.
const unixAcceptCon = 0x10000

func unixRows(data []byte) ([]engine.Row, error) {
	lines, err := kernel.ParseUnixSockets(data)
	if err != nil {
		return nil, err
	}
	rows := make([]engine.Row, len(lines))
	alloc := rowAlloc{cols: sockColumns}
	for i, l := range lines {
		r := alloc.next()
		r[sockProtoCol], r[sockFamily] = "unix", "unix"
		if t, ok := socketTypes[l.Type]; ok {
			r[sockType] = t
		} else {
			r[sockType] = fmt.Sprintf("%04X", l.Type)
		}
		switch {
		case l.Flags&unixAcceptCon != 0:
			r[sockState] = "LISTENING"
		case int(l.State) < len(unixStates) && unixStates[l.State] != "":
			r[sockState] = unixStates[l.State]
		default:
			r[sockState] = hexCode(l.State)
		}
		r[sockInode] = int64(l.Inode)
		if l.Path != "" {
			r[sockPath] = l.Path
		}
		rows[i] = r
	}
	return rows, nil
}

func packetRows(c *kernel.Collector, data []byte) ([]engine.Row, error) {
	lines, err := kernel.ParsePacketSockets(data)
	if err != nil {
		return nil, err
	}
	rows := make([]engine.Row, len(lines))
	alloc := rowAlloc{cols: sockColumns}
	for i, l := range lines {
		r := alloc.next()
		r[sockProtoCol], r[sockFamily] = "packet", "packet"
		if t, ok := socketTypes[l.Type]; ok {
			r[sockType] = t
		} else {
			r[sockType] = fmt.Sprint(l.Type)
		}
		r[sockLocalPort] = int64(l.Proto)
		r[sockState] = "UNCONN"
		r[sockUID] = int64(l.UID)
		r[sockUser] = kernel.UserName(c, int64(l.UID))
		r[sockInode] = int64(l.Inode)
		r[sockRmem] = int64(l.Rmem)
		rows[i] = r
	}
	return rows, nil
}

func netlinkRows(data []byte) ([]engine.Row, error) {
	lines, err := kernel.ParseNetlinkSockets(data)
	if err != nil {
		return nil, err
	}
	rows := make([]engine.Row, len(lines))
	alloc := rowAlloc{cols: sockColumns}
	for i, l := range lines {
		r := alloc.next()
		r[sockProtoCol], r[sockFamily] = "netlink", "netlink"
		r[sockLocalAddr] = kernel.NetlinkProtocolName(l.Protocol)
		r[sockLocalPort] = int64(l.PortID)
		r[sockState] = "UNCONN"
		r[sockInode] = int64(l.Inode)
		r[sockDrops] = int64(l.Drops)
		r[sockRmem] = int64(l.Rmem)
		r[sockWmem] = int64(l.Wmem)
		rows[i] = r
	}
	return rows, nil
}

// fillSocketOwners sets pid and process from the owner walk: the lowest pid
// holding each socket's inode. A socket inode is unique on the machine
// (one sockfs for every namespace), so the walk of every process finds a
// socket's owners whatever namespace it lives in; when several processes
// hold it and the statement reads several namespaces, the lowest pid of
// those in the socket's own namespace is chosen (a socket passed to, or
// made before a setns by, a process elsewhere names its own side first).
func fillSocketOwners(c *kernel.Collector, _ []int, rows []engine.Row) error {
	scope, err := kernel.ScopeNetns(c)
	if err != nil {
		return err
	}
	several := len(scope) > 1
	if !several && c.Source().Owners != nil {
		// A watch: the holders the last walk found, checked.
		inodes := make([]int64, 0, len(rows))
		for _, r := range rows {
			if inode, _ := r[sockInode].(int64); inode != 0 {
				inodes = append(inodes, inode)
			}
		}
		owners, err := kernel.OwnersOfInodes(c, inodes)
		if err != nil {
			return err
		}
		for _, r := range rows {
			inode, _ := r[sockInode].(int64)
			if o, ok := owners[inode]; ok && inode != 0 {
				r[sockPID] = o.PID
				if o.Comm != "" {
					r[sockProcess] = o.Comm
				}
			}
		}
		return nil
	}
	o, err := kernel.Owners(c)
	if err != nil {
		return err
	}
	for _, r := range rows {
		inode, _ := r[sockInode].(int64)
		if inode == 0 {
			continue
		}
		if several && r[sockNetns] != nil && o.Shared(inode) {
			for _, pid := range o.PIDs(inode) {
				if kernel.PidNetns(c, pid) == r[sockNetns] {
					r[sockPID] = pid
					if comm, ok := o.Comm(pid); ok {
						r[sockProcess] = comm
					}
					break
				}
			}
			if r[sockPID] != nil {
				continue
			}
		}
		if pid, ok := o.LowestPID(inode); ok {
			r[sockPID] = pid
			if comm, ok := o.Comm(pid); ok {
				r[sockProcess] = comm
			}
		}
	}
	return nil
}
