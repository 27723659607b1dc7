package kernel

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
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

	"golang.org/x/sys/unix"
)

// This file reads /proc/PID: the list of processes, the socket file
// descriptors of each (/proc/PID/fd/N -> socket:[INODE]), and the small
// per-process facts those need (comm, net namespace). Processes come and
// go while we read: one that vanishes is skipped and one we may not read
// leaves NULLs; both are counted as warnings, never errors.

// ListPIDs returns the numeric entries of the proc root, ascending.
func ListPIDs(c *Collector) ([]int64, error) {
	c.src.Note(c.src.Proc)
	return c.src.pids()
}

// pids lists the processes of the source; it tells no one, so a
// background goroutine may call it. A tree without a proc part has none.
func (s *Source) pids() ([]int64, error) {
	switch {
	case s.Live:
		return readPIDs(s.Proc)
	case s.Proc == "":
		return nil, nil
	}
	entries, err := s.ReadDir(s.Proc)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	return pidsOf(names), nil
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
	return pidsOf(names), nil
}

// pidsOf keeps the numeric names of a proc directory, as pids ascending.
func pidsOf(names []string) []int64 {
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
	return pids
}

// SkipReason sorts an error from reading /proc/PID into the warning it
// counts as; ok is false for errors that are neither (a real failure).
func SkipReason(err error) (kind string, ok bool) {
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ESRCH):
		return WarnProcessVanished, true
	case errors.Is(err, fs.ErrPermission):
		return WarnProcessDenied, true
	}
	return "", false
}

// IsProcess reports whether pid names a process (a thread group leader),
// not a thread: /proc resolves /proc/TID too, though it does not list it.
func IsProcess(c *Collector, pid int64) (bool, error) {
	data, err := c.ReadFile(c.Source().ProcPath(strconv.FormatInt(pid, 10), "status"))
	if err != nil {
		if _, skip := SkipReason(err); skip {
			return false, nil
		}
		return false, err
	}
	tgid, ok := StatusField(data, "Tgid:")
	return ok && tgid == strconv.FormatInt(pid, 10), nil
}

// StatusField returns the value of one "Name:\tvalue" line of /proc/PID/status.
func StatusField(data []byte, name string) (string, bool) {
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

// ReadNetns returns the inode of the net namespace behind a ns/net link
// ("net:[4026531840]").
func ReadNetns(c *Collector, path string) (any, error) {
	link, err := c.Source().Readlink(path)
	if err != nil {
		return nil, err
	}
	return ParseNsLink(link, "net")
}

func ParseNsLink(link, kind string) (any, error) {
	prefix := kind + ":["
	if !strings.HasPrefix(link, prefix) || !strings.HasSuffix(link, "]") {
		return nil, LineErrorf(1, "namespace link %q", link)
	}
	n, err := strconv.ParseInt(link[len(prefix):len(link)-1], 10, 64)
	if err != nil {
		return nil, LineErrorf(1, "namespace link %q", link)
	}
	return n, nil
}

// SelfNetns is the namespace whose sockets the collector's net directory
// lists: netsql's own, or the one a collector of EachNetns reads.
func SelfNetns(c *Collector) any {
	if ns := c.netns; ns != nil && !ns.Self {
		return ns.Inode
	}
	v, _ := Memoize(c, "self-netns", func() (any, error) {
		self := c.Source().ProcPath("self", "ns", "net")
		if c.Source().Live {
			self = c.Source().ProcPath("thread-self", "ns", "net") // as NetPath
		}
		ns, err := ReadNetns(c, self)
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

// SocketOwners is the result of the owner walk: every (pid, fd) holding a
// socket, the first holder of each inode, and the comm of each owner.
type SocketOwners struct {
	fds   []fdSocket       // in pid, fd order
	first map[int64]int32  // inode -> position in fds of its lowest-pid holder
	comm  map[int64]string // pid -> comm, for pids holding sockets
	// more holds, for an inode held by several processes, the positions
	// of the first descriptor of each other holder, in pid order.
	more map[int64][]int32
}

// PIDs returns every process holding inode, lowest first.
func (o *SocketOwners) PIDs(inode int64) []int64 {
	pos, ok := o.first[inode]
	if !ok {
		return nil
	}
	pids := []int64{o.fds[pos].pid}
	for _, p := range o.more[inode] {
		pids = append(pids, o.fds[p].pid)
	}
	return pids
}

// Shared tells whether more than one process holds inode.
func (o *SocketOwners) Shared(inode int64) bool { return len(o.more[inode]) > 0 }

// LowestPID returns the lowest pid holding inode.
func (o *SocketOwners) LowestPID(inode int64) (int64, bool) {
	pos, ok := o.first[inode]
	if !ok {
		return 0, false
	}
	return o.fds[pos].pid, true
}

// Comm returns the comm of a pid that holds sockets.
func (o *SocketOwners) Comm(pid int64) (string, bool) {
	comm, ok := o.comm[pid]
	return comm, ok
}

// Holder is one file descriptor holding a socket.
type Holder struct{ PID, FD, Inode int64 }

// Holders lists every (pid, fd) holding a socket, in pid and fd order.
func (o *SocketOwners) Holders() []Holder {
	out := make([]Holder, len(o.fds))
	for i, f := range o.fds {
		out[i] = Holder{PID: f.pid, FD: f.fd, Inode: f.inode}
	}
	return out
}

// maxOwnerWorkers bounds the goroutines of the owner walk on machines with
// many cores: each costs a 32 KiB buffer and a share of the merge.
const maxOwnerWorkers = 16

// Owners walks /proc/*/fd once per statement, building one map from inode
// to owners, so finding the owners of n sockets is linear, not n × fds.
// The walk may already be running in the background (StartOwners).
func Owners(c *Collector) (*SocketOwners, error) {
	return Memoize(c, "owners", func() (*SocketOwners, error) {
		w := StartOwners(c)
		<-w.done
		return w.finish(c)
	})
}

// StartOwners starts the statement's owner walk in the background, once;
// sockets starts it before collecting when a scan will need the owner
// columns, so the walk of /proc and the netlink dump overlap.
func StartOwners(c *Collector) *ownerWalk {
	w, _ := Memoize(c, "Owners-walk", func() (*ownerWalk, error) {
		c.Source().Note(c.Source().Proc)
		w := &ownerWalk{src: c.Source(), proc: c.Source().Proc, done: make(chan struct{}), progress: c.Progress()}
		ctx := c.Context()
		go func() {
			defer close(w.done)
			w.pids, w.err = w.src.pids()
			if w.err == nil {
				workers := min(runtime.GOMAXPROCS(0), maxOwnerWorkers, (len(w.pids)+7)/8)
				w.run(ctx, max(workers, 1))
			}
		}()
		return w, nil
	})
	return w
}

// OwnersOf walks /proc/PID/fd for one process only (a narrowed read).
func OwnersOf(c *Collector, pid int64) (*SocketOwners, error) {
	ok, err := IsProcess(c, pid)
	if err != nil {
		return nil, err
	}
	w := &ownerWalk{src: c.Source(), proc: c.Source().Proc, progress: c.Progress()}
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
	src     *Source
	proc    string
	done    chan struct{} // closed when a background walk ended
	pids    []int64
	results []pidWalk
	owners  *SocketOwners
	err     error
	// progress counts the processes walked, for a terminal's note.
	progress *Progress
}

// lastWalkFDs is how many socket descriptors the process's last owner
// walk found: the next walk's lists start that big.
var lastWalkFDs atomic.Int64

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
	// Sized from the last walk (watch, --serve): a list grown by append
	// leaves its old arrays behind, and the collector is paused meanwhile.
	hint := int(lastWalkFDs.Load())
	for i := range walkers {
		fw := newFDWalker(w.src, ctx)
		if hint > 0 {
			fw.fds = make([]fdSocket, 0, hint/workers+hint/8)
		}
		walkers[i] = fw
		wg.Go(func() {
			for {
				n := int(next.Add(1) - 1)
				if n >= len(w.pids) || ctx.Err() != nil {
					return
				}
				start := len(fw.fds)
				comm, hasComm, skip, err := fw.add(w.pids[n])
				w.progress.AddProcess()
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
	lastWalkFDs.Store(int64(total))
	o := &SocketOwners{fds: make([]fdSocket, 0, total), first: make(map[int64]int32, total), comm: map[int64]string{},
		more: map[int64][]int32{}}
	for n := range w.pids {
		r := &w.results[n]
		if r.err != nil {
			w.err = r.err
			return
		}
		for _, f := range walkers[r.worker].fds[r.start:r.end] {
			if at, seen := o.first[f.inode]; !seen {
				o.first[f.inode] = int32(len(o.fds))
			} else if more := o.more[f.inode]; o.fds[at].pid != f.pid && (len(more) == 0 || o.fds[more[len(more)-1]].pid != f.pid) {
				o.more[f.inode] = append(more, int32(len(o.fds)))
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
func (w *ownerWalk) finish(c *Collector) (*SocketOwners, error) {
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
	src  *Source
	ctx  context.Context
	proc string
	fds  []fdSocket
	path []byte
	dent []byte
	link []byte
	// procfs: the tree is a mounted /proc, whose processes may vanish.
	procfs bool
}

func newFDWalker(src *Source, ctx context.Context) *fdWalker {
	return &fdWalker{src: src, ctx: ctx, proc: src.Proc, dent: make([]byte, 32<<10), link: make([]byte, 256),
		procfs: src.Live || isProcfs(src.Proc)}
}

// isProcfs tells whether dir is a mounted proc filesystem (--root / or
// --proc /proc): there processes come and go while they are read, as on
// the live system, while a copied tree does not change.
func isProcfs(dir string) bool {
	var st unix.Statfs_t
	return unix.Statfs(dir, &st) == nil && st.Type == unix.PROC_SUPER_MAGIC
}

// add reads the socket descriptors of one process, appending them to
// w.fds in fd order, and its comm when it holds any. skip names the
// warning when the process vanished or may not be read.
func (w *fdWalker) add(pid int64) (comm string, hasComm bool, skip string, err error) {
	w.path = append(append(append(w.path[:0], w.proc...), '/'), strconv.FormatInt(pid, 10)...)
	pidLen := len(w.path)
	w.path = append(w.path, "/fd"...)
	flags := unix.O_RDONLY | unix.O_DIRECTORY | unix.O_CLOEXEC
	if !w.src.Live {
		flags |= unix.O_NOFOLLOW // a tree's fd directory may not lead out of it
	}
	dirfd, err := unix.Open(string(w.path), flags, 0)
	if err != nil {
		if !w.procfs && !errors.Is(err, fs.ErrPermission) {
			// A tree does not change while it is read: the process was
			// listed, so its fd directory missing (or a link) is damage.
			return "", false, "", fmt.Errorf("%s: %w: the process's fd directory is missing or not a directory", w.path, err)
		}
		return w.failed(err, len(w.fds))
	}
	first := len(w.fds)
	err = w.readFDDir(dirfd, pid)
	unix.Close(dirfd)
	if err != nil {
		return w.failed(err, first)
	}
	if w.src.Live {
		w.addThreadTables(pid, pidLen, first)
	}
	added := w.fds[first:]
	if len(added) == 0 {
		return "", false, "", nil
	}
	if !slices.IsSortedFunc(added, func(a, b fdSocket) int { return cmp.Compare(a.fd, b.fd) }) {
		slices.SortFunc(added, func(a, b fdSocket) int { return cmp.Compare(a.fd, b.fd) })
	}
	w.path = append(w.path[:pidLen], "/comm"...)
	if data, err := w.src.readFile(w.ctx, string(w.path)); err == nil {
		return strings.TrimSuffix(string(data), "\n"), true, "", nil
	}
	return "", false, "", nil
}

// readFDDir reads the socket descriptors of one open fd directory.
func (w *fdWalker) readFDDir(dirfd int, pid int64) error {
	for {
		n, err := unix.Getdents(dirfd, w.dent)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		if n <= 0 {
			return nil
		}
		w.addEntries(dirfd, pid, w.dent[:n])
	}
}

// addThreadTables adds the sockets that only a thread of pid holds: a
// thread that called unshare(CLONE_FILES) has a descriptor table of its
// own, listed in /proc/PID/task/TID/fd and not in /proc/PID/fd (ss -p
// misses those owners). A process of one thread costs one stat (the task
// directory's link count is 2 + its threads); for more, kcmp(KCMP_FILES)
// tells which threads share the process's table, and only the others are
// walked. A thread whose table cannot be compared is walked too. The
// descriptors found are those of the thread's table (their fd numbers may
// repeat the process's for other files); one already listed for pid with
// the same fd and inode is not added again.
func (w *fdWalker) addThreadTables(pid int64, pidLen, first int) {
	w.path = append(w.path[:pidLen], "/task"...)
	var st unix.Stat_t
	if unix.Stat(string(w.path), &st) != nil || st.Nlink <= 3 {
		return
	}
	taskfd, err := unix.Open(string(w.path), unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return // the process ended, or may not be read: its own table was read
	}
	var tids []int64
	for {
		n, err := unix.Getdents(taskfd, w.dent)
		if err == unix.EINTR {
			continue
		}
		if err != nil || n <= 0 {
			break
		}
		for buf := w.dent[:n]; len(buf) >= direntName; {
			reclen := int(binary.NativeEndian.Uint16(buf[direntReclen:]))
			if reclen < direntName || reclen > len(buf) {
				break
			}
			if tid, ok := parseFDName(buf[direntName:reclen]); ok && tid != pid {
				tids = append(tids, tid)
			}
			buf = buf[reclen:]
		}
	}
	unix.Close(taskfd)
	var seen map[fdSocket]bool
	for _, tid := range tids {
		same, _, errno := unix.Syscall6(unix.SYS_KCMP, uintptr(pid), uintptr(tid), kcmpFiles, 0, 0, 0)
		if errno == 0 && same == 0 {
			continue
		}
		w.path = append(append(append(w.path[:pidLen], "/task/"...), strconv.FormatInt(tid, 10)...), "/fd"...)
		dirfd, err := unix.Open(string(w.path), unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			continue // the thread ended
		}
		if seen == nil {
			seen = make(map[fdSocket]bool, len(w.fds)-first)
			for _, f := range w.fds[first:] {
				seen[f] = true
			}
		}
		from := len(w.fds)
		if w.readFDDir(dirfd, pid) != nil {
			w.fds = w.fds[:from]
		}
		unix.Close(dirfd)
		kept := w.fds[:from]
		for _, f := range w.fds[from:] {
			if !seen[f] {
				seen[f] = true
				kept = append(kept, f)
			}
		}
		w.fds = kept
	}
}

// kcmpFiles is KCMP_FILES: do two tasks share one descriptor table?
const kcmpFiles = 2

// failed turns an error reading a process into a skip (dropping what was
// read of it) or a real error.
func (w *fdWalker) failed(err error, first int) (string, bool, string, error) {
	w.fds = w.fds[:first]
	if kind, skip := SkipReason(err); skip {
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
		if inode, ok := SocketInode(w.link[:n]); ok {
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

// PidNetns reads the net namespace of one process once per statement; only
// process_sockets needs it, so the owner walk behind sockets.pid skips it.
func PidNetns(c *Collector, pid int64) any {
	nsByPID, _ := Memoize(c, "pid-netns", func() (map[int64]any, error) { return map[int64]any{}, nil })
	if ns, ok := nsByPID[pid]; ok {
		return ns
	}
	ns, err := ReadNetns(c, c.Source().ProcPath(strconv.FormatInt(pid, 10), "ns", "net"))
	if err != nil {
		ns = nil
		if kind, skip := SkipReason(err); skip && kind == WarnProcessDenied {
			c.Warn(WarnProcessPartly, pid)
		}
	}
	nsByPID[pid] = ns
	return ns
}

// SocketInode parses "socket:[12345]".
func SocketInode(link []byte) (int64, bool) {
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

// Users maps uid to name from the tree's etc/passwd (never the host's when
// --root points elsewhere); a missing file gives no names.
func Users(c *Collector) map[int64]string {
	m, _ := Memoize(c, "Users", func() (map[int64]string, error) {
		m := map[int64]string{}
		data, _, err := c.ReadOptional(c.Source().EtcPath("passwd"))
		if err != nil {
			return m, nil
		}
		for _, line := range Lines(data) {
			f := strings.Split(string(line), ":")
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

// UserName returns the name of uid, or nil when passwd has none.
func UserName(c *Collector, uid int64) any {
	if name, ok := Users(c)[uid]; ok {
		return name
	}
	return nil
}

// CgroupPath picks the cgroup v2 path ("0::/system.slice/x.service") from
// /proc/PID/cgroup, else the first line's path.
func CgroupPath(data []byte) (string, bool) {
	var first string
	found := false
	for _, line := range Lines(data) {
		parts := strings.SplitN(string(line), ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[0] == "0" && parts[1] == "" {
			return parts[2], true
		}
		if !found {
			first, found = parts[2], true
		}
	}
	return first, found
}
