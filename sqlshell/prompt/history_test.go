package prompt

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestHistoryEntry(t *testing.T) {
	cases := []struct{ text, want string }{
		{"SELECT 1;", "SELECT 1;"},
		{"  SELECT 1;\n", "SELECT 1;"},
		{"SELECT proto,\n       local_port\nFROM sockets;\n", "SELECT proto, local_port FROM sockets;"},
		{"SELECT 1 -- the answer\nFROM t;", "SELECT 1 /* the answer */ FROM t;"},
		{"SELECT 1 --\nFROM t;", "SELECT 1 FROM t;"},
		{"SELECT 1 -- a */ b\nFROM t;", "SELECT 1 FROM t;"},
		{"SELECT /* two\n   lines */ 1;", "SELECT /* two lines */ 1;"},
		{"SELECT 'a  b',\n 2;", "SELECT 'a  b', 2;"},
		{"SELECT 'one\ntwo';", "SELECT ('one' || char(10) || 'two');"},
		{"SELECT '\n';", "SELECT (char(10));"},
		{"SELECT 'it''s\nok';", "SELECT ('it''s' || char(10) || 'ok');"},
		{"SELECT \"odd\nname\" FROM t;", "SELECT \"odd name\" FROM t;"},
	}
	for _, c := range cases {
		got := HistoryEntry(c.text)
		if got != c.want {
			t.Errorf("historyEntry(%q) = %q, want %q", c.text, got, c.want)
		}
		if strings.ContainsAny(got, "\r\n") {
			t.Errorf("historyEntry(%q) = %q holds a newline", c.text, got)
		}
	}
}

func TestHistoryPath(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_STATE_HOME", "")
	t.Setenv("NETSQL_HISTORY", "") // restored after the test
	os.Unsetenv("NETSQL_HISTORY")
	if got, want := HistoryPath(), filepath.Join(home, ".netsql_history"); got != want {
		t.Errorf("no XDG_STATE_HOME: %q, want %q", got, want)
	}
	t.Setenv("XDG_STATE_HOME", "/state")
	if got, want := HistoryPath(), "/state/netsql/history"; got != want {
		t.Errorf("XDG_STATE_HOME: %q, want %q", got, want)
	}
	t.Setenv("NETSQL_HISTORY", "/elsewhere/h")
	if got := HistoryPath(); got != "/elsewhere/h" {
		t.Errorf("NETSQL_HISTORY: %q", got)
	}
	t.Setenv("NETSQL_HISTORY", "")
	if got := HistoryPath(); got != "" {
		t.Errorf("empty NETSQL_HISTORY: %q, want none", got)
	}
	if got, want := InitPath(), filepath.Join(home, ".netsqlrc"); got != want {
		t.Errorf("InitPath %q, want %q", got, want)
	}
}

func TestHistoryFile(t *testing.T) {
	h := HistoryFile{Path: filepath.Join(t.TempDir(), "state", "netsql", "history")}
	if got, err := h.Load(); err != nil || got != nil {
		t.Fatalf("missing file: %q, %v", got, err)
	}
	for _, e := range []string{"SELECT 1;", ".mode csv", "SELECT proto, local_port FROM sockets;"} {
		if err := h.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	got, err := h.Load()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"SELECT 1;", ".mode csv", "SELECT proto, local_port FROM sockets;"}, got); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
	info, err := os.Stat(h.Path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("history file mode %v, want 0600", perm)
	}

	// A file longer than the limit keeps its newest entries, also on disk.
	for i := 0; i < HistoryLimit+5; i++ {
		if err := h.Add(fmt.Sprintf("SELECT %d;", i)); err != nil {
			t.Fatal(err)
		}
	}
	got, err = h.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != HistoryLimit || got[0] != "SELECT 5;" || got[len(got)-1] != fmt.Sprintf("SELECT %d;", HistoryLimit+4) {
		t.Errorf("after overflow: %d entries, first %q, last %q", len(got), got[0], got[len(got)-1])
	}
	data, _ := os.ReadFile(h.Path)
	if n := strings.Count(string(data), "\n"); n != HistoryLimit {
		t.Errorf("file holds %d lines, want %d", n, HistoryLimit)
	}
}
