package main

import (
	"os"
	"testing"

	"netsql/tables/tablestest"
)

// TestREPLCtrlDWithAPendingStatement: Ctrl-D on a continuation line runs
// the statement when only its `;` is missing, or says in one line that it
// was dropped; either way netsql then leaves with exit 0. On the way, an
// abbreviated dot-command runs and completes its argument.
func TestREPLCtrlDWithAPendingStatement(t *testing.T) {
	bin := tablestest.Netsql(t)
	root := tablestest.Root(t, nil)
	env := []string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH"), "TERM=xterm", "LANG=C.UTF-8"}

	term := startTerminal(t, bin, env, "--root", root, "--no-history", "--no-init")
	term.expect("netsql> ")
	term.send(".tab process_s\t\r")
	term.expect(".tab process_sockets ")
	term.expect("one row per (process, file descriptor)")
	term.expect("netsql> ")
	term.send("SELECT 'ran-at-' ||\r")
	term.expect("   ...> ")
	term.send("'ctrl-d' AS answer\r")
	term.expect("   ...> ")
	term.waitRaw()
	term.send("\x04")
	term.expect("ran-at-ctrl-d")
	if code := term.wait(); code != 0 {
		t.Fatalf("exit code %d after Ctrl-D, want 0", code)
	}

	term = startTerminal(t, bin, env, "--root", root, "--no-history", "--no-init")
	term.expect("netsql> ")
	term.send("SELECT 'never\r")
	term.expect("   ...> ")
	term.waitRaw()
	term.send("\x04")
	term.expect("dropped the unfinished statement: SELECT 'never\r\n")
	if code := term.wait(); code != 0 {
		t.Fatalf("exit code %d after Ctrl-D, want 0", code)
	}
}
