// Package tablestest builds the fixture trees that tests of netsql query
// with --root: a copy of tables/testdata/root plus the symlinks that module
// zips cannot carry (fd/N -> socket:[INODE], ns/net, exe), made at test time.
package tablestest

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Links are the symlinks of the fixture tree, relative to its root.
var Links = map[string]string{
	"proc/self/ns/net": "net:[4026531840]",
	"proc/1/ns/net":    "net:[4026531840]",
	"proc/1/exe":       "/usr/lib/systemd/systemd",
	"proc/1/fd/0":      "/dev/null",
	"proc/1/fd/7":      "socket:[1020]",
	"proc/1/fd/10":     "socket:[1012]",
	"proc/1/fd/11":     "socket:[1021]",
	"proc/1/fd/12":     "pipe:[555]",
	"proc/812/ns/net":  "net:[4026531840]",
	"proc/812/exe":     "/usr/sbin/sshd",
	"proc/812/fd/3":    "socket:[1001]",
	"proc/812/fd/4":    "socket:[1003]",
	"proc/812/fd/5":    "socket:[1010]",
	"proc/1500/ns/net": "net:[4026531840]",
	"proc/1500/exe":    "/usr/sbin/nginx",
	"proc/1500/fd/6":   "socket:[1004]",
	"proc/1500/fd/7":   "socket:[1009]",
	"proc/2044/ns/net": "net:[4026532000]",
	"proc/2044/exe":    "/home/alice/my server",
	"proc/2044/fd/3":   "socket:[1002]",
	"proc/2044/fd/4":   "socket:[1006]",
	"proc/2044/fd/5":   "socket:[1004]",
	"proc/2044/fd/6":   "socket:[1011]",
}

// ContainerLinks are the symlinks of the containers overlay (ContainersRoot):
// the namespaces of its processes, their sockets, and the namespaces
// pinned in /run/netns, which a tree holds as links to net:[INODE].
var ContainerLinks = map[string]string{
	"proc/3100/ns/net": "net:[4026532100]", // docker: pg
	"proc/3100/exe":    "/usr/lib/postgresql/16/bin/postgres",
	"proc/3100/fd/5":   "socket:[3001]",
	"proc/3100/fd/6":   "socket:[3002]",
	"proc/3200/ns/net": "net:[4026532200]", // containerd pod: its sandbox
	"proc/3200/fd/0":   "/dev/null",
	"proc/3201/ns/net": "net:[4026532200]", // and its nginx
	"proc/3201/fd/6":   "socket:[3201]",
	"proc/3300/ns/net": "net:[4026532300]", // cri-o: redis
	"proc/3300/fd/7":   "socket:[3301]",
	"proc/3400/ns/net": "net:[4026532400]", // podman
	"proc/3400/fd/0":   "/dev/null",
	"proc/3500/ns/net": "net:[4026532500]", // lxc
	"proc/3500/fd/0":   "/dev/null",
	"proc/3600/ns/net": "net:[4026532600]", // systemd-nspawn
	"proc/3600/fd/0":   "/dev/null",
	"run/netns/blue":   "net:[4026532000]",
	"run/netns/cni-0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9": "net:[4026532300]",
}

// ContainersRoot is Root with the containers overlay on top
// (testdata/containers): processes in containers of each runtime, each in
// a namespace of its own with its proc/PID/net, and the runtimes' state
// under run/ and var/.
func ContainersRoot(t testing.TB) string {
	t.Helper()
	dst := Root(t, ContainerLinks)
	src := filepath.Join(Dir(), "..", "containers")
	if err := copyTree(src, dst); err != nil {
		t.Fatal(err)
	}
	return dst
}

// Dir is the fixture tree in the source, without its symlinks.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "testdata", "root")
}

// Root copies the fixture tree to a temporary directory, adds Links and
// extra (path -> target), and returns the copy's path.
func Root(t testing.TB, extra map[string]string) string {
	t.Helper()
	dst := fastTempDir(t)
	src := Dir()
	if err := copyTree(src, dst); err != nil {
		t.Fatal(err)
	}
	// The thread 1501 shares its process's fd table; an empty one keeps the
	// owner walk from counting it as vanished.
	if err := os.MkdirAll(filepath.Join(dst, "proc/1501/fd"), 0o755); err != nil {
		t.Fatal(err)
	}
	for path, target := range Links {
		Symlink(t, target, filepath.Join(dst, path))
	}
	for path, target := range extra {
		Symlink(t, target, filepath.Join(dst, path))
	}
	return dst
}

// Symlink makes path -> target, creating path's directory.
func Symlink(t testing.TB, target, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
}

// fastTempDir is a temporary directory in memory (/dev/shm) where there is
// one: the fixture tree is 175 files, and creating them on this machine's
// disk took 130 ms a test, in tmpfs 10 ms. Elsewhere it is t.TempDir().
func fastTempDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("/dev/shm", "netsql-test-")
	if err != nil {
		return t.TempDir()
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// copyTree copies the directories and regular files under src into dst.
func copyTree(src, dst string) error {
	return filepath.Walk(src, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
}
