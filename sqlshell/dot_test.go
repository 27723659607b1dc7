package sqlshell

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"netsql/sqlshell/output"
	"netsql/tables"
	"netsql/tables/kernel"
	"netsql/tables/tablestest"
)

// newTestShell opens an engine on the fixture tree and a shell printing
// tsv with headers into buffers.
func newTestShell(t testing.TB) (*Shell, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	eng, err := tables.Open(t.Context(), kernel.RootSource(tablestest.Root(t, nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	var out, errOut bytes.Buffer
	sh := New(eng, output.Format{Mode: "tsv", Headers: true}, &out, &errOut)
	return sh, &out, &errOut
}

// typed runs text as if typed at the prompt: dot-commands and statements,
// with writing allowed; it returns the error of the first that failed.
func typed(t *testing.T, ss *session, text string) error {
	t.Helper()
	for part := range scriptParts(text) {
		// Each dot-command, and each statement or line of them, is one
		// input at the prompt, a run of its own.
		err := ss.inRun(part.text, func() error { return ss.runText(t.Context(), promptOrigin, part.text) })
		if err != nil || ss.quit {
			return err
		}
	}
	return nil
}

func TestDotOutputSettings(t *testing.T) {
	sh, out, _ := newTestShell(t)
	ss := newSession(sh)
	if err := typed(t, ss, ".mode csv\n.headers off\n.nullvalue -\nSELECT 1, NULL;\n"); err != nil {
		t.Fatal(err)
	}
	if out.String() != "1,-\n" {
		t.Errorf("got %q", out)
	}
	out.Reset()
	if err := typed(t, ss, ".nullvalue\n.headers on\n.mode box\nSELECT NULL AS n;\n.mode\n"); err != nil {
		t.Fatal(err)
	}
	if want := "┌──────┐\n│ n    │\n├──────┤\n│ NULL │\n└──────┘\ntable\n"; out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
	out.Reset()
	if err := typed(t, ss, ".mode TABS\n.mode\n.mode lines\n.mode\n.help\n"); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "tsv\nline\n") || !strings.Contains(out.String(), "output mode: "+output.ModeHelp) {
		t.Errorf(".mode aliases and .help:\n%s", out)
	}
	if err := typed(t, ss, ".mode bogus"); err == nil || err.Error() != `.mode: unknown output mode "bogus" (valid modes: `+output.ModeHelp+")" {
		t.Errorf(".mode bogus: %v", err)
	}
	for _, bad := range []string{".mode bogus", ".headers maybe", ".timer", ".snapshot 2"} {
		if err := typed(t, ss, bad); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

func TestDotTablesAndSchema(t *testing.T) {
	sh, out, _ := newTestShell(t)
	ss := newSession(sh)
	if err := typed(t, ss, ".tables process%\n"); err != nil {
		t.Fatal(err)
	}
	want := "table_name\tdescription\n" +
		"process_sockets\t" + tables.ProcessSockets.Doc + "\n" +
		"processes\t" + tables.Processes.Doc + "\n"
	if out.String() != want {
		t.Errorf(".tables process%%:\n%s\nwant\n%s", out, want)
	}
	out.Reset()
	if err := typed(t, ss, ".schema process_sockets\n"); err != nil {
		t.Fatal(err)
	}
	if out.String() != tables.ProcessSockets.CreateTableSQL()+"\n" {
		t.Errorf(".schema process_sockets:\n%s", out)
	}
	if !strings.Contains(out.String(), "-- socket inode; joins sockets.inode") {
		t.Errorf(".schema lacks the column descriptions:\n%s", out)
	}

	// The user's own views are listed and described too.
	out.Reset()
	if err := typed(t, ss, "CREATE TEMP VIEW listeners AS SELECT local_port, pid FROM sockets WHERE state = 'LISTEN';\n.tables list%\n.schema listeners\n"); err != nil {
		t.Fatal(err)
	}
	want = "table_name\tdescription\nlisteners\tyour view\n" +
		"CREATE VIEW listeners AS SELECT local_port, pid FROM sockets WHERE state = 'LISTEN';\n"
	if out.String() != want {
		t.Errorf("view:\n%s\nwant\n%s", out, want)
	}
	ss.refreshTables(t.Context())
	if got := ss.vocab.ColumnsOf("listeners"); !cmp.Equal(got, []string{"local_port", "pid"}) {
		t.Errorf("completion columns of the view: %q", got)
	}
	if err := typed(t, ss, ".schema nope"); err == nil || !strings.Contains(err.Error(), `no table matches "nope"`) {
		t.Errorf(".schema nope: %v", err)
	}
}

func TestDotParam(t *testing.T) {
	sh, out, _ := newTestShell(t)
	ss := newSession(sh)
	err := typed(t, ss, ".param set port 22\n.param set who 'alice smith'\n"+
		"SELECT count(*) AS n FROM sockets WHERE local_port = :port;\n.param list\n")
	if err != nil {
		t.Fatal(err)
	}
	if want := "n\n2\nname\tvalue\n:port\t22\n:who\talice smith\n"; out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
	if err := typed(t, ss, ".param unset port\nSELECT :port;"); err == nil || !strings.Contains(err.Error(), "missing parameter :port") {
		t.Errorf("after unset: %v", err)
	}
	if err := typed(t, ss, ".param unset port"); err == nil {
		t.Error("unset of an unbound parameter: no error")
	}
	if err := typed(t, ss, ".param clear"); err != nil || len(sh.Params()) != 0 {
		t.Errorf(".param clear: %v, %v", err, sh.Params())
	}
}

func TestDotWritesRefusedOutsideThePrompt(t *testing.T) {
	sh, out, _ := newTestShell(t)
	ss := newSession(sh)
	dir := t.TempDir()
	target := filepath.Join(dir, "out.txt")
	for _, cmd := range []string{".output", ".once"} {
		err := ss.runText(t.Context(), origin{name: "checks.sql"}, "SELECT 1;\n"+cmd+" "+target+"\nSELECT 2;\n")
		want := "checks.sql line 2: refused: " + cmd + " writes a file; run with --allow-write to allow it"
		if err == nil || err.Error() != want {
			t.Errorf("%s in a file: %v, want %q", cmd, err, want)
		}
		err = sh.RunInput(t.Context(), "stdin", cmd+" "+target+"\n")
		if err == nil || !strings.Contains(err.Error(), "stdin line 1: refused: "+cmd) {
			t.Errorf("%s on stdin: %v", cmd, err)
		}
	}
	// A file read with .read at the prompt is a file too.
	script := filepath.Join(dir, "script.sql")
	os.WriteFile(script, []byte(".output "+target+"\n"), 0o644)
	if err := typed(t, ss, ".read "+script); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Errorf(".read of a file with .output: %v", err)
	}
	// A saved query may not write either.
	t.Setenv("XDG_CONFIG_HOME", dir)
	userDir := filepath.Join(dir, "netsql", "queries")
	os.MkdirAll(userDir, 0o755)
	os.WriteFile(filepath.Join(userDir, "sneaky.sql"), []byte("-- description: writes\n.once "+target+"\nSELECT 1;\n"), 0o644)
	if err := typed(t, ss, ".run sneaky"); err == nil || !strings.Contains(err.Error(), "query sneaky line 2: refused: .once") {
		t.Errorf(".run of a query with .once: %v", err)
	}
	if _, err := os.Stat(target); !os.IsNotExist(err) {
		t.Errorf("%s was created", target)
	}
	out.Reset()

	// --allow-write lets scripts write.
	sh.eng.SetAllowWrite(true)
	if err := sh.RunInput(t.Context(), "stdin", ".once "+target+"\nSELECT 'to file';\nSELECT 'to stdout';\n"); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(target); string(data) != "'to file'\nto file\n" {
		t.Errorf("file holds %q", data)
	}
	if out.String() != "'to stdout'\nto stdout\n" {
		t.Errorf("stdout holds %q", out)
	}
}

func TestDotOutputAtThePrompt(t *testing.T) {
	sh, out, _ := newTestShell(t)
	ss := newSession(sh)
	dir := t.TempDir()
	all, once := filepath.Join(dir, "all.txt"), filepath.Join(dir, "once.txt")
	err := typed(t, ss, ".headers off\n.output "+all+"\nSELECT 1;\n.tables sockets\nSELECT 2;\n.once "+once+
		"\nSELECT 3;\nSELECT 4;\n.output\nSELECT 5;\n")
	if err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(all); string(data) != "1\nsockets\t"+tables.Sockets.Doc+"\n2\n4\n" {
		t.Errorf(".output file holds %q", data)
	}
	if data, _ := os.ReadFile(once); string(data) != "3\n" {
		t.Errorf(".once file holds %q", data)
	}
	if out.String() != "5\n" {
		t.Errorf("stdout holds %q", out)
	}
}

func TestDotTimer(t *testing.T) {
	sh, _, errOut := newTestShell(t)
	ss := newSession(sh)
	if err := typed(t, ss, ".timer on\nSELECT count(*) FROM sockets;\n.timer off\nSELECT 1;\n"); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^Run Time: real \d+\.\d{3} user \d+\.\d{3} sys \d+\.\d{3}\n$`).MatchString(errOut.String()) {
		t.Errorf("stderr %q, want one Run Time line", errOut)
	}
}

func TestDotUnknownCommand(t *testing.T) {
	sh, _, _ := newTestShell(t)
	ss := newSession(sh)
	cases := map[string]string{
		".tabels":  "unknown command .tabels: did you mean .tables? (.help lists them)",
		".scheme":  "unknown command .scheme: did you mean .schema? (.help lists them)",
		".qit":     "unknown command .qit: did you mean .quit? (.help lists them)",
		".xyzzy":   "unknown command .xyzzy (.help lists them)",
		".snapsht": "unknown command .snapsht: did you mean .snapshot? (.help lists them)",
		".":        "unknown command . (.help lists them)",
	}
	for line, want := range cases {
		if err := typed(t, ss, line); err == nil || err.Error() != want {
			t.Errorf("%s: %v, want %q", line, err, want)
		}
	}
}

func TestDotRead(t *testing.T) {
	sh, out, _ := newTestShell(t)
	ss := newSession(sh)
	script := filepath.Join(t.TempDir(), "checks.sql")
	os.WriteFile(script, []byte("SELECT 1 AS a;\n.mode csv\n\nSELECT 2 AS b,\n  3 AS c;\nSELECT * FROM nope;\nSELECT 'never';\n"), 0o644)
	err := typed(t, ss, ".read "+script)
	if want := script + " line 6: no such table: nope"; err == nil || err.Error() != want {
		t.Errorf(".read: %v, want %q", err, want)
	}
	if out.String() != "a\n1\nb,c\n2,3\n" {
		t.Errorf("output %q", out)
	}
	os.WriteFile(script, []byte("SELECT 1;\n.bogus\n"), 0o644)
	if err := typed(t, ss, ".read "+script); err == nil || !strings.HasPrefix(err.Error(), script+" line 2: unknown command .bogus") {
		t.Errorf(".read with a bad dot-command: %v", err)
	}
	os.WriteFile(script, []byte(".read "+script+"\n"), 0o644)
	if err := typed(t, ss, ".read "+script); err == nil || !strings.Contains(err.Error(), "nested too deeply") {
		t.Errorf(".read of itself: %v", err)
	}
	if err := typed(t, ss, ".read /nonexistent/x.sql"); err == nil {
		t.Error(".read of a missing file: no error")
	}
}

func TestDotRunAndQueries(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	sh, out, _ := newTestShell(t)
	ss := newSession(sh)
	if err := typed(t, ss, ".queries\n"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "listening\tlistening sockets") {
		t.Errorf(".queries:\n%s", out)
	}
	out.Reset()
	if err := typed(t, ss, ".mode csv\n.run listening\n"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "tcp,0.0.0.0,22,LISTEN,0,0,812,sshd\n") {
		t.Errorf(".run listening:\n%s", out)
	}
	if err := typed(t, ss, ".run port_owner"); err == nil || !strings.Contains(err.Error(), "missing parameter :port") {
		t.Errorf(".run port_owner without :port: %v", err)
	}
	if err := typed(t, ss, ".run nope"); err == nil || !strings.Contains(err.Error(), `no saved query "nope"`) {
		t.Errorf(".run nope: %v", err)
	}
}

func TestDotSnapshot(t *testing.T) {
	sh, _, _ := newTestShell(t)
	ss := newSession(sh)
	collections := func() int { return sh.eng.Stats().Collections["processes"] }
	if err := typed(t, ss, ".snapshot on\nSELECT count(*) FROM processes;\nSELECT count(*) FROM processes;\n"); err != nil {
		t.Fatal(err)
	}
	if n := collections(); n != 1 {
		t.Errorf("with .snapshot on, two statements collected %d times, want 1", n)
	}
	if err := typed(t, ss, ".refresh\nSELECT count(*) FROM processes;\n"); err != nil {
		t.Fatal(err)
	}
	if n := collections(); n != 2 {
		t.Errorf("after .refresh: %d collections, want 2", n)
	}
	if err := typed(t, ss, ".snapshot off\nSELECT count(*) FROM processes;\nSELECT count(*) FROM processes;\n"); err != nil {
		t.Fatal(err)
	}
	if n := collections(); n != 4 {
		t.Errorf("with .snapshot off: %d collections, want 4", n)
	}
}

func TestDotHelpShowQuit(t *testing.T) {
	sh, out, _ := newTestShell(t)
	ss := newSession(sh)
	if err := typed(t, ss, ".help\n"); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range dotCommands() {
		if !strings.Contains(out.String(), cmd.name) {
			t.Errorf(".help lacks %s", cmd.name)
		}
	}
	out.Reset()
	if err := typed(t, ss, ".timer on\n.snapshot on\n.show\n"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"mode: tsv", "timer: on", "snapshot: on", "history: off", "output: stdout"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf(".show lacks %q:\n%s", want, out)
		}
	}
	out.Reset()
	if err := typed(t, ss, ".quit\nSELECT 1;\n"); err != nil || !ss.quit || out.Len() != 0 {
		t.Errorf(".quit: %v, quit %v, output %q", err, ss.quit, out)
	}
}

func TestRunInput(t *testing.T) {
	sh, out, _ := newTestShell(t)
	err := sh.RunInput(t.Context(), "stdin", "-- a script\n.mode csv\nSELECT 1 AS a;\n  .headers off\nSELECT 2;\nSELECT * FROM nope;\nSELECT 3;\n")
	if err == nil || err.Error() != "stdin line 6: no such table: nope" {
		t.Errorf("error %v", err)
	}
	if out.String() != "a\n1\n2\n" {
		t.Errorf("output %q", out)
	}
	// A dot at the start of a line inside a statement is SQL.
	out.Reset()
	if err := sh.RunInput(t.Context(), "stdin", "SELECT 1\n.5 AS x;\n"); err == nil {
		t.Errorf("continuation line .5 ran as a dot-command: output %q", out)
	}
}

func TestSplitDotArgs(t *testing.T) {
	cases := map[string][]string{
		".mode csv":                 {".mode", "csv"},
		"  .mode   csv  ":           {".mode", "csv"},
		".mode csv;":                {".mode", "csv"},
		".param set who 'a b'":      {".param", "set", "who", "a b"},
		`.param set q "it's"`:       {".param", "set", "q", "it's"},
		`.nullvalue ''`:             {".nullvalue", ""},
		".output '/tmp/a file.txt'": {".output", "/tmp/a file.txt"},
		".separator ;":              {".separator", ";"},
		".separator ';';":           {".separator", ";"},
	}
	for line, want := range cases {
		got, err := splitDotArgs(line)
		if err != nil || !cmp.Equal(got, want) {
			t.Errorf("splitDotArgs(%q) = %q, %v; want %q", line, got, err, want)
		}
	}
	if _, err := splitDotArgs(".param set x 'open"); err == nil {
		t.Error("unterminated quote: no error")
	}
}

func TestLikeMatch(t *testing.T) {
	cases := []struct {
		pattern, s string
		want       bool
	}{
		{"%", "sockets", true},
		{"sock%", "sockets", true},
		{"SOCK%", "sockets", true},
		{"%sock%", "process_sockets", true},
		{"proc_x%", "process_sockets", false},
		{"process_sockets", "process_sockets", true},
		{"s_ckets", "sockets", true},
		{"sockets", "sockstat", false},
		{"", "", true},
		{"_", "", false},
	}
	for _, c := range cases {
		if got := likeMatch(c.pattern, c.s); got != c.want {
			t.Errorf("likeMatch(%q, %q) = %v", c.pattern, c.s, got)
		}
	}
}

func TestClipWriter(t *testing.T) {
	var b bytes.Buffer
	c := &clipWriter{w: &b, width: 10}
	c.Write([]byte("1234567890\n12345678901234\n│ café │ x"))
	c.Write([]byte("xxxxxxxx\nend"))
	c.finish()
	if want := "1234567890\n123456789…\n│ café │ …\nend"; b.String() != want || !c.cut {
		t.Errorf("got %q (cut %v), want %q", b.String(), c.cut, want)
	}
}

func TestRunInputLongStatement(t *testing.T) {
	// A statement of many lines runs once, whole.
	sh, out, _ := newTestShell(t)
	var b strings.Builder
	b.WriteString(".headers off\nSELECT count(*) FROM (VALUES (1)\n")
	for i := 1; i < 20000; i++ {
		b.WriteString(", (1)\n")
	}
	b.WriteString(");\n")
	if err := sh.RunInput(t.Context(), "long.sql", b.String()); err != nil {
		t.Fatal(err)
	}
	if out.String() != "20000\n" {
		t.Errorf("output %q", out)
	}
}
