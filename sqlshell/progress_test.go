package sqlshell

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"netsql/sqlshell/output"
	"netsql/tables"
	"netsql/tables/kernel"
	"netsql/tables/tablestest"
)

// A collection that takes longer than the delay shows one note on the
// progress writer, naming the table, and erases it before the result; a
// quick one shows nothing.
func TestProgressNote(t *testing.T) {
	src := kernel.RootSource(tablestest.Root(t, nil))
	slow := true
	src.OnRead = func(path string) {
		if slow && strings.HasSuffix(path, "/net/tcp") {
			time.Sleep(300 * time.Millisecond)
		}
	}
	eng, err := tables.Open(t.Context(), src, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	var out, errOut, note bytes.Buffer
	sh := New(eng, output.Format{Mode: "tsv"}, &out, &errOut)
	sh.Progress, sh.ProgressDelay = &note, 20*time.Millisecond
	if err := sh.Exec(t.Context(), "SELECT count(*) FROM sockets WHERE proto = 'tcp'"); err != nil {
		t.Fatal(err)
	}
	got := note.String()
	if !strings.HasPrefix(got, "\r\x1b[Kcollecting sockets…") || !strings.HasSuffix(got, "\r\x1b[K") {
		t.Errorf("progress writer got %q; want a note naming sockets, then its erasure", got)
	}
	if out.String() != "6\n" {
		t.Errorf("stdout %q: want the result alone", out.String())
	}

	// The owner walk counts processes.
	note.Reset()
	src.OnRead = func(path string) {
		if strings.HasSuffix(path, "/stat") {
			time.Sleep(60 * time.Millisecond)
		}
	}
	if err := sh.Exec(t.Context(), "SELECT count(*) FROM processes"); err != nil {
		t.Fatal(err)
	}
	if got := note.String(); !strings.Contains(got, "collecting processes… ") || !strings.Contains(got, " walked") {
		t.Errorf("progress writer got %q; want the processes walked", got)
	}

	slow = false
	src.OnRead = nil
	note.Reset()
	sh.ProgressDelay = time.Hour
	if err := sh.Exec(t.Context(), "SELECT count(*) FROM sockets"); err != nil {
		t.Fatal(err)
	}
	if note.Len() != 0 {
		t.Errorf("a quick statement printed a note: %q", note.String())
	}
}
