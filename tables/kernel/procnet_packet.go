package kernel

// Parser for /proc/net/packet, printed by the kernel's packet_seq_show as
// "%pK %-6d %-4d %04x   %-5d %1d %-6u %-6u %-6lu": everything decimal except
// the pointer and Proto, and every line padded with trailing spaces.

// packetSocketLine is one row of /proc/net/packet ("sk RefCnt Type Proto Iface R Rmem User Inode").
type packetSocketLine struct {
	RefCount uint32
	Type     uint16 // socket type: 3 raw, 2 dgram (decimal)
	Proto    uint16 // ethertype, hex (0003 = ETH_P_ALL)
	Ifindex  int32  // 0 = any (decimal)
	Running  bool
	Rmem     uint64
	UID      uint32
	Inode    uint64
}

// packetFieldCount is the number of columns; a longer line (a future kernel
// adding columns) is accepted and its extra columns ignored.
const packetFieldCount = 9

// ParsePacketSockets parses the text of /proc/net/packet.
func ParsePacketSockets(data []byte) ([]packetSocketLine, error) {
	return parseSocketTable(data, "sk", packetFieldCount, packetFieldCount, parsePacketSocketFields)
}

// parsePacketSocketFields decodes the nine columns of one row.
func parsePacketSocketFields(fields [][]byte, lineNum int) (packetSocketLine, error) {
	var row packetSocketLine
	if _, ok := ProcnetHex(fields[0], 64); !ok {
		return row, LineErrorf(lineNum, "sk %q", ProcnetClip(fields[0]))
	}
	refCount, ok := ProcnetDec(fields[1], 32)
	if !ok {
		return row, LineErrorf(lineNum, "refcnt %q", ProcnetClip(fields[1]))
	}
	row.RefCount = uint32(refCount)
	socketType, ok := ProcnetDec(fields[2], 16)
	if !ok {
		return row, LineErrorf(lineNum, "type %q", ProcnetClip(fields[2]))
	}
	row.Type = uint16(socketType)
	proto, ok := ProcnetHex(fields[3], 16)
	if !ok {
		return row, LineErrorf(lineNum, "proto %q", ProcnetClip(fields[3]))
	}
	row.Proto = uint16(proto)
	ifindex, ok := ProcnetInt(fields[4], 32)
	if !ok {
		return row, LineErrorf(lineNum, "iface %q", ProcnetClip(fields[4]))
	}
	row.Ifindex = int32(ifindex)
	switch string(fields[5]) {
	case "0":
	case "1":
		row.Running = true
	default:
		return row, LineErrorf(lineNum, "running flag %q", ProcnetClip(fields[5]))
	}
	if row.Rmem, ok = ProcnetDec(fields[6], 64); !ok {
		return row, LineErrorf(lineNum, "rmem %q", ProcnetClip(fields[6]))
	}
	uid, ok := ProcnetDec(fields[7], 32)
	if !ok {
		return row, LineErrorf(lineNum, "user %q", ProcnetClip(fields[7]))
	}
	row.UID = uint32(uid)
	if row.Inode, ok = ProcnetDec(fields[8], 64); !ok {
		return row, LineErrorf(lineNum, "inode %q", ProcnetClip(fields[8]))
	}
	return row, nil
}
