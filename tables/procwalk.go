package tables

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

// This file reads /proc/PID: the list of processes, the socket file
// descriptors of each (/proc/PID/fd/N -> socket:[INODE]), and the small
// per-process facts those need (comm, net namespace). Processes come and
// go while we read: one that vanishes is skipped and one we may not read
// leaves NULLs; both are counted as warnings, never errors.

// listPIDs returns the numeric entries of the proc root, ascending.
func listPIDs(c *Collector) ([]int64, error) {
	dir := c.src.Proc
	c.src.note(dir)
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
		return WarnProcessVanished, true
	case errors.Is(err, fs.ErrPermission):
		return WarnProcessDenied, true
	}
	return "", false
}

// isProcess reports whether pid names a process (a thread group leader),
// not a thread: /proc resolves /proc/TID too, though it does not list it.
func isProcess(c *Collector, pid int64) (bool, error) {
	data, err := c.src.readFile(c.src.procPath(strconv.FormatInt(pid, 10), "status"))
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
func readNetns(c *Collector, path string) (any, error) {
	c.src.note(path)
	link, err := os.Readlink(path)
	if err != nil {
		return nil, err
	}
	return parseNsLink(link, "net")
}

func parseNsLink(link, kind string) (any, error) {
	prefix := kind + ":["
	if !strings.HasPrefix(link, prefix) || !strings.HasSuffix(link, "]") {
		return nil, lineErrorf(1, "namespace link %q", link)
	}
	n, err := strconv.ParseInt(link[len(prefix):len(link)-1], 10, 64)
	if err != nil {
		return nil, lineErrorf(1, "namespace link %q", link)
	}
	return n, nil
}

// selfNetns is the namespace whose sockets /proc/net lists: ours.
func selfNetns(c *Collector) any {
	v, _ := memoize(c, "self-netns", func() (any, error) {
		ns, err := readNetns(c, c.src.procPath("self", "ns", "net"))
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
// socket, indexed by inode, with the comm and namespace of each owner.
type socketOwners struct {
	fds     []fdSocket        // in pid, fd order
	byInode map[int64][]int32 // inode -> positions in fds, lowest pid first
	comm    map[int64]string  // pid -> comm, for pids holding sockets
}

// owners walks /proc/*/fd once per statement, building one map from inode
// to owners, so finding the owners of n sockets is linear, not n × fds.
func owners(c *Collector) (*socketOwners, error) {
	return memoize(c, "owners", func() (*socketOwners, error) {
		pids, err := listPIDs(c)
		if err != nil {
			return nil, err
		}
		o := &socketOwners{byInode: map[int64][]int32{}, comm: map[int64]string{}}
		for _, pid := range pids {
			if err := c.Err(); err != nil {
				return nil, err
			}
			if err := o.addProcess(c, pid); err != nil {
				return nil, err
			}
		}
		return o, nil
	})
}

// ownersOf walks /proc/PID/fd for one process only (a narrowed read).
func ownersOf(c *Collector, pid int64) (*socketOwners, error) {
	o := &socketOwners{byInode: map[int64][]int32{}, comm: map[int64]string{}}
	ok, err := isProcess(c, pid)
	if err != nil || !ok {
		return o, err
	}
	return o, o.addProcess(c, pid)
}

// addProcess reads the socket descriptors of one process.
func (o *socketOwners) addProcess(c *Collector, pid int64) error {
	pidDir := c.src.procPath(strconv.FormatInt(pid, 10))
	fdDir := pidDir + "/fd"
	c.src.note(fdDir)
	f, err := os.Open(fdDir)
	if err != nil {
		if kind, skip := skipReason(err); skip {
			c.Warn(kind, pid)
			return nil
		}
		return err
	}
	names, err := f.Readdirnames(-1)
	f.Close()
	if err != nil {
		if kind, skip := skipReason(err); skip {
			c.Warn(kind, pid)
			return nil
		}
		return err
	}
	first := len(o.fds)
	buf := make([]byte, 64)
	for _, name := range names {
		fd, err := strconv.ParseInt(name, 10, 64)
		if err != nil {
			continue
		}
		n, err := readlinkInto(fdDir+"/"+name, buf)
		if err != nil {
			continue // closed since the listing
		}
		if inode, ok := socketInode(buf[:n]); ok {
			o.fds = append(o.fds, fdSocket{pid: pid, fd: fd, inode: inode})
		}
	}
	if len(o.fds) == first {
		return nil
	}
	added := o.fds[first:]
	sort.Slice(added, func(i, j int) bool { return added[i].fd < added[j].fd })
	for i := first; i < len(o.fds); i++ {
		o.byInode[o.fds[i].inode] = append(o.byInode[o.fds[i].inode], int32(i))
	}
	if comm, err := c.src.readFile(pidDir + "/comm"); err == nil {
		o.comm[pid] = strings.TrimSuffix(string(comm), "\n")
	}
	return nil
}

// pidNetns reads the net namespace of one process once per statement; only
// process_sockets needs it, so the owner walk behind sockets.pid skips it.
func pidNetns(c *Collector, pid int64) any {
	nsByPID, _ := memoize(c, "pid-netns", func() (map[int64]any, error) { return map[int64]any{}, nil })
	if ns, ok := nsByPID[pid]; ok {
		return ns
	}
	ns, err := readNetns(c, c.src.procPath(strconv.FormatInt(pid, 10), "ns", "net"))
	if err != nil {
		ns = nil
		if kind, skip := skipReason(err); skip && kind == WarnProcessDenied {
			c.Warn(WarnProcessPartly, pid)
		}
	}
	nsByPID[pid] = ns
	return ns
}

// readlinkInto reads a symlink into buf without allocating.
func readlinkInto(path string, buf []byte) (int, error) {
	for {
		n, err := syscall.Readlink(path, buf)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return 0, &fs.PathError{Op: "readlink", Path: path, Err: err}
		}
		return n, nil
	}
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
func users(c *Collector) map[int64]string {
	m, _ := memoize(c, "users", func() (map[int64]string, error) {
		m := map[int64]string{}
		data, _, err := c.src.readOptional(c.src.etcPath("passwd"))
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
func userName(c *Collector, uid int64) any {
	if name, ok := users(c)[uid]; ok {
		return name
	}
	return nil
}
