package tables

// The sockets dataset over NETLINK_SOCK_DIAG: inet_diag for tcp, tcp6, udp,
// udp6, udplite and udplite6, unix_diag for unix and packet_diag for packet
// sockets. Each reply is decoded straight into a Row carved from a shared
// slab; values many rows share (addresses, user names, paths, the state
// words) are boxed once per collection, so a 100,000-socket dump costs a
// handful of allocations per row at most.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"net/netip"
	"strconv"

	"netsql/tables/engine"
	"netsql/tables/kernel"

	"golang.org/x/sys/unix"
)

// Which diag request serves a protocol; diagNone means /proc only (raw and
// icmp have no diag module here, netlink sockets keep their /proc reader).
const (
	diagNone = iota
	diagInet
	diagUnix
	diagPacket
)

// tcpAllStates asks for every TCP state the kernel knows, including the
// bound-inactive pseudo-state (bit 13), which the kernel reports as CLOSE.
const tcpAllStates = 1<<14 - 2

const (
	kernelEstablished = 1
	kernelSynSent     = 2
	kernelClose       = 7
	kernelListen      = 10
	kernelClosing     = 11
	kernelBoundInact  = 13
)

// The unix socket states unix_diag reports are the sk_state values, which
// af_unix borrows from TCP; named here as /proc/net/unix names them.
var unixDiagStates = map[uint8]string{kernelEstablished: "CONNECTED", kernelSynSent: "CONNECTING",
	kernelClose: "UNCONNECTED", kernelListen: "LISTENING", kernelClosing: "DISCONNECTING"}

// diagStateMask returns the kernel state bits a dump of p must ask for to
// find the sockets named state ("" for all). Zero means no socket of p can
// be in that state, so p needs no dump at all.
func diagStateMask(p *protoFile, state string) uint32 {
	if state == "" {
		switch {
		case p.diag == diagInet && p.sockType == "stream":
			return tcpAllStates
		default:
			return ^uint32(0)
		}
	}
	bit := func(code int) uint32 {
		if code < 0 || code > 31 {
			return 0
		}
		return 1 << uint(code)
	}
	switch p.diag {
	case diagInet:
		if p.sockType == "stream" {
			if state == "BOUND_INACTIVE" {
				return bit(kernelBoundInact)
			}
			for code, name := range tcpStates {
				if name == state {
					return bit(code)
				}
			}
		} else {
			switch state {
			case "UNCONN":
				return bit(kernelClose)
			case "ESTABLISHED":
				return bit(kernelEstablished)
			}
		}
	case diagUnix:
		for code, name := range unixDiagStates {
			if name == state {
				return bit(int(code))
			}
		}
	case diagPacket:
		if state == "UNCONN" {
			return ^uint32(0)
		}
		return 0
	}
	// An unknown code is named by its two hex digits, as hexCode prints it.
	if len(state) == 2 {
		if code, err := strconv.ParseUint(state, 16, 8); err == nil {
			return bit(int(code))
		}
	}
	return 0
}

// rowSlabRows is how many rows one slab allocation holds.
const rowSlabRows = 512

// rowAlloc hands out Rows carved from shared slabs: one allocation per
// rowSlabRows rows instead of one per row.
type rowAlloc struct {
	cols int
	slab []any
}

func (a *rowAlloc) next() engine.Row {
	if len(a.slab) < a.cols {
		a.slab = make([]any, a.cols*rowSlabRows)
	}
	r := a.slab[:a.cols:a.cols]
	a.slab = a.slab[a.cols:]
	return r
}

// boxed values shared by every collection: assigning a string to an
// interface allocates, so the words rows repeat are boxed once.
var (
	boxedTCPStates       = boxAll(tcpStates[:])
	boxedTimerNames      = boxAll(timerNames[:])
	boxedUnconn      any = "UNCONN"
	boxedEstab       any = "ESTABLISHED"
	boxedBoundInact  any = "BOUND_INACTIVE"
	boxedSocketTypes     = func() map[uint8]any {
		m := make(map[uint8]any, len(socketTypes))
		for code, name := range socketTypes {
			m[uint8(code)] = name
		}
		return m
	}()
	boxedUnixStates = func() map[uint8]any {
		m := map[uint8]any{}
		for code, name := range unixDiagStates {
			m[code] = name
		}
		return m
	}()
	boxedZero any = int64(0)
	boxedOne  any = int64(1)
)

func boxAll(names []string) []any {
	out := make([]any, len(names))
	for i, n := range names {
		if n != "" {
			out[i] = n
		}
	}
	return out
}

// socketRowBuilder turns diag replies into sockets rows for one collection.
type socketRowBuilder struct {
	c      *kernel.Collector
	alloc  rowAlloc // unix and packet rows
	inet   rowAlloc // inet rows: shorter when the statement reads few columns
	netns  any
	addrs4 map[[4]byte]any
	addrs6 map[[16]byte]any
	last4  [4]byte // the last IPv4 address looked up, and its text: rows come in runs
	last4v any
	users  map[uint32]any
	paths  map[string]any
	name   []byte // scratch for unix names

	rowHandOver
	// used, when pruned, is the columns the statement reads
	// (kernel.Columns): the others are left NULL.
	used   uint64
	pruned bool
	rest   bool // inetRow fills inetRest
}

// wants tells whether the statement reads any of the columns.
func (b *socketRowBuilder) wants(columns ...int) bool {
	if !b.pruned {
		return true
	}
	for _, c := range columns {
		if c >= 63 {
			c = 63
		}
		if b.used&(1<<uint(c)) != 0 {
			return true
		}
	}
	return false
}

func newSocketRowBuilder(c *kernel.Collector) *socketRowBuilder {
	return &socketRowBuilder{c: c, alloc: rowAlloc{cols: sockColumns}, inet: rowAlloc{cols: sockColumns}, rest: true, netns: kernel.SelfNetns(c),
		addrs4: map[[4]byte]any{}, addrs6: map[[16]byte]any{}, users: map[uint32]any{}, paths: map[string]any{}}
}

// socketsBuilder is the builder of the sockets dataset's own collection:
// it hands rows to the engine's sink while it streams, and fills only the
// columns the statement reads (kernel.Sink, kernel.Columns); other
// datasets decoding the same messages (closed_sockets) get every column.
func socketsBuilder(c *kernel.Collector) *socketRowBuilder {
	b := newSocketRowBuilder(c)
	b.rowHandOver = newRowHandOver(c)
	b.used, b.pruned = kernel.Columns(c)
	b.rest = b.wants(inetRest...)
	b.inet.cols = b.inetWidth()
	return b
}

// inetRest is the inet columns inetRow fills only when a statement reads
// one of them; it fills all of them then.
var inetRest = []int{sockUID, sockUser, sockInode, sockTimer, sockTimerMs, sockRetransmits, sockCookie,
	sockInterface, sockFwmark, sockV6only}

// inetWidth is how many columns an inet row needs: every column when the
// statement reads one of inetRest (or is not pruned), else up to the last
// column it reads, and at least the columns inetRow always fills (proto
// through send_q). A plain socket list (proto .. send_q) then costs 10
// slots a row instead of 29: a third of the memory, which at 40,000
// sockets is 3,000 fewer pages for the kernel to fault in and zero.
// Column reads a missing slot as NULL; netns and backlog, past the end,
// are written only when there is room (read).
func (b *socketRowBuilder) inetWidth() int {
	if !b.pruned || b.rest || b.used&(1<<63) != 0 {
		return sockColumns
	}
	width := max(sockProtoCol, sockFamily, sockType, sockLocalAddr, sockLocalPort, sockRemoteAddr,
		sockRemotePort, sockState, sockRecvQ, sockSendQ) + 1
	if b.used != 0 {
		width = max(width, 64-bits.LeadingZeros64(b.used))
	}
	return min(width, sockColumns)
}

// streamBatch is how many rows a streamed read hands over at once.
const streamBatch = 128

// rowHandOver hands a collection's rows to the engine's sink while it
// streams the read (kernel.Sink): emit is the sink (nil when the read is
// not streamed), sent how many rows of the collection it was handed.
type rowHandOver struct {
	emit func([]engine.Row)
	sent int
}

func newRowHandOver(c *kernel.Collector) rowHandOver {
	return rowHandOver{emit: kernel.Sink[engine.Row](c)}
}

// handOver gives the sink the rows of the collection not yet handed
// over, once there are at least least of them.
func (h *rowHandOver) handOver(rows []engine.Row, least int) {
	if h.emit != nil && len(rows)-h.sent >= least {
		h.emit(rows[h.sent:])
		h.sent = len(rows)
	}
}

// dumpFailed is the error of a dump that failed after before rows: rows
// already handed over cannot be taken back, so a refusal then is no
// longer one that another source may answer instead.
func (h *rowHandOver) dumpFailed(rows []engine.Row, before int, err error) ([]engine.Row, error) {
	if h.sent > before {
		return rows, fmt.Errorf("netlink sock_diag: the dump failed after %d rows were served: %v", h.sent-before, err)
	}
	return rows[:before], err
}

// addr returns the text of an inet_diag address (16 bytes, of which AF_INET
// uses the first 4), boxed once per distinct address.
func (b *socketRowBuilder) addr(family uint8, raw []byte) any {
	if family == unix.AF_INET {
		k := [4]byte(raw[:4])
		if k == b.last4 && b.last4v != nil {
			return b.last4v
		}
		v, ok := b.addrs4[k]
		if !ok {
			v = any(addrText(netip.AddrFrom4(k)))
			b.addrs4[k] = v
		}
		b.last4, b.last4v = k, v
		return v
	}
	k := [16]byte(raw[:16])
	if v, ok := b.addrs6[k]; ok {
		return v
	}
	v := any(addrText(netip.AddrFrom16(k)))
	b.addrs6[k] = v
	return v
}

// user returns uid's name from etc/passwd (nil when it has none), boxed once.
func (b *socketRowBuilder) user(uid uint32) any {
	if v, ok := b.users[uid]; ok {
		return v
	}
	v := kernel.UserName(b.c, int64(uid))
	b.users[uid] = v
	return v
}

// unixPath renders a UNIX_DIAG_NAME value as /proc/net/unix prints it:
// a path without its terminating NUL, an abstract name with '@' for each
// NUL. Paths repeat (every accepted socket carries its listener's), so
// each is boxed once.
func (b *socketRowBuilder) unixPath(raw []byte) any {
	if len(raw) == 0 {
		return nil
	}
	b.name = b.name[:0]
	if raw[0] == 0 {
		b.name = append(b.name, '@')
		raw = raw[1:]
	} else if raw[len(raw)-1] == 0 {
		raw = raw[:len(raw)-1]
	}
	for _, ch := range raw {
		if ch == 0 {
			ch = '@'
		}
		b.name = append(b.name, ch)
	}
	if v, ok := b.paths[string(b.name)]; ok {
		return v
	}
	s := string(b.name)
	v := any(s)
	b.paths[s] = v
	return v
}

// inetRow decodes one inet_diag_msg of protocol p.
func (b *socketRowBuilder) inetRow(p *protoFile, m kernel.InetDiagMsg) engine.Row {
	r := b.inet.next()
	r[sockProtoCol], r[sockFamily], r[sockType] = p.boxed[0], p.boxed[1], p.boxed[2]
	r[sockLocalAddr] = b.addr(m.Family(), m.Src())
	r[sockLocalPort] = int64(m.Sport())
	r[sockRemoteAddr] = b.addr(m.Family(), m.Dst())
	r[sockRemotePort] = int64(m.Dport())
	st := m.State()
	switch {
	case p.sockType != "stream":
		r[sockState] = inetDiagDgramState(st)
	case st == kernelClose:
		r[sockState] = boxedBoundInact // the only TCP sockets in CLOSE a dump shows
	case int(st) < len(boxedTCPStates) && boxedTCPStates[st] != nil:
		r[sockState] = boxedTCPStates[st]
	default:
		r[sockState] = hexCode(st)
	}
	r[sockRecvQ] = int64(m.Rqueue())
	r[sockSendQ] = int64(m.Wqueue())
	if st == kernelListen && p.sockType == "stream" && sockBacklog < len(r) {
		r[sockBacklog] = int64(m.Wqueue())
	}
	if sockNetns < len(r) {
		r[sockNetns] = b.netns
	}
	if !b.rest {
		return r // a statement that reads none of inetRest (a plain socket list)
	}
	uid := m.Uid()
	r[sockUID] = int64(uid)
	r[sockUser] = b.user(uid)
	r[sockInode] = int64(m.Inode())
	if t := m.Timer(); int(t) < len(boxedTimerNames) {
		r[sockTimer] = boxedTimerNames[t]
	} else {
		r[sockTimer] = hexCode(t)
	}
	r[sockTimerMs] = int64(m.ExpiresMs())
	r[sockRetransmits] = int64(m.Retrans())
	r[sockCookie] = int64(m.Cookie())
	if ifindex := m.Ifindex(); ifindex != 0 {
		r[sockInterface] = interfaceName(b.c, ifindex)
	}
	kernel.DiagAttrs(m.Attrs(), func(typ uint16, v []byte) {
		switch typ {
		case kernel.InetDiagAttrMark:
			if mark, ok := kernel.DiagU32(v); ok {
				r[sockFwmark] = int64(mark)
			}
		case kernel.InetDiagAttrV6only:
			if len(v) >= 1 {
				r[sockV6only] = boolValue(v[0] != 0)
			}
		}
	})
	return r
}

func inetDiagDgramState(st uint8) any {
	switch st {
	case kernelClose:
		return boxedUnconn
	case kernelEstablished:
		return boxedEstab
	}
	return hexCode(st)
}

func boolValue(b bool) any {
	if b {
		return boxedOne
	}
	return boxedZero
}

// unixRow decodes one unix_diag_msg (with name, peer, queue lengths and uid).
func (b *socketRowBuilder) unixRow(p *protoFile, m kernel.UnixDiagMsg) engine.Row {
	r := b.alloc.next()
	r[sockProtoCol], r[sockFamily] = p.boxed[0], p.boxed[1]
	if t, ok := boxedSocketTypes[m.Typ()]; ok {
		r[sockType] = t
	} else {
		r[sockType] = strconv.Itoa(int(m.Typ()))
	}
	st := m.State()
	if s, ok := boxedUnixStates[st]; ok {
		r[sockState] = s
	} else {
		r[sockState] = hexCode(st)
	}
	r[sockInode] = int64(m.Inode())
	r[sockNetns] = b.netns
	r[sockCookie] = int64(m.Cookie())
	kernel.DiagAttrs(m.Attrs(), func(typ uint16, v []byte) {
		switch typ {
		case kernel.UnixDiagAttrName:
			r[sockPath] = b.unixPath(v)
		case kernel.UnixDiagAttrPeer:
			if peer, ok := kernel.DiagU32(v); ok {
				r[sockPeerInode] = int64(peer)
			}
		case kernel.UnixDiagAttrRqlen:
			if len(v) >= 8 {
				rq, wq := binary.NativeEndian.Uint32(v), binary.NativeEndian.Uint32(v[4:])
				r[sockRecvQ], r[sockSendQ] = int64(rq), int64(wq)
				if st == kernelListen {
					r[sockBacklog] = int64(wq)
				}
			}
		case kernel.UnixDiagAttrUID:
			if uid, ok := kernel.DiagU32(v); ok {
				r[sockUID] = int64(uid)
				r[sockUser] = b.user(uid)
			}
		}
	})
	return r
}

// packetRow decodes one packet_diag_msg (with its info and uid).
func (b *socketRowBuilder) packetRow(p *protoFile, m kernel.PacketDiagMsg) engine.Row {
	r := b.alloc.next()
	r[sockProtoCol], r[sockFamily] = p.boxed[0], p.boxed[1]
	if t, ok := boxedSocketTypes[m.Typ()]; ok {
		r[sockType] = t
	} else {
		r[sockType] = strconv.Itoa(int(m.Typ()))
	}
	r[sockLocalPort] = int64(m.Protocol())
	r[sockState] = boxedUnconn
	r[sockInode] = int64(m.Inode())
	r[sockNetns] = b.netns
	r[sockCookie] = int64(m.Cookie())
	kernel.DiagAttrs(m.Attrs(), func(typ uint16, v []byte) {
		switch typ {
		case kernel.PacketDiagAttrInfo:
			if ifindex, ok := kernel.DiagU32(v); ok && ifindex != 0 {
				r[sockInterface] = interfaceName(b.c, ifindex)
			}
		case kernel.PacketDiagAttrUID:
			if uid, ok := kernel.DiagU32(v); ok {
				r[sockUID] = int64(uid)
				r[sockUser] = b.user(uid)
			}
		}
	})
	return r
}

// diagRequestFor encodes the dump that lists p's sockets in the states of
// mask, asking for extra in addition to what the sockets columns need
// (the meminfo extension, for the meminfo group).
func diagRequestFor(dst []byte, p *protoFile, mask uint32, meminfo bool) (req []byte, ext uint32) {
	switch p.diag {
	case diagInet:
		var e uint8
		if meminfo {
			e = kernel.InetDiagExtSkmeminfo
		}
		return kernel.InetDiagRequest(dst, p.afamily, p.protocol, e, mask), uint32(e)
	case diagUnix:
		show := uint32(kernel.UnixShowName | kernel.UnixShowPeer | kernel.UnixShowRqlen | kernel.UnixShowUID)
		if meminfo {
			show = kernel.UnixShowMeminfo
		}
		return kernel.UnixDiagRequest(dst, mask, show), show
	default:
		show := uint32(kernel.PacketShowInfo)
		if meminfo {
			show = kernel.PacketShowMeminfo
		}
		return kernel.PacketDiagRequest(dst, show), show
	}
}

// diagSockets dumps the sockets of p in the kernel states of mask
// (diagStatesMask) and appends their rows to rows.
func diagSockets(d *kernel.DiagConn, b *socketRowBuilder, p *protoFile, mask uint32, rows []engine.Row) ([]engine.Row, error) {
	if mask == 0 {
		return rows, nil
	}
	req, ext := diagRequestFor(nil, p, mask, false)
	before := len(rows)
	err := d.Dump(req, func(payload []byte) error {
		switch p.diag {
		case diagInet:
			if m := kernel.InetDiagMsg(payload); m.Valid() {
				rows = append(rows, b.inetRow(p, m))
			}
		case diagUnix:
			if m := kernel.UnixDiagMsg(payload); m.Valid() {
				rows = append(rows, b.unixRow(p, m))
			}
		case diagPacket:
			if m := kernel.PacketDiagMsg(payload); m.Valid() {
				rows = append(rows, b.packetRow(p, m))
			}
		}
		b.handOver(rows, streamBatch)
		return nil
	})
	if err != nil {
		return b.dumpFailed(rows, before, err)
	}
	b.handOver(rows, 1)
	if on := b.c.Source().OnDiag; on != nil {
		on(kernel.DiagDump{Family: p.afamily, Protocol: p.protocol, States: mask, Ext: ext, Rows: len(rows) - before})
	}
	return rows, nil
}

// diagBothTCP dumps the TCP sockets of both families in the kernel states
// of mask with one TCPDiagGetSock request, and appends their rows.
func diagBothTCP(d *kernel.DiagConn, b *socketRowBuilder, mask uint32, rows []engine.Row) ([]engine.Row, error) {
	if mask == 0 {
		return rows, nil
	}
	tcp4, tcp6 := protoByName("tcp"), protoByName("tcp6")
	before := len(rows)
	err := d.DumpType(kernel.TCPDiagGetSock, kernel.TCPBothFamiliesRequest(nil, 0, mask), func(payload []byte) error {
		if m := kernel.InetDiagMsg(payload); m.Valid() {
			switch m.Family() {
			case unix.AF_INET:
				rows = append(rows, b.inetRow(tcp4, m))
			case unix.AF_INET6:
				rows = append(rows, b.inetRow(tcp6, m))
			}
			b.handOver(rows, streamBatch)
		}
		return nil
	})
	if err != nil {
		return b.dumpFailed(rows, before, err)
	}
	b.handOver(rows, 1)
	if on := b.c.Source().OnDiag; on != nil {
		on(kernel.DiagDump{Family: unix.AF_UNSPEC, Protocol: unix.IPPROTO_TCP, States: mask, Rows: len(rows) - before})
	}
	return rows, nil
}

// interfaceName returns the name of an interface index, from the
// statement's one rtnetlink link dump (shared with routes, addresses...);
// an index without a name is kept as its number.
func interfaceName(c *kernel.Collector, ifindex uint32) any {
	names, _ := kernel.Memoize(c, "sockets-ifnames", func() (map[uint32]any, error) {
		m := map[uint32]any{}
		byIndex, err := kernel.RtnlLinkNames(c)
		if err != nil {
			return m, nil
		}
		for index, name := range byIndex {
			m[index] = name
		}
		return m, nil
	})
	if v, ok := names[ifindex]; ok {
		return v
	}
	return strconv.FormatUint(uint64(ifindex), 10)
}

// fillSocketMeminfo fills rmem, wmem and drops of sockets listed over
// netlink, with a second dump of each protocol present asking for the
// kernel's skmeminfo only (the first dump leaves it out, since it costs
// every statement that does not read these columns), in each namespace
// the rows come from. Rows read from /proc (no cookie) already hold what
// /proc has.
func fillSocketMeminfo(c *kernel.Collector, _ []int, rows []engine.Row) error {
	if !c.Source().Live {
		return nil
	}
	// The states present, per namespace and protocol, bound each dump.
	masks := map[any]map[string]uint32{}
	for _, r := range rows {
		if r[sockCookie] == nil {
			continue
		}
		proto, _ := r[sockProtoCol].(string)
		state, _ := r[sockState].(string)
		byProto := masks[r[sockNetns]]
		if byProto == nil {
			byProto = map[string]uint32{}
			masks[r[sockNetns]] = byProto
		}
		byProto[proto] |= diagStateMask(protoByName(proto), state)
	}
	if len(masks) == 0 {
		return nil
	}
	scope, err := kernel.ScopeNetns(c)
	if err != nil {
		return err
	}
	var list []*kernel.Netns
	for _, ns := range scope {
		if masks[netnsValue(ns)] != nil {
			list = append(list, ns)
		}
	}
	type meminfo struct{ rmem, wmem, drops int64 }
	found, err := kernel.EachNetns(c, list, func(c *kernel.Collector, i int) (map[int64]meminfo, error) {
		byProto := masks[netnsValue(list[i])]
		d, err := kernel.OpenDiag()
		if err != nil {
			return nil, nil // the collection already warned, or it would have used /proc
		}
		defer d.Close()
		byCookie := map[int64]meminfo{}
		for _, p := range allProtos {
			mask := byProto[p.proto]
			if mask == 0 {
				continue
			}
			req, _ := diagRequestFor(nil, &p, mask, true)
			err := d.Dump(req, func(payload []byte) error {
				var cookie int64
				var attrs []byte
				var want uint16
				switch p.diag {
				case diagInet:
					m := kernel.InetDiagMsg(payload)
					if !m.Valid() {
						return nil
					}
					cookie, attrs, want = int64(m.Cookie()), m.Attrs(), kernel.InetDiagAttrSkmeminfo
				case diagUnix:
					m := kernel.UnixDiagMsg(payload)
					if !m.Valid() {
						return nil
					}
					cookie, attrs, want = int64(m.Cookie()), m.Attrs(), kernel.UnixDiagAttrMeminfo
				case diagPacket:
					m := kernel.PacketDiagMsg(payload)
					if !m.Valid() {
						return nil
					}
					cookie, attrs, want = int64(m.Cookie()), m.Attrs(), kernel.PacketDiagAttrMeminfo
				}
				kernel.DiagAttrs(attrs, func(typ uint16, v []byte) {
					if typ != want || len(v) < 4*(kernel.SkmemDrops+1) {
						return
					}
					get := func(i int) int64 { return int64(binary.NativeEndian.Uint32(v[4*i:])) }
					byCookie[cookie] = meminfo{get(kernel.SkmemRmemAlloc), get(kernel.SkmemWmemAlloc), get(kernel.SkmemDrops)}
				})
				return nil
			})
			if err != nil && !errors.Is(err, kernel.ErrRefused) {
				return nil, err
			}
		}
		return byCookie, nil
	})
	if err != nil {
		return err
	}
	byNetns := make(map[any]map[int64]meminfo, len(list))
	for i, ns := range list {
		byNetns[netnsValue(ns)] = found[i]
	}
	for _, r := range rows {
		cookie, ok := r[sockCookie].(int64)
		if !ok {
			continue
		}
		if mi, ok := byNetns[r[sockNetns]][cookie]; ok {
			r[sockRmem], r[sockWmem], r[sockDrops] = mi.rmem, mi.wmem, mi.drops
		}
	}
	return nil
}
