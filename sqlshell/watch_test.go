package sqlshell

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"netsql/sqlshell/output"
	"netsql/tables"
	"netsql/tables/kernel"
	"netsql/tables/tablestest"
)

// Piped, each run prints only the rows that came and went; the previous
// run's moment is the schema prev.
func TestWatchPrintsChanges(t *testing.T) {
	root := tablestest.Root(t, nil)
	eng, err := tables.Open(t.Context(), kernel.RootSource(root), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	pr, pw := io.Pipe()
	var errOut bytes.Buffer
	sh := New(eng, output.Format{Mode: "tsv", Headers: true}, pw, &errOut)
	done := make(chan error, 1)
	go func() {
		done <- sh.Watch(t.Context(), "SELECT local_port, (SELECT count(*) FROM prev.sockets) AS before FROM sockets WHERE state = 'LISTEN' AND proto = 'tcp';",
			WatchOptions{Interval: 400 * time.Millisecond, Count: 3})
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	read := func(n int) []string {
		t.Helper()
		var got []string
		for len(got) < n && lines.Scan() {
			_, rest, _ := strings.Cut(lines.Text(), "\t") // the time
			got = append(got, rest)
		}
		return got
	}
	first := read(3)
	if want := "change\tlocal_port\tbefore|+\t22\t0|+\t8080\t0"; strings.Join(first, "|") != want {
		t.Fatalf("first run:\n%q\nwant\n%q", strings.Join(first, "|"), want)
	}
	// Between the runs a listener closes and another opens.
	tcp := filepath.Join(root, "proc", "net", "tcp")
	data, err := os.ReadFile(tcp)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(data), "0100007F:1F90 00000000:0000 0A", "0100007F:115C 00000000:0000 0A", 1)
	if err := os.WriteFile(tcp, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	rest := read(100)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// Run 2 sees the change (and a prev of run 1's sockets); run 3 sees
	// only prev's count move from nothing.
	joined := strings.Join(rest, "|")
	if strings.Contains(joined, "change\t") {
		t.Errorf("the header is printed again:\n%s", strings.Join(rest, "\n"))
	}
	for _, w := range []string{"-\t8080\t0", "+\t4444\t", "-\t22\t0", "+\t22\t"} {
		if !strings.Contains(joined, w) {
			t.Errorf("later runs lack %q:\n%s", w, strings.Join(rest, "\n"))
		}
	}
	if errOut.Len() != 0 {
		t.Errorf("stderr %q", errOut.String())
	}
}

// On a terminal each run redraws the screen and marks the rows the
// previous run did not have.
func TestWatchRedrawsAndMarks(t *testing.T) {
	sh, out, _ := newTestShell(t)
	sh.Format.Mode = "table"
	err := sh.Watch(t.Context(), "SELECT 'sockets' AS t, count(*) - (SELECT count(*) FROM sockets) AS n FROM prev.sockets UNION ALL SELECT 'routes', count(*) FROM routes",
		WatchOptions{Interval: 10 * time.Millisecond, Count: 2, Terminal: true})
	if err != nil {
		t.Fatal(err)
	}
	draws := strings.Split(out.String(), "\x1b[H\x1b[2J")
	if len(draws) != 3 || draws[0] != "" {
		t.Fatalf("want two redraws, got %d:\n%s", len(draws)-1, out)
	}
	if !strings.Contains(draws[1], "first run:") || strings.Contains(draws[1], "│ *") {
		t.Errorf("first draw:\n%s", draws[1])
	}
	marked, plain := 0, 0
	for _, l := range strings.Split(draws[2], "\n") {
		switch {
		case strings.HasPrefix(l, "│ * │ sockets"):
			marked++
		case strings.HasPrefix(l, "│   │ routes"):
			plain++
		}
	}
	if marked != 1 || plain != 1 || strings.Contains(draws[2], "first run:") {
		t.Errorf("second draw: the sockets row (prev filled, so its n moved) must be marked, routes not:\n%s", draws[2])
	}
}

func TestWatchRefusals(t *testing.T) {
	sh, _, _ := newTestShell(t)
	for q, want := range map[string]string{
		"SELECT 1; SELECT 2": "--watch runs one statement, got 2",
		"SELECT * FROM nope": "run 1: no such table: nope",
	} {
		if err := sh.Watch(t.Context(), q, WatchOptions{Interval: time.Millisecond, Count: 1}); err == nil || err.Error() != want {
			t.Errorf("%q: %v, want %q", q, err, want)
		}
	}
	sh.Format.Mode = "json"
	if err := sh.Watch(t.Context(), "SELECT 1", WatchOptions{Interval: time.Millisecond, Count: 1}); err == nil || !strings.Contains(err.Error(), "use -o jsonl") {
		t.Errorf("json piped: %v", err)
	}
}

// On a terminal the redrawn table fits its width (long values shortened
// with …) and control characters in values are escaped.
func TestWatchFitsTerminal(t *testing.T) {
	sh, out, _ := newTestShell(t)
	sh.Format.Mode = "table"
	onFakeTerminal(sh, 40, 24)
	err := sh.Watch(t.Context(), "SELECT 'evil\x1b[2J' AS name, printf('%.60c', 'x') AS long",
		WatchOptions{Interval: time.Millisecond, Count: 1, Terminal: true})
	if err != nil {
		t.Fatal(err)
	}
	draw := strings.TrimPrefix(out.String(), "\x1b[H\x1b[2J")
	if strings.Contains(draw, "\x1b") || !strings.Contains(draw, `evil\x1b[2J`) || !strings.Contains(draw, "…") {
		t.Errorf("draw:\n%s", draw)
	}
	for _, l := range strings.Split(strings.TrimSuffix(draw, "\n"), "\n") {
		if n := utf8.RuneCountInString(l); n > 40 {
			t.Errorf("a line of %d columns on a terminal of 40: %q", n, l)
		}
	}
}
