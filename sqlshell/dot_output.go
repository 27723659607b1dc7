package sqlshell

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"

	"netsql/sqlshell/output"
	"netsql/sqlshell/prompt"
)

// The dot-commands about output: .mode, .headers, .nullvalue, .width,
// .wrap, .output, .once.

// withOutput runs fn with the Shell's output pointed where results go
// now: the .once file (then closed), the .output file, or stdout, cut at
// the terminal's width for tables. statement says fn runs SQL, which
// uses up a .once.
func (ss *session) withOutput(statement bool, fn func() error) error {
	saved, savedOnTerminal := ss.sh.out, ss.sh.onTerminal
	defer func() { ss.sh.out, ss.sh.onTerminal = saved, savedOnTerminal }()
	if ss.onceFile != nil && statement || ss.outFile != nil {
		ss.sh.onTerminal = false
	}
	var clip *clipWriter
	switch {
	case ss.onceFile != nil && statement:
		ss.sh.out = bufio.NewWriterSize(ss.onceFile, 64<<10)
		defer func() {
			ss.onceFile.Close()
			ss.onceFile, ss.onceName = nil, ""
		}()
	case ss.outFile != nil:
		ss.sh.out = bufio.NewWriterSize(ss.outFile, 64<<10)
	case ss.sh.onTerminal && ss.sh.Format.Mode == "table" && ss.termCols() > 0:
		// The table fits itself to the width; this only cuts the lines of
		// a table whose columns cannot all be narrowed enough.
		clip = &clipWriter{w: ss.stdout, width: ss.termCols()}
		ss.sh.out = bufio.NewWriterSize(clip, 64<<10)
	default:
		ss.sh.out = ss.stdout
	}
	err := fn()
	if ferr := ss.sh.out.Flush(); err == nil && ferr != nil {
		err = fmt.Errorf("write output: %w", ferr)
	}
	if clip != nil {
		clip.finish()
		ss.stdout.Flush()
		if clip.cut {
			fmt.Fprintf(ss.sh.errOut, "(rows wider than the terminal's %d columns were cut: .mode line shows every column)\n", clip.width)
		}
	}
	return err
}

// termCols is the terminal's width when results go to it, else 0.
func (ss *session) termCols() int {
	if !ss.sh.onTerminal {
		return 0
	}
	cols, _ := ss.sh.termSize()
	return cols
}

// closeOutput ends .output and .once redirection.
func (ss *session) closeOutput() {
	for _, f := range []*os.File{ss.outFile, ss.onceFile} {
		if f != nil {
			f.Close()
		}
	}
	ss.outFile, ss.outName, ss.onceFile, ss.onceName = nil, "", nil, ""
}

func (ss *session) dotMode(_ context.Context, _ origin, args []string) error {
	if len(args) == 0 {
		return ss.printText(ss.sh.Format.Mode + "\n")
	}
	if err := argCount(".mode", args, 1, 1, "MODE"); err != nil {
		return err
	}
	mode, err := output.Lookup(args[0])
	if err != nil {
		return fmt.Errorf(".mode: %w", err)
	}
	ss.sh.Format.Mode = mode
	return nil
}

func (ss *session) dotHeaders(_ context.Context, _ origin, args []string) error {
	on, err := parseOnOff(".headers", args)
	if err == nil {
		ss.sh.Format.Headers = on
	}
	return err
}

func (ss *session) dotNullValue(_ context.Context, _ origin, args []string) error {
	if err := argCount(".nullvalue", args, 0, 1, "[TEXT]"); err != nil {
		return err
	}
	if len(args) == 0 {
		ss.sh.Format.Null, ss.sh.Format.NullSet = "", false
		return nil
	}
	ss.sh.Format.Null, ss.sh.Format.NullSet = args[0], true
	return nil
}

func (ss *session) dotWidth(_ context.Context, _ origin, args []string) error {
	widths := make([]int, len(args))
	for i, arg := range args {
		n, err := strconv.Atoi(arg)
		if err != nil {
			return fmt.Errorf(".width %s: not a whole number (usage: .width [N ...])", arg)
		}
		widths[i] = n
	}
	ss.sh.Format.Widths = widths
	return nil
}

func (ss *session) dotWrap(_ context.Context, _ origin, args []string) error {
	on, err := parseOnOff(".wrap", args)
	if err == nil {
		ss.sh.Format.Wrap = on
	}
	return err
}

func (ss *session) dotOutput(_ context.Context, _ origin, args []string) error {
	if err := argCount(".output", args, 0, 1, "[FILE]"); err != nil {
		return err
	}
	if len(args) == 0 || args[0] == "stdout" {
		if ss.outFile != nil {
			err := ss.outFile.Close()
			ss.outFile, ss.outName = nil, ""
			return err
		}
		return nil
	}
	f, err := os.Create(prompt.ExpandHome(args[0]))
	if err != nil {
		return err
	}
	if ss.outFile != nil {
		ss.outFile.Close()
	}
	ss.outFile, ss.outName = f, args[0]
	return nil
}

func (ss *session) dotOnce(_ context.Context, _ origin, args []string) error {
	if err := argCount(".once", args, 1, 1, "FILE"); err != nil {
		return err
	}
	f, err := os.Create(prompt.ExpandHome(args[0]))
	if err != nil {
		return err
	}
	if ss.onceFile != nil {
		ss.onceFile.Close()
	}
	ss.onceFile, ss.onceName = f, args[0]
	return nil
}
