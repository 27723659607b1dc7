package tables

import (
	"fmt"
	"io"
	"net"
	"os"
	"time"
)

// netnsHolderEnv makes the test binary, started by a live test inside a
// namespace, a process that holds a TCP listener and a UDP socket there:
// it prints their ports and waits until its standard input closes.
const netnsHolderEnv = "NETSQL_TEST_NETNS_HOLDER"

func holdNetnsSockets() int {
	ln, err := net.Listen("tcp4", "0.0.0.0:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	udp, err := net.ListenPacket("udp6", "[::]:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("%d %d\n", ln.Addr().(*net.TCPAddr).Port, udp.LocalAddr().(*net.UDPAddr).Port)
	eof := make(chan struct{})
	go func() {
		io.Copy(io.Discard, os.Stdin)
		close(eof)
	}()
	select {
	case <-eof:
	case <-time.After(time.Minute): // should the parent never close stdin
	}
	ln.Close()
	udp.Close()
	return 0
}
