package tables

// The conntrack dataset: connections netfilter tracks, as `conntrack -L`
// lists them (netstat -M's modern equivalent). It reads
// /proc/net/nf_conntrack, which ct_seq_show prints one entry per line:
//
//	ipv4     2 tcp      6 431999 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=40000 dport=80
//	  packets=3 bytes=164 src=10.0.0.2 dst=10.0.0.1 sport=80 dport=40000 packets=2 bytes=112
//	  [ASSURED] mark=0 zone=0 use=2
//
// (on one line): family and number, protocol and number, seconds left (absent
// when offloaded), the protocol's state (tcp, sctp, dccp), the original
// tuple, its counters when accounting is on, [UNREPLIED], the reply tuple
// and its counters, [ASSURED] or [OFFLOAD], mark, zone and refcount. The
// file is missing when the kernel has no conntrack: zero rows then.

import (
	"errors"
	"io/fs"
	"net/netip"

	"netsql/tables/engine"
	"netsql/tables/kernel"
)

// warnConntrackDenied is counted when /proc/net/nf_conntrack cannot be read
// (it is readable by root only).
const warnConntrackDenied = "conntrack table not readable (permission denied): run as root to see tracked connections"

// Conntrack is every connection netfilter tracks in this network namespace.
var Conntrack = &engine.Dataset{
	Name:    "conntrack",
	Doc:     "one row per connection netfilter tracks in this network namespace; empty when it tracks none (conntrack -L, netstat -M)",
	Sources: []string{"/proc/net/nf_conntrack"},
	Columns: []engine.Column{
		{Name: "family", Type: engine.Text, Doc: "inet or inet6"},
		{Name: "proto", Type: engine.Text, Doc: "layer-4 protocol as conntrack names it: tcp, udp, udplite, icmp, icmpv6, sctp, dccp, gre, unknown"},
		{Name: "proto_num", Type: engine.Integer, Doc: "IP protocol number (6 tcp, 17 udp, 1 icmp, 58 icmpv6, ...)"},
		{Name: "state", Type: engine.Text, Doc: "protocol state for tcp, sctp and dccp (ESTABLISHED, SYN_SENT, TIME_WAIT, ...); NULL for the others"},
		{Name: "src_addr", Type: engine.Text, Doc: "source address of the original direction (the side that opened it)"},
		{Name: "src_port", Type: engine.Integer, Doc: "source port of the original direction; NULL for protocols without ports"},
		{Name: "dst_addr", Type: engine.Text, Doc: "destination address of the original direction"},
		{Name: "dst_port", Type: engine.Integer, Doc: "destination port of the original direction; NULL for protocols without ports"},
		{Name: "reply_src_addr", Type: engine.Text, Doc: "source address of the reply direction (differs from dst_addr under DNAT)"},
		{Name: "reply_src_port", Type: engine.Integer, Doc: "source port of the reply direction"},
		{Name: "reply_dst_addr", Type: engine.Text, Doc: "destination address of the reply direction (differs from src_addr under SNAT or masquerade)"},
		{Name: "reply_dst_port", Type: engine.Integer, Doc: "destination port of the reply direction"},
		{Name: "mark", Type: engine.Integer, Doc: "connection mark (ct mark); NULL when the kernel has no mark support"},
		{Name: "zone", Type: engine.Integer, Doc: "conntrack zone, 0 by default; NULL when the kernel has no zone support"},
		{Name: "timeout", Type: engine.Integer, Doc: "seconds until the entry expires unless more packets come; NULL when offloaded"},
		{Name: "packets", Type: engine.Integer, Doc: "packets in the original direction; NULL unless accounting is on (net.netfilter.nf_conntrack_acct)"},
		{Name: "bytes", Type: engine.Integer, Doc: "bytes in the original direction; NULL unless accounting is on"},
		{Name: "reply_packets", Type: engine.Integer, Doc: "packets in the reply direction; NULL unless accounting is on"},
		{Name: "reply_bytes", Type: engine.Integer, Doc: "bytes in the reply direction; NULL unless accounting is on"},
		{Name: "assured", Type: engine.Integer, Doc: "1 when traffic was seen both ways and the entry is not dropped early under pressure ([ASSURED]), else 0"},
		{Name: "unreplied", Type: engine.Integer, Doc: "1 when no reply has been seen yet ([UNREPLIED]), else 0"},
		{Name: "offloaded", Type: engine.Integer, Doc: "1 when the flow is offloaded to a flowtable or hardware ([OFFLOAD], [HW_OFFLOAD]), else 0"},
		{Name: "icmp_type", Type: engine.Integer, Doc: "ICMP type of the original direction (icmp, icmpv6); NULL for other protocols"},
		{Name: "icmp_code", Type: engine.Integer, Doc: "ICMP code of the original direction (icmp, icmpv6)"},
		{Name: "icmp_id", Type: engine.Integer, Doc: "ICMP echo identifier (icmp, icmpv6)"},
	},
	Collect:       collectConntrack,
	EstimatedRows: 100,
	Diff: engine.DiffSpec{
		Key:      []string{"family", "proto", "src_addr", "src_port", "dst_addr", "dst_port", "zone", "icmp_type", "icmp_code", "icmp_id"},
		Counters: []string{"packets", "bytes", "reply_packets", "reply_bytes"},
		Volatile: []string{"timeout"},
	},
}

func collectConntrack(c *kernel.Collector) ([]engine.Row, error) {
	path := c.Source().ProcPath("net", "nf_conntrack")
	data, ok, err := c.ReadOptional(path)
	if errors.Is(err, fs.ErrPermission) {
		c.Notice(warnConntrackDenied)
		return nil, nil
	}
	if err != nil || !ok {
		return nil, err
	}
	entries, err := kernel.ParseConntrack(data)
	if err != nil {
		return nil, kernel.FileError(path, err)
	}
	rows := make([]engine.Row, len(entries))
	for i, e := range entries {
		rows[i] = conntrackRow(e)
	}
	return rows, nil
}

// conntrackOpt turns conntrackAbsent into NULL.
func conntrackOpt(v int64) any {
	if v == kernel.ConntrackAbsent {
		return nil
	}
	return v
}

func conntrackAddr(a netip.Addr) any {
	if !a.IsValid() {
		return nil
	}
	return addrText(a)
}

func conntrackRow(e kernel.ConntrackEntry) engine.Row {
	var state any
	if e.State != "" {
		state = e.State
	}
	o, r := e.Orig, e.Reply
	return engine.Row{
		e.Family, e.Proto, e.ProtoNum, state,
		conntrackAddr(o.Src), conntrackOpt(o.SrcPort), conntrackAddr(o.Dst), conntrackOpt(o.DstPort),
		conntrackAddr(r.Src), conntrackOpt(r.SrcPort), conntrackAddr(r.Dst), conntrackOpt(r.DstPort),
		conntrackOpt(e.Mark), conntrackOpt(e.Zone), conntrackOpt(e.Timeout),
		conntrackOpt(o.Packets), conntrackOpt(o.Bytes), conntrackOpt(r.Packets), conntrackOpt(r.Bytes),
		asFlag01(e.Assured), asFlag01(e.Unreplied), asFlag01(e.Offloaded),
		conntrackOpt(o.ICMPType), conntrackOpt(o.ICMPCode), conntrackOpt(o.ICMPID),
	}
}
