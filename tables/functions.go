package tables

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"math"
	"net"
	"net/netip"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"sync"
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
// reads this list, and the README's function reference is generated from
// it. The ones that need the statement (service's etc/services, resolve's
// cache) find it with engine.RunningCollector.
var Functions = []Function{
	{"service", "service(port[, proto])", "the port's service name from etc/services (proto `tcp` when left out; `tcp6` counts as `tcp`); NULL if none, and for a port that is not a whole number (`service(22.0)` is `ssh`, `service(22.5)` NULL)", -1, false, sqlService},
	{"cidr_contains", "cidr_contains(cidr, addr)", "1 if the address is inside the CIDR block, else 0; IPv4 and IPv4-mapped IPv6 are one address (`::ffff:10.0.0.1` is in `10.0.0.0/8`, `10.0.0.1` in `::ffff:10.0.0.0/104`)", 2, true, sqlCIDRContains},
	{"is_private", "is_private(addr)", "1 for RFC 1918, RFC 4193 ULA, loopback, link-local and CGNAT (100.64/10) addresses, IPv4-mapped included, else 0", 1, true, sqlIsPrivate},
	{"ip_family", "ip_family(addr)", "4 or 6 (an IPv4-mapped IPv6 address is 6)", 1, true, sqlIPFamily},
	{"regexp", "x REGEXP pattern", "1 if the Go regular expression (RE2 syntax: `(?i)` ignores case) matches anywhere in x, else 0; a number is matched as its text; NULL if either is NULL; a bad pattern is an error naming it. Each pattern is compiled once and kept among the last " + strconv.Itoa(regexpCacheSize) + " used. SQLite calls it as `regexp(pattern, x)`", 2, true, sqlRegexp},
	{"bytes", "bytes(n)", "n bytes as text in IEC units: `512 B` below 1024, then one decimal, rounded half away from zero, in the largest unit that keeps the number below 1024 (`1.2 MiB`, `1.0 KiB` for 1024); NULL for NULL and for text that is not a number, as SQLite's math functions do", 1, true, sqlBytes},
	{"duration", "duration(ms)", "a time in milliseconds as text: `250ms` below a second (whole milliseconds; `750µs` below one), `1.5s` up to a minute (millisecond precision), then whole seconds in d, h, m, s with zero units left out (`3m12s`, `1h5s`, `2d3h`; days alone past 2^53 seconds); `0s` for 0; NULL for NULL and for text that is not a number", 1, true, sqlDuration},
	{"resolve", "resolve(addr)", "reverse DNS name of the address (1 s timeout, cached per statement), NULL if none; never called unless a query writes it", 1, false, sqlResolve},
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
	return boolInt(prefixContains(prefix, addr)), nil
}

// prefixContains compares an IPv4 address and its IPv4-mapped IPv6 form as
// one address, as a dual-stack socket holds it: an IPv4 block is asked
// about the unmapped address, an IPv6 block about the mapped one, so
// ::ffff:10.0.0.1 is in 10.0.0.0/8 and 10.0.0.1 is in ::ffff:10.0.0.0/104.
func prefixContains(prefix netip.Prefix, addr netip.Addr) bool {
	if prefix.Addr().Is4() {
		addr = addr.Unmap()
	} else if addr.Is4() {
		addr = netip.AddrFrom16(addr.As16())
	}
	return prefix.Contains(addr)
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

// argPort is service's port: an integer, or a REAL or numeric text that is
// a whole number (`service(22.0)`); ok is false for NULL and for a number
// with a fraction, which no port has. Text that is not a number is an error.
func argPort(v driver.Value) (port int64, ok bool, err error) {
	if v == nil {
		return 0, false, nil
	}
	if b, isBlob := v.([]byte); isBlob {
		v = string(b)
	}
	f, isInt, i, isNum := engine.NumericValue(v)
	switch {
	case isInt:
		return i, true, nil
	case isNum && f == math.Trunc(f) && math.Abs(f) < 1<<53:
		return int64(f), true, nil
	case isNum:
		return 0, false, nil
	}
	s, _, err := argText("service", []driver.Value{v}, 0)
	if err != nil {
		return 0, false, err
	}
	return 0, false, fmt.Errorf("service: argument 1: %q is not a port number", s)
}

func sqlService(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	if len(args) < 1 || len(args) > 2 {
		return nil, fmt.Errorf("service: takes 1 or 2 arguments (port[, proto]), got %d", len(args))
	}
	port, ok, err := argPort(args[0])
	if !ok || err != nil {
		return nil, err
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

// regexpCacheSize bounds the compiled patterns kept across statements: a
// statement compiles each of its patterns once while it uses no more than
// this many, and a query whose pattern changes every row cannot grow it.
const regexpCacheSize = 64

// regexps holds compiled patterns by their text. Every call looks its
// pattern up (SQLite offers modernc.org/sqlite functions no per-statement
// slot), so a hit costs one map lookup under the lock.
var regexps = struct {
	sync.Mutex
	byPattern map[string]*cachedRegexp
	tick      uint64
	compiles  int // patterns compiled since start, for tests
}{byPattern: map[string]*cachedRegexp{}}

type cachedRegexp struct {
	re       *regexp.Regexp
	lastUsed uint64
}

// compiledRegexp returns pattern compiled, from the cache when it is
// there; when the cache is full the least recently used pattern leaves.
func compiledRegexp(pattern string) (*regexp.Regexp, error) {
	regexps.Lock()
	defer regexps.Unlock()
	regexps.tick++
	if c, ok := regexps.byPattern[pattern]; ok {
		c.lastUsed = regexps.tick
		return c.re, nil
	}
	re, err := regexp.Compile(pattern)
	regexps.compiles++
	if err != nil {
		reason := err.Error()
		var syntaxErr *syntax.Error
		if errors.As(err, &syntaxErr) {
			reason = syntaxErr.Code.String()
			if syntaxErr.Expr != "" && syntaxErr.Expr != pattern {
				reason += " at " + strconv.Quote(syntaxErr.Expr)
			}
		}
		return nil, fmt.Errorf("regexp: pattern %s: %s", quoteShort(pattern), reason)
	}
	if len(regexps.byPattern) >= regexpCacheSize {
		var oldest string
		var oldestUse uint64 = math.MaxUint64
		for p, c := range regexps.byPattern {
			if c.lastUsed < oldestUse {
				oldest, oldestUse = p, c.lastUsed
			}
		}
		delete(regexps.byPattern, oldest)
	}
	regexps.byPattern[pattern] = &cachedRegexp{re: re, lastUsed: regexps.tick}
	return re, nil
}

// quoteShort quotes s for an error line, cut to its first 80 bytes.
func quoteShort(s string) string {
	const max = 80
	if len(s) <= max {
		return strconv.Quote(s)
	}
	return strconv.Quote(strings.ToValidUTF8(s[:max], "")) + fmt.Sprintf(" (%d bytes in all)", len(s))
}

// sqlRegexp is `x REGEXP pattern`, which SQLite calls as regexp(pattern, x).
func sqlRegexp(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	pattern, ok, err := argText("regexp", args, 0)
	if !ok || err != nil {
		return nil, err
	}
	x, ok, err := argText("regexp", args, 1)
	if !ok || err != nil {
		return nil, err
	}
	re, err := compiledRegexp(pattern)
	if err != nil {
		return nil, err
	}
	return boolInt(re.MatchString(x)), nil
}

// argNumber is a numeric argument as SQLite's math functions take one:
// integers and reals as they are, text (or a blob) that reads as a number
// converted; ok is false for NULL, other text and non-finite reals, which
// give NULL rather than an error.
func argNumber(v driver.Value) (f float64, isInt bool, i int64, ok bool) {
	if b, isBlob := v.([]byte); isBlob {
		v = string(b)
	}
	f, isInt, i, ok = engine.NumericValue(v)
	if ok && !isInt && (math.IsInf(f, 0) || math.IsNaN(f)) {
		return 0, false, 0, false
	}
	return f, isInt, i, ok
}

func sqlBytes(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	f, isInt, i, ok := argNumber(args[0])
	if !ok {
		return nil, nil
	}
	if isInt {
		return bytesInt(i), nil
	}
	return bytesFloat(f), nil
}

// iecUnits are the units of bytes() above B, each 1024 times the one before.
var iecUnits = [...]string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"}

// bytesInt is bytesFloat for an integer, exact below 1024.
func bytesInt(n int64) string {
	if n > -1024 && n < 1024 {
		return strconv.FormatInt(n, 10) + " B"
	}
	return bytesFloat(float64(n))
}

// bytesFloat renders n bytes: whole bytes below 1024, else one decimal in
// the largest IEC unit that keeps the rounded number below 1024 (1048575
// bytes is 1.0 MiB, not 1024.0 KiB). Halves round away from zero.
func bytesFloat(n float64) string {
	sign := ""
	if n < 0 {
		sign, n = "-", -n
	}
	if whole := math.Round(n); whole < 1024 {
		if whole == 0 {
			sign = ""
		}
		return sign + strconv.FormatFloat(whole, 'f', 0, 64) + " B"
	}
	v, unit := n/1024, 0
	for math.Round(v*10) >= 10240 && unit < len(iecUnits)-1 {
		v, unit = v/1024, unit+1
	}
	return sign + strconv.FormatFloat(math.Round(v*10)/10, 'f', 1, 64) + " " + iecUnits[unit]
}

func sqlDuration(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	f, _, _, ok := argNumber(args[0])
	if !ok {
		return nil, nil
	}
	return durationText(f), nil
}

// durationUnits are the units of duration() from a minute up, in seconds.
var durationUnits = []struct {
	name    string
	seconds float64
}{{"d", 86400}, {"h", 3600}, {"m", 60}, {"s", 1}}

// durationText renders ms milliseconds (see Functions for the format).
// Rounding is to the nearest unit shown, halves away from zero.
func durationText(ms float64) string {
	sign := ""
	if ms < 0 {
		sign, ms = "-", -ms
	}
	if ms < 0.9995 { // below 1 ms once rounded to microseconds
		us := math.Round(ms * 1000)
		if us == 0 {
			return "0s"
		}
		return sign + strconv.FormatFloat(us, 'f', 0, 64) + "µs"
	}
	ms = math.Round(ms)
	switch {
	case ms < 1000:
		return sign + strconv.FormatFloat(ms, 'f', 0, 64) + "ms"
	case ms < 60000:
		return sign + strconv.FormatFloat(ms/1000, 'f', -1, 64) + "s"
	}
	rest := math.Round(ms / 1000)
	if rest >= 1<<53 { // past whole-second precision (285 million years): days alone
		days, format := math.Round(rest/86400), byte('f')
		if days >= 1e15 {
			format = 'g'
		}
		return sign + strconv.FormatFloat(days, format, -1, 64) + "d"
	}
	var b strings.Builder
	b.WriteString(sign)
	for _, u := range durationUnits {
		n := math.Floor(rest / u.seconds)
		if n == 0 {
			continue
		}
		rest -= n * u.seconds
		b.WriteString(strconv.FormatFloat(n, 'f', 0, 64))
		b.WriteString(u.name)
	}
	return b.String()
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
