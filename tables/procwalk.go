package tables

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"io/fs"
	"os"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"

	"netsql/tables/kernel"

	"golang.org/x/sys/unix"
)

// This file reads /proc/PID: the list of processes, the socket file
// descriptors of each (/proc/PID/fd/N -> socket:[INODE]), and the small
// per-process facts those need (comm, net namespace). Processes come and
// go while we read: one that vanishes is skipped and one we may not read
// leaves NULLs; both are counted as warnings, never errors.

// listPIDs returns the numeric entries of the proc root, ascending.
func listPIDs(c *kernel.Collector) ([]int64, error) {
	c.Source().Note(c.Source().Proc)
	return readPIDs(c.Source().Proc)
}

// readPIDs lists the numeric entries of dir, ascending; it tells no one,
// so a background goroutine may call it.
func readPIDs(dir string) ([]int64, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	pids := make([]int64, 0, len(names))
	for _, name := range names {
		if name == "" || name[0] < '0' || name[0] > '9' {
			continue
		}
		if pid, err := strconv.ParseInt(name, 10, 64); err == nil && pid > 0 {
			pids = append(pids, pid)
		}
	}
	sort.Slice(pids, func(i, j int) bool { return pids[i] < pids[j] })
	return pids, nil
}

// skipReason sorts an error from reading /proc/PID into the warning it
// counts as; ok is false for errors that are neither (a real failure).
func skipReason(err error) (kind string, ok bool) {
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ESRCH):
		return kernel.WarnProcessVanished, true
	case errors.Is(err, fs.ErrPermission):
		return kernel.WarnProcessDenied, true
	}
	return "", false
}

// isProcess reports whether pid names a process (a thread group leader),
// not a thread: /proc resolves /proc/TID too, though it does not list it.
func isProcess(c *kernel.Collector, pid int64) (bool, error) {
	data, err := c.Source().ReadFile(c.Source().ProcPath(strconv.FormatInt(pid, 10), "status"))
	if err != nil {
		if _, skip := skipReason(err); skip {
			return false, nil
		}
		return false, err
	}
	tgid, ok := statusField(data, "Tgid:")
	return ok && tgid == strconv.FormatInt(pid, 10), nil
}

// statusField returns the value of one "Name:\tvalue" line of /proc/PID/status.
func statusField(data []byte, name string) (string, bool) {
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if bytes.HasPrefix(line, []byte(name)) {
			return strings.TrimSpace(string(line[len(name):])), true
		}
	}
	return "", false
}

// readNetns returns the inode of the net namespace behind a ns/net link
// ("net:[4026531840]").
func readNetns(c *kernel.Collector, path string) (any, error) {
	c.Source().Note(path)
	link, err := os.Readlink(path)
	if err != nil {
		return nil, err
	}
	return parseNsLink(link, "net")
}

func parseNsLink(link, kind string) (any, error) {
	prefix := kind + ":["
	if !strings.HasPrefix(link, prefix) || !strings.HasSuffix(link, "]") {
		return nil, kernel.LineErrorf(1, "namespace link %q", link)
	}
	n, err := strconv.ParseInt(link[len(prefix):len(link)-1], 10, 64)
	if err != nil {
		return nil, kernel.LineErrorf(1, "namespace link %q", link)
	}
	return n, nil
}

// selfNetns is the namespace whose sockets /proc/net lists: ours.
func selfNetns(c *kernel.Collector) any {
	v, _ := kernel.Memoize(c, "self-netns", func() (any, error) {
		self := c.Source().ProcPath("self", "ns", "net")
		if c.Source().Live {
			self = c.Source().ProcPath("thread-self", "ns", "net") // as NetPath
		}
		ns, err := readNetns(c, self)
		if err != nil {
			return nil, nil // unknown (a fixture without it): NULL
		}
		return ns, nil
	})
	return v
}

// fdSocket is one file descriptor that holds a socket.
type fdSocket struct {
	pid, fd int64
	inode   int64
}

// socketOwners is the result of the owner walk: every (pid, fd) holding a
// socket, the first holder of each inode, and the comm of each owner.
type socketOwners struct {
	fds   []fdSocket       // in pid, fd order
	first map[int64]int32  // inode -> position in fds of its lowest-pid holder
	comm  map[int64]string // pid -> comm, for pids holding sockets
}

// lowestPID returns the lowest pid holding inode.
func (o *socketOwners) lowestPID(inode int64) (int64, bool) {
	pos, ok := o.first[inode]
	if !ok {
		return 0, false
	}
	return o.fds[pos].pid, true
}

// maxOwnerWorkers bounds the goroutines of the owner walk on machines with
// many cores: each costs a 32 KiB buffer and a share of the merge.
const maxOwnerWorkers = 16

// owners walks /proc/*/fd once per statement, building one map from inode
// to owners, so finding the owners of n sockets is linear, not n × fds.
// The walk may already be running in the background (startOwners).
func owners(c *kernel.Collector) (*socketOwners, error) {
	return kernel.Memoize(c, "owners", func() (*socketOwners, error) {
		w := startOwners(c)
		<-w.done
		return w.finish(c)
	})
}

// startOwners starts the statement's owner walk in the background, once;
// sockets starts it before collecting when a scan will need the owner
// columns, so the walk of /proc and the netlink dump overlap.
func startOwners(c *kernel.Collector) *ownerWalk {
	w, _ := kernel.Memoize(c, "owners-walk", func() (*ownerWalk, error) {
		c.Source().Note(c.Source().Proc)
		w := &ownerWalk{proc: c.Source().Proc, done: make(chan struct{})}
		ctx := c.Context()
		go func() {
			defer close(w.done)
			w.pids, w.err = readPIDs(w.proc)
			if w.err == nil {
				workers := min(runtime.GOMAXPROCS(0), maxOwnerWorkers, (len(w.pids)+7)/8)
				w.run(ctx, max(workers, 1))
			}
		}()
		return w, nil
	})
	return w
}

// ownersOf walks /proc/PID/fd for one process only (a narrowed read).
func ownersOf(c *kernel.Collector, pid int64) (*socketOwners, error) {
	ok, err := isProcess(c, pid)
	if err != nil {
		return nil, err
	}
	w := &ownerWalk{proc: c.Source().Proc}
	if ok {
		w.pids = []int64{pid}
	}
	w.run(c.Context(), 1)
	return w.finish(c)
}

// ownerWalk is one walk of the fd directories of pids: processes are read
// in parallel, one per worker at a time, each worker with its own buffers
// and results, merged in pid order. run touches nothing of the Collector,
// so it may run in the background; finish reports what was read and
// skipped, and must run in the statement's goroutine.
type ownerWalk struct {
	proc    string
	done    chan struct{} // closed when a background walk ended
	pids    []int64
	results []pidWalk
	owners  *socketOwners
	err     error
}

// pidWalk is what reading one process gave: its socket descriptors (a
// range of one worker's list), its comm, or why it was skipped.
type pidWalk struct {
	worker     int
	start, end int
	comm       string
	hasComm    bool
	skip       string // a warning kind when the process was skipped
	err        error  // a real failure
}

// run reads the fd directories of w.pids with the given number of workers
// and merges what they found in pid order.
func (w *ownerWalk) run(ctx context.Context, workers int) {
	w.results = make([]pidWalk, len(w.pids))
	walkers := make([]*fdWalker, workers)
	var next atomic.Int64
	var wg sync.WaitGroup
	for i := range walkers {
		fw := newFDWalker(w.proc)
		walkers[i] = fw
		wg.Go(func() {
			for {
				n := int(next.Add(1) - 1)
				if n >= len(w.pids) || ctx.Err() != nil {
					return
				}
				start := len(fw.fds)
				comm, hasComm, skip, err := fw.add(w.pids[n])
				w.results[n] = pidWalk{worker: i, start: start, end: len(fw.fds), comm: comm, hasComm: hasComm, skip: skip, err: err}
			}
		})
	}
	wg.Wait()
	if w.err = ctx.Err(); w.err != nil {
		return
	}
	total := 0
	for _, fw := range walkers {
		total += len(fw.fds)
	}
	o := &socketOwners{fds: make([]fdSocket, 0, total), first: make(map[int64]int32, total), comm: map[int64]string{}}
	for n := range w.pids {
		r := &w.results[n]
		if r.err != nil {
			w.err = r.err
			return
		}
		for _, f := range walkers[r.worker].fds[r.start:r.end] {
			if _, seen := o.first[f.inode]; !seen {
				o.first[f.inode] = int32(len(o.fds))
			}
			o.fds = append(o.fds, f)
		}
		if r.hasComm {
			o.comm[w.pids[n]] = r.comm
		}
	}
	w.owners = o
}

// finish tells the Source what the walk read and counts the processes it
// skipped, then returns the owners.
func (w *ownerWalk) finish(c *kernel.Collector) (*socketOwners, error) {
	if w.err != nil {
		return nil, w.err
	}
	for n, pid := range w.pids {
		r := &w.results[n]
		if c.Source().OnRead != nil {
			dir := c.Source().ProcPath(strconv.FormatInt(pid, 10))
			c.Source().Note(dir + "/fd")
			if r.hasComm {
				c.Source().Note(dir + "/comm")
			}
		}
		if r.skip != "" {
			c.Warn(r.skip, pid)
		}
	}
	return w.owners, nil
}

// fdWalker reads the fd directories of processes with reused buffers:
// getdents into one buffer and readlinkat relative to the directory, so a
// descriptor costs two system calls and no allocation.
type fdWalker struct {
	proc string
	fds  []fdSocket
	path []byte
	dent []byte
	link []byte
}

func newFDWalker(proc string) *fdWalker {
	return &fdWalker{proc: proc, dent: make([]byte, 32<<10), link: make([]byte, 256)}
}

// add reads the socket descriptors of one process, appending them to
// w.fds in fd order, and its comm when it holds any. skip names the
// warning when the process vanished or may not be read.
func (w *fdWalker) add(pid int64) (comm string, hasComm bool, skip string, err error) {
	w.path = append(append(append(w.path[:0], w.proc...), '/'), strconv.FormatInt(pid, 10)...)
	pidLen := len(w.path)
	w.path = append(w.path, "/fd"...)
	dirfd, err := unix.Open(string(w.path), unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return w.failed(err, len(w.fds))
	}
	first := len(w.fds)
	defer unix.Close(dirfd)
	for {
		n, err := unix.Getdents(dirfd, w.dent)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return w.failed(err, first)
		}
		if n <= 0 {
			break
		}
		w.addEntries(dirfd, pid, w.dent[:n])
	}
	added := w.fds[first:]
	if len(added) == 0 {
		return "", false, "", nil
	}
	if !slices.IsSortedFunc(added, func(a, b fdSocket) int { return cmp.Compare(a.fd, b.fd) }) {
		slices.SortFunc(added, func(a, b fdSocket) int { return cmp.Compare(a.fd, b.fd) })
	}
	w.path = append(w.path[:pidLen], "/comm"...)
	if data, err := os.ReadFile(string(w.path)); err == nil {
		return strings.TrimSuffix(string(data), "\n"), true, "", nil
	}
	return "", false, "", nil
}

// failed turns an error reading a process into a skip (dropping what was
// read of it) or a real error.
func (w *fdWalker) failed(err error, first int) (string, bool, string, error) {
	w.fds = w.fds[:first]
	if kind, skip := skipReason(err); skip {
		return "", false, kind, nil
	}
	return "", false, "", &fs.PathError{Op: "read", Path: string(w.path), Err: err}
}

// Offsets in struct linux_dirent64 (getdents64).
const (
	direntReclen = 16
	direntName   = 19
)

// addEntries reads the links of the descriptors in one getdents buffer.
func (w *fdWalker) addEntries(dirfd int, pid int64, buf []byte) {
	for len(buf) >= direntName {
		reclen := int(binary.NativeEndian.Uint16(buf[direntReclen:]))
		if reclen < direntName || reclen > len(buf) {
			return
		}
		name := buf[direntName:reclen] // NUL-terminated, then padding
		buf = buf[reclen:]
		fd, ok := parseFDName(name)
		if !ok {
			continue // "." and ".."
		}
		n, err := readlinkat(dirfd, &name[0], w.link)
		if err != nil {
			continue // closed since the listing
		}
		if inode, ok := socketInode(w.link[:n]); ok {
			w.fds = append(w.fds, fdSocket{pid: pid, fd: fd, inode: inode})
		}
	}
}

// parseFDName reads the decimal name of a descriptor up to its NUL.
func parseFDName(name []byte) (int64, bool) {
	var fd int64
	digits := 0
	for _, ch := range name {
		if ch == 0 {
			break
		}
		if ch < '0' || ch > '9' || digits > 10 {
			return 0, false
		}
		fd = fd*10 + int64(ch-'0')
		digits++
	}
	return fd, digits > 0
}

// readlinkat reads the link named by the NUL-terminated name relative to
// dirfd into buf, without the allocation syscall.Readlinkat makes to
// terminate a Go string.
func readlinkat(dirfd int, name *byte, buf []byte) (int, error) {
	for {
		n, _, errno := unix.Syscall6(unix.SYS_READLINKAT, uintptr(dirfd), uintptr(unsafe.Pointer(name)),
			uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)), 0, 0)
		switch errno {
		case 0:
			return int(n), nil
		case unix.EINTR:
			continue
		}
		return 0, errno
	}
}

// pidNetns reads the net namespace of one process once per statement; only
// process_sockets needs it, so the owner walk behind sockets.pid skips it.
func pidNetns(c *kernel.Collector, pid int64) any {
	nsByPID, _ := kernel.Memoize(c, "pid-netns", func() (map[int64]any, error) { return map[int64]any{}, nil })
	if ns, ok := nsByPID[pid]; ok {
		return ns
	}
	ns, err := readNetns(c, c.Source().ProcPath(strconv.FormatInt(pid, 10), "ns", "net"))
	if err != nil {
		ns = nil
		if kind, skip := skipReason(err); skip && kind == kernel.WarnProcessDenied {
			c.Warn(kernel.WarnProcessPartly, pid)
		}
	}
	nsByPID[pid] = ns
	return ns
}

// socketInode parses "socket:[12345]".
func socketInode(link []byte) (int64, bool) {
	const prefix = "socket:["
	if len(link) < len(prefix)+2 || string(link[:len(prefix)]) != prefix || link[len(link)-1] != ']' {
		return 0, false
	}
	var n int64
	for _, ch := range link[len(prefix) : len(link)-1] {
		if ch < '0' || ch > '9' || n > (1<<62)/10 {
			return 0, false
		}
		n = n*10 + int64(ch-'0')
	}
	return n, true
}

// users maps uid to name from the tree's etc/passwd (never the host's when
// --root points elsewhere); a missing file gives no names.
func users(c *kernel.Collector) map[int64]string {
	m, _ := kernel.Memoize(c, "users", func() (map[int64]string, error) {
		m := map[int64]string{}
		data, _, err := c.Source().ReadOptional(c.Source().EtcPath("passwd"))
		if err != nil {
			return m, nil
		}
		for _, line := range strings.Split(string(data), "\n") {
			f := strings.Split(line, ":")
			if len(f) < 3 || strings.HasPrefix(f[0], "#") {
				continue
			}
			if uid, err := strconv.ParseInt(f[2], 10, 64); err == nil {
				if _, dup := m[uid]; !dup {
					m[uid] = f[0]
				}
			}
		}
		return m, nil
	})
	return m
}

// userName returns the name of uid, or nil when passwd has none.
func userName(c *kernel.Collector, uid int64) any {
	if name, ok := users(c)[uid]; ok {
		return name
	}
	return nil
}
