package kernel

import (
	"encoding/binary"
	"testing"

	"golang.org/x/sys/unix"
)

// TestRouteExpiry reads rta_expires out of a route message's
// RTA_CACHEINFO, after other attributes, and tells a route that does not
// expire (0, or no cache info at all).
func TestRouteExpiry(t *testing.T) {
	attr := func(typ uint16, payload []byte) []byte {
		b := make([]byte, 4, 4+len(payload)+3)
		binary.NativeEndian.PutUint16(b, uint16(4+len(payload)))
		binary.NativeEndian.PutUint16(b[2:], typ)
		b = append(b, payload...)
		for len(b)%4 != 0 {
			b = append(b, 0)
		}
		return b
	}
	cacheinfo := func(expires int32) []byte {
		ci := make([]byte, 32) // clntref, lastuse, expires, error, used, id, ts, tsage
		binary.NativeEndian.PutUint32(ci[8:], uint32(expires))
		return attr(unix.RTA_CACHEINFO, ci)
	}
	msg := func(attrs ...[]byte) []byte {
		b := make([]byte, unix.SizeofRtMsg)
		for _, a := range attrs {
			b = append(b, a...)
		}
		return b
	}
	oif := attr(unix.RTA_OIF, []byte{2, 0, 0, 0})
	for _, tc := range []struct {
		name  string
		data  []byte
		ticks int64
		ok    bool
	}{
		{"expiring", msg(oif, cacheinfo(29_700)), 29_700, true},
		{"cache info without expiry", msg(cacheinfo(0), oif), 0, false},
		{"no cache info", msg(oif), 0, false},
		{"short cache info", msg(attr(unix.RTA_CACHEINFO, []byte{1, 2, 3, 4})), 0, false},
		{"short message", []byte{10, 0}, 0, false},
	} {
		ticks, ok := routeExpiry(tc.data)
		if ticks != tc.ticks || ok != tc.ok {
			t.Errorf("%s: routeExpiry = %d, %v; want %d, %v", tc.name, ticks, ok, tc.ticks, tc.ok)
		}
	}
}
