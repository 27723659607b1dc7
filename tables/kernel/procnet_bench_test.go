package kernel

import (
	"fmt"
	"strings"
	"testing"
)

// benchText builds a /proc/net file of n lines after header, each line
// from format(i) padded as the kernel pads it.
func benchText(header string, n int, line func(i int) string) []byte {
	var b strings.Builder
	b.WriteString(header)
	for i := range n {
		b.WriteString(line(i))
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

// BenchmarkParseUnixSockets parses a 100,000-line /proc/net/unix: connected
// sockets, half of them bound to a path as accepted sockets are.
func BenchmarkParseUnixSockets(b *testing.B) {
	data := benchText(unixHeader, 100_000, func(i int) string {
		line := fmt.Sprintf("%016x: 00000002 00000000 00000000 0001 03 %5d", 0xffff888000000000+uint64(i), 200000+i)
		if i%2 == 0 {
			line += " /run/app/server.sock"
		}
		return line
	})
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		rows, err := ParseUnixSockets(data)
		if err != nil || len(rows) != 100_000 {
			b.Fatalf("%d rows, %v", len(rows), err)
		}
	}
}

// BenchmarkParsePacketSockets parses a 10,000-line /proc/net/packet.
func BenchmarkParsePacketSockets(b *testing.B) {
	data := benchText(packetHeader, 10_000, func(i int) string {
		return fmt.Sprintf("%016x %-6d %-4d %04x   %-5d %1d %-6d %-6d %-6d", 0xffff888000000000+uint64(i), 3, 3, 3, i%4, 1, 0, 0, 300000+i)
	})
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		rows, err := ParsePacketSockets(data)
		if err != nil || len(rows) != 10_000 {
			b.Fatalf("%d rows, %v", len(rows), err)
		}
	}
}

// BenchmarkParseNetlinkSockets parses a 10,000-line /proc/net/netlink.
func BenchmarkParseNetlinkSockets(b *testing.B) {
	data := benchText(netlinkHeader, 10_000, func(i int) string {
		return fmt.Sprintf("%016x %-3d %-10d %08x %-8d %-8d %-5d %-8d %-8d %-8d", 0xffff888000000000+uint64(i), i%20, 1000+i, 0, 0, 0, 0, 2, 0, 400000+i)
	})
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		rows, err := ParseNetlinkSockets(data)
		if err != nil || len(rows) != 10_000 {
			b.Fatalf("%d rows, %v", len(rows), err)
		}
	}
}
