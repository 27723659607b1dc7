package kernel

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// A value computed as nil is served again as nil, not a panic (selfNetns
// of a tree without ns/net stores nil, and a second read in the same
// statement panicked).
func TestMemoizeKeepsNil(t *testing.T) {
	c := NewCollector(context.Background(), RootSource(t.TempDir()))
	calls := 0
	compute := func() (any, error) { calls++; return nil, nil }
	for range 2 {
		v, err := Memoize(c, "nothing", compute)
		if v != nil || err != nil {
			t.Fatalf("memoize = %v, %v; want nil, nil", v, err)
		}
	}
	if calls != 1 {
		t.Errorf("computed %d times, want once", calls)
	}
}

// Warnings read as English for one and for many.
func TestWarningStringCounts(t *testing.T) {
	for _, tc := range []struct {
		w    Warning
		want string
	}{
		{Warning{Kind: WarnProcessVanished, Count: 1}, "warning: 1 process exited while being read (skipped)"},
		{Warning{Kind: WarnProcessVanished, Count: 3}, "warning: 3 processes exited while being read (skipped)"},
		{Warning{Kind: WarnProcessPartly, Count: 1}, "warning: 1 process partly readable (permission denied): its exe or netns is NULL"},
		{Warning{Kind: WarnProcessPartly, Count: 2}, "warning: 2 processes partly readable (permission denied): their exe or netns is NULL"},
		{Warning{Kind: WarnNetlinkRefused, Count: 1}, "warning: 1 socket protocol read from /proc instead: netlink sock_diag was refused (cookie, interface, backlog... are NULL)"},
		{Warning{Kind: "net settings not readable (permission denied): run as root to see them", Count: 1},
			"warning: 1 net setting not readable (permission denied): run as root to see it"},
		{Warning{Kind: "lines of /x skipped: not \"id name\" (ip skips them too)", Count: 1}, "warning: 1 line of /x skipped: not \"id name\" (ip skips it too)"},
		{Warning{Kind: "no conntrack: the table is empty"}, "warning: no conntrack: the table is empty"},
	} {
		if got := tc.w.String(); got != tc.want {
			t.Errorf("%+v:\n got %q\nwant %q", tc.w, got, tc.want)
		}
	}
}

// --root / reads the live /proc as a tree: a process that exits between
// the listing and its fd directory is skipped as vanished, as live, not
// taken for a damaged tree (a copied tree, which does not change, is).
func TestProcfsTreeProcessVanishes(t *testing.T) {
	src := &Source{Proc: "/proc"} // not Live: a tree that is a mounted procfs
	w := newFDWalker(src, context.Background())
	const gone = 1 << 30 // above pid_max: no such process
	if _, _, skip, err := w.add(gone); err != nil || skip != WarnProcessVanished {
		t.Errorf("a vanished pid under a procfs tree: skip %q, err %v; want skipped as vanished", skip, err)
	}
	tree := RootSource(t.TempDir())
	if err := os.MkdirAll(filepath.Join(tree.Proc, "7"), 0o755); err != nil {
		t.Fatal(err)
	}
	w = newFDWalker(tree, context.Background())
	if _, _, _, err := w.add(7); err == nil {
		t.Error("a copied tree's process without an fd directory: no error")
	}
}
