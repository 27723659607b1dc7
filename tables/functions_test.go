package tables

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"netsql/tables/engine"
	"netsql/tables/kernel"

	"github.com/google/go-cmp/cmp"
)

func openWithServices(t *testing.T) *engine.Engine {
	t.Helper()
	root := t.TempDir()
	services := "# comment\nssh\t\t22/tcp\t\t\t\t# SSH\ndomain\t\t53/tcp\ndomain\t\t53/udp\nhttp\t\t80/tcp\t\twww\nsyslog\t\t514/udp\n"
	if err := os.MkdirAll(filepath.Join(root, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "etc", "services"), []byte(services), 0o644); err != nil {
		t.Fatal(err)
	}
	e, err := Open(context.Background(), kernel.RootSource(root), []*engine.Dataset{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func TestFunctions(t *testing.T) {
	e := openWithServices(t)
	N := any(nil)
	cases := []struct {
		expr string
		want any
	}{
		{"service(22)", "ssh"},
		{"service('22')", "ssh"},
		{"service(22, 'tcp6')", "ssh"},
		{"service(514, 'udp')", "syslog"},
		{"service(514)", N},
		{"service(53, 'UDP6')", "domain"},
		{"service(NULL)", N},
		{"service(9999)", N},
		{"service(22.0)", "ssh"},
		{"service('22.0')", "ssh"},
		{"service(514.0, 'udp')", "syslog"},
		{"service(22.5)", N},
		{"service('22.5')", N},
		{"service(1e300)", N},
		{"service(22, NULL)", N},
		{"cidr_contains('10.0.0.0/8', '10.1.2.3')", int64(1)},
		{"cidr_contains('10.0.0.0/8', '11.1.2.3')", int64(0)},
		{"cidr_contains('127.0.0.0/8', '::ffff:127.0.0.1')", int64(1)},
		// An IPv4 address and its IPv4-mapped form are one address, whichever
		// side is written mapped.
		{"cidr_contains('10.0.0.0/8', '::ffff:10.0.0.1')", int64(1)},
		{"cidr_contains('10.0.0.0/8', '::ffff:11.0.0.1')", int64(0)},
		{"cidr_contains('::ffff:10.0.0.0/104', '10.0.0.1')", int64(1)},
		{"cidr_contains('::ffff:10.0.0.0/104', '11.0.0.1')", int64(0)},
		{"cidr_contains('::ffff:10.0.0.0/104', '::ffff:10.9.9.9')", int64(1)},
		{"cidr_contains('::ffff:0.0.0.0/96', '192.0.2.1')", int64(1)},
		{"cidr_contains('10.0.0.0/8', '::10.0.0.1')", int64(0)}, // IPv4-compatible is not mapped
		{"cidr_contains('64:ff9b::/96', '10.0.0.1')", int64(0)},
		{"cidr_contains('fe80::/10', 'fe80::1%eth0')", int64(1)},
		{"cidr_contains('2001:db8::/32', '10.0.0.1')", int64(0)},
		{"cidr_contains(NULL, '10.0.0.1')", N},
		{"cidr_contains('10.0.0.0/8', NULL)", N},
		{"is_private('10.2.3.4')", int64(1)},
		{"is_private('172.31.255.255')", int64(1)},
		{"is_private('172.32.0.1')", int64(0)},
		{"is_private('192.168.0.1')", int64(1)},
		{"is_private('100.64.0.1')", int64(1)},
		{"is_private('100.128.0.1')", int64(0)},
		{"is_private('127.0.0.1')", int64(1)},
		{"is_private('169.254.1.1')", int64(1)},
		{"is_private('::1')", int64(1)},
		{"is_private('fd00::1')", int64(1)},
		{"is_private('fe80::1')", int64(1)},
		{"is_private('8.8.8.8')", int64(0)},
		{"is_private('2001:4860::1')", int64(0)},
		{"is_private('::ffff:192.168.1.1')", int64(1)},
		{"is_private('::ffff:1.1.1.1')", int64(0)},
		{"ip_family('1.2.3.4')", int64(4)},
		{"ip_family('::1')", int64(6)},
		{"ip_family('::ffff:1.2.3.4')", int64(6)},
		{"ip_family(NULL)", N},

		{"'java -Xmx4g -jar app.jar' REGEXP 'java.*-Xmx'", int64(1)},
		{"'java -Xms4g' REGEXP 'java.*-Xmx'", int64(0)},
		{"'JAVA -XMX1g' REGEXP '(?i)java.*-xmx'", int64(1)},
		{"'nginx: worker' REGEXP '^nginx'", int64(1)},
		{"'/usr/sbin/nginx' REGEXP '^nginx'", int64(0)},
		{"8080 REGEXP '^80'", int64(1)},
		{"regexp('^a', 'abc')", int64(1)},
		{"NULL REGEXP 'a'", N},
		{"'a' REGEXP NULL", N},
		{"NULL REGEXP 'a('", N}, // NULL in, NULL out: the pattern is never compiled

		{"bytes(0)", "0 B"},
		{"bytes(512)", "512 B"},
		{"bytes(1023)", "1023 B"},
		{"bytes(1024)", "1.0 KiB"},
		{"bytes(1280)", "1.3 KiB"}, // 1.25 rounds half away from zero
		{"bytes(1300000)", "1.2 MiB"},
		{"bytes(1048575)", "1.0 MiB"}, // not 1024.0 KiB
		{"bytes(1073741824)", "1.0 GiB"},
		{"bytes(5497558138880)", "5.0 TiB"},
		{"bytes(9223372036854775807)", "8.0 EiB"},
		{"bytes(-2048)", "-2.0 KiB"},
		{"bytes(-5)", "-5 B"},
		{"bytes(1023.4)", "1023 B"},
		{"bytes(1023.6)", "1.0 KiB"},
		{"bytes(-0.2)", "0 B"},
		{"bytes('2048')", "2.0 KiB"},
		{"bytes(' 2048 ')", "2.0 KiB"},
		{"bytes(NULL)", N},
		{"bytes('lots')", N},
		{"bytes('4096 131072 6291456')", N}, // a sysctl's value with three numbers
		{"bytes(1e999)", N},

		{"duration(0)", "0s"},
		{"duration(0.25)", "250µs"},
		{"duration(0.0004)", "0s"},
		{"duration(0.9999)", "1ms"},
		{"duration(1)", "1ms"},
		{"duration(250)", "250ms"},
		{"duration(999.4)", "999ms"},
		{"duration(999.6)", "1s"},
		{"duration(1500)", "1.5s"},
		{"duration(12345)", "12.345s"},
		{"duration(59999)", "59.999s"},
		{"duration(60000)", "1m"},
		{"duration(192000)", "3m12s"},
		{"duration(192345)", "3m12s"},
		{"duration(192500)", "3m13s"},
		{"duration(3600000)", "1h"},
		{"duration(3605000)", "1h5s"},
		{"duration(7260000)", "2h1m"},
		{"duration(97200000)", "1d3h"},
		{"duration(-1500)", "-1.5s"},
		{"duration(-192000)", "-3m12s"},
		{"duration('1500')", "1.5s"},
		{"duration(9223372036854775807)", "106751991167d"},
		{"duration(1e300)", "1.1574074074074073e+292d"},
		{"duration(86400000 * 1000000000)", "1000000000d"},
		{"duration(NULL)", N},
		{"duration('soon')", N},
	}
	for _, c := range cases {
		rows := query(t, e, "SELECT "+c.expr)
		if diff := cmp.Diff(c.want, rows[0][0]); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.expr, diff)
		}
	}
}

func TestFunctionsBadArgumentsAreErrors(t *testing.T) {
	e := openWithServices(t)
	cases := map[string]string{
		"cidr_contains('10.0.0.0/33', '1.2.3.4')":      `cidr_contains: argument 1: "10.0.0.0/33" is not a CIDR block`,
		"cidr_contains('10.0.0.0/8', 'host')":          `cidr_contains: argument 2: "host" is not an IP address`,
		"is_private('300.1.1.1')":                      `is_private: argument 1: "300.1.1.1" is not an IP address`,
		"ip_family('')":                                `ip_family: argument 1: "" is not an IP address`,
		"service('ssh')":                               `service: argument 1: "ssh" is not a port number`,
		"service(1, 2, 3)":                             "service: takes 1 or 2 arguments",
		"resolve('nope')":                              `resolve: argument 1: "nope" is not an IP address`,
		"'x' REGEXP 'java('":                           `regexp: pattern "java(": missing closing )`,
		"'x' REGEXP 'a**'":                             `regexp: pattern "a**": invalid nested repetition operator at "**"`,
		"'x' REGEXP '[z-a]'":                           `regexp: pattern "[z-a]": invalid character class range at "z-a"`,
		"'x' REGEXP ('(' || printf('%.*c', 199, 'a'))": `regexp: pattern "(aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" (200 bytes in all): missing closing )`,
	}
	for expr, want := range cases {
		_, _, _, err := e.Query(context.Background(), "SELECT "+expr)
		if err == nil || !strings.Contains(engine.CleanError(err), want) {
			t.Errorf("%s: error %v, want %q", expr, err, want)
		}
	}
}

// stubDNS answers PTR questions on loopback: 192.0.2.1 is stub.example.,
// every other name is NXDOMAIN. It counts the questions it gets.
func stubDNS(t *testing.T) (*net.Resolver, *atomic.Int32) {
	// questions counts the PTR questions for 1.2.0.192.in-addr.arpa.
	t.Helper()
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	questions := new(atomic.Int32)
	go func() {
		buf := make([]byte, 512)
		for {
			n, from, err := conn.ReadFrom(buf)
			if err != nil {
				return
			}
			if bytes.Contains(buf[:n], []byte("\x011\x012\x010\x03192")) {
				questions.Add(1)
			}
			if reply := stubAnswer(buf[:n]); reply != nil {
				conn.WriteTo(reply, from)
			}
		}
	}()
	addr := conn.LocalAddr().String()
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", addr)
	}}
	return r, questions
}

// stubAnswer builds a DNS reply to query: one PTR record for
// 1.2.0.192.in-addr.arpa, NXDOMAIN for anything else.
func stubAnswer(query []byte) []byte {
	if len(query) < 12 {
		return nil
	}
	// The question: labels up to the root, then type and class.
	i := 12
	var labels []string
	for i < len(query) && query[i] != 0 {
		l := int(query[i])
		if i+1+l > len(query) {
			return nil
		}
		labels = append(labels, string(query[i+1:i+1+l]))
		i += 1 + l
	}
	end := i + 5
	if end > len(query) {
		return nil
	}
	name := strings.ToLower(strings.Join(labels, "."))
	reply := append([]byte(nil), query[:end]...)
	reply[2] = 0x81 // response, recursion desired
	binary.BigEndian.PutUint16(reply[6:], 0)
	binary.BigEndian.PutUint16(reply[8:], 0)
	binary.BigEndian.PutUint16(reply[10:], 0)
	qtype := binary.BigEndian.Uint16(query[i+1:])
	if name != "1.2.0.192.in-addr.arpa" || qtype != 12 {
		reply[3] = 0x83 // recursion available, NXDOMAIN
		return reply
	}
	reply[3] = 0x80
	binary.BigEndian.PutUint16(reply[6:], 1)
	target := []byte{4, 's', 't', 'u', 'b', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0}
	reply = append(reply, 0xC0, 12, 0, 12, 0, 1, 0, 0, 0, 60, 0, byte(len(target)))
	return append(reply, target...)
}

func TestResolveUsesResolverAndCachesPerStatement(t *testing.T) {
	resolver, questions := stubDNS(t)
	src := kernel.RootSource(t.TempDir())
	src.Resolver = resolver
	e, err := Open(context.Background(), src, []*engine.Dataset{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	rows := query(t, e, `SELECT resolve('192.0.2.1'), resolve('192.0.2.1'), resolve('::ffff:192.0.2.1'), resolve('192.0.2.2'), resolve(NULL)`)
	if diff := cmp.Diff([][]any{{"stub.example", "stub.example", "stub.example", nil, nil}}, rows); diff != "" {
		t.Errorf("resolve (-want +got):\n%s", diff)
	}
	// 192.0.2.1 asked once: the cache served the repeat and the mapped form.
	if n := questions.Load(); n != 1 {
		t.Errorf("the stub got %d questions for 192.0.2.1, want 1", n)
	}
	query(t, e, `SELECT resolve('192.0.2.1')`)
	if n := questions.Load(); n != 2 {
		t.Errorf("the next statement did not ask afresh: %d questions, want 2", n)
	}
}

func TestResolveTimesOutToNull(t *testing.T) {
	conn, err := net.ListenPacket("udp", "127.0.0.1:0") // never answers
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	src := kernel.RootSource(t.TempDir())
	src.Resolver = &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", conn.LocalAddr().String())
	}}
	e, err := Open(context.Background(), src, []*engine.Dataset{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	rows := query(t, e, `SELECT resolve('192.0.2.1')`)
	if rows[0][0] != nil {
		t.Errorf("resolve with a silent server = %v, want NULL", rows[0][0])
	}
}

// A pattern is compiled once however many rows it is matched against, and
// the cache stays bounded when a query's pattern changes every row.
func TestRegexpCompiledOncePerPattern(t *testing.T) {
	e := openWithServices(t)
	compiles := func() int {
		regexps.Lock()
		defer regexps.Unlock()
		return regexps.compiles
	}
	// The alternative that never matches makes the pattern new to this process.
	pattern := fmt.Sprintf("^row-[0-9]*7$|^never-%d$", time.Now().UnixNano())
	before := compiles()
	rows := query(t, e, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000)
		SELECT count(*) FROM n WHERE 'row-' || i REGEXP ?`, pattern)
	if rows[0][0] != int64(100) {
		t.Errorf("rows ending in 7 among 1..1000: %v, want 100", rows[0][0])
	}
	if n := compiles() - before; n != 1 {
		t.Errorf("one pattern matched against 1000 rows was compiled %d times, want 1", n)
	}

	before = compiles()
	query(t, e, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500)
		SELECT count(*) FROM n WHERE 'x' REGEXP ('^p' || i || '$')`)
	if n := compiles() - before; n != 500 {
		t.Errorf("500 distinct patterns compiled %d times, want 500", n)
	}
	regexps.Lock()
	size := len(regexps.byPattern)
	regexps.Unlock()
	if size > regexpCacheSize {
		t.Errorf("the pattern cache holds %d patterns, more than its bound %d", size, regexpCacheSize)
	}
}
