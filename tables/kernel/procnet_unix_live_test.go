//go:build live

package kernel

import (
	"net"
	"os"
	"path/filepath"
	"testing"
)

// TestParseUnixSocketsLive parses this machine's /proc/net/unix and finds a
// listener the test bound itself.
func TestParseUnixSocketsLive(t *testing.T) {
	path := filepath.Join(t.TempDir(), "netsql test.sock")
	listener, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close()
	data, err := os.ReadFile("/proc/net/unix")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := ParseUnixSockets(data)
	if err != nil {
		t.Fatalf("%v", FileError("/proc/net/unix", err))
	}
	t.Logf("/proc/net/unix: %d rows", len(rows))
	for _, row := range rows {
		if row.Path == path {
			if row.Flags&0x10000 == 0 || row.Type != 1 || row.Inode == 0 {
				t.Errorf("row for %s = %+v, want a stream listener (Flags&0x10000) with an inode", path, row)
			}
			return
		}
	}
	t.Errorf("/proc/net/unix: no row for %q", path)
}
