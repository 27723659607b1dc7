// Package hostile builds damaged and hostile trees and runs netsql on
// them: nothing may hang, read without end, follow a link out of the tree,
// or fail without naming the file.
package hostile

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"netsql/tables"
	"netsql/tables/engine"
	"netsql/tables/kernel"
	"netsql/tables/tablestest"
)

// run runs query on the tree at root and returns its error; a statement
// still running after 20 s fails the test instead of hanging it.
func run(t *testing.T, root, query string) error {
	t.Helper()
	e, err := tables.Open(context.Background(), kernel.RootSource(root), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	done := make(chan error, 1)
	go func() {
		_, _, _, err := e.Query(context.Background(), query)
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(20 * time.Second):
		t.Fatalf("%s did not finish in 20 s", query)
		return nil
	}
}

// replace puts what make creates at rel in a copy of the fixture tree.
func replace(t *testing.T, rel string, make func(path string) error) string {
	t.Helper()
	root := tablestest.Root(t, nil)
	path := filepath.Join(root, rel)
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	if err := make(path); err != nil {
		t.Fatal(err)
	}
	return root
}

func wantError(t *testing.T, err error, sentinel error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one naming %q", parts)
	}
	msg := engine.CleanError(err)
	for _, p := range parts {
		if !strings.Contains(msg, p) {
			t.Errorf("error %q does not say %q", msg, p)
		}
	}
	if sentinel != nil && !errors.Is(err, sentinel) && !strings.Contains(msg, sentinel.Error()) {
		t.Errorf("error %q is not %v", msg, sentinel)
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("error %q is not one line", msg)
	}
}

// A FIFO where a kernel file should be is refused by path at once; before,
// netsql blocked on it forever and no signal or --timeout ended it.
func TestFIFOIsRefused(t *testing.T) {
	root := replace(t, "proc/net/tcp", func(p string) error { return syscall.Mkfifo(p, 0o644) })
	err := run(t, root, "SELECT count(*) FROM sockets")
	wantError(t, err, kernel.ErrNotRegular, "proc/net/tcp", "named pipe (FIFO)")
}

// A FIFO in a process's directory: its comm (read by the owner walk) and
// its cmdline.
func TestFIFOInAProcessIsRefused(t *testing.T) {
	root := replace(t, "proc/812/comm", func(p string) error { return syscall.Mkfifo(p, 0o644) })
	if err := run(t, root, "SELECT count(*) FROM sockets WHERE pid IS NOT NULL"); err != nil {
		t.Errorf("a FIFO comm: %v; want the owner without a name", err)
	}
	root = replace(t, "proc/812/cmdline", func(p string) error { return syscall.Mkfifo(p, 0o644) })
	err := run(t, root, "SELECT cmdline FROM processes")
	wantError(t, err, kernel.ErrNotRegular, "proc/812/cmdline", "named pipe (FIFO)")
}

// A link to /dev/zero (or anywhere outside the tree) is not followed:
// before, netsql read until the machine killed it.
func TestLinkOutOfTheTreeIsRefused(t *testing.T) {
	for _, target := range []string{"/dev/zero", "../../../../../../../../dev/zero"} {
		root := replace(t, "proc/net/tcp", func(p string) error { return os.Symlink(target, p) })
		err := run(t, root, "SELECT count(*) FROM sockets")
		wantError(t, err, nil, "proc/net/tcp", "escapes")
	}
	// A link that stays inside the tree is followed.
	root := replace(t, "proc/net/tcp", func(p string) error {
		data, err := os.ReadFile(filepath.Join(tablestest.Dir(), "proc/net/tcp"))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(filepath.Dir(p), "tcp.copy"), data, 0o644); err != nil {
			return err
		}
		return os.Symlink("../net/tcp.copy", p)
	})
	if err := run(t, root, "SELECT count(*) FROM sockets"); err != nil {
		t.Errorf("a link inside the tree: %v", err)
	}
}

// A file larger than the cap is an error naming it and the cap, not an
// attempt to read it all.
func TestFileOverTheCapIsRefused(t *testing.T) {
	root := replace(t, "proc/812/cmdline", func(p string) error {
		f, err := os.Create(p)
		if err != nil {
			return err
		}
		defer f.Close()
		return f.Truncate(17 << 20) // sparse: no disk used
	})
	err := run(t, root, "SELECT cmdline FROM processes")
	wantError(t, err, kernel.ErrTooLarge, "proc/812/cmdline", "16 MiB")
}

// A directory where a file should be is named as such.
func TestDirectoryIsRefused(t *testing.T) {
	root := replace(t, "proc/net/udp", func(p string) error { return os.Mkdir(p, 0o755) })
	err := run(t, root, "SELECT count(*) FROM sockets")
	wantError(t, err, kernel.ErrNotRegular, "proc/net/udp", "a directory")
}

// A file a dataset needs but the tree lacks gives zero rows and a warning
// naming it; one the kernel may lack (no IPv6) is quiet.
func TestMissingFileIsSaid(t *testing.T) {
	for _, c := range []struct {
		file string
		warn bool
	}{{"proc/net/tcp", true}, {"proc/net/unix", true}, {"proc/net/tcp6", false}, {"proc/net/nf_conntrack", false}} {
		root := replace(t, c.file, func(string) error { return nil })
		e, err := tables.Open(context.Background(), kernel.RootSource(root), nil)
		if err != nil {
			t.Fatal(err)
		}
		_, _, warnings, err := e.Query(context.Background(), "SELECT count(*) FROM sockets, conntrack")
		e.Close()
		if err != nil {
			t.Fatalf("%s missing: %v", c.file, err)
		}
		said := false
		for _, w := range warnings {
			said = said || strings.Contains(w.Kind, c.file+" is missing from the tree")
		}
		if said != c.warn {
			t.Errorf("%s missing: warnings %v; want a warning naming it: %v", c.file, warnings, c.warn)
		}
	}
}
