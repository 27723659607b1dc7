package kernel

// rtnetlink, the live source of routes, interfaces, addresses and neighbors:
// one RTM_GETROUTE, RTM_GETLINK, RTM_GETADDR or RTM_GETNEIGH dump each, with
// github.com/jsimonetti/rtnetlink/v2 (it dumps every routing table and
// decodes RTA_MULTIPATH, IFLA_STATS64, IFLA_LINKINFO, IFLA_MASTER,
// IFLA_CARRIER, IFLA_QDISC, IFA_FLAGS and NDA states; the route dump is
// received here and decoded by it, to read RTA_CACHEINFO too). A refused dial or
// dump is a *RefusedError; the catalogue then reads the dataset's files.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"

	"github.com/jsimonetti/rtnetlink/v2"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
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
func RtnlLinks(c *Collector) ([]Link, error) {
	return Memoize(c, "rtnl.links", func() ([]Link, error) {
		msgs, err := rtnlRawDump(c, unix.RTM_GETLINK, unix.SizeofIfInfomsg)
		if err != nil {
			return nil, err
		}
		links := make([]Link, 0, len(msgs))
		for _, msg := range msgs {
			if msg.Header.Type != unix.RTM_NEWLINK {
				continue
			}
			var l Link
			if err := l.LinkMessage.UnmarshalBinary(msg.Data); err != nil {
				return nil, fmt.Errorf("rtnetlink link dump: %w", err)
			}
			l.readCounts(msg.Data[unix.SizeofIfInfomsg:])
			links = append(links, l)
		}
		return links, nil
	})
}

// Link is one message of the link dump: what the rtnetlink library
// decodes, and the promiscuity and allmulti counts it leaves out.
type Link struct {
	rtnetlink.LinkMessage
	// Promiscuity and Allmulti count who asked for the mode (ip link set,
	// a bridge, a packet capture); the device is in it when > 0, which is
	// what /sys/class/net/NAME/flags shows. IFLA_ALLMULTI is newer (Linux
	// 6.6); HasAllmulti tells whether the kernel sent it.
	Promiscuity, Allmulti       uint32
	HasPromiscuity, HasAllmulti bool
}

func (l *Link) readCounts(attrs []byte) {
	ad, err := netlink.NewAttributeDecoder(attrs)
	if err != nil {
		return
	}
	for ad.Next() {
		switch ad.Type() {
		case unix.IFLA_PROMISCUITY:
			l.Promiscuity, l.HasPromiscuity = ad.Uint32(), true
		case unix.IFLA_ALLMULTI:
			l.Allmulti, l.HasAllmulti = ad.Uint32(), true
		}
	}
	if ad.Err() != nil {
		l.HasPromiscuity, l.HasAllmulti = false, false
	}
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

// Route is one message of the route dump: what the rtnetlink library
// decodes, and the expiry of RTA_CACHEINFO, which it leaves out.
type Route struct {
	rtnetlink.RouteMessage
	// ExpiresTicks is rta_expires, the time left in USER_HZ ticks, for a
	// route that expires (an IPv6 route from a router advertisement, or one
	// added with "expires"); HasExpiry tells whether it does.
	ExpiresTicks int64
	HasExpiry    bool
}

// RtnlRoutes dumps every route of every table and family (RTM_GETROUTE).
// It reads the messages itself and hands each to the library's decoder,
// so that it can also read RTA_CACHEINFO: the file source shows an
// expiring route with the flag e, and netlink must tell the same.
// Source.DialRtnl, when set, decides whether rtnetlink may be used.
func RtnlRoutes(c *Collector) ([]Route, error) {
	msgs, err := rtnlRawDump(c, unix.RTM_GETROUTE, unix.SizeofRtMsg)
	if err != nil {
		return nil, err
	}
	routes := make([]Route, 0, len(msgs))
	for _, msg := range msgs {
		if msg.Header.Type != unix.RTM_NEWROUTE {
			continue
		}
		var r Route
		if err := r.RouteMessage.UnmarshalBinary(msg.Data); err != nil {
			return nil, fmt.Errorf("rtnetlink route dump: %w", err)
		}
		r.ExpiresTicks, r.HasExpiry = routeExpiry(msg.Data)
		routes = append(routes, r)
	}
	return routes, nil
}

// rtnlRawDump sends one dump request of type typ with a zeroed header of
// size bytes (AF_UNSPEC: every family and table) and returns the reply's
// messages undecoded. Source.DialRtnl, when set, decides whether
// rtnetlink may be used (tests play a refusing kernel with it).
func rtnlRawDump(c *Collector, typ netlink.HeaderType, size int) ([]netlink.Message, error) {
	if dial := c.src.DialRtnl; dial != nil {
		conn, err := dial()
		if err != nil {
			return nil, Refusal("rtnetlink", err)
		}
		conn.Close()
	}
	conn, err := netlink.Dial(unix.NETLINK_ROUTE, nil)
	if err != nil {
		return nil, Refusal("rtnetlink", err)
	}
	defer conn.Close()
	msgs, err := conn.Execute(netlink.Message{
		Header: netlink.Header{Type: typ, Flags: netlink.Request | netlink.Dump},
		Data:   make([]byte, size),
	})
	if err != nil {
		return nil, Refusal("rtnetlink dump", err)
	}
	for _, m := range msgs {
		if len(m.Data) < size {
			return nil, fmt.Errorf("rtnetlink dump: %w message of %d bytes", ErrMalformed, len(m.Data))
		}
	}
	return msgs, nil
}

// routeExpiry reads rta_expires from the RTA_CACHEINFO of a route
// message (struct rta_cacheinfo: clntref, lastuse, expires, ...; the
// kernel puts 0 there for a route that does not expire).
func routeExpiry(data []byte) (int64, bool) {
	if len(data) < unix.SizeofRtMsg {
		return 0, false
	}
	ad, err := netlink.NewAttributeDecoder(data[unix.SizeofRtMsg:])
	if err != nil {
		return 0, false
	}
	for ad.Next() {
		if ad.Type() != unix.RTA_CACHEINFO {
			continue
		}
		if b := ad.Bytes(); len(b) >= 12 {
			expires := int64(int32(binary.NativeEndian.Uint32(b[8:])))
			return expires, expires != 0
		}
	}
	return 0, false
}
