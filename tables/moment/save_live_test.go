//go:build live

package moment

import (
	"context"
	"net"
	"path/filepath"
	"testing"

	"netsql/tables"
	"netsql/tables/kernel"
)

// On this machine's own state, every value of every dataset fits its
// column unchanged, so --save writes its tables with dbfile (tcp_info's
// only rows are live ones); the file is whole and holds the loopback
// connection this test opened.
func TestLiveSaveDirect(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	e, err := tables.Open(context.Background(), kernel.LiveSource(), tables.All)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	path := filepath.Join(t.TempDir(), "live.db")
	res, err := Save(context.Background(), e, path, Options{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if res.ThroughSQLite {
		t.Error("a live value did not fit its column: the moment was written through SQLite")
	}
	got, check := fileRows(t, path, tables.All)
	if check != "ok" {
		t.Errorf("integrity_check: %s", check)
	}
	for _, d := range tables.All {
		if len(got[d.Name]) != res.Rows[d.Name] {
			t.Errorf("%s: the file holds %d rows, Save says %d", d.Name, len(got[d.Name]), res.Rows[d.Name])
		}
	}
	if res.Rows["tcp_info"] < 3 || res.Rows["sockets"] < 3 {
		t.Errorf("rows saved: %v, want the listener and both ends of its connection at least", res.Rows)
	}
}
