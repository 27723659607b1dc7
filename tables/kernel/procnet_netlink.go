package kernel

// Parser for /proc/net/netlink, printed by the kernel's netlink_seq_show as
// "%pK %-3d %-10u %08x %-8d %-8d %-5d %-8d %-8u %-8lu": everything decimal
// except the pointer and Groups, and every line padded with trailing spaces.

import (
	"strconv"
)

// netlinkSocketLine is one row of /proc/net/netlink ("sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode").
type netlinkSocketLine struct {
	Protocol int    // Eth: netlink protocol number (0 route, 4 sock_diag, ...), decimal
	PortID   uint32 // Pid: the socket's port id, decimal; 0 = the kernel
	Groups   uint32 // hex bitmask of the first 32 groups
	Rmem     uint64
	Wmem     uint64
	Drops    uint64
	Inode    uint64
}

// netlinkFieldCount is the number of columns; extra columns from a future
// kernel are ignored.
const netlinkFieldCount = 10

// ParseNetlinkSockets parses the text of /proc/net/netlink.
func ParseNetlinkSockets(data []byte) ([]netlinkSocketLine, error) {
	return parseSocketTable(data, "sk", netlinkFieldCount, netlinkFieldCount, parseNetlinkSocketFields)
}

// parseNetlinkSocketFields decodes the ten columns of one row; Dump and
// Locks are checked but not kept.
func parseNetlinkSocketFields(fields [][]byte, lineNum int) (netlinkSocketLine, error) {
	var row netlinkSocketLine
	if _, ok := ProcnetHex(fields[0], 64); !ok {
		return row, LineErrorf(lineNum, "sk %q", ProcnetClip(fields[0]))
	}
	protocol, ok := ProcnetInt(fields[1], 32)
	if !ok {
		return row, LineErrorf(lineNum, "eth %q", ProcnetClip(fields[1]))
	}
	row.Protocol = int(protocol)
	portID, ok := ProcnetDec(fields[2], 32)
	if !ok {
		return row, LineErrorf(lineNum, "pid %q", ProcnetClip(fields[2]))
	}
	row.PortID = uint32(portID)
	groups, ok := ProcnetHex(fields[3], 32)
	if !ok {
		return row, LineErrorf(lineNum, "groups %q", ProcnetClip(fields[3]))
	}
	row.Groups = uint32(groups)
	if row.Rmem, ok = ProcnetDec(fields[4], 64); !ok {
		return row, LineErrorf(lineNum, "rmem %q", ProcnetClip(fields[4]))
	}
	if row.Wmem, ok = ProcnetDec(fields[5], 64); !ok {
		return row, LineErrorf(lineNum, "wmem %q", ProcnetClip(fields[5]))
	}
	if _, ok = ProcnetInt(fields[6], 32); !ok {
		return row, LineErrorf(lineNum, "dump %q", ProcnetClip(fields[6]))
	}
	if _, ok = ProcnetInt(fields[7], 32); !ok {
		return row, LineErrorf(lineNum, "locks %q", ProcnetClip(fields[7]))
	}
	if row.Drops, ok = ProcnetDec(fields[8], 64); !ok {
		return row, LineErrorf(lineNum, "drops %q", ProcnetClip(fields[8]))
	}
	if row.Inode, ok = ProcnetDec(fields[9], 64); !ok {
		return row, LineErrorf(lineNum, "inode %q", ProcnetClip(fields[9]))
	}
	return row, nil
}

// netlinkProtocolNames are the names ss prints in its Local Address column
// for -f netlink, from iproute2's built-in table (lib/rt_names.c, the same as
// the /etc/iproute2/nl_protos it ships). Protocols ss does not name (22,
// NETLINK_SMC, among them) print as numbers there, and so here.
var netlinkProtocolNames = [...]string{
	0:  "rtnl",       // NETLINK_ROUTE
	1:  "unused",     // NETLINK_UNUSED
	2:  "usersock",   // NETLINK_USERSOCK
	3:  "fw",         // NETLINK_FIREWALL
	4:  "tcpdiag",    // NETLINK_SOCK_DIAG (formerly NETLINK_INET_DIAG)
	5:  "nflog",      // NETLINK_NFLOG
	6:  "xfrm",       // NETLINK_XFRM
	7:  "selinux",    // NETLINK_SELINUX
	8:  "iscsi",      // NETLINK_ISCSI
	9:  "audit",      // NETLINK_AUDIT
	10: "fiblookup",  // NETLINK_FIB_LOOKUP
	11: "connector",  // NETLINK_CONNECTOR
	12: "nft",        // NETLINK_NETFILTER
	13: "ip6fw",      // NETLINK_IP6_FW
	14: "dec-rt",     // NETLINK_DNRTMSG
	15: "uevent",     // NETLINK_KOBJECT_UEVENT
	16: "genl",       // NETLINK_GENERIC
	18: "scsi-trans", // NETLINK_SCSITRANSPORT
	19: "ecryptfs",   // NETLINK_ECRYPTFS
	20: "rdma",       // NETLINK_RDMA
	21: "crypto",     // NETLINK_CRYPTO
}

// NetlinkProtocolName returns ss's short name for a netlink protocol number ("rtnl", "tcpdiag", "nflog", "xfrm", "selinux", "iscsi", "audit", "fiblookup", "connector", "nft", "ip6fw", "dec-rt", "uevent", "genl", "scsi-trans", "ecryptfs", "rdma", "crypto" ...), or the number in decimal when unknown.
func NetlinkProtocolName(protocol int) string {
	if protocol >= 0 && protocol < len(netlinkProtocolNames) && netlinkProtocolNames[protocol] != "" {
		return netlinkProtocolNames[protocol]
	}
	return strconv.Itoa(protocol)
}
