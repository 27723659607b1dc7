package tables

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"netsql/tables/engine"
	"netsql/tables/kernel"

	"modernc.org/sqlite"
)

// Function is one helper function netsql adds to SQL: its documentation
// and what registers it.
type Function struct {
	Name, Signature, Doc string
	nargs                int32 // -1: any number
	deterministic        bool
	impl                 func(*sqlite.FunctionContext, []driver.Value) (driver.Value, error)
}

// Functions lists the helper functions netsql adds to SQL; registration
// reads this list. The ones that need the statement (service's
// etc/services, resolve's cache) find it with engine.RunningCollector.
var Functions = []Function{
	{"service", "service(port[, proto])", "the port's service name from etc/services (tcp6 counts as tcp), NULL if none", -1, false, sqlService},
	{"cidr_contains", "cidr_contains(cidr, addr)", "1 if the address is inside the CIDR block, else 0", 2, true, sqlCIDRContains},
	{"is_private", "is_private(addr)", "1 for RFC 1918, ULA, loopback, link-local and CGNAT (100.64/10) addresses, else 0", 1, true, sqlIsPrivate},
	{"ip_family", "ip_family(addr)", "4 or 6", 1, true, sqlIPFamily},
	{"resolve", "resolve(addr)", "reverse DNS name of the address (1 s timeout, cached per statement), NULL if none", 1, false, sqlResolve},
}

// registerFunctions registers Functions with SQLite, process-wide.
func registerFunctions() error {
	for _, f := range Functions {
		register := sqlite.RegisterScalarFunction
		if f.deterministic {
			register = sqlite.RegisterDeterministicScalarFunction
		}
		if err := register(f.Name, f.nargs, f.impl); err != nil {
			return fmt.Errorf("register %s: %w", f.Name, err)
		}
	}
	return nil
}

// argText returns argument i as text; ok is false for NULL.
func argText(fn string, args []driver.Value, i int) (string, bool, error) {
	switch v := args[i].(type) {
	case nil:
		return "", false, nil
	case string:
		return v, true, nil
	case []byte:
		return string(v), true, nil
	case int64:
		return strconv.FormatInt(v, 10), true, nil
	case float64:
		return engine.RealText(v), true, nil
	}
	return "", false, fmt.Errorf("%s: argument %d has an unsupported type %T", fn, i+1, args[i])
}

func argAddr(fn string, args []driver.Value, i int) (netip.Addr, bool, error) {
	s, ok, err := argText(fn, args, i)
	if !ok || err != nil {
		return netip.Addr{}, ok, err
	}
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil {
		return netip.Addr{}, false, fmt.Errorf("%s: argument %d: %q is not an IP address", fn, i+1, s)
	}
	return a.WithZone(""), true, nil
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func sqlCIDRContains(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	s, ok, err := argText("cidr_contains", args, 0)
	if !ok || err != nil {
		return nil, err
	}
	prefix, err := netip.ParsePrefix(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("cidr_contains: argument 1: %q is not a CIDR block", s)
	}
	addr, ok, err := argAddr("cidr_contains", args, 1)
	if !ok || err != nil {
		return nil, err
	}
	if prefix.Addr().Is4() {
		addr = addr.Unmap()
	}
	return boolInt(prefix.Contains(addr)), nil
}

var privatePrefixes = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("fc00::/7"),
}

func sqlIsPrivate(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	addr, ok, err := argAddr("is_private", args, 0)
	if !ok || err != nil {
		return nil, err
	}
	addr = addr.Unmap()
	if addr.IsLoopback() || addr.IsLinkLocalUnicast() {
		return int64(1), nil
	}
	for _, p := range privatePrefixes {
		if p.Contains(addr) {
			return int64(1), nil
		}
	}
	return int64(0), nil
}

func sqlIPFamily(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	addr, ok, err := argAddr("ip_family", args, 0)
	if !ok || err != nil {
		return nil, err
	}
	if addr.Is4() {
		return int64(4), nil
	}
	return int64(6), nil
}

func sqlService(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	if len(args) < 1 || len(args) > 2 {
		return nil, fmt.Errorf("service: takes 1 or 2 arguments (port[, proto]), got %d", len(args))
	}
	var port int64
	switch v := args[0].(type) {
	case nil:
		return nil, nil
	case int64:
		port = v
	default:
		s, _, err := argText("service", args, 0)
		if err != nil {
			return nil, err
		}
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("service: argument 1: %q is not a port number", s)
		}
		port = n
	}
	proto := "tcp"
	if len(args) > 1 {
		p, ok, err := argText("service", args, 1)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, nil
		}
		proto = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(p)), "6")
	}
	c, err := engine.RunningCollector("service")
	if err != nil {
		return nil, err
	}
	if name, ok := serviceNames(c)[serviceKey{port, proto}]; ok {
		return name, nil
	}
	return nil, nil
}

type serviceKey struct {
	port  int64
	proto string
}

// serviceNames reads etc/services once per statement: "name port/proto aliases".
func serviceNames(c *kernel.Collector) map[serviceKey]string {
	m, _ := kernel.Memoize(c, "service-names", func() (map[serviceKey]string, error) {
		m := map[serviceKey]string{}
		data, _, err := c.ReadOptional(c.Source().EtcPath("services"))
		if err != nil {
			return m, nil
		}
		for _, entry := range kernel.ParseServicesFile(data) {
			k := serviceKey{entry.Port, strings.ToLower(entry.Proto)}
			if _, dup := m[k]; !dup {
				m[k] = entry.Name
			}
		}
		return m, nil
	})
	return m
}

// resolveTimeout bounds one reverse lookup.
const resolveTimeout = time.Second

func sqlResolve(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	addr, ok, err := argAddr("resolve", args, 0)
	if !ok || err != nil {
		return nil, err
	}
	addr = addr.Unmap()
	c, err := engine.RunningCollector("resolve")
	if err != nil {
		return nil, err
	}
	cache, _ := kernel.Memoize(c, "resolve-cache", func() (map[netip.Addr]any, error) { return map[netip.Addr]any{}, nil })
	if name, ok := cache[addr]; ok {
		return name, nil
	}
	resolver := c.Source().Resolver
	if resolver == nil {
		resolver = net.DefaultResolver
	}
	ctx, cancel := context.WithTimeout(c.Context(), resolveTimeout)
	defer cancel()
	var name any
	names, err := resolver.LookupAddr(ctx, addr.String())
	var dnsErr *net.DNSError
	switch {
	case err == nil && len(names) > 0:
		name = strings.TrimSuffix(names[0], ".")
	case err == nil, errors.As(err, &dnsErr):
		// no name, a timeout or an unreachable server: NULL, as ss -r shows the address
	default:
		return nil, fmt.Errorf("resolve: %v", err)
	}
	cache[addr] = name
	return name, nil
}
