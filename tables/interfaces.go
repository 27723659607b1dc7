package tables

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"

	"netsql/tables/engine"
	"netsql/tables/kernel"

	"github.com/jsimonetti/rtnetlink/v2"
)

// interfaceColumns declares the columns of Interfaces; the positions below are
// looked up by name in it.
var interfaceColumns = append([]engine.Column{
	{Name: "name", Type: engine.Text, Doc: "interface name"},
	{Name: "ifindex", Type: engine.Integer, Doc: "interface index"},
	{Name: "kind", Type: engine.Text, Doc: "link kind: veth, bridge, vlan, bond, dummy, tun, wireguard, ...; NULL for a physical device or loopback (from /sys: the uevent DEVTYPE, NULL for veth and others)"},
	{Name: "master", Type: engine.Text, Doc: "name of the bridge, bond or VRF this interface is enslaved to; NULL when none"},
	{Name: "link_type", Type: engine.Text, Doc: "link-layer type as ip names it: ether, loopback, none, ipip, sit, gre, ...; else the ARPHRD number"},
	{Name: "mtu", Type: engine.Integer, Doc: "MTU in bytes"},
	{Name: "mac", Type: engine.Text, Doc: "link-layer address, colon-separated hex; NULL when the interface has none"},
	{Name: "flags", Type: engine.Text, Doc: "interface flags as the kernel names them: UP,BROADCAST,RUNNING,MULTICAST,LOWER_UP, ...; PROMISC and ALLMULTI whenever the device is in that mode (a bridge port, a packet capture, ip link set ... promisc on), which ip link and ifconfig show only when a user set it; from /sys RUNNING, LOWER_UP and DORMANT are derived from operstate and carrier"},
	{Name: "operstate", Type: engine.Text, Doc: "RFC 2863 operational state: UP, DOWN, LOWERLAYERDOWN, DORMANT, TESTING, NOTPRESENT, UNKNOWN"},
	{Name: "carrier", Type: engine.Integer, Doc: "1 when the link has carrier, 0 when not; NULL from /sys while the interface is down"},
	{Name: "speed_mbps", Type: engine.Integer, Doc: "link speed in Mbit/s from /sys; NULL where the kernel refuses it (lo, down links) or does not know it"},
	{Name: "duplex", Type: engine.Text, Doc: "full, half or unknown from /sys; NULL where the kernel refuses it"},
	{Name: "qdisc", Type: engine.Text, Doc: "root queueing discipline (noqueue, fq_codel, mq, ...); NULL from /sys"},
	{Name: "txqueuelen", Type: engine.Integer, Doc: "transmit queue length in packets"},
}, interfaceCounterColumns()...)

// Interfaces is every network interface of this namespace with its kernel
// statistics, as `ip -s -d link` and `netstat -i` show them. Live it dumps
// RTM_GETLINK (64-bit counters, kind, master, carrier, qdisc) and reads
// speed and duplex from /sys/class/net/NAME; from a --root tree, or when
// netlink is refused, it lists /proc/net/dev and reads /sys/class/net/NAME
// and its statistics/ directory.
var Interfaces = &engine.Dataset{
	Name: "interfaces",
	Doc:  "one row per network interface of this namespace, with its kernel statistics (netstat -i, ip -s -d link)",
	Sources: []string{"rtnetlink RTM_GETLINK", "/proc/net/dev", "/sys/class/net/NAME/{ifindex,mtu,address,flags,operstate,carrier,speed,duplex,tx_queue_len,type,uevent,master}",
		"/sys/class/net/NAME/statistics/*"},
	Columns: interfaceColumns,
	Collect: func(c *kernel.Collector) ([]engine.Row, error) {
		return fromNetlinkOrFiles(c, "interfaces", "/proc/net/dev and /sys/class/net", interfacesFromNetlink, interfacesFromFiles)
	},
	EstimatedRows: 10,
	Diff: engine.DiffSpec{Key: []string{"name"}, Identity: []string{"ifindex"}, Counters: func() []string {
		names := make([]string, len(interfaceCounters))
		for i, k := range interfaceCounters {
			names[i] = k.name
		}
		return names
	}()},
}

// Positions of Interfaces's columns, by name: a column moved in the list moves
// its position with it.
var (
	ifcName       = columnIndex(interfaceColumns, "name")
	ifcIndex      = columnIndex(interfaceColumns, "ifindex")
	ifcKind       = columnIndex(interfaceColumns, "kind")
	ifcMaster     = columnIndex(interfaceColumns, "master")
	ifcLinkType   = columnIndex(interfaceColumns, "link_type")
	ifcMTU        = columnIndex(interfaceColumns, "mtu")
	ifcMAC        = columnIndex(interfaceColumns, "mac")
	ifcFlags      = columnIndex(interfaceColumns, "flags")
	ifcOperstate  = columnIndex(interfaceColumns, "operstate")
	ifcCarrier    = columnIndex(interfaceColumns, "carrier")
	ifcSpeed      = columnIndex(interfaceColumns, "speed_mbps")
	ifcDuplex     = columnIndex(interfaceColumns, "duplex")
	ifcQdisc      = columnIndex(interfaceColumns, "qdisc")
	ifcTxqueuelen = columnIndex(interfaceColumns, "txqueuelen")
	ifcCounters   = columnIndex(interfaceColumns, interfaceCounters[0].name) // the first counter column
)

// interfaceCounter is one statistics column: its sysfs name (the column's
// name) and where rtnetlink's 64-bit and 32-bit statistics keep it.
type interfaceCounter struct {
	name, doc string
	stats64   func(*rtnetlink.LinkStats64) uint64
	stats32   func(*rtnetlink.LinkStats) uint32
}

var interfaceCounters = []interfaceCounter{
	{"rx_bytes", "bytes received", func(s *rtnetlink.LinkStats64) uint64 { return s.RXBytes }, func(s *rtnetlink.LinkStats) uint32 { return s.RXBytes }},
	{"rx_packets", "packets received", func(s *rtnetlink.LinkStats64) uint64 { return s.RXPackets }, func(s *rtnetlink.LinkStats) uint32 { return s.RXPackets }},
	{"rx_errors", "bad packets received (all receive errors)", func(s *rtnetlink.LinkStats64) uint64 { return s.RXErrors }, func(s *rtnetlink.LinkStats) uint32 { return s.RXErrors }},
	{"rx_dropped", "packets received but dropped (no buffer space, unknown protocol, ...); from /proc/net/dev alone it includes rx_missed_errors", func(s *rtnetlink.LinkStats64) uint64 { return s.RXDropped }, func(s *rtnetlink.LinkStats) uint32 { return s.RXDropped }},
	{"rx_missed_errors", "packets the device missed (no room in its receive ring); NULL from /proc/net/dev alone", func(s *rtnetlink.LinkStats64) uint64 { return s.RXMissedErrors }, func(s *rtnetlink.LinkStats) uint32 { return s.RXMissedErrors }},
	{"rx_fifo_errors", "receive FIFO overruns (netstat -i's RX-OVR)", func(s *rtnetlink.LinkStats64) uint64 { return s.RXFIFOErrors }, func(s *rtnetlink.LinkStats) uint32 { return s.RXFIFOErrors }},
	{"rx_over_errors", "receive ring overflows; NULL from /proc/net/dev alone", func(s *rtnetlink.LinkStats64) uint64 { return s.RXOverErrors }, func(s *rtnetlink.LinkStats) uint32 { return s.RXOverErrors }},
	{"rx_crc_errors", "frames received with a bad CRC; NULL from /proc/net/dev alone", func(s *rtnetlink.LinkStats64) uint64 { return s.RXCRCErrors }, func(s *rtnetlink.LinkStats) uint32 { return s.RXCRCErrors }},
	{"rx_frame_errors", "frame alignment errors; from /proc/net/dev alone the sum of length, over, crc and frame errors", func(s *rtnetlink.LinkStats64) uint64 { return s.RXFrameErrors }, func(s *rtnetlink.LinkStats) uint32 { return s.RXFrameErrors }},
	{"rx_length_errors", "frames received with a bad length; NULL from /proc/net/dev alone", func(s *rtnetlink.LinkStats64) uint64 { return s.RXLengthErrors }, func(s *rtnetlink.LinkStats) uint32 { return s.RXLengthErrors }},
	{"rx_compressed", "compressed packets received (cslip, ppp)", func(s *rtnetlink.LinkStats64) uint64 { return s.RXCompressed }, func(s *rtnetlink.LinkStats) uint32 { return s.RXCompressed }},
	{"rx_nohandler", "packets dropped for want of a protocol handler (an inactive bond slave, ...); NULL from /proc/net/dev alone", func(s *rtnetlink.LinkStats64) uint64 { return s.RXNoHandler }, func(s *rtnetlink.LinkStats) uint32 { return s.RXNoHandler }},
	{"rx_otherhost_dropped", "packets dropped because their destination MAC was another host's (netlink only, kernel 5.19+; NULL from files)", func(s *rtnetlink.LinkStats64) uint64 { return s.RXOtherhostDropped }, nil},
	{"multicast", "multicast packets received", func(s *rtnetlink.LinkStats64) uint64 { return s.Multicast }, func(s *rtnetlink.LinkStats) uint32 { return s.Multicast }},
	{"tx_bytes", "bytes sent", func(s *rtnetlink.LinkStats64) uint64 { return s.TXBytes }, func(s *rtnetlink.LinkStats) uint32 { return s.TXBytes }},
	{"tx_packets", "packets sent", func(s *rtnetlink.LinkStats64) uint64 { return s.TXPackets }, func(s *rtnetlink.LinkStats) uint32 { return s.TXPackets }},
	{"tx_errors", "packets that failed to send (all transmit errors)", func(s *rtnetlink.LinkStats64) uint64 { return s.TXErrors }, func(s *rtnetlink.LinkStats) uint32 { return s.TXErrors }},
	{"tx_dropped", "packets dropped on the way out (no buffer space, ...)", func(s *rtnetlink.LinkStats64) uint64 { return s.TXDropped }, func(s *rtnetlink.LinkStats) uint32 { return s.TXDropped }},
	{"tx_aborted_errors", "transmissions aborted; NULL from /proc/net/dev alone", func(s *rtnetlink.LinkStats64) uint64 { return s.TXAbortedErrors }, func(s *rtnetlink.LinkStats) uint32 { return s.TXAbortedErrors }},
	{"tx_carrier_errors", "transmissions that lost carrier; from /proc/net/dev alone the sum of carrier, aborted, window and heartbeat errors", func(s *rtnetlink.LinkStats64) uint64 { return s.TXCarrierErrors }, func(s *rtnetlink.LinkStats) uint32 { return s.TXCarrierErrors }},
	{"tx_fifo_errors", "transmit FIFO underruns (netstat -i's TX-OVR)", func(s *rtnetlink.LinkStats64) uint64 { return s.TXFIFOErrors }, func(s *rtnetlink.LinkStats) uint32 { return s.TXFIFOErrors }},
	{"tx_heartbeat_errors", "SQE heartbeat errors; NULL from /proc/net/dev alone", func(s *rtnetlink.LinkStats64) uint64 { return s.TXHeartbeatErrors }, func(s *rtnetlink.LinkStats) uint32 { return s.TXHeartbeatErrors }},
	{"tx_window_errors", "late collisions; NULL from /proc/net/dev alone", func(s *rtnetlink.LinkStats64) uint64 { return s.TXWindowErrors }, func(s *rtnetlink.LinkStats) uint32 { return s.TXWindowErrors }},
	{"tx_compressed", "compressed packets sent (cslip, ppp)", func(s *rtnetlink.LinkStats64) uint64 { return s.TXCompressed }, func(s *rtnetlink.LinkStats) uint32 { return s.TXCompressed }},
	{"collisions", "collisions while sending", func(s *rtnetlink.LinkStats64) uint64 { return s.Collisions }, func(s *rtnetlink.LinkStats) uint32 { return s.Collisions }},
}

func interfaceCounterColumns() []engine.Column {
	cols := make([]engine.Column, len(interfaceCounters))
	for i, k := range interfaceCounters {
		cols[i] = engine.Column{Name: k.name, Type: engine.Integer, Doc: k.doc}
	}
	return cols
}

var ifcColumns = ifcCounters + len(interfaceCounters)

// interfaceFlagNames are the IFF_* bits of net_device_flags, in bit order.
var interfaceFlagNames = []bitName{{0x1, "UP"}, {0x2, "BROADCAST"}, {0x4, "DEBUG"}, {0x8, "LOOPBACK"},
	{0x10, "POINTOPOINT"}, {0x20, "NOTRAILERS"}, {0x40, "RUNNING"}, {0x80, "NOARP"}, {0x100, "PROMISC"},
	{0x200, "ALLMULTI"}, {0x400, "MASTER"}, {0x800, "SLAVE"}, {0x1000, "MULTICAST"}, {0x2000, "PORTSEL"},
	{0x4000, "AUTOMEDIA"}, {0x8000, "DYNAMIC"}, {0x10000, "LOWER_UP"}, {0x20000, "DORMANT"}, {0x40000, "ECHO"}}

const (
	iffUp       = 0x1
	iffRunning  = 0x40
	iffPromisc  = 0x100
	iffAllmulti = 0x200
	iffLowerUp  = 0x10000
	iffDormant  = 0x20000
)

// linkFlags are a link's flags with PROMISC and ALLMULTI meaning "the
// device is in that mode", as /sys shows them, whoever asked for it. The
// message's own flags (ip link's) show them only when a user set them
// with ip link or ifconfig, not for a bridge port or a packet capture.
func linkFlags(l kernel.Link) uint64 {
	flags := uint64(l.Flags)
	set := func(bit uint64, on bool) {
		if on {
			flags |= bit
		} else {
			flags &^= bit
		}
	}
	if l.HasPromiscuity {
		set(iffPromisc, l.Promiscuity > 0)
	}
	if l.HasAllmulti {
		set(iffAllmulti, l.Allmulti > 0)
	}
	return flags
}

// operStates are IF_OPER_* by their RFC 2863 names, as ip prints them.
var operStates = [...]string{"UNKNOWN", "NOTPRESENT", "DOWN", "LOWERLAYERDOWN", "TESTING", "DORMANT", "UP"}

// linkTypes are ARPHRD_* numbers by the names ip prints.
var linkTypes = map[uint32]string{0: "netrom", 1: "ether", 2: "eether", 3: "ax25", 6: "ieee802", 15: "dlci",
	19: "atm", 24: "ieee1394", 32: "infiniband", 280: "can", 512: "ppp", 513: "cisco", 768: "ipip",
	769: "tunnel6", 772: "loopback", 774: "fddi", 776: "sit", 778: "gre", 783: "irda", 801: "ieee802.11",
	803: "ieee802.11/radiotap", 804: "ieee802.15.4", 823: "gre6", 824: "netlink", 825: "6lowpan",
	65534: "none", 65535: "void"}

func linkTypeName(t uint32) string {
	if name, ok := linkTypes[t]; ok {
		return name
	}
	return strconv.FormatUint(uint64(t), 10)
}

func interfacesFromNetlink(c *kernel.Collector) ([]engine.Row, error) {
	links, err := kernel.RtnlLinks(c)
	if err != nil {
		return nil, err
	}
	names, err := kernel.RtnlLinkNames(c)
	if err != nil {
		return nil, err
	}
	rows := make([]engine.Row, 0, len(links))
	for _, l := range links {
		a := l.Attributes
		if a == nil {
			continue
		}
		r := make(engine.Row, ifcColumns)
		r[ifcName] = a.Name
		r[ifcIndex] = int64(l.Index)
		if a.Info != nil && a.Info.Kind != "" {
			r[ifcKind] = a.Info.Kind
		}
		if a.Master != nil {
			r[ifcMaster] = ifName(names, *a.Master)
		}
		r[ifcLinkType] = linkTypeName(uint32(l.Type))
		r[ifcMTU] = int64(a.MTU)
		r[ifcMAC] = macText(a.Address)
		r[ifcFlags] = bitNames(linkFlags(l), interfaceFlagNames)
		if int(a.OperationalState) < len(operStates) {
			r[ifcOperstate] = operStates[a.OperationalState]
		} else {
			r[ifcOperstate] = strconv.Itoa(int(a.OperationalState))
		}
		if a.Carrier != nil {
			r[ifcCarrier] = int64(*a.Carrier)
		}
		// ethtool's speed and duplex are in /sys, which shows the namespace
		// that mounted it: trust it only for the same interface index.
		if idx, ok := sysNetAttr(c, a.Name, "ifindex"); ok && idx == strconv.FormatUint(uint64(l.Index), 10) {
			r[ifcSpeed], r[ifcDuplex] = sysSpeedDuplex(c, a.Name)
		}
		if a.QueueDisc != "" {
			r[ifcQdisc] = a.QueueDisc
		}
		if a.TxQueueLen != nil {
			r[ifcTxqueuelen] = int64(*a.TxQueueLen)
		}
		for i, k := range interfaceCounters {
			switch {
			case a.Stats64 != nil:
				r[ifcCounters+i] = counter(k.stats64(a.Stats64))
			case a.Stats != nil && k.stats32 != nil:
				r[ifcCounters+i] = int64(k.stats32(a.Stats))
			}
		}
		rows = append(rows, r)
	}
	return rows, nil
}

func interfacesFromFiles(c *kernel.Collector) ([]engine.Row, error) {
	path := c.Source().ProcPath("net", "dev")
	data, ok, err := c.ReadOptional(path)
	if err != nil {
		return nil, err
	}
	var devs []kernel.ProcDev
	fromDev := ok
	if fromDev {
		if devs, err = kernel.ParseProcNetDev(data); err != nil {
			return nil, kernel.FileError(path, err)
		}
	} else {
		// No /proc/net/dev in this tree: list /sys/class/net instead.
		dir := sysNetPath(c.Source())
		entries, err := c.Source().ReadDir(dir)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		for _, e := range entries {
			devs = append(devs, kernel.ProcDev{Name: e.Name()})
		}
	}
	rows := make([]engine.Row, 0, len(devs))
	for _, d := range devs {
		r := make(engine.Row, ifcColumns)
		r[ifcName] = d.Name
		r[ifcIndex] = sysInt(c, d.Name, "ifindex")
		if uevent, ok := sysNetAttr(c, d.Name, "uevent"); ok {
			for _, line := range strings.Split(uevent, "\n") {
				if v, ok := strings.CutPrefix(line, "DEVTYPE="); ok && v != "" {
					r[ifcKind] = v
				}
			}
		}
		masterLink := sysNetPath(c.Source(), d.Name, "master")
		c.Source().Note(masterLink)
		if target, err := c.Source().Readlink(masterLink); err == nil {
			r[ifcMaster] = filepath.Base(target)
		}
		if t, ok := sysInt(c, d.Name, "type").(int64); ok {
			r[ifcLinkType] = linkTypeName(uint32(t))
		}
		r[ifcMTU] = sysInt(c, d.Name, "mtu")
		if mac, ok := sysNetAttr(c, d.Name, "address"); ok && mac != "" {
			r[ifcMAC] = mac
		}
		operstate, hasOperstate := sysNetAttr(c, d.Name, "operstate")
		if hasOperstate {
			r[ifcOperstate] = strings.ToUpper(operstate)
		}
		r[ifcCarrier] = sysInt(c, d.Name, "carrier")
		if flags, ok := sysNetAttr(c, d.Name, "flags"); ok {
			if v, err := strconv.ParseUint(strings.TrimPrefix(flags, "0x"), 16, 32); err == nil {
				// /sys shows dev->flags; add what dev_get_flags derives.
				if v&iffUp != 0 {
					if operstate == "up" || operstate == "unknown" {
						v |= iffRunning
					}
					if r[ifcCarrier] == int64(1) {
						v |= iffLowerUp
					}
					if operstate == "dormant" {
						v |= iffDormant
					}
				}
				r[ifcFlags] = bitNames(v, interfaceFlagNames)
			}
		}
		r[ifcSpeed], r[ifcDuplex] = sysSpeedDuplex(c, d.Name)
		r[ifcTxqueuelen] = sysInt(c, d.Name, "tx_queue_len")
		statsDir := sysNetPath(c.Source(), d.Name, "statistics")
		if info, err := c.Source().Stat(statsDir); err == nil && info.IsDir() {
			for i, k := range interfaceCounters {
				r[ifcCounters+i] = sysInt(c, d.Name, filepath.Join("statistics", k.name))
			}
		} else if fromDev {
			for j, name := range kernel.ProcDevColumns {
				for i, k := range interfaceCounters {
					if k.name == name {
						r[ifcCounters+i] = counter(d.Counters[j])
					}
				}
			}
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// sysNetPath joins elements under the sys root's class/net.
func sysNetPath(src *kernel.Source, elem ...string) string {
	return filepath.Join(append([]string{src.Sys, "class", "net"}, elem...)...)
}

// sysNetAttr reads /sys/class/net/DEV/ATTR, trimmed. ok is false when the
// file is absent or the kernel refuses to read it (EINVAL for speed on lo,
// carrier on a down link): a value the kernel will not give.
func sysNetAttr(c *kernel.Collector, dev, attr string) (string, bool) {
	data, err := c.ReadFile(sysNetPath(c.Source(), dev, attr))
	if err != nil {
		return "", false
	}
	return strings.TrimSpace(string(data)), true
}

// sysInt reads a decimal attribute: an int64, or NULL when absent, refused
// or not a number.
func sysInt(c *kernel.Collector, dev, attr string) any {
	s, ok := sysNetAttr(c, dev, attr)
	if !ok {
		return nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		if u, err := strconv.ParseUint(s, 10, 64); err == nil {
			return counter(u)
		}
		return nil
	}
	return v
}

// sysSpeedDuplex reads ethtool's speed (Mbit/s; -1 means unknown) and duplex.
func sysSpeedDuplex(c *kernel.Collector, dev string) (speed, duplex any) {
	if v, ok := sysInt(c, dev, "speed").(int64); ok && v >= 0 && v != 0xffffffff {
		speed = v
	}
	if d, ok := sysNetAttr(c, dev, "duplex"); ok && d != "" {
		duplex = d
	}
	return speed, duplex
}

// sysIfindexes maps interface names to indexes from /sys/class/net, for
// the file sources that name interfaces only.
func sysIfindexes(c *kernel.Collector) map[string]int64 {
	indexes, _ := kernel.Memoize(c, "sys.ifindexes", func() (map[string]int64, error) {
		indexes := map[string]int64{}
		dir := sysNetPath(c.Source())
		entries, _ := c.Source().ReadDir(dir)
		for _, e := range entries {
			if i, ok := sysInt(c, e.Name(), "ifindex").(int64); ok {
				indexes[e.Name()] = i
			}
		}
		return indexes, nil
	})
	return indexes
}
