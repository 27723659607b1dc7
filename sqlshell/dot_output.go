package sqlshell

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"netsql/sqlshell/output"
	"netsql/sqlshell/prompt"
	"netsql/sqlshell/sqltext"
)

// The dot-commands about output: .mode, .headers, .separator,
// .nullvalue, .width, .wrap, .pager, .output, .once.

// withOutput runs fn with the Shell's output pointed where results go
// now: the .once file (then closed), the .output file, or stdout: on the
// terminal, through the pager when .pager is on, and for tables through
// the line cutter. statement says fn runs SQL, which uses up a .once.
func (ss *session) withOutput(statement bool, fn func() error) error {
	saved, savedOnTerminal := ss.sh.out, ss.sh.onTerminal
	defer func() { ss.sh.out, ss.sh.onTerminal, ss.sh.stream = saved, savedOnTerminal, nil }()
	if ss.onceFile != nil && statement || ss.outFile != nil {
		ss.sh.onTerminal = false
	}
	var clip *clipWriter
	var pager *output.Pager
	switch {
	case ss.onceFile != nil && statement:
		ss.sh.out = bufio.NewWriterSize(ss.onceFile, 64<<10)
		ss.sh.stream = output.NewStream(false) // one statement, a document of its own
		defer func() {
			ss.onceFile.Close()
			ss.onceFile, ss.onceName = nil, ""
		}()
	case ss.outFile != nil:
		ss.sh.out = bufio.NewWriterSize(ss.outFile, 64<<10)
		ss.sh.stream = ss.runStream(ss.outFile)
	default:
		ss.sh.stream = ss.runStream(ss.stdout)
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

// inRun runs fn as one run (ARCHITECTURE.md, "Output"): the statements
// and dot-commands of text, a command line, a file or one input at the
// prompt. Its results share one stream per destination: tsv and csv repeat
// a header only when the columns change, and its JSON is one document, an
// array of rows when text holds one statement, else an array of results.
func (ss *session) inRun(text string, fn func() error) error {
	ss.endStream()
	ss.several, ss.shapeDeferred = runShape(text)
	err := fn()
	if cerr := ss.endStream(); err == nil && cerr != nil && !isClosedPipe(cerr) {
		err = fmt.Errorf("write output: %w", cerr)
	}
	ss.several, ss.shapeDeferred = false, false
	return err
}

// runShape tells whether text may print several results, and whether
// that is for the .run or .read that is its only command to decide (from
// the text it runs: nestedRun). The dot-commands that print a table
// through the output mode count as a result each.
func runShape(text string) (several, deferred bool) {
	results, nested := 0, 0
	for part := range scriptParts(text) {
		if !part.dot {
			results += len(sqltext.Split(part.text))
			continue
		}
		name, _, _ := strings.Cut(strings.TrimSpace(part.text), " ")
		name, _, _ = strings.Cut(name, "\t")
		cmd, _ := lookupDotCommand(dotCommands(), strings.TrimRight(name, ";"), true)
		if cmd == nil {
			continue
		}
		switch cmd.name {
		case ".run", ".read":
			nested++
		case ".tables", ".queries", ".param", ".indexes":
			results++
		}
	}
	if results == 0 && nested == 1 {
		return false, true
	}
	return results+2*nested > 1, false
}

// nestedRun lets the text of a .run or .read decide the run's shape when
// that command is all the run holds.
func (ss *session) nestedRun(text string) {
	if ss.shapeDeferred {
		ss.several, ss.shapeDeferred = runShape(text)
	}
}

// runStream returns the run's stream to dest, ending the one to another
// destination first.
func (ss *session) runStream(dest io.Writer) *output.Stream {
	if ss.stream == nil || ss.streamTo != dest {
		ss.endStream()
		ss.stream, ss.streamTo = output.NewStream(ss.several), dest
	}
	return ss.stream
}

// endStream ends the run's stream: it closes the JSON document of a run
// of several results.
func (ss *session) endStream() error {
	if ss.stream == nil {
		return nil
	}
	err := ss.stream.Close(ss.streamTo)
	if ferr := ss.stdout.Flush(); err == nil {
		err = ferr
	}
	ss.stream, ss.streamTo = nil, nil
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
	ss.endStream()
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
	// As in sqlite3, a mode starts with its own separators.
	ss.sh.Format.Separator, ss.sh.Format.RowSeparator = "", ""
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

// dotSeparator sets the separators of tsv and csv, read with sqlite3's
// escapes (\t, \n, \r, \\), for the current mode: .mode resets them.
func (ss *session) dotSeparator(_ context.Context, _ origin, args []string) error {
	if err := argCount(".separator", args, 1, 2, "COL [ROW]"); err != nil {
		return err
	}
	col, row := unescapeTSV(args[0]), ""
	if len(args) == 2 {
		row = unescapeTSV(args[1])
	}
	if col == "" {
		return fmt.Errorf(".separator: the column separator is empty")
	}
	if err := output.CheckSeparators(ss.sh.Format.Mode, col, row); err != nil {
		return fmt.Errorf(".separator: %w", err)
	}
	ss.sh.Format.Separator, ss.sh.Format.RowSeparator = col, row
	return nil
}

// unescapeTSV reads \t, \n, \r and \\ as the byte each stands for (the tsv
// mode's escapes, and sqlite3's in .separator); another backslash stays.
func unescapeTSV(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	return tsvEscapes.Replace(s)
}

var tsvEscapes = strings.NewReplacer(`\t`, "\t", `\n`, "\n", `\r`, "\r", `\\`, `\`)

// separatorSetting is how .show tells the separators.
func separatorSetting(col, row string) string {
	if col == "" && row == "" {
		return "the mode's own"
	}
	if row == "" {
		return fmt.Sprintf("%q", col)
	}
	return fmt.Sprintf("%q, rows %q", col, row)
}

func (ss *session) dotOutput(_ context.Context, _ origin, args []string) error {
	if err := argCount(".output", args, 0, 1, "[FILE]"); err != nil {
		return err
	}
	ss.endStream() // the results so far make a whole document where they went
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
