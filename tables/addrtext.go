package tables

import (
	"net/netip"
	"strconv"
)

// Addresses are printed as ip and ss print them (ARCHITECTURE.md,
// "Naming"): both use the C library's inet_ntop, and so does conntrack. It
// agrees with RFC 5952 and Go's netip except for one form: an IPv6 address
// whose first 96 bits are zero and whose next 16 are not, the deprecated
// IPv4-compatible ::a.b.c.d, keeps its dotted tail (::10.1.2.4, ::0.1.0.2;
// netip prints ::a01:204 and ::1:2). IPv4-mapped ::ffff:a.b.c.d is dotted
// in both; ::2, ::ffff:0:a01:206 (IPv4-translated) and 64:ff9b::a01:205
// (the NAT64 prefix) are hex in both. netstat alone differs: it prints a
// mapped address as plain IPv4.

// addrText is an address's text as ip and ss print it.
func addrText(a netip.Addr) string {
	if !a.Is6() || a.Is4In6() {
		return a.String()
	}
	b := a.As16()
	for _, x := range b[:12] {
		if x != 0 {
			return a.String()
		}
	}
	if b[12] == 0 && b[13] == 0 {
		return a.String() // ::, ::1, ::2 ... ::ffff
	}
	s := "::" + strconv.Itoa(int(b[12])) + "." + strconv.Itoa(int(b[13])) + "." +
		strconv.Itoa(int(b[14])) + "." + strconv.Itoa(int(b[15]))
	if zone := a.Zone(); zone != "" {
		s += "%" + zone
	}
	return s
}

// prefixText is a prefix in CIDR form, its address as addrText prints it.
func prefixText(p netip.Prefix) string {
	return addrText(p.Addr()) + "/" + strconv.Itoa(p.Bits())
}
