package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"netsql/tables/tablestest"
)

// terminal is netsql running on a pseudo-terminal, as a person runs it.
type terminal struct {
	t    *testing.T
	cmd  *exec.Cmd
	pty  *os.File
	mu   sync.Mutex
	out  bytes.Buffer // everything the terminal showed
	mark int          // expect looks after this offset
	exit chan error   // the process's exit, once
}

// startTerminal runs the netsql binary on a new pseudo-terminal of 50
// rows and 200 columns.
func startTerminal(t *testing.T, bin string, env []string, args ...string) *terminal {
	t.Helper()
	return startTerminalSized(t, &pty.Winsize{Rows: 50, Cols: 200}, bin, env, args...)
}

// startTerminalSized runs netsql on a terminal of the given size; nil
// leaves the size unset, so the terminal reports 0 columns.
func startTerminalSized(t *testing.T, size *pty.Winsize, bin string, env []string, args ...string) *terminal {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	var f *os.File
	var err error
	if size != nil {
		f, err = pty.StartWithSize(cmd, size)
	} else {
		f, err = pty.Start(cmd)
	}
	if err != nil {
		t.Fatal(err)
	}
	term := &terminal{t: t, cmd: cmd, pty: f, exit: make(chan error, 1)}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := f.Read(buf)
			term.mu.Lock()
			term.out.Write(buf[:n])
			term.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	go func() { term.exit <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		f.Close()
	})
	return term
}

// send types keys.
func (term *terminal) send(keys string) {
	term.t.Helper()
	if _, err := term.pty.Write([]byte(keys)); err != nil {
		term.t.Fatalf("type %q: %v", keys, err)
	}
}

// expect waits until the terminal shows want after what was expected
// before, and moves past it.
func (term *terminal) expect(want string) {
	term.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		term.mu.Lock()
		shown := term.out.String()
		term.mu.Unlock()
		if i := strings.Index(shown[term.mark:], want); i >= 0 {
			term.mark += i + len(want)
			return
		}
		if time.Now().After(deadline) {
			term.t.Fatalf("timed out waiting for %q; the terminal showed after the last match:\n%s", want, shown[term.mark:])
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitCooked waits until netsql has taken the terminal out of raw mode,
// which it does once a statement has been read and is about to run:
// from then on Ctrl-C is a signal, not a key. On Linux the termios of the
// master side are the terminal's.
func (term *terminal) waitCooked() {
	term.t.Helper()
	tablestest.WaitFor(term.t, 20*time.Second, "the terminal to leave raw mode", func() bool {
		tio, err := unix.IoctlGetTermios(int(term.pty.Fd()), unix.TCGETS)
		return err == nil && tio.Lflag&unix.ISIG != 0
	})
}

// waitRaw waits until readline has put the terminal in raw mode to read a
// line. After a statement the prompt is printed before raw mode is set
// again; a line typed in between would be read in cooked mode, and a
// Ctrl-C sent then would reach the prompt, not the statement.
func (term *terminal) waitRaw() {
	term.t.Helper()
	tablestest.WaitFor(term.t, 20*time.Second, "the terminal to enter raw mode", func() bool {
		tio, err := unix.IoctlGetTermios(int(term.pty.Fd()), unix.TCGETS)
		return err == nil && tio.Lflag&unix.ISIG == 0
	})
}

// wait waits for the process to end and returns its exit code.
func (term *terminal) wait() int {
	term.t.Helper()
	select {
	case err := <-term.exit:
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			return exitErr.ExitCode()
		}
		if err != nil {
			term.t.Fatal(err)
		}
		return 0
	case <-time.After(20 * time.Second):
		term.mu.Lock()
		defer term.mu.Unlock()
		term.t.Fatalf("netsql did not exit; the terminal showed:\n%s", term.out.String()[term.mark:])
		return -1
	}
}

// TestREPLInPseudoTerminal drives the prompt as a person does: a
// statement over two lines, an error, Tab completion of a table and a
// column, Ctrl-C of a statement that would never end, Ctrl-C at the
// prompt, .timer, Ctrl-D; then the history file, and Ctrl-R finding the
// two-line statement after a restart.
func TestREPLInPseudoTerminal(t *testing.T) {
	bin := tablestest.Netsql(t)
	root := tablestest.Root(t, nil)
	home := t.TempDir()
	env := []string{"HOME=" + home, "XDG_STATE_HOME=" + filepath.Join(home, "state"),
		"XDG_CONFIG_HOME=" + filepath.Join(home, "config"), "PATH=" + os.Getenv("PATH"), "TERM=xterm", "LANG=C.UTF-8"}

	term := startTerminal(t, bin, env, "--root", root)
	term.expect("netsql " + version + ": ")
	term.expect(".help")
	term.expect("netsql> ")

	// A statement over two lines.
	term.send("SELECT local_port || ':' || process AS owner\r")
	term.expect("   ...> ")
	term.send("FROM sockets WHERE state = 'LISTEN' ORDER BY local_port;\r")
	for _, row := range []string{"22:sshd", "80:nginx", "8080:my server"} {
		term.expect(row)
	}
	term.expect("netsql> ")

	// An error prints one line and the prompt returns.
	term.send("SELECT * FROM nope;\r")
	term.expect("error: no such table: nope")
	term.expect("netsql> ")

	// Tab completes a table after FROM and a column after alias.
	term.send("SELECT 'found-' || ps.pid AS hit FROM process_s\tps WHERE ps.ino\t = 1001;\r")
	term.expect("FROM process_sockets ps WHERE ps.inode = 1001;")
	term.expect("found-812")
	term.expect("netsql> ")

	// Ctrl-C cancels a statement that would run forever; the session goes on.
	term.waitRaw()
	term.send("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c;\r")
	term.waitCooked()
	term.send("\x03")
	term.expect("interrupted")
	term.expect("netsql> ")
	term.send("SELECT 'after-' || (6 * 7);\r")
	term.expect("after-42")
	term.expect("netsql> ")

	// Ctrl-C at the prompt drops the line, a second one on an empty line
	// does not quit, and a statement half typed over lines is dropped too.
	term.waitRaw()
	term.send("SELECT 'dropped'\x03")
	term.expect("^C")
	term.expect("netsql> ")
	term.waitRaw()
	term.send("\x03")
	term.expect("netsql> ")
	term.send("SELECT 'also'\r")
	term.expect("   ...> ")
	term.waitRaw()
	term.send("\x03")
	term.expect("netsql> ")
	term.send("SELECT 'alive';\r")
	term.expect("alive")
	term.expect("netsql> ")

	// A table wider than the terminal fits its width: the long value is
	// shortened with …, or wrapped after .wrap on; .width sets a column's
	// width.
	const wide = 200 - 7 - 6 // the terminal's columns less the borders ("│ ", " │ ", " │") and the narrow column
	term.send("SELECT printf('%.300c', 'w') AS wide, 'x' AS narrow;\r")
	term.expect("┌" + strings.Repeat("─", wide+2) + "┬────────┐\r\n")
	term.expect("│ " + strings.Repeat("w", wide-1) + "… │ x      │\r\n")
	term.expect("└" + strings.Repeat("─", wide+2) + "┴────────┘\r\n")
	term.expect("netsql> ")
	term.send(".wrap on\r")
	term.expect("netsql> ")
	term.send("SELECT printf('%.300c', 'w') AS wide, 'x' AS narrow;\r")
	term.expect("│ " + strings.Repeat("w", wide) + " │ x      │\r\n")
	term.expect("│ " + strings.Repeat("w", 300-wide) + strings.Repeat(" ", 2*wide-300) + " │        │\r\n")
	term.expect("netsql> ")
	term.send(".wrap off\r")
	term.expect("netsql> ")
	term.send(".width 5 -3\r")
	term.expect("netsql> ")
	term.send("SELECT printf('%.300c', 'w') AS wide, 'x' AS narrow;\r")
	term.expect("│ wide  │ na… │\r\n")
	term.expect("│ wwww… │   x │\r\n")
	term.expect("netsql> ")
	term.send(".width\r")
	term.expect("netsql> ")

	// .timer on prints the time of each statement.
	term.send(".timer on\r")
	term.expect("netsql> ")
	term.send("SELECT count(*) FROM processes;\r")
	term.expect("Run Time: real ")
	term.expect("netsql> ")

	// Ctrl-D on an empty line quits with exit 0.
	term.waitRaw()
	term.send("\x04")
	if code := term.wait(); code != 0 {
		t.Fatalf("exit code %d after Ctrl-D, want 0", code)
	}

	// The two-line statement is one entry of the history file.
	data, err := os.ReadFile(filepath.Join(home, "state", "netsql", "history"))
	if err != nil {
		t.Fatal(err)
	}
	twoLines := "SELECT local_port || ':' || process AS owner FROM sockets WHERE state = 'LISTEN' ORDER BY local_port;"
	entries := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	found := false
	for _, e := range entries {
		found = found || e == twoLines
	}
	if !found {
		t.Errorf("history lacks %q as one entry:\n%s", twoLines, data)
	}
	for _, e := range entries {
		if strings.Contains(e, "dropped") || strings.Contains(e, "'also'") {
			t.Errorf("history holds a statement dropped with Ctrl-C: %q", e)
		}
	}

	// After a restart, Ctrl-R finds the statement and Enter runs it again.
	term = startTerminal(t, bin, env, "--root", root)
	term.expect("netsql> ")
	term.send("\x12ORDER BY local_port")
	term.expect("ORDER BY local_port")
	term.send("\r")
	term.expect("8080:my server")
	term.expect("netsql> ")
	term.send(".quit\r")
	if code := term.wait(); code != 0 {
		t.Fatalf("exit code %d after .quit, want 0", code)
	}

	// --no-history writes nothing.
	before, _ := os.ReadFile(filepath.Join(home, "state", "netsql", "history"))
	term = startTerminal(t, bin, env, "--root", root, "--no-history")
	term.expect("netsql> ")
	term.send("SELECT 'unrecorded';\r")
	term.expect("unrecorded")
	term.expect("netsql> ")
	term.waitRaw()
	term.send("\x04")
	if code := term.wait(); code != 0 {
		t.Fatalf("exit code %d, want 0", code)
	}
	after, _ := os.ReadFile(filepath.Join(home, "state", "netsql", "history"))
	if !bytes.Equal(before, after) {
		t.Errorf("--no-history changed the history file:\n%s", after)
	}
}

// TestREPLCompletesWithoutWindowSize: a terminal that reports a width of
// 0 (a pty nobody sized, some serial consoles) still completes with Tab.
func TestREPLCompletesWithoutWindowSize(t *testing.T) {
	bin := tablestest.Netsql(t)
	root := tablestest.Root(t, nil)
	home := t.TempDir()
	env := []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "TERM=xterm"}
	term := startTerminalSized(t, nil, bin, env, "--root", root, "--no-history")
	term.expect("netsql> ")
	term.send("SELECT 'n-' || (count(*) > 0) FROM process_s\t;\r")
	term.expect("process_sockets ;")
	term.expect("│ n-1 ")
	term.expect("netsql> ")
	term.waitRaw()
	term.send("\x04")
	if code := term.wait(); code != 0 {
		t.Fatalf("exit %d", code)
	}
}

// TestREPLStartupFileInPseudoTerminal checks ~/.netsqlrc, --init and
// --no-init.
func TestREPLStartupFileInPseudoTerminal(t *testing.T) {
	bin := tablestest.Netsql(t)
	root := tablestest.Root(t, nil)
	home := t.TempDir()
	env := []string{"HOME=" + home, "XDG_STATE_HOME=" + filepath.Join(home, "state"), "PATH=" + os.Getenv("PATH"), "TERM=xterm"}
	os.WriteFile(filepath.Join(home, ".netsqlrc"), []byte(".mode line\nCREATE TEMP VIEW rc_view AS SELECT 'from-rc' AS origin;\n"), 0o644)
	other := filepath.Join(home, "other.sql")
	os.WriteFile(other, []byte("CREATE TEMP VIEW rc_view AS SELECT 'from-init' AS origin;\n"), 0o644)

	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "origin = from-rc"},
		{[]string{"--init", other}, "from-init"},
		{[]string{"--no-init"}, "error: no such table: rc_view"},
	} {
		term := startTerminal(t, bin, env, append([]string{"--root", root}, c.args...)...)
		term.expect("netsql> ")
		term.send("SELECT * FROM rc_view;\r")
		term.expect(c.want)
		term.expect("netsql> ")
		term.waitRaw()
		term.send("\x04")
		if code := term.wait(); code != 0 {
			t.Errorf("%q: exit %d", c.args, code)
		}
	}
}

// TestScriptModeHeredoc runs the binary as a shell heredoc feeds it:
// standard input is not a terminal, so statements run as a script.
func TestScriptModeHeredoc(t *testing.T) {
	bin := tablestest.Netsql(t)
	root := tablestest.Root(t, nil)
	cases := []struct {
		script       string
		code         int
		stdout, errs string
	}{
		{"SELECT count(*) FROM sockets WHERE state = 'LISTEN';\nSELECT 'two';\nSELECT 1 + 2;\n", 0, "3\ntwo\n3\n", ""},
		{"SELECT 'one';\nSELECT * FROM nope;\nSELECT 'three';\n", 1, "one\n", "error: stdin line 2: no such table: nope\n"},
	}
	for _, c := range cases {
		cmd := exec.Command("sh", "-c", `"$0" --root "$1" --no-header <<'EOF'`+"\n"+c.script+"EOF\n", bin, root)
		cmd.Env = []string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH")}
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			code = exitErr.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != c.code || stdout.String() != c.stdout || stderr.String() != c.errs {
			t.Errorf("heredoc %q: exit %d, stdout %q, stderr %q; want exit %d, %q, %q",
				c.script, code, stdout.String(), stderr.String(), c.code, c.stdout, c.errs)
		}
	}
}

func TestCLIPromptFlags(t *testing.T) {
	code, _, errOut := runCLI(t, "", "--init", "x.sql", "--no-init")
	if code != exitUsage || !strings.Contains(errOut, "--init and --no-init cannot be used together") {
		t.Errorf("--init with --no-init: exit %d, %q", code, errOut)
	}
	// The prompt's flags do not change a script.
	root := tablestest.Root(t, nil)
	code, out, errOut := runCLI(t, "SELECT 1;\n", "--root", root, "--no-header", "--no-history", "--no-init")
	if code != 0 || out != "1\n" || errOut != "" {
		t.Errorf("script with prompt flags: exit %d, %q, %q", code, out, errOut)
	}
	code, _, _ = runCLI(t, "", "--help")
	if code != 0 {
		t.Errorf("--help: exit %d", code)
	}
	_, out, _ = runCLI(t, "", "--help")
	for _, flag := range []string{"-init", "-no-init", "-no-history"} {
		if !strings.Contains(out, flag) {
			t.Errorf("--help lacks %s", flag)
		}
	}
}

// TestOneShotOnTerminal: a one-shot statement whose output is a terminal
// fits the table to it (or wraps, with --wrap) and escapes control bytes
// in tsv too; piped, nothing is shortened.
func TestOneShotOnTerminal(t *testing.T) {
	bin := tablestest.Netsql(t)
	root := tablestest.Root(t, nil)
	env := []string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH"), "TERM=xterm"}
	const query = "SELECT printf('%.100c', 'w') AS wide"
	size := &pty.Winsize{Rows: 24, Cols: 60}

	term := startTerminalSized(t, size, bin, env, "--root", root, query)
	term.expect("│ " + strings.Repeat("w", 55) + "… │\r\n")
	if code := term.wait(); code != 0 {
		t.Errorf("exit %d", code)
	}
	term = startTerminalSized(t, size, bin, env, "--root", root, "--wrap", query)
	term.expect("│ " + strings.Repeat("w", 56) + " │\r\n│ " + strings.Repeat("w", 44) + strings.Repeat(" ", 12) + " │\r\n")
	if code := term.wait(); code != 0 {
		t.Errorf("--wrap: exit %d", code)
	}
	term = startTerminalSized(t, size, bin, env, "--root", root, "-o", "tsv", "SELECT char(27) || '[2J' || char(155) AS v")
	term.expect("v\r\n\\x1b[2J\\xc2\\x9b\r\n")
	if code := term.wait(); code != 0 {
		t.Errorf("tsv: exit %d", code)
	}

	code, out, _ := runCLI(t, "", "--root", root, "-o", "table", query)
	if code != 0 || !strings.Contains(out, "│ "+strings.Repeat("w", 100)+" │\n") {
		t.Errorf("piped table: exit %d, a value was shortened:\n%s", code, out)
	}
}

// TestPagerAtPrompt: at the prompt, a result longer than the screen goes
// through $PAGER (here a sed that marks each line), a short one does not,
// .pager off stops it, and one-shot runs do not page.
func TestPagerAtPrompt(t *testing.T) {
	bin := tablestest.Netsql(t)
	root := tablestest.Root(t, nil)
	env := []string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH"), "TERM=xterm", "PAGER=sed s/^/paged:/"}
	size := &pty.Winsize{Rows: 12, Cols: 80}
	const long = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 30) SELECT 'row-' || x AS v FROM c;"

	term := startTerminalSized(t, size, bin, env, "--root", root, "--no-history")
	term.expect("netsql> ")
	term.send(long + "\r")
	term.expect("paged:│ row-1 ")
	term.expect("paged:│ row-30 ")
	term.expect("netsql> ")
	term.send("SELECT 'short' AS v;\r")
	term.expect("│ short │")
	term.expect("netsql> ")
	term.send(".pager off\r")
	term.expect("netsql> ")
	term.send(long + "\r")
	term.expect("\n│ row-30 ")
	term.expect("netsql> ")
	term.mu.Lock()
	shown := term.out.String()
	term.mu.Unlock()
	if n := strings.Count(shown, "paged:"); n != 34 {
		t.Errorf("%d lines went through the pager, want the 34 of the first result:\n%s", n, shown)
	}
	term.send(".quit\r")
	if code := term.wait(); code != 0 {
		t.Errorf("exit %d", code)
	}

	term = startTerminalSized(t, size, bin, env, "--root", root, long)
	term.expect("\n│ row-30 ")
	if code := term.wait(); code != 0 {
		t.Errorf("one-shot: exit %d", code)
	}
}
