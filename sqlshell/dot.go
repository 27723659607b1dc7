package sqlshell

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"sort"
	"strings"
	"syscall"
	"time"

	"netsql/queries"
	"netsql/sqlshell/output"
	"netsql/sqlshell/prompt"
	"netsql/sqlshell/sqltext"
)

// session is the state the prompt and the dot-commands keep beside the
// Shell: where results go (.output, .once), .timer, .snapshot, and the
// words Tab completes.
type session struct {
	sh    *Shell
	vocab *prompt.Vocabulary

	stdout   *bufio.Writer // the shell's own output, restored by .output without a file
	outFile  *os.File      // .output FILE, nil for stdout
	outName  string
	onceFile *os.File // .once FILE, for the next statement only
	onceName string

	timer    bool
	snapshot bool
	pager    bool // long output on the terminal goes through $PAGER (.pager; on at the prompt)
	eqp      bool // .eqp: print each statement's query plan first
	echo     bool // .echo: print each statement and command first
	// bail ends a script at its first error (.bail, on by default);
	// with it off, errors are reported, counted in failures, and the
	// script goes on.
	bail     bool
	failures int
	history  string // the history file, for .show; "" for none
	depth    int    // .read and .run nesting
	quit     bool   // .quit or .exit ran
	// completing says Tab completion is in use: the user's tables are
	// read again after each statement.
	completing bool

	// The run in progress (inRun): the stream of its results to where they
	// go (streamTo: stdout or the .output file), whether it may print
	// several results (its JSON is then an array of results), and whether
	// that is for a .run or .read to decide, being the run's only command.
	stream        *output.Stream
	streamTo      io.Writer
	several       bool
	shapeDeferred bool

	// loadQueries reads the saved queries (queries.Load of the user's
	// directory); tests replace it.
	loadQueries func() ([]queries.Query, error)
}

func newSession(sh *Shell) *session {
	ss := &session{sh: sh, stdout: sh.out, vocab: &prompt.Vocabulary{}, bail: true}
	ss.loadQueries = func() ([]queries.Query, error) { return queries.Load(queries.UserDir()) }
	ss.vocab.Queries = func() []string {
		list, _ := ss.loadQueries()
		names := make([]string, len(list))
		for i, q := range list {
			names[i] = q.Name
		}
		return names
	}
	ss.vocab.Params = func() []string {
		var names []string
		for name := range sh.Params() {
			names = append(names, name)
		}
		sort.Strings(names)
		return names
	}
	return ss
}

// origin says where a command came from: typed at the prompt, or read
// from a file, a saved query or standard input, which may not write files
// unless the Shell allows it.
type origin struct {
	name        string // the file or "query NAME"; "" at the prompt
	interactive bool
}

var promptOrigin = origin{interactive: true}

// RunInput runs text as a script: SQL statements and, on lines of their
// own, dot-commands, in order, stopping at the first that fails (unless
// the script says .bail off: then each error is printed on stderr, the
// script goes on, and RunInput ends with an error counting them). name
// (a file, "stdin") locates errors. Dot-commands that write files are
// refused unless the engine allows writing (--allow-write).
func (s *Shell) RunInput(ctx context.Context, name, text string) error {
	ss := newSession(s)
	defer ss.closeOutput()
	if err := ss.inRun(text, func() error { return ss.runText(ctx, origin{name: name}, text) }); err != nil {
		return err
	}
	if ss.failures > 0 {
		return fmt.Errorf("%s: %d statements or commands failed (.bail off)", name, ss.failures)
	}
	return nil
}

// runText runs the statements and dot-commands of text.
func (ss *session) runText(ctx context.Context, from origin, text string) error {
	for part := range scriptParts(text) {
		if ss.quit {
			return nil
		}
		if part.dot {
			if err := ss.goOn(ctx, from, locate(ss.dot(ctx, from, part.text), from.name, part.line)); err != nil {
				return err
			}
			continue
		}
		if err := ss.runStatements(ctx, from, part.text, part.line); err != nil {
			return err
		}
	}
	return nil
}

// scriptPart is one part of a script: a dot-command line, or SQL text of
// one or more statements; line is where it starts.
type scriptPart struct {
	dot  bool
	text string
	line int
}

// scriptParts splits text into its dot-commands and its SQL, in order. A
// line is a dot-command when no statement is pending.
func scriptParts(text string) iter.Seq[scriptPart] {
	return func(yield func(scriptPart) bool) {
		var pending strings.Builder
		pendingLine := 0
		busy := false // pending holds SQL or an open comment: no dot-command now
		for i, line := range strings.SplitAfter(text, "\n") {
			if !busy && isDotLine(line) {
				pending.Reset()
				if !yield(scriptPart{dot: true, text: line, line: i + 1}) {
					return
				}
				continue
			}
			if !busy {
				pending.Reset() // blank lines and finished comments
				pendingLine = i + 1
			}
			pending.WriteString(line)
			if !busy {
				busy = !noStatement(pending.String())
			}
			// Only a line with a `;` can finish a statement; checking no
			// other keeps a long statement from being rescanned per line.
			if strings.Contains(line, ";") && sqltext.Complete(pending.String()) {
				if !yield(scriptPart{text: pending.String(), line: pendingLine}) {
					return
				}
				pending.Reset()
				busy = false
			}
		}
		if pending.Len() > 0 {
			yield(scriptPart{text: pending.String(), line: pendingLine})
		}
	}
}

// runStatements runs the statements of text, which starts on line first
// of its origin, and stops at the first that fails (see goOn).
func (ss *session) runStatements(ctx context.Context, from origin, text string, first int) error {
	for _, st := range sqltext.Split(text) {
		if ss.quit {
			return nil
		}
		err := ss.runSQL(ctx, st.Text)
		var se *StatementError
		if from.name != "" && errors.As(err, &se) && se.Where == "" {
			se.Where = fmt.Sprintf("%s line %d", from.name, first+st.Line-1)
		}
		if err := ss.goOn(ctx, from, err); err != nil {
			return err
		}
	}
	return nil
}

// goOn decides whether a script goes on after err: it returns err to stop
// it, or nil once it has printed and counted err because .bail is off. The
// prompt's own lines stop at an error (the prompt reports it and carries
// on anyway), and so does every script when ctx ends or the reader of the
// output has gone.
func (ss *session) goOn(ctx context.Context, from origin, err error) error {
	if err == nil || ss.bail || from.interactive || ctx.Err() != nil || errors.Is(err, ErrOutputClosed) || isClosedPipe(err) {
		return err
	}
	ss.report(err)
	ss.failures++
	return nil
}

// locate names the file and line of a failed dot-command.
func locate(err error, name string, line int) error {
	var se *StatementError
	if err == nil || name == "" || errors.As(err, &se) || errors.Is(err, context.Canceled) {
		return err
	}
	return fmt.Errorf("%s line %d: %w", name, line, err)
}

// noStatement reports whether text holds no SQL yet: only white space and
// finished comments.
func noStatement(text string) bool {
	sc := sqltext.Scanner{Src: text}
	for sc.Pos < len(text) {
		kind, tok := sc.Next()
		switch kind {
		case sqltext.Word, sqltext.Other, sqltext.Unterminated:
			return false
		case sqltext.Comment:
			if strings.HasPrefix(tok, "/*") && (len(tok) < 4 || !strings.HasSuffix(tok, "*/")) {
				return false
			}
		}
	}
	return true
}

// isDotLine reports whether line is a dot-command: its first character
// (after blanks) is a dot.
func isDotLine(line string) bool {
	return strings.HasPrefix(strings.TrimLeft(line, " \t"), ".")
}

// runSQL runs one statement into the current output, after its text
// (.echo) and its query plan (.eqp), and times it when .timer is on (a
// statement that fails reports its error instead).
func (ss *session) runSQL(ctx context.Context, query string) error {
	var before syscall.Rusage
	start := time.Now()
	if ss.timer {
		syscall.Getrusage(syscall.RUSAGE_SELF, &before)
	}
	err := ss.withOutput(true, func() error {
		if ss.echo {
			if _, err := io.WriteString(ss.sh.out, query+"\n"); err != nil {
				return err
			}
		}
		if ss.eqp && !isExplain(query) {
			// A statement that cannot be planned fails below, once.
			if plan, err := ss.queryPlan(ctx, query); err == nil {
				if _, err := io.WriteString(ss.sh.out, plan); err != nil {
					return err
				}
			}
		}
		return ss.sh.Exec(ctx, query)
	})
	if ss.timer && err == nil {
		var after syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &after)
		fmt.Fprintf(ss.sh.errOut, "Run Time: real %.3f user %.3f sys %.3f\n", time.Since(start).Seconds(),
			seconds(after.Utime)-seconds(before.Utime), seconds(after.Stime)-seconds(before.Stime))
	}
	if ss.completing {
		ss.refreshTables(context.WithoutCancel(ctx)) // also after Ctrl-C
	}
	return err
}

func seconds(tv syscall.Timeval) float64 {
	return float64(tv.Sec) + float64(tv.Usec)/1e6
}

// dotCommand is one of the prompt's dot-commands.
type dotCommand struct {
	name   string
	usage  string // the arguments, for .help
	help   string
	writes bool // writes a file: refused outside the prompt unless --allow-write
	// rawArgs hands run the rest of the line as one argument, quotes and
	// all (SQL for .explain).
	rawArgs bool
	run     func(ss *session, ctx context.Context, from origin, args []string) error
	// complete lists candidates for the argument after args.
	complete func(v *prompt.Vocabulary, args []string, current string) []prompt.Candidate
}

// dotCommands lists the dot-commands in the order .help shows them.
func dotCommands() []dotCommand {
	onOff := func(v *prompt.Vocabulary, args []string, _ string) []prompt.Candidate {
		if len(args) == 0 {
			return []prompt.Candidate{{Word: "on", Tail: " "}, {Word: "off", Tail: " "}}
		}
		return nil
	}
	tableArg := func(v *prompt.Vocabulary, args []string, _ string) []prompt.Candidate {
		if len(args) == 0 {
			return prompt.NameCandidates(v.TableNames(), " ")
		}
		return nil
	}
	fileArg := func(v *prompt.Vocabulary, args []string, current string) []prompt.Candidate {
		if len(args) == 0 {
			return prompt.FileCandidates(current)
		}
		return nil
	}
	return []dotCommand{
		{name: ".help", usage: "[COMMAND]", help: "list the dot-commands (those COMMAND begins)", run: (*session).dotHelp,
			complete: func(v *prompt.Vocabulary, args []string, _ string) []prompt.Candidate {
				if len(args) == 0 {
					var names []string
					for _, c := range dotCommands() {
						names = append(names, c.name)
					}
					return prompt.NameCandidates(names, " ")
				}
				return nil
			}},
		{name: ".tables", usage: "[PATTERN]", help: "list the tables (LIKE PATTERN)", run: (*session).dotTables, complete: tableArg},
		{name: ".schema", usage: "[TABLE]", help: "show CREATE TABLE with each column's description", run: (*session).dotSchema, complete: tableArg},
		{name: ".indexes", usage: "[TABLE]", help: "the lookups each table serves: key columns, hash lookups, your indexes", run: (*session).dotIndexes, complete: tableArg},
		{name: ".mode", usage: "MODE", help: "output mode: " + output.ModeHelp, run: (*session).dotMode,
			complete: func(v *prompt.Vocabulary, args []string, _ string) []prompt.Candidate {
				if len(args) == 0 {
					return prompt.NameCandidates(output.Modes, " ")
				}
				return nil
			}},
		{name: ".headers", usage: "on|off", help: "print column names", run: (*session).dotHeaders, complete: onOff},
		{name: ".separator", usage: "COL [ROW]", help: "separators of tsv and csv (\\t \\n \\r read as escapes); .mode resets them", run: (*session).dotSeparator},
		{name: ".nullvalue", usage: "[TEXT]", help: "print NULL as TEXT (no TEXT: the mode's default)", run: (*session).dotNullValue},
		{name: ".width", usage: "[N ...]", help: "table column widths in order: 0 automatic, -N right-aligned (none: all automatic)", run: (*session).dotWidth},
		{name: ".wrap", usage: "on|off", help: "wrap long table values onto more lines instead of shortening them with …", run: (*session).dotWrap, complete: onOff},
		{name: ".pager", usage: "on|off", help: "show results longer than the screen through $PAGER (default less -FRX; on at the prompt)", run: (*session).dotPager, complete: onOff},
		{name: ".timer", usage: "on|off", help: "print the real and CPU time of each statement (on stderr)", run: (*session).dotTimer, complete: onOff},
		{name: ".eqp", usage: "on|off", help: "print each statement's EXPLAIN QUERY PLAN before its result", run: (*session).dotEQP, complete: onOff},
		{name: ".explain", usage: "STATEMENT | on|off", help: "print a statement's plan without running it; on|off is .eqp", rawArgs: true, run: (*session).dotExplain, complete: onOff},
		{name: ".snapshot", usage: "on|off", help: "keep one snapshot across statements until .refresh", run: (*session).dotSnapshot, complete: onOff},
		{name: ".refresh", help: "drop the kept snapshot: the next statement collects afresh", run: (*session).dotRefresh},
		{name: ".netns", usage: "[all | self | NAME | PID | PATH ...]", help: "the network namespaces statements read (--netns); no argument: show them", run: (*session).dotNetns},
		{name: ".param", usage: "set NAME VALUE | unset NAME | list | clear", help: "bind :NAME in later statements", run: (*session).dotParam,
			complete: func(v *prompt.Vocabulary, args []string, _ string) []prompt.Candidate {
				switch {
				case len(args) == 0:
					return prompt.NameCandidates([]string{"set", "unset", "list", "clear"}, " ")
				case len(args) == 1 && (args[0] == "unset" || args[0] == "set") && v.Params != nil:
					return prompt.NameCandidates(v.Params(), " ")
				}
				return nil
			}},
		{name: ".run", usage: "NAME", help: "run a saved query", run: (*session).dotRun,
			complete: func(v *prompt.Vocabulary, args []string, _ string) []prompt.Candidate {
				if len(args) == 0 && v.Queries != nil {
					return prompt.NameCandidates(v.Queries(), " ")
				}
				return nil
			}},
		{name: ".queries", help: "list the saved queries", run: (*session).dotQueries},
		{name: ".read", usage: "FILE", help: "run the statements and dot-commands in FILE", run: (*session).dotRead, complete: fileArg},
		{name: ".echo", usage: "on|off", help: "print each statement and dot-command before running it", run: (*session).dotEcho, complete: onOff},
		{name: ".bail", usage: "on|off", help: "stop a script (-f, stdin, .read, .run) at its first error (on)", run: (*session).dotBail, complete: onOff},
		{name: ".print", usage: "[TEXT...]", help: "print TEXT", run: (*session).dotPrint},
		{name: ".dump", usage: "[TABLE]", help: "your tables, their rows, views, indexes as SQL (not netsql's tables)", run: (*session).dotDump, complete: tableArg},
		{name: ".import", usage: "[--csv|--tsv] [--skip N] FILE TABLE", help: "load a CSV/TSV file into TABLE (made from the header if absent)", run: (*session).dotImport,
			complete: func(v *prompt.Vocabulary, args []string, current string) []prompt.Candidate {
				var plain []string
				for i := 0; i < len(args); i++ {
					switch {
					case args[i] == "--skip":
						i++
					case !strings.HasPrefix(args[i], "--"):
						plain = append(plain, args[i])
					}
				}
				switch {
				case len(args) > 0 && args[len(args)-1] == "--skip":
					return nil
				case len(plain) == 0 && strings.HasPrefix(current, "-"):
					return prompt.NameCandidates([]string{"--csv", "--tsv", "--skip"}, " ")
				case len(plain) == 0:
					return prompt.FileCandidates(current)
				case len(plain) == 1:
					return prompt.NameCandidates(v.TableNames(), " ")
				}
				return nil
			}},
		{name: ".output", usage: "[FILE]", help: "send results to FILE (no FILE: back to the terminal)", writes: true, run: (*session).dotOutput, complete: fileArg},
		{name: ".once", usage: "FILE", help: "send the next statement's result to FILE", writes: true, run: (*session).dotOnce, complete: fileArg},
		{name: ".save", usage: "[--force] FILE [TABLE ...]", help: "write one moment of every table (or those named) to the SQLite FILE, as --save", writes: true, run: (*session).dotSave, complete: fileArg},
		{name: ".show", help: "show the current settings", run: (*session).dotShow},
		{name: ".shell", usage: "COMMAND", help: "refused: netsql runs no other programs", run: refuseCommand},
		{name: ".system", usage: "COMMAND", help: "refused: netsql runs no other programs", run: refuseCommand},
		{name: ".quit", help: "leave netsql (also .q, .exit and Ctrl-D)", run: (*session).dotQuit},
		{name: ".exit", help: "leave netsql", run: (*session).dotQuit},
	}
}

// promptCommands is the view of the dot-commands that completion reads.
func promptCommands() []prompt.Command {
	cmds := dotCommands()
	out := make([]prompt.Command, len(cmds))
	for i, c := range cmds {
		out[i] = prompt.Command{Name: c.name, Complete: c.complete}
	}
	return out
}

// findDotCommand returns the command called name, or nil.
func findDotCommand(cmds []dotCommand, name string) *dotCommand {
	for i := range cmds {
		if cmds[i].name == name {
			return &cmds[i]
		}
	}
	return nil
}

// fixedAbbreviation is the command a short form sqlite3 users type stands
// for where it is not a unique prefix: .q is .quit (not .queries), and .h
// is .help, or .headers when an argument follows (sqlite3's `.h on`).
func fixedAbbreviation(name string, hasArgs bool) string {
	switch name {
	case ".q":
		return ".quit"
	case ".h":
		if hasArgs {
			return ".headers"
		}
		return ".help"
	}
	return ""
}

// lookupDotCommand finds the command a typed name stands for: the command
// of that exact name, else a fixed abbreviation, else the one command the
// name begins. When several begin with it, it returns them as candidates.
func lookupDotCommand(cmds []dotCommand, name string, hasArgs bool) (*dotCommand, []string) {
	if cmd := findDotCommand(cmds, name); cmd != nil {
		return cmd, nil
	}
	if full := fixedAbbreviation(name, hasArgs); full != "" {
		return findDotCommand(cmds, full), nil
	}
	if len(name) < 2 {
		return nil, nil
	}
	var found []int
	for i := range cmds {
		if strings.HasPrefix(cmds[i].name, name) {
			found = append(found, i)
		}
	}
	if len(found) == 1 {
		return &cmds[found[0]], nil
	}
	candidates := make([]string, len(found))
	for i, j := range found {
		candidates[i] = cmds[j].name
	}
	return nil, candidates
}

// ambiguousCommand is the error for a name several commands begin with,
// naming the first six.
func ambiguousCommand(name string, candidates []string) error {
	const shown = 6
	list := strings.Join(candidates[:min(len(candidates), shown)], ", ")
	if len(candidates) > shown {
		list += ", ..."
	}
	return fmt.Errorf("ambiguous command %s: %s (type more of the name)", name, list)
}

// resolveDotName is lookupDotCommand for completion: the full name of the
// command whose arguments are being typed, "" when there is none.
func resolveDotName(name string) string {
	cmd, _ := lookupDotCommand(dotCommands(), name, true)
	if cmd == nil {
		return ""
	}
	return cmd.name
}

// dot runs one dot-command line. With .echo on the line is printed first.
func (ss *session) dot(ctx context.Context, from origin, line string) error {
	line = strings.TrimSpace(line)
	if ss.echo {
		if err := ss.printText(line + "\n"); err != nil {
			return err
		}
	}
	name, rest := line, ""
	if i := strings.IndexAny(line, " \t"); i >= 0 {
		name, rest = line[:i], strings.TrimSpace(line[i+1:])
	}
	name = strings.TrimRight(name, ";")
	cmds := dotCommands()
	cmd, candidates := lookupDotCommand(cmds, name, strings.Trim(rest, "; \t") != "")
	switch {
	case len(candidates) > 0:
		return ambiguousCommand(name, candidates)
	case cmd == nil:
		if s := closestCommand(cmds, name); s != "" {
			return fmt.Errorf("unknown command %s: did you mean %s? (.help lists them)", name, s)
		}
		return fmt.Errorf("unknown command %s (.help lists them)", name)
	}
	var args []string
	if cmd.rawArgs {
		if text := strings.TrimSpace(strings.TrimRight(rest, "; \t")); text != "" {
			args = []string{text}
		}
	} else {
		var err error
		if args, err = splitDotArgs(rest); err != nil {
			return err
		}
	}
	if cmd.writes && !from.interactive && !ss.sh.allowWrite() {
		return fmt.Errorf("refused: %s writes a file; run with --allow-write to allow it", cmd.name)
	}
	return cmd.run(ss, ctx, from, args)
}

// splitDotArgs splits a dot-command's arguments (or a whole line) into
// words; 'single' and "double" quotes keep blanks in a word. A `;` ending
// the last word is dropped, as typed from habit (.mode csv;); a `;` that
// is a word of its own is an argument (.separator ;).
func splitDotArgs(line string) ([]string, error) {
	line = strings.TrimSpace(line)
	if trimmed := strings.TrimRight(line, ";"); trimmed != "" && !strings.HasSuffix(trimmed, " ") && !strings.HasSuffix(trimmed, "\t") {
		line = trimmed
	}
	var args []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '\'' || c == '"':
			j := strings.IndexByte(line[i+1:], c)
			if j < 0 {
				return nil, fmt.Errorf("unterminated %c in %s", c, line)
			}
			cur.WriteString(line[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == ' ' || c == '\t':
			if inWord {
				args = append(args, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		args = append(args, cur.String())
	}
	return args, nil
}

// closestCommand suggests what a name that is no command's prefix was
// meant to be: the nearest within two edits; "" when none is near.
func closestCommand(cmds []dotCommand, name string) string {
	best, bestDist := "", 3
	for _, cmd := range cmds {
		if d := editDistance(name, cmd.name); d < bestDist {
			best, bestDist = cmd.name, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// argCount checks the number of arguments of a command.
func argCount(cmd string, args []string, lo, hi int, usage string) error {
	if len(args) < lo || hi >= 0 && len(args) > hi {
		return fmt.Errorf("usage: %s %s", cmd, usage)
	}
	return nil
}

// parseOnOff reads on|off (also yes/no, true/false, 1/0).
func parseOnOff(cmd string, args []string) (bool, error) {
	if len(args) == 1 {
		switch strings.ToLower(args[0]) {
		case "on", "yes", "true", "1":
			return true, nil
		case "off", "no", "false", "0":
			return false, nil
		}
	}
	return false, fmt.Errorf("usage: %s on|off", cmd)
}

// printResult prints a dot-command's table in the current mode to the current output.
func (ss *session) printResult(columns []string, rows [][]any) error {
	return ss.withOutput(false, func() error {
		w, err := ss.sh.resultWriter(ss.sh.out)
		if err != nil {
			return err
		}
		return output.WriteAll(w, columns, rows)
	})
}

// printText prints text as it is to the current output; on the terminal,
// escaped and wrapped to its width (output.ForTerminal).
func (ss *session) printText(text string) error {
	return ss.withOutput(false, func() error {
		if ss.sh.onTerminal {
			text = output.ForTerminal(text, ss.termCols())
		}
		_, err := io.WriteString(ss.sh.out, text)
		return err
	})
}
