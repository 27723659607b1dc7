// Package kernel reads the machine's network state: where to read from
// (Source: the live system or a tree), the reading session of one statement
// (Collector: its context, values computed once, warnings counted), and
// the errors readers return. It knows no SQL and no dataset.
package kernel

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"

	"github.com/jsimonetti/rtnetlink/v2"
)

// Source says where the datasets read from: the live system, or another
// tree (a test fixture, a copy of another machine) given with --root,
// --proc or --sys.
type Source struct {
	Proc string // the proc filesystem, "/proc" on the live system
	Sys  string // the sys filesystem
	Etc  string // passwd, services, iproute2's rt_tables
	// Root is the tree's top, under which run/netns and the container
	// runtimes' state (var/lib/docker, run/containerd, ...) are read: "/"
	// on the live system, DIR with --root, "" when only --proc or --sys
	// was given (those parts are then absent).
	Root string
	// Netns is the network namespaces a statement reads (--netns, .netns);
	// the zero value is netsql's own.
	Netns NetnsScope
	// Live is true when every part is the running system's own, so netlink
	// may be used; any override turns it off.
	Live bool
	// OnRead, when set, is called with every path a dataset reads (a file,
	// a directory listing, a process directory); tests count reads with it.
	OnRead func(path string)
	// OnDiag, when set, is called after every sock_diag dump with what was
	// asked and how many sockets came back; tests prove kernel-side
	// filtering with it.
	OnDiag func(DiagDump)
	// Resolver answers resolve(addr); nil means the system's resolver.
	Resolver *net.Resolver

	RefuseDiag bool // tests: act as if the kernel refused sock_diag
	// DialRtnl opens the rtnetlink connection of a dump; nil dials one in
	// netsql's own network namespace (tests play a refusing kernel).
	DialRtnl func() (*rtnetlink.Conn, error)
	// Owners, when set (watch mode), keeps socket holders between
	// statements so that their owners are checked, not walked for again.
	Owners *OwnerCache
}

// LiveSource reads the running system.
func LiveSource() *Source {
	return &Source{Proc: "/proc", Sys: "/sys", Etc: "/etc", Root: "/", Live: true}
}

// RootSource reads DIR/proc, DIR/sys and DIR/etc. A relative DIR is
// taken from the working directory now, as a path on the command line is.
func RootSource(dir string) *Source {
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	return &Source{
		Proc: filepath.Join(dir, "proc"),
		Sys:  filepath.Join(dir, "sys"),
		Etc:  filepath.Join(dir, "etc"),
		Root: dir,
	}
}

// errNotDirectory is returned by CheckDir for a path that is not a directory.
var errNotDirectory = errors.New("not a directory")

// CheckDir reports whether path is an existing directory, with an error
// naming the path when it is not.
func CheckDir(path string) error {
	info, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s: no such directory", path)
		}
		return err
	}
	if !info.IsDir() {
		return fmt.Errorf("%s: %w", path, errNotDirectory)
	}
	return nil
}

func (s *Source) Note(path string) {
	if s.OnRead != nil && (s.Live || s.has(path)) {
		s.OnRead(path)
	}
}

// has tells whether path lies in a part of the tree that was given; a
// path of an absent part is never read.
func (s *Source) has(path string) bool {
	for _, base := range s.parts() {
		if rel, err := filepath.Rel(base, path); base != "" && filepath.IsAbs(path) && err == nil && (filepath.IsLocal(rel) || rel == ".") {
			return true
		}
	}
	return false
}

// parts are the directories of the tree that were given, the most
// specific first: a path is read through the first that holds it.
func (s *Source) parts() []string {
	return []string{s.Proc, s.Sys, s.Etc, s.Root}
}

// RootPath joins elements under the tree's top (Root); "" when there is
// none, which reads as absent.
func (s *Source) RootPath(elem ...string) string {
	if s.Root == "" {
		return ""
	}
	return filepath.Join(append([]string{s.Root}, elem...)...)
}

// ProcPath joins elements under the proc root.
func (s *Source) ProcPath(elem ...string) string {
	return filepath.Join(append([]string{s.Proc}, elem...)...)
}

// NetPath names a file of the proc root's net directory: on the live
// system through /proc/thread-self, the namespace of the calling thread,
// which is also where netlink sockets it opens look (/proc/net follows
// the main thread, which a setns elsewhere in the process could move).
func (s *Source) NetPath(file ...string) string {
	if s.Live {
		return s.ProcPath(append([]string{"thread-self", "net"}, file...)...)
	}
	return s.ProcPath(append([]string{"net"}, file...)...)
}

// EtcPath joins elements under the etc root.
func (s *Source) EtcPath(elem ...string) string {
	return filepath.Join(append([]string{s.Etc}, elem...)...)
}

// DiagDump describes one sock_diag dump, for Source.OnDiag: what was asked
// and how many sockets came back.
type DiagDump struct {
	Family   uint8  // AF_INET, AF_INET6, AF_UNIX or AF_PACKET
	Protocol uint8  // IPPROTO_TCP, IPPROTO_UDP, IPPROTO_UDPLITE; 0 for unix and packet
	States   uint32 // the state bitmask sent (1 << kernel state); all ones for packet
	Ext      uint32 // inet: idiag_ext; unix and packet: the show flags
	Rows     int    // sockets decoded from the replies
}
