package kernel

import (
	"errors"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// The kernel announces every TCP and UDP socket it destroys to the
// sock_diag multicast groups (the ones `ss -E` listens on), one group per
// family and protocol, each message an inet_diag_msg with the socket's
// last tcp_info. Binding to them needs CAP_NET_ADMIN.
const (
	sknlgrpInetTCPDestroy  = 1
	sknlgrpInetUDPDestroy  = 2
	sknlgrpInet6TCPDestroy = 3
	sknlgrpInet6UDPDestroy = 4
)

// maxDestroyed bounds what a DestroyWatch keeps between two drains.
const maxDestroyed = 100_000

// Destroyed is one socket the kernel destroyed: when it was heard of, its
// family and protocol (from the group), and a copy of the message.
type Destroyed struct {
	At       time.Time
	Family   uint8
	Protocol uint8
	Msg      []byte // an inet_diag_msg with its attributes (InetDiagMsg)
}

// DestroyWatch collects destroy notifications in the background until
// Close.
type DestroyWatch struct {
	mu      sync.Mutex
	got     []Destroyed
	lost    int // dropped: the kernel's (ENOBUFS) or ours (maxDestroyed)
	stop    chan struct{}
	wg      sync.WaitGroup
	fds     []int
	started time.Time
}

// WatchDestroyed subscribes to the destroy notifications of TCP and UDP,
// IPv4 and IPv6. A refusal (no CAP_NET_ADMIN, no sock_diag) is a
// *RefusedError.
func WatchDestroyed() (*DestroyWatch, error) {
	w := &DestroyWatch{stop: make(chan struct{}), started: time.Now()}
	groups := []struct {
		group            uint32
		family, protocol uint8
	}{
		{sknlgrpInetTCPDestroy, unix.AF_INET, unix.IPPROTO_TCP},
		{sknlgrpInetUDPDestroy, unix.AF_INET, unix.IPPROTO_UDP},
		{sknlgrpInet6TCPDestroy, unix.AF_INET6, unix.IPPROTO_TCP},
		{sknlgrpInet6UDPDestroy, unix.AF_INET6, unix.IPPROTO_UDP},
	}
	for _, g := range groups {
		fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
		if err == nil {
			err = unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: 1 << (g.group - 1)})
			if err == nil {
				// Wake up now and then to see Close.
				err = unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{Usec: 200_000})
			}
			if err == nil {
				unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 4<<20)
			}
			if err != nil {
				unix.Close(fd)
			}
		}
		if err != nil {
			w.Close()
			return nil, &RefusedError{What: "sock_diag destroy notifications", Err: err}
		}
		w.fds = append(w.fds, fd)
		w.wg.Add(1)
		go w.listen(fd, g.family, g.protocol)
	}
	return w, nil
}

func (w *DestroyWatch) listen(fd int, family, protocol uint8) {
	defer w.wg.Done()
	buf := make([]byte, 64<<10)
	for {
		select {
		case <-w.stop:
			return
		default:
		}
		n, _, err := unix.Recvfrom(fd, buf, 0)
		switch {
		case errors.Is(err, unix.EAGAIN), errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.ENOBUFS):
			w.mu.Lock()
			w.lost++ // the kernel dropped some: its queue overflowed
			w.mu.Unlock()
			continue
		case err != nil:
			return
		}
		now := time.Now()
		WalkDiag(buf[:n], 0, func(payload []byte) error {
			w.mu.Lock()
			defer w.mu.Unlock()
			if len(w.got) >= maxDestroyed {
				w.lost++
				return nil
			}
			w.got = append(w.got, Destroyed{At: now, Family: family, Protocol: protocol, Msg: append([]byte(nil), payload...)})
			return nil
		})
	}
}

// Drain returns what was heard since the last Drain (or the start), and
// how many notifications were lost.
func (w *DestroyWatch) Drain() (got []Destroyed, lost int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	got, lost = w.got, w.lost
	w.got, w.lost = nil, 0
	return got, lost
}

// Close stops listening.
func (w *DestroyWatch) Close() {
	select {
	case <-w.stop:
		return
	default:
	}
	close(w.stop)
	w.wg.Wait()
	for _, fd := range w.fds {
		unix.Close(fd)
	}
}
