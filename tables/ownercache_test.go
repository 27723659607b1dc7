package tables

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"netsql/tables/kernel"
	"netsql/tables/tablestest"
)

// With an owner cache (watch mode), a statement whose sockets all have a
// known holder checks those holders instead of walking every process's
// descriptors; a holder that let go sends it back to the walk.
func TestOwnerCacheChecksInsteadOfWalking(t *testing.T) {
	root := tablestest.Root(t, nil)
	src := kernel.RootSource(root)
	src.Owners = kernel.NewOwnerCache()
	var walked []string
	src.OnRead = func(path string) {
		if strings.HasSuffix(path, "/fd") {
			walked = append(walked, path)
		}
	}
	e, err := Open(context.Background(), src, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	q := "SELECT local_port, pid, process FROM sockets WHERE state = 'LISTEN' AND proto = 'tcp' ORDER BY local_port"
	want := [][]any{{int64(22), int64(812), "sshd"}, {int64(8080), int64(2044), "my server"}}
	for run := 1; run <= 3; run++ {
		walked = nil
		if diff := cmp.Diff(want, query(t, e, q)); diff != "" {
			t.Fatalf("run %d (-want +got):\n%s", run, diff)
		}
		if run == 1 && len(walked) == 0 {
			t.Errorf("run 1 walked no fd directory")
		}
		if run > 1 && len(walked) != 0 {
			t.Errorf("run %d walked %d fd directories; want the cached holders checked", run, len(walked))
		}
	}
	// sshd lets go of its listener: the check fails and the walk says so.
	if err := os.Remove(filepath.Join(root, "proc", "812", "fd", "3")); err != nil {
		t.Fatal(err)
	}
	walked = nil
	got := query(t, e, q)
	if len(walked) == 0 || got[0][1] != nil {
		t.Errorf("after the holder let go: %v, %d fd directories walked; want a walk and no owner", got, len(walked))
	}
}
