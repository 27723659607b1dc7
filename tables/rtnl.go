package tables

// The values the datasets read from rtnetlink and from files share: names
// of interfaces, families and scopes, addresses and counters as SQLite
// values; and the one place that decides when a dataset reads its files
// because netlink was refused.

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

	"golang.org/x/sys/unix"
)

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

// ipText renders a 4- or 16-byte address as ip prints it (addrText), NULL
// when empty or of another length. IPv4-mapped IPv6 stays as the kernel
// holds it.
func ipText(ip net.IP) any {
	a, ok := netip.AddrFromSlice(ip)
	if !ok {
		return nil
	}
	return addrText(a)
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
	var refused *kernel.RefusedError
	if !errors.As(err, &refused) {
		return nil, fmt.Errorf("rtnetlink dump for %s: %w", dataset, err)
	}
	c.Notice(fmt.Sprintf("netlink refused for %s (%s): read %s instead", dataset, refused.Reason(), files))
	return fromFiles(c)
}
