package sqlshell

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"netsql/sqlshell/output"
	"netsql/sqlshell/prompt"
)

// The dot-commands about output: .mode, .headers, .nullvalue, .width,
// .wrap, .pager, .output, .once.

// withOutput runs fn with the Shell's output pointed where results go
// now: the .once file (then closed), the .output file, or stdout: on the
// terminal, through the pager when .pager is on, and for tables through
// the line cutter. statement says fn runs SQL, which uses up a .once.
func (ss *session) withOutput(statement bool, fn func() error) error {
	saved, savedOnTerminal := ss.sh.out, ss.sh.onTerminal
	defer func() { ss.sh.out, ss.sh.onTerminal = saved, savedOnTerminal }()
	if ss.onceFile != nil && statement || ss.outFile != nil {
		ss.sh.onTerminal = false
	}
	var clip *clipWriter
	var pager *output.Pager
	switch {
	case ss.onceFile != nil && statement:
		ss.sh.out = bufio.NewWriterSize(ss.onceFile, 64<<10)
		defer func() {
			ss.onceFile.Close()
			ss.onceFile, ss.onceName = nil, ""
		}()
	case ss.outFile != nil:
		ss.sh.out = bufio.NewWriterSize(ss.outFile, 64<<10)
	default:
		var w io.Writer = ss.stdout
		if pager = ss.newPager(); pager != nil {
			ss.stdout.Flush() // the pager writes to the terminal itself
			w = pager
		}
		if cols := ss.termCols(); cols > 0 && ss.sh.Format.Mode == "table" {
			// The table fits itself to the width; this only cuts the
			// lines of a table whose columns cannot all be narrowed enough.
			clip = &clipWriter{w: w, width: cols}
			w = clip
		}
		ss.sh.out = ss.stdout
		if w != io.Writer(ss.stdout) {
			ss.sh.out = bufio.NewWriterSize(w, 64<<10)
		}
	}
	err := fn()
	if ferr := ss.sh.out.Flush(); err == nil && ferr != nil {
		err = fmt.Errorf("write output: %w", ferr)
	}
	if clip != nil {
		clip.finish()
		if clip.cut {
			defer fmt.Fprintf(ss.sh.errOut, "(rows wider than the terminal's %d columns were cut: .mode line shows every column)\n", clip.width)
		}
	}
	if pager != nil {
		if perr := pager.Close(); err == nil && perr != nil {
			err = fmt.Errorf("write output: %w", perr)
		}
		if pager.Started() && (errors.Is(err, ErrOutputClosed) || isClosedPipe(err)) {
			err = nil // the user left the pager before the end
		}
	}
	ss.stdout.Flush()
	return err
}

// newPager returns the pager results go through now: at the prompt on the
// terminal with .pager on and a pager to run; else nil.
func (ss *session) newPager() *output.Pager {
	if !ss.pager || !ss.sh.onTerminal || ss.sh.term == nil {
		return nil
	}
	cols, rows := ss.sh.termSize()
	command := output.PagerCommand()
	if rows < 2 || command == "" {
		return nil
	}
	return output.NewPager(command, ss.sh.term, ss.stdout, cols, rows, ss.sh.errOut)
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

func (ss *session) dotPager(_ context.Context, _ origin, args []string) error {
	on, err := parseOnOff(".pager", args)
	if err == nil {
		ss.pager = on
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
