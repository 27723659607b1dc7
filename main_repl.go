package main

import (
	"fmt"
	"io"
	"os"
	"syscall"

	"netsql/sqlshell"
	"netsql/sqlshell/prompt"
	"netsql/tables/kernel"
)

// runREPL runs the interactive prompt on the terminal in: Ctrl-C cancels
// a statement, never the session; SIGTERM ends it with exit 143.
func runREPL(o *options, src *kernel.Source, in *os.File, stdout, stderr io.Writer) int {
	ctx, caught, stop := signalContext(syscall.SIGTERM)
	defer stop()

	eng, sh, err := openShell(ctx, o, src, stdout, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "netsql: %v\n", err)
		return exitFailed
	}
	defer eng.Close()

	opt := sqlshell.REPLOptions{In: in, Out: stdout, Version: version}
	if !isTerminal(stdout) {
		opt.Out = stderr // results go to a file or a pipe; prompts stay on the terminal
	}
	if !o.noHistory {
		opt.HistoryFile = prompt.HistoryPath()
	}
	switch {
	case o.initFile != "":
		opt.InitFile, opt.InitRequired = o.initFile, true
	case !o.noInit:
		opt.InitFile = prompt.InitPath()
	}
	err = sh.REPL(ctx, opt)
	if caught() != nil {
		return exitTerminated
	}
	if err != nil {
		fmt.Fprintf(stderr, "netsql: %v\n", err)
		return exitFailed
	}
	return exitOK
}
