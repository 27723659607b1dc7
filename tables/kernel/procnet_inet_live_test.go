//go:build live

package kernel

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// TestParseInetSocketsLive parses this machine's files and finds sockets the
// test opened itself: a TCP listener, a UDP socket and, when allowed (root or
// CAP_NET_RAW), a raw ICMP socket.
func TestParseInetSocketsLive(t *testing.T) {
	listener, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close()
	udpConn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer udpConn.Close()
	rawFD, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_RAW|syscall.SOCK_CLOEXEC, syscall.IPPROTO_ICMP)
	if err != nil {
		t.Logf("no raw socket of our own: %v", err)
		rawFD = -1
	} else {
		defer syscall.Close(rawFD)
	}

	// What each file must show, by the socket's inode or address.
	type wanted struct {
		what  string
		match func(inetSocketLine) bool
	}
	tcpListen := netip.MustParseAddrPort(listener.Addr().String())
	udpLocal := netip.MustParseAddrPort(udpConn.LocalAddr().String())
	wants := map[string][]wanted{
		"tcp": {{"LISTEN row for " + tcpListen.String(), func(row inetSocketLine) bool {
			return row.Local == tcpListen && row.State == 0x0A && row.Remote == zeroV4 && row.Inode != 0 && row.Drops == -1
		}}},
		"udp": {{"unconnected row for " + udpLocal.String(), func(row inetSocketLine) bool {
			return row.Local == udpLocal && row.State == 0x07 && row.Remote == zeroV4 && row.Inode != 0 && row.Drops == 0
		}}},
	}
	if rawFD >= 0 {
		rawInode := fdSocketInode(t, rawFD)
		wants["raw"] = []wanted{{fmt.Sprintf("ICMP row with inode %d", rawInode), func(row inetSocketLine) bool {
			return row.Inode == rawInode && row.Local == netip.MustParseAddrPort("0.0.0.0:1") && row.State == 0x07 && row.Drops == 0
		}}}
	}

	files := []struct {
		name            string
		ipv6, withDrops bool
	}{
		{"tcp", false, false}, {"tcp6", true, false},
		{"udp", false, true}, {"udp6", true, true},
		{"udplite", false, true}, {"udplite6", true, true},
		{"raw", false, true}, {"raw6", true, true},
		{"icmp", false, true}, {"icmp6", true, true},
	}
	for _, file := range files {
		path := filepath.Join("/proc/net", file.name)
		data, err := os.ReadFile(path)
		if errors.Is(err, os.ErrNotExist) && strings.HasPrefix(file.name, "udplite") {
			t.Logf("%s: not on this kernel", path) // UDP-Lite is optional and being retired
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		rows, err := ParseInetSockets(data, file.ipv6, file.withDrops)
		if err != nil {
			t.Fatalf("%v", FileError(path, err))
		}
		t.Logf("%s: %d rows", path, len(rows))
		for _, want := range wants[file.name] {
			if !slices.ContainsFunc(rows, want.match) {
				t.Errorf("%s: no %s", path, want.what)
			}
		}
	}
}

// TestParseInetSocketsLiveIPv6 finds a [::1] listener in /proc/net/tcp6, the
// real check of the word order.
func TestParseInetSocketsLiveIPv6(t *testing.T) {
	listener, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Logf("no IPv6 loopback here: %v", err)
		return
	}
	defer listener.Close()
	listenAddr := netip.MustParseAddrPort(listener.Addr().String())
	data, err := os.ReadFile("/proc/net/tcp6")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := ParseInetSockets(data, true, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range rows {
		if row.Local == listenAddr && row.State == 0x0A {
			return
		}
	}
	t.Errorf("/proc/net/tcp6: no LISTEN row for %v", listenAddr)
}
