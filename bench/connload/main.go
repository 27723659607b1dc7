// Command connload holds a known number of loopback TCP connections (and
// optionally UDP and unix sockets) open for a while, as the load for
// bench/run.sh:
//
//	go run ./bench/connload -n 50000 -duration 10m
//
// One process may hold at most 20,000 files here, so the connections are
// spread over child processes (at most -per-proc each, both ends in the
// same child), and each child listens on its own 127.0.0.x address, since
// one address pair has only about 28,000 ephemeral ports. Every socket has
// SO_LINGER 0, so closing it (or the process dying) sends a reset and
// leaves nothing in TIME_WAIT. It prints "ready N" once every connection
// is up and exits by itself after -duration, or at SIGINT or SIGTERM.
// Loopback addresses only.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// childEnv marks a child process and carries its share: "index,tcp,udp,unix".
const childEnv = "CONNLOAD_CHILD"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if share := os.Getenv(childEnv); share != "" {
		return runChild(share, stdout, stderr)
	}
	fs := flag.NewFlagSet("connload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("n", 5000, "TCP `connections` to open (each is two sockets)")
	udp := fs.Int("udp", 0, "UDP `sockets` to bind besides")
	unixPairs := fs.Int("unix", 0, "unix stream socket `pairs` to open besides")
	perProc := fs.Int("per-proc", 5000, "at most this many `connections` (two descriptors each) per child process")
	duration := fs.Duration("duration", 10*time.Minute, "exit after `DURATION`")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *n < 0 || *udp < 0 || *unixPairs < 0 || *perProc < 1 || *perProc > 9000 || *duration <= 0 {
		fmt.Fprintln(stderr, "connload: -n, -udp, -unix must be >= 0, -per-proc 1..9000, -duration > 0")
		return 2
	}
	// Descriptors per child: two per connection or unix pair, one per UDP socket.
	fdBudget := 2 * *perProc
	totalFDs := 2**n + *udp + 2**unixPairs
	children := max(1, (totalFDs+fdBudget-1)/fdBudget)
	if children > 240 {
		fmt.Fprintf(stderr, "connload: %d child processes needed; at most 240 (one 127.0.0.x address each)\n", children)
		return 2
	}
	return runParent(children, *n, *udp, *unixPairs, *duration, stdout, stderr)
}

// split returns child i's share of total over k children.
func split(total, k, i int) int {
	share := total / k
	if i < total%k {
		share++
	}
	return share
}

func runParent(children, n, udp, unixPairs int, duration time.Duration, stdout, stderr io.Writer) int {
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "connload: %v\n", err)
		return 1
	}
	deadline := time.Now().Add(duration)
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)

	type child struct {
		cmd   *exec.Cmd
		ready chan error
	}
	var kids []*child
	stopAll := func() {
		for _, k := range kids {
			k.cmd.Process.Signal(syscall.SIGTERM)
		}
		for _, k := range kids {
			k.cmd.Wait()
		}
	}
	for i := 0; i < children; i++ {
		share := fmt.Sprintf("%d,%d,%d,%d,%d", i, split(n, children, i), split(udp, children, i),
			split(unixPairs, children, i), deadline.UnixMilli())
		cmd := exec.Command(exe)
		cmd.Env = append(os.Environ(), childEnv+"="+share)
		cmd.Stderr = stderr
		// A child never outlives the parent, even when the parent is killed.
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		out, err := cmd.StdoutPipe()
		if err != nil {
			fmt.Fprintf(stderr, "connload: %v\n", err)
			stopAll()
			return 1
		}
		if err := cmd.Start(); err != nil {
			fmt.Fprintf(stderr, "connload: start child: %v\n", err)
			stopAll()
			return 1
		}
		k := &child{cmd: cmd, ready: make(chan error, 1)}
		kids = append(kids, k)
		go func() {
			line, err := bufio.NewReader(out).ReadString('\n')
			switch {
			case err != nil:
				k.ready <- fmt.Errorf("child %d exited before it was ready", i)
			case !strings.HasPrefix(line, "ok"):
				k.ready <- fmt.Errorf("child %d: %s", i, strings.TrimSpace(line))
			default:
				k.ready <- nil
			}
			io.Copy(io.Discard, out)
		}()
	}
	for _, k := range kids {
		select {
		case err := <-k.ready:
			if err != nil {
				fmt.Fprintf(stderr, "connload: %v\n", err)
				stopAll()
				return 1
			}
		case <-signals:
			stopAll()
			return 1
		case <-time.After(time.Until(deadline)):
			fmt.Fprintln(stderr, "connload: the deadline passed before every connection was up")
			stopAll()
			return 1
		}
	}
	fmt.Fprintf(stdout, "ready %d\n", n)
	fmt.Fprintf(stderr, "connload: %d tcp connections (%d sockets), %d udp, %d unix pairs in %d processes (pids", n, 2*n, udp, unixPairs, children)
	for _, k := range kids {
		fmt.Fprintf(stderr, " %d", k.cmd.Process.Pid)
	}
	fmt.Fprintf(stderr, "); exits at %s\n", deadline.Format(time.TimeOnly))
	select {
	case <-signals:
	case <-time.After(time.Until(deadline)):
	}
	stopAll()
	return 0
}

// runChild opens its share of sockets, says "ok", and holds them until the
// deadline or a signal; every socket has SO_LINGER 0.
func runChild(share string, stdout, stderr io.Writer) int {
	var f [5]int64
	parts := strings.Split(share, ",")
	if len(parts) != len(f) {
		fmt.Fprintf(stdout, "error: bad share %q\n", share)
		return 2
	}
	for i, p := range parts {
		v, err := strconv.ParseInt(p, 10, 64)
		if err != nil {
			fmt.Fprintf(stdout, "error: bad share %q\n", share)
			return 2
		}
		f[i] = v
	}
	index, nTCP, nUDP, nUnix := int(f[0]), int(f[1]), int(f[2]), int(f[3])
	deadline := time.UnixMilli(f[4])
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)

	// 127.0.0.10, .11, ...: each child's listener has its own address.
	addr := net.IPv4(127, 0, 0, byte(10+index))
	var held []io.Closer
	closeAll := func() {
		for _, c := range held {
			c.Close()
		}
	}
	fail := func(err error) int {
		fmt.Fprintf(stdout, "error: %v\n", err)
		closeAll()
		return 1
	}
	if nTCP > 0 {
		conns, err := openTCP(addr, nTCP)
		held = append(held, conns...)
		if err != nil {
			return fail(err)
		}
	}
	for i := 0; i < nUDP; i++ {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: addr})
		if err != nil {
			return fail(fmt.Errorf("udp socket %d: %w", i, err))
		}
		held = append(held, c)
	}
	for i := 0; i < nUnix; i++ {
		pair, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
		if err != nil {
			return fail(fmt.Errorf("unix socketpair %d: %w", i, err))
		}
		for _, fd := range pair {
			held = append(held, os.NewFile(uintptr(fd), "unix"))
		}
	}
	fmt.Fprintf(stdout, "ok %d\n", len(held))
	select {
	case <-signals:
	case <-time.After(time.Until(deadline)):
	}
	closeAll()
	return 0
}

// hold prepares a connection to be held: SO_LINGER 0, so closing it
// sends a reset and leaves no TIME_WAIT behind, and no keepalive, which Go
// turns on by default: 100,000 connections made together probe together,
// the loopback backlog drops some probes, and after a few minutes the
// kernel resets connections whose probes went unanswered.
func hold(c *net.TCPConn) {
	c.SetLinger(0)
	c.SetKeepAlive(false)
}

// openTCP listens on addr and connects n clients to it, keeping both ends
// of every connection; it returns everything it opened, also on failure.
func openTCP(addr net.IP, n int) ([]io.Closer, error) {
	ln, err := net.ListenTCP("tcp4", &net.TCPAddr{IP: addr})
	if err != nil {
		return nil, fmt.Errorf("listen on %v: %w", addr, err)
	}
	held := make([]io.Closer, 0, 2*n+1)
	held = append(held, ln)
	accepted := make(chan []io.Closer, 1)
	go func() {
		var got []io.Closer
		for len(got) < n {
			c, err := ln.AcceptTCP()
			if err != nil {
				break
			}
			hold(c)
			got = append(got, c)
		}
		accepted <- got
	}()
	var dialErr error
	for i := 0; i < n; i++ {
		c, err := net.DialTCP("tcp4", nil, ln.Addr().(*net.TCPAddr))
		if err != nil {
			dialErr = fmt.Errorf("connection %d to %v: %w", i, ln.Addr(), err)
			break
		}
		hold(c)
		held = append(held, c)
	}
	if dialErr != nil {
		ln.Close() // ends the accept loop
		return append(held, <-accepted...), dialErr
	}
	got := <-accepted
	held = append(held, got...)
	if len(got) != n {
		return held, errors.New("the listener stopped accepting before every connection was up")
	}
	return held, nil
}
