package kernel

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
)

// Files are read one way: the trees netsql reads may be hostile (a copy of
// an attacked machine, a tree someone else made), and a FIFO where
// /proc/net/tcp should be, or a link to /dev/zero, must not hang or
// exhaust it. So a file is opened non-blocking; anything but a regular
// file is refused by path; a tree's symlinks may not lead outside the tree
// (os.Root refuses them); every read is bounded and checks the statement's
// context between chunks.

// Caps on what one file may hold. /proc/net files grow with the sockets
// (about 150 bytes each), the rest are small; both are generous.
const (
	netFileCap = 256 << 20
	fileCap    = 16 << 20
	readChunk  = 1 << 20
)

// ErrNotRegular marks a path that is not a regular file (a FIFO, a device,
// a socket, a directory) where a kernel file should be.
var ErrNotRegular = errors.New("not a regular file")

// ErrTooLarge marks a file larger than netsql reads.
var ErrTooLarge = errors.New("larger than the cap")

// ReadFile reads a whole file of the source, telling OnRead.
func (c *Collector) ReadFile(path string) ([]byte, error) {
	return c.src.readFile(c.ctx, path)
}

// ReadOptional reads a file that may not exist on this kernel: a missing
// file is (nil, false, nil), "no data" rather than an error.
func (c *Collector) ReadOptional(path string) ([]byte, bool, error) {
	data, err := c.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if !c.src.Live && c.src.has(path) && neededNetFile(path) {
			c.Notice(path + " is missing from the tree: the rows it holds are absent")
		}
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return data, true, nil
}

func (s *Source) readFile(ctx context.Context, path string) ([]byte, error) {
	s.Note(path)
	f, err := s.open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %w: it is %s", path, ErrNotRegular, fileKind(info.Mode()))
	}
	limit := fileCap
	if strings.Contains(path, string(filepath.Separator)+"net"+string(filepath.Separator)) {
		limit = netFileCap
	}
	// As os.ReadFile: from the size stat tells (0 for /proc files) up,
	// growing as needed; reads of at most readChunk, so the context is
	// checked between them, and never past the cap.
	size := 512
	if n := info.Size(); n > 0 && n < int64(limit) {
		size = int(n) + 1
	}
	data := make([]byte, 0, size)
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
		n, err := f.Read(data[len(data):min(cap(data), len(data)+readChunk)])
		data = data[:len(data)+n]
		if len(data) > limit {
			return nil, fmt.Errorf("%s: %w of %d MiB", path, ErrTooLarge, limit>>20)
		}
		if err == io.EOF {
			return data, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// open opens path for reading without blocking: on the live system as it
// is, in a tree through os.Root at the tree's part (proc, sys, etc) that
// holds it, so no symlink leads outside.
func (s *Source) open(path string) (*os.File, error) {
	const flags = os.O_RDONLY | syscall.O_NONBLOCK | syscall.O_CLOEXEC
	if s.Live {
		return os.OpenFile(path, flags, 0)
	}
	var f *os.File
	err := s.inTree(path, func(root *os.Root, rel string) (err error) {
		f, err = root.OpenFile(rel, flags, 0)
		return err
	})
	return f, err
}

// inTree runs fn on the part of the tree (proc, sys or etc) that holds
// path. A path in no part given — with --proc alone, /sys and /etc are
// not read from the host but absent — does not exist. An error other
// than "missing" or "denied" (a link out of the tree) names the path.
func (s *Source) inTree(path string, fn func(root *os.Root, rel string) error) error {
	for _, base := range s.parts() {
		rel, err := filepath.Rel(base, path)
		if base == "" || !filepath.IsAbs(path) || err != nil || !filepath.IsLocal(rel) && rel != "." {
			continue // not this part (has says the same)
		}
		root, err := os.OpenRoot(base)
		if err != nil {
			return err
		}
		defer root.Close()
		if err := fn(root, rel); err != nil {
			if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
				return err
			}
			return fmt.Errorf("%s: %w", path, err)
		}
		return nil
	}
	return &fs.PathError{Op: "open", Path: path, Err: fs.ErrNotExist}
}

// ReadDir lists a directory of the source, within the tree.
func (s *Source) ReadDir(path string) ([]fs.DirEntry, error) {
	s.Note(path)
	if s.Live {
		return os.ReadDir(path)
	}
	var entries []fs.DirEntry
	err := s.inTree(path, func(root *os.Root, rel string) error {
		d, err := root.Open(rel)
		if err != nil {
			return err
		}
		defer d.Close()
		entries, err = d.ReadDir(-1)
		slices.SortFunc(entries, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) }) // as os.ReadDir
		return err
	})
	return entries, err
}

// Readlink reads a symbolic link of the source, within the tree.
func (s *Source) Readlink(path string) (string, error) {
	s.Note(path)
	if s.Live {
		return os.Readlink(path)
	}
	var target string
	err := s.inTree(path, func(root *os.Root, rel string) (err error) {
		target, err = root.Readlink(rel)
		return err
	})
	return target, err
}

// Stat describes a file of the source, following links within the tree.
func (s *Source) Stat(path string) (fs.FileInfo, error) {
	if s.Live {
		return os.Stat(path)
	}
	var info fs.FileInfo
	err := s.inTree(path, func(root *os.Root, rel string) (err error) {
		info, err = root.Stat(rel)
		return err
	})
	return info, err
}

// Lstat describes a file of the source without following a last link.
func (s *Source) Lstat(path string) (fs.FileInfo, error) {
	if s.Live {
		return os.Lstat(path)
	}
	var info fs.FileInfo
	err := s.inTree(path, func(root *os.Root, rel string) (err error) {
		info, err = root.Lstat(rel)
		return err
	})
	return info, err
}

// mayLack are the /proc/net files a kernel may not have (no IPv6, no
// UDP-Lite or SCTP module, no conntrack, ping sockets off, no AF_PACKET),
// or whose absence has a fallback (dev: /sys/class/net). A tree without one
// of the others is incomplete, and a statement that needs it says so.
var mayLack = map[string]bool{
	"tcp6": true, "udp6": true, "raw6": true, "icmp6": true, "udplite": true, "udplite6": true, "icmp": true,
	"if_inet6": true, "ipv6_route": true, "snmp6": true, "igmp6": true, "sockstat6": true, "nf_conntrack": true,
	"packet": true, "dev": true,
}

// neededNetFile tells whether a missing path is a /proc/net file every
// kernel has.
func neededNetFile(path string) bool {
	return filepath.Base(filepath.Dir(path)) == "net" && !mayLack[filepath.Base(path)]
}

// fileKind names what a non-regular file is, for the error.
func fileKind(mode fs.FileMode) string {
	switch {
	case mode&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case mode&fs.ModeCharDevice != 0:
		return "a character device"
	case mode&fs.ModeDevice != 0:
		return "a block device"
	case mode&fs.ModeSocket != 0:
		return "a socket"
	case mode.IsDir():
		return "a directory"
	}
	return "not a regular file (" + mode.String() + ")"
}
