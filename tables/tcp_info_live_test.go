//go:build live

package tables

import (
	"context"
	"io"
	"net"
	"testing"

	"netsql/tables/kernel"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

// tcp_info is dumped (with INET_DIAG_INFO) only by statements that read it,
// and joins sockets on inode.
func TestLiveTCPInfo(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	client, err := net.Dial("tcp4", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Close() })
	if _, err := client.Write(make([]byte, 5000)); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(server, make([]byte, 5000)); err != nil {
		t.Fatal(err)
	}
	inode, err := inodeOfSocket(client)
	if err != nil {
		t.Fatal(err)
	}

	var exts []uint32
	src := kernel.LiveSource()
	src.OnDiag = func(d kernel.DiagDump) {
		if d.Protocol == unix.IPPROTO_TCP {
			exts = append(exts, d.Ext)
		}
	}
	e := openFixture(t, src)
	query(t, e, "SELECT count(*) FROM sockets WHERE proto = 'tcp'")
	for _, ext := range exts {
		if ext&kernel.InetDiagExtInfo != 0 {
			t.Errorf("a statement reading only sockets asked for tcp_info (ext %#x)", ext)
		}
	}
	exts = nil
	_, rows, _, err := e.Query(context.Background(), `SELECT s.proto, t.state, t.bytes_acked >= 5000, t.bytes_sent >= 5000,
		t.rtt_us > 0, t.cwnd > 0, t.mss > 0, t.congestion <> '', t.cookie = s.cookie
		FROM sockets s JOIN tcp_info t USING (inode) WHERE s.inode = ?`, inode)
	if err != nil {
		t.Fatal(err)
	}
	one := int64(1)
	if diff := cmp.Diff([][]any{{"tcp", "ESTABLISHED", one, one, one, one, one, one, one}}, rows); diff != "" {
		t.Errorf("sockets JOIN tcp_info (-want +got):\n%s", diff)
	}
	asked := false
	for _, ext := range exts {
		asked = asked || ext&(kernel.InetDiagExtInfo|kernel.InetDiagExtCong) == kernel.InetDiagExtInfo|kernel.InetDiagExtCong
	}
	if !asked {
		t.Errorf("no dump asked for INET_DIAG_INFO and INET_DIAG_CONG (exts %#x)", exts)
	}
}
