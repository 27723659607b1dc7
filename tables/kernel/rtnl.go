package kernel

// rtnetlink, the live source of routes, interfaces, addresses and neighbors:
// one RTM_GETROUTE, RTM_GETLINK, RTM_GETADDR or RTM_GETNEIGH dump each, with
// github.com/jsimonetti/rtnetlink/v2 (it dumps every routing table and
// decodes RTA_MULTIPATH, IFLA_STATS64, IFLA_LINKINFO, IFLA_MASTER,
// IFLA_CARRIER, IFLA_QDISC, IFA_FLAGS and NDA states). A refused dial or
// dump is a *RefusedError; the catalogue then reads the dataset's files.

import (
	"errors"
	"net"

	"github.com/jsimonetti/rtnetlink/v2"
)

// RtnlDump runs one dump on a fresh connection (Source.DialRtnl, else one
// in netsql's own network namespace).
func RtnlDump[T any](c *Collector, list func(*rtnetlink.Conn) ([]T, error)) ([]T, error) {
	dial := c.src.DialRtnl
	if dial == nil {
		dial = func() (*rtnetlink.Conn, error) { return rtnetlink.Dial(nil) }
	}
	conn, err := dial()
	if err != nil {
		return nil, Refusal("rtnetlink", err)
	}
	defer conn.Close()
	out, err := list(conn)
	return out, Refusal("rtnetlink dump", err)
}

// RtnlLinks is the statement's one link dump, shared by the datasets that
// name interfaces by index.
func RtnlLinks(c *Collector) ([]rtnetlink.LinkMessage, error) {
	return Memoize(c, "rtnl.links", func() ([]rtnetlink.LinkMessage, error) {
		return RtnlDump(c, func(conn *rtnetlink.Conn) ([]rtnetlink.LinkMessage, error) { return conn.Link.List() })
	})
}

// RtnlLinkNames maps ifindex to interface name from the link dump. When
// that dump fails but is not refused (a link message this library cannot
// decode), the standard library's own RTM_GETLINK names the interfaces, so
// routes, addresses and neighbors do not fail with interfaces.
func RtnlLinkNames(c *Collector) (map[uint32]string, error) {
	links, err := RtnlLinks(c)
	if err != nil {
		if errors.Is(err, ErrRefused) {
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
