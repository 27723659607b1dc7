//go:build live

package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"netsql/queries"
	"netsql/tables/tablestest"
)

// jsonRows runs the CLI in-process with -o json and decodes its rows.
func jsonRows(t *testing.T, args ...string) []map[string]any {
	t.Helper()
	code, out, errOut := runCLI(t, "", append([]string{"-o", "json"}, args...)...)
	if code != 0 {
		t.Fatalf("netsql %q: exit %d, stderr %q", args, code, errOut)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("netsql %q: output is not JSON: %v\n%s", args, err, out)
	}
	return rows
}

func TestLiveSavedQueriesRun(t *testing.T) {
	list, err := queries.Load("")
	if err != nil {
		t.Fatal(err)
	}
	// The baseline queries compare with a moment of this machine saved now.
	baseline := filepath.Join(t.TempDir(), "baseline.db")
	if code, _, errOut := runCLI(t, "", "--save", baseline, "--quiet"); code != 0 {
		t.Fatalf("--save: %s", errOut)
	}
	for _, q := range list {
		args := []string{"-q", q.Name}
		if q.Name == "port_owner" {
			args = append(args, "--param", "port=22")
		}
		if strings.Contains(q.SQL, "baseline.") {
			args = append(args, "--baseline", baseline)
		}
		if strings.Contains(q.SQL, "prev.") {
			args = append(args, "--watch", "0.1", "--count", "2")
		}
		if code, _, errOut := runCLI(t, "", args...); code != 0 {
			t.Errorf("-q %s on this machine: exit %d, stderr %q", q.Name, code, errOut)
		}
	}
}

func TestLivePortOwner(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	rows := jsonRows(t, "-q", "port_owner", "--param", "port="+strconv.Itoa(port))
	found := false
	for _, r := range rows {
		if r["state"] == "LISTEN" && r["pid"] == float64(os.Getpid()) && r["local_port"] == float64(port) {
			found = true
		}
	}
	if !found {
		t.Errorf("port_owner %d does not name this process (pid %d) as the listener: %v", port, os.Getpid(), rows)
	}
}

func TestLiveCloseWait(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	// The peer closes, we do not: our accepted ends sit in CLOSE_WAIT.
	const n = 3
	var held []net.Conn
	for i := 0; i < n; i++ {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		s, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, s)
		c.Close()
	}
	defer func() {
		for _, s := range held {
			s.Close()
		}
	}()
	var count float64
	tablestest.WaitFor(t, 5*time.Second, "the accepted ends to reach CLOSE_WAIT", func() bool {
		for _, r := range jsonRows(t, "-q", "close_wait") {
			if r["pid"] == float64(os.Getpid()) && r["local_port"] == float64(port) {
				count = r["close_wait"].(float64)
				return count == n
			}
		}
		return false
	})
	if count != n {
		t.Errorf("close_wait counts %v for this process on port %d, want %d", count, port, n)
	}
}

func TestLiveExposedListeners(t *testing.T) {
	all, err := net.Listen("tcp4", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	defer all.Close()
	local, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	reach := map[float64]string{}
	for _, r := range jsonRows(t, "-q", "exposed_listeners") {
		if r["pid"] == float64(os.Getpid()) {
			reach[r["local_port"].(float64)] = r["reach"].(string)
		}
	}
	allPort, localPort := float64(all.Addr().(*net.TCPAddr).Port), float64(local.Addr().(*net.TCPAddr).Port)
	if reach[allPort] != "all interfaces" || reach[localPort] != "loopback only" {
		t.Errorf("exposed_listeners: 0.0.0.0:%v is %q, 127.0.0.1:%v is %q; want all interfaces and loopback only",
			allPort, reach[allPort], localPort, reach[localPort])
	}
}

// peerRoleEnv turns the test binary into a process of the public_peers
// test: a server that accepts and holds connections, or a client that
// connects to the addresses it is given and holds them. Each prints
// "ready" when done and exits when its stdin closes.
const peerRoleEnv = "NETSQL_PEER_ROLE"

func TestHelperPeer(t *testing.T) {
	role := os.Getenv(peerRoleEnv)
	if role == "" {
		return
	}
	var held []io.Closer
	switch role {
	case "server":
		ln, err := net.Listen("tcp", ":7777")
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(2)
		}
		held = append(held, ln)
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				held = append(held, c)
			}
		}()
	case "client":
		for _, addr := range strings.Split(os.Getenv("NETSQL_PEER_ADDRS"), ",") {
			c, err := net.DialTimeout("tcp", net.JoinHostPort(addr, "7777"), 5*time.Second)
			if err != nil {
				fmt.Println("error:", err)
				os.Exit(2)
			}
			held = append(held, c)
		}
	}
	fmt.Println("ready")
	done := make(chan struct{})
	go func() { io.Copy(io.Discard, os.Stdin); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
	}
	os.Exit(0)
}

// startPeer runs the test binary in a namespace in one role and waits
// until it is ready; it ends when the test does.
func startPeer(t *testing.T, ns *tablestest.Netns, role string, env ...string) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := ns.Command(self, "-test.run=^TestHelperPeer$")
	cmd.Env = append(append(os.Environ(), peerRoleEnv+"="+role), env...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); cmd.Wait() })
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	select {
	case line := <-lines:
		if line != "ready" {
			t.Fatalf("%s peer: %q", role, line)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("%s peer not ready after 30 s", role)
	}
}

// In two namespaces joined by a veth pair, one side addressed from
// 10.0.0.0/8 and one from 198.51.100.0/24, public_peers lists the
// 198.51.100.x connection and not the 10.x one, nor the server's
// connection to its own 198.51.100.1 (an IPv4 client end, and an accepted
// end the dual-stack listener holds as ::ffff:198.51.100.1).
func TestLivePublicPeers(t *testing.T) {
	server := tablestest.NewNetns(t, "peers")
	client := tablestest.NewNetns(t, "peers")
	bin := tablestest.Netsql(t)
	vethA, vethB := fmt.Sprintf("nsqp%da", os.Getpid()%100000), fmt.Sprintf("nsqp%db", os.Getpid()%100000)
	if out, err := exec.Command("ip", "link", "add", vethA, "netns", server.Name, "type", "veth", "peer", "name", vethB, "netns", client.Name).CombinedOutput(); err != nil {
		t.Fatalf("ip link add: %v: %s", err, out)
	}
	for _, c := range [][]string{
		{server.Name, "ip", "addr", "add", "10.77.0.1/24", "dev", vethA},
		{server.Name, "ip", "addr", "add", "198.51.100.1/24", "dev", vethA},
		{server.Name, "ip", "link", "set", vethA, "up"},
		{client.Name, "ip", "addr", "add", "10.77.0.2/24", "dev", vethB},
		{client.Name, "ip", "addr", "add", "198.51.100.2/24", "dev", vethB},
		{client.Name, "ip", "link", "set", vethB, "up"},
	} {
		ns := server
		if c[0] == client.Name {
			ns = client
		}
		ns.MustRun(t, c[1], c[2:]...)
	}
	startPeer(t, server, "server")
	startPeer(t, client, "client", "NETSQL_PEER_ADDRS=10.77.0.1,198.51.100.1")
	startPeer(t, server, "client", "NETSQL_PEER_ADDRS=198.51.100.1")

	out := server.MustRun(t, bin, "-o", "json", "-q", "public_peers")
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("public_peers output is not JSON: %v\n%s", err, out)
	}
	// The server listens dual-stack, so the kernel holds IPv4 peers as
	// IPv4-mapped addresses: is_private must see through that.
	var remotes []string
	for _, r := range rows {
		remotes = append(remotes, strings.TrimPrefix(fmt.Sprint(r["remote_addr"]), "::ffff:"))
	}
	if len(remotes) != 1 || remotes[0] != "198.51.100.2" {
		t.Errorf("public_peers in the server namespace lists %v; want only 198.51.100.2 (10.77.0.2 is private, 198.51.100.1 its own)", remotes)
	}
	// Every connection is there, so the private one and the server's own
	// were filtered, not missing.
	out = server.MustRun(t, bin, "--no-header", "SELECT count(*) FROM sockets WHERE state = 'ESTABLISHED' AND local_port = 7777")
	if strings.TrimSpace(out) != "3" {
		t.Errorf("established connections on 7777 in the server namespace: %q, want 3", out)
	}
	out = server.MustRun(t, bin, "--no-header", "SELECT remote_addr FROM sockets WHERE state = 'ESTABLISHED' AND remote_addr LIKE '%198.51.100.1' ORDER BY 1")
	if out != "198.51.100.1\n::ffff:198.51.100.1\n" {
		t.Errorf("the server's connection to itself: remote ends %q, want 198.51.100.1 and ::ffff:198.51.100.1", out)
	}
}

// unowned_sockets calls the kernel's netlink sockets (port id 0, such as
// rtnl's) the kernel's, and a process's socket is not listed at all.
func TestLiveUnownedSocketsKernelNetlink(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := float64(ln.Addr().(*net.TCPAddr).Port)
	kernelRtnl := false
	for _, r := range jsonRows(t, "-q", "unowned_sockets") {
		if r["proto"] == "netlink" && r["local_addr"] == "rtnl" && r["local_port"] == float64(0) {
			kernelRtnl = r["owner"] == "kernel"
		}
		if r["proto"] == "tcp" && r["local_port"] == port {
			t.Errorf("unowned_sockets lists this process's listener on %v: %v", port, r)
		}
		if r["owner"] != "kernel" && r["owner"] != "unknown" {
			t.Errorf("unowned_sockets: owner %v, want kernel or unknown: %v", r["owner"], r)
		}
	}
	if !kernelRtnl {
		t.Error("unowned_sockets does not list the kernel's rtnl socket (netlink, port id 0) with owner kernel")
	}
}
