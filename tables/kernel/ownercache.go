package kernel

import (
	"strconv"
	"strings"
	"sync"
)

// OwnerCache remembers, across the statements of a watch, which
// descriptor of which process held each socket, so that a statement whose
// sockets all have a known holder checks those holders (a readlink of
// /proc/PID/fd/FD and a read of its comm each) instead of walking every
// descriptor of every process again. A socket without a known holder, a
// holder that no longer holds it, or every refreshEvery-th statement sends
// the statement to the full walk, whose result refills the cache. A
// process given a socket between two full walks (a fork, SCM_RIGHTS) is
// seen at the next full walk: until then the known holder is named.
type OwnerCache struct {
	mu     sync.Mutex
	holder map[int64]fdSocket // inode -> the lowest-pid holder at the last full walk
	none   map[int64]bool     // inodes asked for that no readable process held then
	uses   int
}

// refreshEvery bounds how many statements a cache serves between full walks.
const refreshEvery = 10

// NewOwnerCache returns an empty cache (Source.Owners).
func NewOwnerCache() *OwnerCache { return &OwnerCache{} }

// Owner is the process that holds a socket: its pid and comm.
type Owner struct {
	PID  int64
	Comm string
}

// OwnersOfInodes returns the owner of each inode, from the cache when
// every one is still held as the cache says, else from the statement's
// full walk (Owners), which refreshes the cache. Inodes nobody holds are
// absent from the map.
func OwnersOfInodes(c *Collector, inodes []int64) (map[int64]Owner, error) {
	cache := c.src.Owners
	if cache != nil {
		if got, ok := cache.check(c, inodes); ok {
			return got, nil
		}
	}
	o, err := Owners(c)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]Owner, len(inodes))
	for _, inode := range inodes {
		if pid, ok := o.LowestPID(inode); ok {
			comm, _ := o.Comm(pid)
			out[inode] = Owner{PID: pid, Comm: comm}
		}
	}
	if cache != nil {
		cache.fill(o, inodes)
	}
	return out, nil
}

// check verifies the cached holder of every inode; ok is false when one is
// unknown or no longer holds its socket, or when it is time to walk again.
func (k *OwnerCache) check(c *Collector, inodes []int64) (map[int64]Owner, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.holder == nil || k.uses >= refreshEvery {
		return nil, false
	}
	k.uses++
	out := make(map[int64]Owner, len(inodes))
	comms := map[int64]string{}
	for _, inode := range inodes {
		h, ok := k.holder[inode]
		if !ok {
			if k.none[inode] {
				continue // held by no process we may read, at the last walk
			}
			return nil, false
		}
		dir := c.src.ProcPath(strconv.FormatInt(h.pid, 10))
		link, err := c.src.Readlink(dir + "/fd/" + strconv.FormatInt(h.fd, 10))
		if err != nil || link != "socket:["+strconv.FormatInt(inode, 10)+"]" {
			return nil, false
		}
		comm, seen := comms[h.pid]
		if !seen {
			data, err := c.src.readFile(c.ctx, dir+"/comm")
			if err != nil {
				return nil, false
			}
			comm = strings.TrimSuffix(string(data), "\n")
			comms[h.pid] = comm
		}
		out[inode] = Owner{PID: h.pid, Comm: comm}
	}
	return out, true
}

func (k *OwnerCache) fill(o *SocketOwners, asked []int64) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.holder = make(map[int64]fdSocket, len(o.first))
	for inode, pos := range o.first {
		k.holder[inode] = o.fds[pos]
	}
	k.none = map[int64]bool{}
	for _, inode := range asked {
		if _, held := o.first[inode]; !held {
			k.none[inode] = true
		}
	}
	k.uses = 0
}
