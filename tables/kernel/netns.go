package kernel

// Network namespaces: which ones a statement reads (NetnsScope, from
// --netns and .netns), finding them (the processes' /proc/PID/ns/net links
// and the named ones in /run/netns), and reading inside one (EachNetns):
// on the live system on an OS thread moved there with setns, so the
// netlink sockets it opens and /proc/thread-self/net belong to it; in a
// tree from proc/PID/net of a process in it. See ARCHITECTURE.md,
// "Namespaces".

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"hash/fnv"

	"golang.org/x/sys/unix"
)

// NetnsScope is the namespaces a run reads: netsql's own (the zero
// value), every one it can find (All), or the ones picked by name, pid or
// path.
type NetnsScope struct {
	All   bool
	Picks []string // as given: "self", a /run/netns name, a pid, or a path (holding a /)
}

// ParseNetnsScope reads the values of --netns or the arguments of .netns:
// "all", "self", NAME, PID or PATH, several allowed ("all" wins).
func ParseNetnsScope(args []string) (NetnsScope, error) {
	var s NetnsScope
	for _, a := range args {
		for part := range strings.SplitSeq(a, ",") {
			part = strings.TrimSpace(part)
			switch {
			case part == "":
				return NetnsScope{}, errors.New("empty namespace: want all, self, a name from /run/netns, a pid or a path")
			case part == "all":
				s.All = true
			case !slices.Contains(s.Picks, part):
				s.Picks = append(s.Picks, part)
			}
		}
	}
	if s.All {
		s.Picks = nil
	}
	return s, nil
}

// String is the scope as --netns takes it: "self" for netsql's own.
func (s NetnsScope) String() string {
	switch {
	case s.All:
		return "all"
	case len(s.Picks) == 0:
		return "self"
	}
	return strings.Join(s.Picks, ",")
}

// Netns is one network namespace: what is known of it and how to read
// inside it.
type Netns struct {
	Inode    int64    // the namespace's inode (ns/net -> net:[INODE]); 0 when unknown
	Names    []string // its names in /run/netns, sorted
	PIDs     int64    // processes in it that netsql could read
	FirstPID int64    // the lowest of them; 0 for none
	Self     bool     // netsql's own namespace
	Host     bool     // the namespace of PID 1

	// open lists paths whose setns enters it on the live system: the
	// /run/netns names, then /proc/PID/ns/net of a few of its processes
	// (one may exit before it is read).
	open []string
	// netDir is, in a tree, the proc/PID/net directory of a process in it.
	netDir string
}

// maxOpenPIDs bounds the processes kept as ways into one namespace.
const maxOpenPIDs = 4

// nsfsMagic is NSFS_MAGIC, the filesystem of namespace files: a file in
// /run/netns that is not one is a leftover, not a namespace.
const nsfsMagic = 0x6e736673

// netnsFound is every namespace found by one walk of the processes and
// /run/netns, by inode.
type netnsFound struct {
	byInode map[int64]*Netns
	self    *Netns
}

// list returns the namespaces in inode order.
func (f *netnsFound) list() []*Netns {
	out := make([]*Netns, 0, len(f.byInode))
	for _, ns := range f.byInode {
		out = append(out, ns)
	}
	slices.SortFunc(out, byInode)
	return out
}

func byInode(a, b *Netns) int { return cmp.Compare(a.Inode, b.Inode) }

func (f *netnsFound) get(inode int64) *Netns {
	ns := f.byInode[inode]
	if ns == nil {
		ns = &Netns{Inode: inode}
		f.byInode[inode] = ns
	}
	return ns
}

// findNetns walks /proc/*/ns/net and /run/netns once per statement.
func findNetns(c *Collector) (*netnsFound, error) {
	return Memoize(c, "netns.found", func() (*netnsFound, error) {
		f := &netnsFound{byInode: map[int64]*Netns{}}
		pids, err := ListPIDs(c)
		if err != nil {
			return nil, err
		}
		for _, pid := range pids {
			if err := c.Err(); err != nil {
				return nil, err
			}
			dir := c.src.ProcPath(strconv.FormatInt(pid, 10))
			v, err := ReadNetns(c, dir+"/ns/net")
			if err != nil {
				if kind, skip := SkipReason(err); skip && kind == WarnProcessDenied {
					c.Warn(WarnProcessPartly, pid)
				}
				continue
			}
			ns := f.get(v.(int64))
			ns.PIDs++
			if ns.FirstPID == 0 {
				ns.FirstPID = pid // pids come ascending
			}
			if len(ns.open) < maxOpenPIDs {
				ns.open = append(ns.open, dir+"/ns/net")
			}
			if ns.netDir == "" && !c.src.Live {
				if info, err := c.src.Stat(dir + "/net"); err == nil && info.IsDir() {
					ns.netDir = dir + "/net"
				}
			}
		}
		named, err := namedNetns(c)
		if err != nil {
			return nil, err
		}
		for _, n := range named {
			ns := f.get(n.inode)
			ns.Names = append(ns.Names, n.name)
			ns.open = append([]string{n.path}, ns.open...)
		}
		if self, ok := SelfNetns(c).(int64); ok {
			f.self = f.get(self)
		} else {
			f.self = &Netns{} // a tree that does not say which is its own
		}
		f.self.Self = true
		if host, err := ReadNetns(c, c.src.ProcPath("1", "ns", "net")); err == nil {
			f.get(host.(int64)).Host = true
		}
		return f, nil
	})
}

type namedNs struct {
	name, path string
	inode      int64
}

// namedNetns lists /run/netns: on the live system the files there are
// namespaces bind-mounted by ip netns add (their inode is the namespace's;
// a file that is not on nsfs is a leftover and skipped); in a tree, where
// no such mount can be copied, each NAME is a link to net:[INODE], as
// /proc/PID/ns/net reads.
func namedNetns(c *Collector) ([]namedNs, error) {
	dir := c.src.RootPath("run", "netns")
	if dir == "" {
		return nil, nil
	}
	entries, err := c.src.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []namedNs
	for _, e := range entries {
		path := filepath.Join(dir, e.Name())
		if c.src.Live {
			var st unix.Stat_t
			var fsst unix.Statfs_t
			if unix.Stat(path, &st) != nil || unix.Statfs(path, &fsst) != nil || fsst.Type != nsfsMagic {
				continue
			}
			out = append(out, namedNs{e.Name(), path, int64(st.Ino)})
			continue
		}
		v, err := ReadNetns(c, path)
		if err != nil {
			continue
		}
		out = append(out, namedNs{e.Name(), path, v.(int64)})
	}
	return out, nil
}

// ScopeNetns returns the namespaces the statement reads, in inode order,
// once per statement: netsql's own alone by default, without walking
// /proc; every one found with --netns all; the picked ones otherwise.
func ScopeNetns(c *Collector) ([]*Netns, error) {
	return Memoize(c, "netns.scope", func() ([]*Netns, error) {
		scope := c.src.Netns
		if !scope.All && len(scope.Picks) == 0 {
			self := &Netns{Self: true}
			if v, ok := SelfNetns(c).(int64); ok {
				self.Inode = v
			}
			return []*Netns{self}, nil
		}
		f, err := findNetns(c)
		if err != nil {
			return nil, err
		}
		if scope.All {
			return f.list(), nil
		}
		var out []*Netns
		for _, pick := range scope.Picks {
			inode, err := resolvePick(c, f, pick)
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					h := fnv.New64a()
					h.Write([]byte(pick))
					c.Warn(WarnNetnsVanished, int64(h.Sum64()>>1))
					continue
				}
				return nil, err
			}
			ns := f.byInode[inode]
			if ns == nil {
				// Reached by a path only (a container runtime's own file).
				ns = f.get(inode)
				ns.open = append(ns.open, pick)
			}
			if !slices.Contains(out, ns) {
				out = append(out, ns)
			}
		}
		slices.SortFunc(out, byInode)
		return out, nil
	})
}

// resolvePick finds the inode of one --netns value.
func resolvePick(c *Collector, f *netnsFound, pick string) (int64, error) {
	if pick == "self" {
		return f.self.Inode, nil
	}
	if pid, err := strconv.ParseInt(pick, 10, 64); err == nil && pid > 0 {
		v, err := ReadNetns(c, c.src.ProcPath(pick, "ns", "net"))
		if err != nil {
			return 0, fmt.Errorf("--netns %s: process %d: %w", pick, pid, err)
		}
		return v.(int64), nil
	}
	if !strings.Contains(pick, "/") {
		for _, ns := range f.byInode {
			if slices.Contains(ns.Names, pick) {
				return ns.Inode, nil
			}
		}
		return 0, fmt.Errorf("--netns %s: %w: no namespace of that name in %s", pick, fs.ErrNotExist, c.src.RootPath("run", "netns"))
	}
	if !c.src.Live {
		v, err := ReadNetns(c, c.src.RootPath(pick))
		if err != nil {
			return 0, fmt.Errorf("--netns %s: %w", pick, err)
		}
		return v.(int64), nil
	}
	var st unix.Stat_t
	var fsst unix.Statfs_t
	if err := unix.Stat(pick, &st); err != nil {
		return 0, fmt.Errorf("--netns %s: %w", pick, err)
	}
	if err := unix.Statfs(pick, &fsst); err != nil || fsst.Type != nsfsMagic {
		return 0, fmt.Errorf("--netns %s: not a namespace file (nsfs)", pick)
	}
	return int64(st.Ino), nil
}

// CheckNetnsScope resolves every pick of src's scope once, so that a
// --netns naming nothing fails at the start with an error naming it.
func CheckNetnsScope(src *Source) error {
	if src.Netns.All || len(src.Netns.Picks) == 0 {
		return nil
	}
	c := NewCollector(context.Background(), src)
	f, err := findNetns(c)
	if err != nil {
		return err
	}
	for _, pick := range src.Netns.Picks {
		if _, err := resolvePick(c, f, pick); err != nil {
			return err
		}
	}
	return nil
}

// KnownNetns returns every namespace found with what is known of it (the
// namespaces table), keeping those in the statement's scope.
func KnownNetns(c *Collector) ([]*Netns, error) {
	scope, err := ScopeNetns(c)
	if err != nil {
		return nil, err
	}
	f, err := findNetns(c)
	if err != nil {
		return nil, err
	}
	out := make([]*Netns, 0, len(scope))
	for _, ns := range scope {
		if known := f.byInode[ns.Inode]; known != nil {
			ns = known
		}
		out = append(out, ns)
	}
	return out, nil
}

// NetPath names a file of the net directory of the collector's namespace:
// the source's own (NetPath) for netsql's namespace and, on the live
// system, for a collector running on a thread moved into another (its
// /proc/thread-self/net is that namespace's); in a tree, proc/PID/net of a
// process in it.
func (c *Collector) NetPath(file ...string) string {
	if ns := c.netns; ns != nil && !ns.Self && !c.src.Live {
		return filepath.Join(append([]string{ns.netDir}, file...)...)
	}
	return c.src.NetPath(file...)
}

// Foreign tells whether the collector reads a namespace other than
// netsql's own: /sys/class/net then shows the wrong one (sysfs shows the
// namespace of whoever mounted it), and a tree has no proc/sys/net of it.
func (c *Collector) Foreign() bool { return c.netns != nil && !c.netns.Self }

// Netns returns the namespace the collector reads: its own or, for
// netsql's, nil.
func (c *Collector) Netns() *Netns { return c.netns }

// child returns the collector that reads ns, the same one for every
// dataset of the statement (what it memoizes, such as the link dump,
// belongs to that namespace).
func (c *Collector) child(ns *Netns) *Collector {
	if ns.Self {
		return c
	}
	if ch := c.children[ns.Inode]; ch != nil {
		return ch
	}
	ch := &Collector{src: c.src, ctx: c.ctx, memo: map[string]any{}, progress: c.progress, netns: ns, parent: c}
	if c.children == nil {
		c.children = map[int64]*Collector{}
	}
	c.children[ns.Inode] = ch
	return ch
}

// maxNetnsWorkers bounds the namespaces read at once. A dump walks the
// kernel's socket hash shared by all namespaces, so reading them at once
// pays on more cores; beyond that it only piles up threads.
func maxNetnsWorkers() int { return max(2, min(runtime.GOMAXPROCS(0), 8)) }

// EachNetns calls read once per namespace of list, inside it, with a
// collector of that namespace and the namespace's position in list, and
// returns the results in list order.
// Namespaces are read in parallel (a bounded number at once); one that
// vanished or may not be entered is skipped, counted in a warning, and
// leaves the zero T; the first real error (in list order) is returned.
// A list of netsql's own namespace alone runs read on the caller's
// collector and goroutine, as before there were namespaces.
func EachNetns[T any](c *Collector, list []*Netns, read func(c *Collector, i int) (T, error)) ([]T, error) {
	out := make([]T, len(list))
	if len(list) == 1 && list[0].Self {
		v, err := read(c, 0)
		out[0] = v
		return out, err
	}
	// Namespaces are read at once and joined in list order: no row can be
	// handed over before all are read.
	sink := c.sink
	c.sink = nil
	defer func() { c.sink = sink }()
	children := make([]*Collector, len(list))
	for i, ns := range list {
		children[i] = c.child(ns) // made here: the children map is not shared
	}
	errs := make([]error, len(list))
	sem := make(chan struct{}, maxNetnsWorkers())
	var wg sync.WaitGroup
	for i, ns := range list {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := c.Err(); err != nil {
				errs[i] = err
				return
			}
			errs[i] = runInNetns(children[i], ns, func() error {
				v, err := read(children[i], i)
				out[i] = v
				return err
			})
		})
	}
	wg.Wait()
	for i, err := range errs {
		var skip *netnsSkip
		switch {
		case err == nil:
		case errors.As(err, &skip):
			c.Warn(skip.kind, list[i].Inode)
		default:
			return nil, err
		}
	}
	return out, nil
}

// netnsSkip is a namespace that could not be entered: it vanished, or
// netsql may not enter it.
type netnsSkip struct {
	kind string // WarnNetnsVanished or WarnNetnsDenied
	err  error
}

func (e *netnsSkip) Error() string { return e.kind + ": " + e.err.Error() }
func (e *netnsSkip) Unwrap() error { return e.err }

// runInNetns runs fn with the calling goroutine's reads inside ns. In a
// tree nothing moves: c.NetPath names the namespace's files. On the live
// system the goroutine is locked to its OS thread, the thread enters ns
// with setns and, after fn, goes back to netsql's namespace; only a
// thread that got back is handed back to the scheduler, so no goroutine
// ever runs in a foreign namespace by chance (a thread that could not get
// back ends with its goroutine).
func runInNetns(c *Collector, ns *Netns, fn func() error) error {
	if ns.Self {
		return fn()
	}
	if !c.src.Live {
		if ns.netDir == "" {
			c.Notice(fmt.Sprintf("network namespace %d has no process with a net directory in the tree: its rows are absent", ns.Inode))
			return nil
		}
		return fn()
	}
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		back, err := enterNetns(ns)
		if err != nil {
			if back == nil {
				runtime.UnlockOSThread() // never left
			}
			done <- err
			return
		}
		err = fn()
		if back() == nil {
			runtime.UnlockOSThread()
		}
		done <- err
	}()
	return <-done
}

// enterNetns moves the calling (locked) thread into ns and returns how to
// move it back. The namespace entered is checked twice: the file opened
// must be ns's (a pid reused by another process would lead elsewhere),
// and the thread's own ns link must name ns afterwards.
func enterNetns(ns *Netns) (back func() error, err error) {
	home, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open netsql's own network namespace: %w", err)
	}
	var homeStat unix.Stat_t
	if err := unix.Fstat(home, &homeStat); err != nil {
		unix.Close(home)
		return nil, fmt.Errorf("stat netsql's own network namespace: %w", err)
	}
	var target int = -1
	var lastErr error = fs.ErrNotExist
	for _, path := range ns.open {
		fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			lastErr = &fs.PathError{Op: "open", Path: path, Err: err}
			continue
		}
		var st unix.Stat_t
		if unix.Fstat(fd, &st) != nil || int64(st.Ino) != ns.Inode {
			unix.Close(fd) // the process exited and its pid went to another
			lastErr = fmt.Errorf("%s: %w: now another namespace", path, fs.ErrNotExist)
			continue
		}
		target = fd
		break
	}
	if target < 0 {
		unix.Close(home)
		return nil, skipFor(lastErr)
	}
	defer unix.Close(target)
	if err := unix.Setns(target, unix.CLONE_NEWNET); err != nil {
		unix.Close(home)
		return nil, skipFor(fmt.Errorf("setns network namespace %d: %w", ns.Inode, err))
	}
	back = func() error {
		defer unix.Close(home)
		if err := unix.Setns(home, unix.CLONE_NEWNET); err != nil {
			return err
		}
		if inode, err := threadNetns(); err != nil || inode != int64(homeStat.Ino) {
			return fmt.Errorf("not back in netsql's network namespace")
		}
		return nil
	}
	if inode, err := threadNetns(); err != nil || inode != ns.Inode {
		back()
		return func() error { return errors.New("left in another namespace") },
			fmt.Errorf("setns network namespace %d: the thread is in %d (%v)", ns.Inode, inode, err)
	}
	return back, nil
}

// threadNetns is the inode of the calling thread's network namespace.
func threadNetns() (int64, error) {
	link, err := os.Readlink("/proc/thread-self/ns/net")
	if err != nil {
		return 0, err
	}
	v, err := ParseNsLink(link, "net")
	if err != nil {
		return 0, err
	}
	return v.(int64), nil
}

// skipFor sorts a failure to enter a namespace: gone (the process exited,
// the name was deleted) or not allowed (not root) skip it with a warning;
// anything else is an error.
func skipFor(err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ESRCH), errors.Is(err, syscall.EINVAL):
		return &netnsSkip{WarnNetnsVanished, err}
	case errors.Is(err, fs.ErrPermission), errors.Is(err, syscall.EPERM):
		return &netnsSkip{WarnNetnsDenied, err}
	}
	return err
}
