package tables

// rtnetlink, the live source of routes, interfaces, addresses and neighbors:
// one RTM_GETROUTE, RTM_GETLINK, RTM_GETADDR or RTM_GETNEIGH dump each, with
// github.com/jsimonetti/rtnetlink/v2 (it dumps every routing table and
// decodes RTA_MULTIPATH, IFLA_STATS64, IFLA_LINKINFO, IFLA_MASTER,
// IFLA_CARRIER, IFLA_QDISC, IFA_FLAGS and NDA states). A refused dump sends
// the dataset to its file source with one warning.

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"netsql/tables/engine"
	"netsql/tables/kernel"

	"github.com/jsimonetti/rtnetlink/v2"
	"golang.org/x/sys/unix"
)

// dialRtnl opens a route netlink socket in netsql's own network namespace;
// tests replace it to play a kernel that refuses.
var dialRtnl = func() (*rtnetlink.Conn, error) { return rtnetlink.Dial(nil) }

// rtnlDump runs one dump on a fresh connection.
func rtnlDump[T any](list func(*rtnetlink.Conn) ([]T, error)) ([]T, error) {
	conn, err := dialRtnl()
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	return list(conn)
}

// netlinkRefused reports whether err means this process may not use
// rtnetlink here (no permission, a sandbox or kernel without the family),
// as opposed to a failure worth reporting.
func netlinkRefused(err error) bool {
	for _, errno := range []unix.Errno{unix.EPERM, unix.EACCES, unix.EPROTONOSUPPORT, unix.EAFNOSUPPORT, unix.EOPNOTSUPP} {
		if errors.Is(err, errno) {
			return true
		}
	}
	return false
}

// refusedReason is the short text of a refusal: "operation not permitted".
func refusedReason(err error) string {
	var errno unix.Errno
	if errors.As(err, &errno) {
		return errno.Error()
	}
	return err.Error()
}

// fromNetlinkOrFiles collects a dataset from rtnetlink on the live system
// and from its files otherwise. When the kernel refuses the dump it reads
// the files instead and warns once per statement; files names what is read.
func fromNetlinkOrFiles(c *kernel.Collector, dataset, files string, live, fromFiles func(*kernel.Collector) ([]engine.Row, error)) ([]engine.Row, error) {
	if !c.Source().Live {
		return fromFiles(c)
	}
	rows, err := live(c)
	if err == nil {
		return rows, nil
	}
	if !netlinkRefused(err) {
		return nil, fmt.Errorf("rtnetlink dump for %s: %w", dataset, err)
	}
	c.Notice(fmt.Sprintf("netlink refused for %s (%s): read %s instead", dataset, refusedReason(err), files))
	return fromFiles(c)
}

// rtnlLinks is the statement's one link dump, shared by the datasets that
// name interfaces by index.
func rtnlLinks(c *kernel.Collector) ([]rtnetlink.LinkMessage, error) {
	return kernel.Memoize(c, "rtnl.links", func() ([]rtnetlink.LinkMessage, error) {
		return rtnlDump(func(conn *rtnetlink.Conn) ([]rtnetlink.LinkMessage, error) { return conn.Link.List() })
	})
}

// rtnlLinkNames maps ifindex to interface name from the link dump. When
// that dump fails but is not refused (a link message this library cannot
// decode), the standard library's own RTM_GETLINK names the interfaces, so
// routes, addresses and neighbors do not fail with interfaces.
func rtnlLinkNames(c *kernel.Collector) (map[uint32]string, error) {
	links, err := rtnlLinks(c)
	if err != nil {
		if netlinkRefused(err) {
			return nil, err
		}
		ifaces, ifErr := net.Interfaces()
		if ifErr != nil {
			return nil, err
		}
		names := make(map[uint32]string, len(ifaces))
		for _, i := range ifaces {
			names[uint32(i.Index)] = i.Name
		}
		return names, nil
	}
	names := make(map[uint32]string, len(links))
	for _, l := range links {
		if l.Attributes != nil {
			names[l.Index] = l.Attributes.Name
		}
	}
	return names, nil
}

// ifName returns the name of ifindex, NULL for 0 or an index not listed.
func ifName(names map[uint32]string, index uint32) any {
	if name, ok := names[index]; ok && index != 0 {
		return name
	}
	return nil
}

// familyName is the family word of an AF_ number (ARCHITECTURE.md, "Naming").
func familyName(family int) string {
	switch family {
	case unix.AF_INET:
		return "inet"
	case unix.AF_INET6:
		return "inet6"
	}
	return strconv.Itoa(family)
}

// ipText renders a 4- or 16-byte address canonically, NULL when empty or
// of another length. IPv4-mapped IPv6 stays as the kernel holds it.
func ipText(ip net.IP) any {
	a, ok := netip.AddrFromSlice(ip)
	if !ok {
		return nil
	}
	return a.String()
}

// macText renders a link-layer address as colon-separated hex, as sysfs and
// ip do; NULL when the interface has none.
func macText(hw []byte) any {
	if len(hw) == 0 {
		return nil
	}
	return net.HardwareAddr(hw).String()
}

// counter is a kernel counter as an SQLite value: int64, or float64 for the
// (never seen) value beyond int64.
func counter(v uint64) any {
	if v > math.MaxInt64 {
		return float64(v)
	}
	return int64(v)
}

// scopeNames are the kernel's RT_SCOPE_* values by the words ip prints.
var scopeNames = map[uint8]string{0: "global", 200: "site", 253: "link", 254: "host", 255: "nowhere"}

func scopeName(scope uint8) string {
	if name, ok := scopeNames[scope]; ok {
		return name
	}
	return strconv.Itoa(int(scope))
}

// bitNames joins the names of the bits set in v, in table order, with
// commas; bits without a name are shown as one hex remainder.
func bitNames(v uint64, names []bitName) string {
	var words []string
	for _, n := range names {
		if v&n.bit != 0 {
			words = append(words, n.name)
			v &^= n.bit
		}
	}
	if v != 0 {
		words = append(words, fmt.Sprintf("0x%x", v))
	}
	return strings.Join(words, ",")
}

type bitName struct {
	bit  uint64
	name string
}
