package sqlshell

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"netsql/sqlshell/prompt"

	"github.com/google/go-cmp/cmp"
)

// replOverPipe runs the prompt with input on a pipe: readline then reads
// plain lines, so the loop, dot-commands and history can be tested
// without a terminal (repl_pty_test in the root drives a real one).
func replOverPipe(t *testing.T, sh *Shell, opt REPLOptions, input string) (banner string, err error) {
	t.Helper()
	r, w, perr := os.Pipe()
	if perr != nil {
		t.Fatal(perr)
	}
	defer r.Close()
	go func() {
		w.WriteString(input)
		w.Close()
	}()
	var out bytes.Buffer
	opt.In, opt.Out = r, &out
	if opt.Version == "" {
		opt.Version = "test"
	}
	err = sh.REPL(t.Context(), opt)
	return out.String(), err
}

func TestREPLOverPipe(t *testing.T) {
	sh, out, errOut := newTestShell(t)
	history := filepath.Join(t.TempDir(), "state", "history")
	input := "SELECT 'a',\n  'b';\n" +
		".mode csv\n" +
		"SELECT * FROM nope;\n" +
		"\n-- only a comment\n" +
		"SELECT 1 AS one\n-- a comment inside\n; SELECT 2 AS two;\n" +
		"SELECT 'still going';\n"
	banner, err := replOverPipe(t, sh, REPLOptions{HistoryFile: history}, input)
	if err != nil {
		t.Fatalf("REPL: %v", err)
	}
	if !strings.HasPrefix(banner, "netsql test: ") || !strings.Contains(banner, ".help") {
		t.Errorf("banner %q", banner)
	}
	if want := "'a'\t'b'\na\tb\none\n1\ntwo\n2\n'still going'\nstill going\n"; out.String() != want {
		t.Errorf("stdout %q, want %q", out, want)
	}
	if want := "error: no such table: nope\n"; errOut.String() != want {
		t.Errorf("stderr %q, want %q", errOut, want)
	}
	entries, err := prompt.HistoryFile{Path: history}.Load()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"SELECT 'a', 'b';", ".mode csv", "SELECT * FROM nope;",
		"SELECT 1 AS one /* a comment inside */ ; SELECT 2 AS two;", "SELECT 'still going';"}
	if diff := cmp.Diff(want, entries); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
}

func TestREPLInitFileAndQuit(t *testing.T) {
	sh, out, errOut := newTestShell(t)
	rc := filepath.Join(t.TempDir(), "netsqlrc")
	os.WriteFile(rc, []byte(".headers off\nCREATE TEMP VIEW favourite AS SELECT 7 AS x;\n"), 0o644)
	_, err := replOverPipe(t, sh, REPLOptions{InitFile: rc}, "SELECT x FROM favourite;\n.quit\nSELECT 'after quit';\n")
	if err != nil || out.String() != "7\n" || errOut.Len() != 0 {
		t.Errorf("REPL: %v, stdout %q, stderr %q", err, out, errOut)
	}

	// A missing ~/.netsqlrc is fine; a missing --init file is reported and
	// the session goes on.
	out.Reset()
	missing := filepath.Join(t.TempDir(), "nope")
	if _, err := replOverPipe(t, sh, REPLOptions{InitFile: missing}, "SELECT 1;\n"); err != nil || errOut.Len() != 0 {
		t.Errorf("missing default init: %v, stderr %q", err, errOut)
	}
	if _, err := replOverPipe(t, sh, REPLOptions{InitFile: missing, InitRequired: true}, "SELECT 2;\n"); err != nil ||
		!strings.HasPrefix(errOut.String(), "error: --init: open "+missing) {
		t.Errorf("missing --init: %v, stderr %q", err, errOut)
	}
	if out.String() != "1\n2\n" {
		t.Errorf("stdout %q", out)
	}

	// An error in the start-up file names its line; the prompt still opens.
	errOut.Reset()
	os.WriteFile(rc, []byte("SELECT 1;\nSELECT * FROM nope;\n"), 0o644)
	if _, err := replOverPipe(t, sh, REPLOptions{InitFile: rc}, ""); err != nil ||
		errOut.String() != "error: "+rc+" line 2: no such table: nope\n" {
		t.Errorf("failing init: %v, stderr %q", err, errOut)
	}
}

func TestREPLNoHistory(t *testing.T) {
	sh, _, _ := newTestShell(t)
	dir := t.TempDir()
	t.Setenv("HOME", dir)
	t.Setenv("XDG_STATE_HOME", dir)
	if _, err := replOverPipe(t, sh, REPLOptions{}, "SELECT 1;\n"); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("files written: %v", entries)
	}
}

func TestREPLEndsWhenContextEnds(t *testing.T) {
	sh, _, _ := newTestShell(t)
	var out syncBuffer
	sh.out = bufio.NewWriter(&out)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- sh.REPL(ctx, REPLOptions{In: r, Out: io.Discard}) }()
	// Once a statement has run, the prompt waits for the next line.
	w.WriteString("SELECT 'ran';\n")
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "ran\n") {
		if time.Now().After(deadline) {
			t.Fatal("the statement did not run")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("REPL returned %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("REPL did not end after its context was cancelled")
	}
}

// syncBuffer is a bytes.Buffer safe to read while another goroutine writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
