//go:build live

package hostile

import (
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"netsql/tables/kernel"
	"netsql/tables/tablestest"
)

// A device node inside the tree (/dev/zero's numbers, made with mknod, so
// root) is refused by what it is, not read.
func TestDeviceIsRefused(t *testing.T) {
	tablestest.RequireRoot(t)
	root := replace(t, "proc/net/tcp", func(p string) error {
		return syscall.Mknod(p, syscall.S_IFCHR|0o644, int(unix.Mkdev(1, 5)))
	})
	err := run(t, root, "SELECT count(*) FROM sockets")
	wantError(t, err, kernel.ErrNotRegular, "proc/net/tcp", "a character device")
}
