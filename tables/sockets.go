package tables

import (
	"fmt"
	"net/netip"
	"strings"
)

// Sockets is every socket of this network namespace, of every family, as
// `netstat -a` and `ss -a` list them. It reads /proc/net/{tcp,tcp6,udp,
// udp6,udplite,udplite6,raw,raw6,icmp,icmp6,unix,packet,netlink}; the owner
// columns walk /proc/PID/fd only when a statement uses them.
var Sockets = &Dataset{
	Name: "sockets",
	Doc:  "one row per socket of this network namespace, every family (netstat -a, ss -a)",
	Sources: []string{"/proc/net/tcp", "/proc/net/tcp6", "/proc/net/udp", "/proc/net/udp6", "/proc/net/udplite",
		"/proc/net/udplite6", "/proc/net/raw", "/proc/net/raw6", "/proc/net/icmp", "/proc/net/icmp6",
		"/proc/net/unix", "/proc/net/packet", "/proc/net/netlink", "/proc/PID/fd/* (pid, process)"},
	Columns: []Column{
		{Name: "proto", Type: Text, Doc: "netstat's Proto: tcp tcp6 udp udp6 udplite udplite6 raw raw6 icmp icmp6 unix packet netlink"},
		{Name: "family", Type: Text, Doc: "address family: inet, inet6, unix, packet or netlink"},
		{Name: "type", Type: Text, Doc: "socket type: stream, dgram, raw or seqpacket; NULL for netlink (not in /proc)"},
		{Name: "local_addr", Type: Text, Doc: "local address (RFC 5952 for IPv6, IPv4-mapped kept); the protocol name (rtnl, tcpdiag, ...) for netlink, as ss names it; NULL for unix and packet"},
		{Name: "local_port", Type: Integer, Doc: "local port; the IP protocol number for raw, the ethertype for packet, the port id for netlink"},
		{Name: "remote_addr", Type: Text, Doc: "remote address; 0.0.0.0 or :: when unconnected; NULL for unix, packet, netlink"},
		{Name: "remote_port", Type: Integer, Doc: "remote port; 0 when unconnected"},
		{Name: "state", Type: Text, Doc: "TCP state (LISTEN, ESTABLISHED, TIME_WAIT, ...); UNCONN or ESTABLISHED for udp, raw, icmp; LISTENING, CONNECTED, ... for unix; an unknown code as its hex number"},
		{Name: "recv_q", Type: Integer, Doc: "bytes received not yet read (a listener: connections waiting in the accept queue); NULL for unix, packet, netlink"},
		{Name: "send_q", Type: Integer, Doc: "bytes sent not yet acknowledged (tcp) or queued; 0 for a listener from /proc; NULL for unix, packet, netlink"},
		{Name: "uid", Type: Integer, Doc: "user id that created the socket; NULL for unix and netlink"},
		{Name: "user", Type: Text, Doc: "name of uid from etc/passwd"},
		{Name: "inode", Type: Integer, Doc: "socket inode; 0 for TIME_WAIT and SYN_RECV; joins process_sockets.inode"},
		{Name: "netns", Type: Integer, Doc: "inode of the network namespace the sockets were listed in"},
		{Name: "pid", Type: Integer, Group: "owners", Doc: "lowest pid holding the socket; NULL when no readable process holds it (all owners: process_sockets)"},
		{Name: "process", Type: Text, Group: "owners", Doc: "name (comm) of the process pid"},
		{Name: "timer", Type: Text, Doc: "pending timer, in netstat's words: off, on (retransmit), keepalive, timewait, probe (zero window)"},
		{Name: "timer_ms", Type: Integer, Doc: "milliseconds until the timer fires (10 ms resolution in /proc)"},
		{Name: "retransmits", Type: Integer, Doc: "unrecovered retransmissions of the current segment (or probes)"},
		{Name: "path", Type: Text, Doc: "unix socket path; abstract names start with @; NULL when unbound"},
		{Name: "drops", Type: Integer, Doc: "datagrams dropped (udp, raw, icmp, netlink)"},
		{Name: "rmem", Type: Integer, Doc: "receive memory in use in bytes (packet, netlink)"},
		{Name: "wmem", Type: Integer, Doc: "send memory in use in bytes (netlink)"},
	},
	Collect: func(c *Collector) ([]Row, error) { return collectSockets(c, allProtos) },
	Keys: []Key{
		{Column: "proto", Collect: func(c *Collector, v any) ([]Row, error) {
			return collectSockets(c, protosWhere(func(p protoFile) bool { return p.proto == v }))
		}},
		{Column: "family", Collect: func(c *Collector, v any) ([]Row, error) {
			return collectSockets(c, protosWhere(func(p protoFile) bool { return p.family == v }))
		}},
	},
	Fill:          map[string]func(*Collector, []int, []Row) error{"owners": fillSocketOwners},
	EstimatedRows: 1000,
}

const (
	sockProtoCol = iota
	sockFamily
	sockType
	sockLocalAddr
	sockLocalPort
	sockRemoteAddr
	sockRemotePort
	sockState
	sockRecvQ
	sockSendQ
	sockUID
	sockUser
	sockInode
	sockNetns
	sockPID
	sockProcess
	sockTimer
	sockTimerMs
	sockRetransmits
	sockPath
	sockDrops
	sockRmem
	sockWmem
	sockColumns
)

// protoFile is one /proc/net file and what its rows are.
type protoFile struct {
	proto, family, sockType string
	kind                    int // which parser
	ipv6, drops             bool
}

const (
	kindInet = iota
	kindUnix
	kindPacket
	kindNetlink
)

var allProtos = []protoFile{
	{"tcp", "inet", "stream", kindInet, false, false},
	{"tcp6", "inet6", "stream", kindInet, true, false},
	{"udp", "inet", "dgram", kindInet, false, true},
	{"udp6", "inet6", "dgram", kindInet, true, true},
	{"udplite", "inet", "dgram", kindInet, false, true},
	{"udplite6", "inet6", "dgram", kindInet, true, true},
	{"raw", "inet", "raw", kindInet, false, true},
	{"raw6", "inet6", "raw", kindInet, true, true},
	{"icmp", "inet", "dgram", kindInet, false, true},
	{"icmp6", "inet6", "dgram", kindInet, true, true},
	{"unix", "unix", "", kindUnix, false, false},
	{"packet", "packet", "", kindPacket, false, false},
	{"netlink", "netlink", "", kindNetlink, false, false},
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

// collectSockets reads the files of the given protocols. A file this kernel
// does not have gives no rows; one that does not parse is an error naming it.
func collectSockets(c *Collector, protos []protoFile) ([]Row, error) {
	var rows []Row
	netns := selfNetns(c)
	for _, p := range protos {
		if err := c.Err(); err != nil {
			return nil, err
		}
		path := c.src.procPath("net", p.proto)
		data, ok, err := c.src.readOptional(path)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		var got []Row
		switch p.kind {
		case kindInet:
			got, err = inetRows(c, p, data)
		case kindUnix:
			got, err = unixRows(data)
		case kindPacket:
			got, err = packetRows(c, data)
		case kindNetlink:
			got, err = netlinkRows(data)
		}
		if err != nil {
			return nil, fileError(path, err)
		}
		for _, r := range got {
			r[sockNetns] = netns
		}
		rows = append(rows, got...)
	}
	return rows, nil
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

func addrText(a netip.Addr) string { return a.String() }

func inetRows(c *Collector, p protoFile, data []byte) ([]Row, error) {
	lines, err := parseInetSockets(data, p.ipv6, p.drops)
	if err != nil {
		return nil, err
	}
	rows := make([]Row, len(lines))
	for i, l := range lines {
		r := make(Row, sockColumns)
		r[sockProtoCol], r[sockFamily], r[sockType] = p.proto, p.family, p.sockType
		r[sockLocalAddr] = addrText(l.Local.Addr())
		r[sockLocalPort] = int64(l.Local.Port())
		r[sockRemoteAddr] = addrText(l.Remote.Addr())
		r[sockRemotePort] = int64(l.Remote.Port())
		r[sockState] = inetState(p, l.State)
		r[sockRecvQ] = int64(l.RxQueue)
		r[sockSendQ] = int64(l.TxQueue)
		r[sockUID] = int64(l.UID)
		r[sockUser] = userName(c, int64(l.UID))
		r[sockInode] = int64(l.Inode)
		if int(l.Timer) < len(timerNames) {
			r[sockTimer] = timerNames[l.Timer]
		} else {
			r[sockTimer] = hexCode(l.Timer)
		}
		r[sockTimerMs] = int64(l.TimerTicks) * (1000 / userHZ)
		r[sockRetransmits] = int64(l.Retransmits)
		if l.Drops >= 0 {
			r[sockDrops] = l.Drops
		}
		rows[i] = r
	}
	return rows, nil
}

var unixTypes = map[uint16]string{1: "stream", 2: "dgram", 3: "raw", 5: "seqpacket"}
var unixStates = [...]string{1: "UNCONNECTED", 2: "CONNECTING", 3: "CONNECTED", 4: "DISCONNECTING"}

// unixAcceptCon is __SO_ACCEPTCON, the flag of a listening unix socket.
const unixAcceptCon = 0x10000

func unixRows(data []byte) ([]Row, error) {
	lines, err := parseUnixSockets(data)
	if err != nil {
		return nil, err
	}
	rows := make([]Row, len(lines))
	for i, l := range lines {
		r := make(Row, sockColumns)
		r[sockProtoCol], r[sockFamily] = "unix", "unix"
		if t, ok := unixTypes[l.Type]; ok {
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

var packetTypes = map[uint16]string{1: "stream", 2: "dgram", 3: "raw", 5: "seqpacket"}

func packetRows(c *Collector, data []byte) ([]Row, error) {
	lines, err := parsePacketSockets(data)
	if err != nil {
		return nil, err
	}
	rows := make([]Row, len(lines))
	for i, l := range lines {
		r := make(Row, sockColumns)
		r[sockProtoCol], r[sockFamily] = "packet", "packet"
		if t, ok := packetTypes[l.Type]; ok {
			r[sockType] = t
		} else {
			r[sockType] = fmt.Sprint(l.Type)
		}
		r[sockLocalPort] = int64(l.Proto)
		r[sockState] = "UNCONN"
		r[sockUID] = int64(l.UID)
		r[sockUser] = userName(c, int64(l.UID))
		r[sockInode] = int64(l.Inode)
		r[sockRmem] = int64(l.Rmem)
		rows[i] = r
	}
	return rows, nil
}

func netlinkRows(data []byte) ([]Row, error) {
	lines, err := parseNetlinkSockets(data)
	if err != nil {
		return nil, err
	}
	rows := make([]Row, len(lines))
	for i, l := range lines {
		r := make(Row, sockColumns)
		r[sockProtoCol], r[sockFamily] = "netlink", "netlink"
		r[sockLocalAddr] = netlinkProtocolName(l.Protocol)
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
// holding each socket's inode.
func fillSocketOwners(c *Collector, _ []int, rows []Row) error {
	o, err := owners(c)
	if err != nil {
		return err
	}
	for _, r := range rows {
		inode, _ := r[sockInode].(int64)
		if inode == 0 {
			continue
		}
		if pos := o.byInode[inode]; len(pos) > 0 {
			pid := o.fds[pos[0]].pid
			r[sockPID] = pid
			if comm, ok := o.comm[pid]; ok {
				r[sockProcess] = comm
			}
		}
	}
	return nil
}

// protoNames lists the proto values, for docs and completion.
func protoNames() string {
	names := make([]string, len(allProtos))
	for i, p := range allProtos {
		names[i] = p.proto
	}
	return strings.Join(names, " ")
}
