package kernel

import (
	"bytes"
	"net/netip"
)

// /proc/net/nf_conntrack: the connections netfilter tracks, one line each.

// ConntrackAbsent marks a number the line did not carry; every number of
// nf_conntrack is unsigned, so -1 is free.
const ConntrackAbsent = -1

// conntrackTuple is one direction of an entry.
type conntrackTuple struct {
	Src, Dst         netip.Addr
	SrcPort, DstPort int64
	ICMPType         int64
	ICMPCode         int64
	ICMPID           int64
	Packets, Bytes   int64
}

// ConntrackEntry is one line of /proc/net/nf_conntrack.
type ConntrackEntry struct {
	Family    string
	Proto     string
	ProtoNum  int64
	Timeout   int64
	State     string
	Orig      conntrackTuple
	Reply     conntrackTuple
	Assured   bool
	Unreplied bool
	Offloaded bool
	Mark      int64
	Zone      int64
}

// ParseConntrack parses the text of /proc/net/nf_conntrack. Fields it does
// not know (secctx=, delta-time=, labels a later kernel adds) are skipped.
func ParseConntrack(data []byte) ([]ConntrackEntry, error) {
	var entries []ConntrackEntry
	for num, fields := range ProcnetFieldLines(data) {
		e, err := parseConntrackFields(fields, num)
		if err != nil {
			return nil, err
		}
		entries = append(entries, e)
	}
	return entries, nil
}

func newConntrackTuple() conntrackTuple {
	return conntrackTuple{SrcPort: ConntrackAbsent, DstPort: ConntrackAbsent, ICMPType: ConntrackAbsent,
		ICMPCode: ConntrackAbsent, ICMPID: ConntrackAbsent, Packets: ConntrackAbsent, Bytes: ConntrackAbsent}
}

func parseConntrackFields(fields [][]byte, lineNum int) (ConntrackEntry, error) {
	e := ConntrackEntry{Timeout: ConntrackAbsent, Mark: ConntrackAbsent, Zone: ConntrackAbsent,
		Orig: newConntrackTuple(), Reply: newConntrackTuple()}
	if len(fields) < 4 {
		return e, LineErrorf(lineNum, "%d fields, want family, number, protocol, number and tuples", len(fields))
	}
	e.Family = string(fields[0])
	if f, ok := conntrackFamilies[e.Family]; ok {
		e.Family = f
	}
	if _, ok := ProcnetDec(fields[1], 16); !ok {
		return e, LineErrorf(lineNum, "family number %q", ProcnetClip(fields[1]))
	}
	e.Proto = string(fields[2])
	protoNum, ok := ProcnetDec(fields[3], 8)
	if !ok {
		return e, LineErrorf(lineNum, "protocol number %q", ProcnetClip(fields[3]))
	}
	e.ProtoNum = int64(protoNum)
	rest := fields[4:]
	if len(rest) > 0 {
		if timeout, ok := ProcnetDec(rest[0], 63); ok {
			e.Timeout = int64(timeout)
			rest = rest[1:]
		}
	}
	// The state: words before the first key=value or [FLAG].
	var state [][]byte
	for len(rest) > 0 && !bytes.ContainsRune(rest[0], '=') && rest[0][0] != '[' {
		state = append(state, rest[0])
		rest = rest[1:]
	}
	e.State = string(bytes.Join(state, []byte(" ")))

	tuples := 0 // src= starts a tuple: 1 original, 2 reply
	tuple := func() *conntrackTuple {
		if tuples == 2 {
			return &e.Reply
		}
		return &e.Orig
	}
	for _, field := range rest {
		if field[0] == '[' {
			switch string(field) {
			case "[ASSURED]":
				e.Assured = true
			case "[UNREPLIED]":
				e.Unreplied = true
			case "[OFFLOAD]", "[HW_OFFLOAD]":
				e.Offloaded = true
			}
			continue
		}
		key, value, found := bytes.Cut(field, []byte("="))
		if !found {
			return e, LineErrorf(lineNum, "field %q is not key=value", ProcnetClip(field))
		}
		if tuples == 0 && string(key) != "src" && conntrackTupleKeys[string(key)] {
			return e, LineErrorf(lineNum, "%s= before the first src=", ProcnetClip(key))
		}
		var target *int64
		switch string(key) {
		case "src", "dst":
			if string(key) == "src" {
				tuples++
				if tuples > 2 {
					return e, LineErrorf(lineNum, "more than two tuples")
				}
			}
			addr, err := netip.ParseAddr(string(value))
			if err != nil || addr.Zone() != "" {
				return e, LineErrorf(lineNum, "%s address %q", key, ProcnetClip(value))
			}
			if string(key) == "src" {
				tuple().Src = addr
			} else {
				tuple().Dst = addr
			}
			continue
		case "sport":
			target = &tuple().SrcPort
		case "dport":
			target = &tuple().DstPort
		case "type":
			target = &tuple().ICMPType
		case "code":
			target = &tuple().ICMPCode
		case "id":
			target = &tuple().ICMPID
		case "packets":
			target = &tuple().Packets
		case "bytes":
			target = &tuple().Bytes
		case "mark":
			target = &e.Mark
		case "zone", "zone-orig":
			target = &e.Zone
		default:
			continue
		}
		n, ok := ProcnetDec(value, 63)
		if !ok {
			return e, LineErrorf(lineNum, "%s %q", key, ProcnetClip(value))
		}
		*target = int64(n)
	}
	if tuples != 2 || !e.Orig.Dst.IsValid() || !e.Reply.Dst.IsValid() {
		return e, LineErrorf(lineNum, "want an original and a reply tuple, each with src= and dst=")
	}
	return e, nil
}

// conntrackTupleKeys are the keys that belong to a tuple.
var conntrackTupleKeys = map[string]bool{"dst": true, "sport": true, "dport": true, "type": true, "code": true, "id": true}

var conntrackFamilies = map[string]string{"ipv4": "inet", "ipv6": "inet6"}
