package sqlshell

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"syscall"
	"time"

	"netsql/queries"
	"netsql/sqlshell/output"
	"netsql/tables/engine"
)

// session is the state the prompt and the dot-commands keep beside the
// Shell: where results go (.output, .once), .timer, .snapshot, and the
// words Tab completes.
type session struct {
	sh    *Shell
	vocab *vocabulary

	stdout   *bufio.Writer // the shell's own output, restored by .output without a file
	outFile  *os.File      // .output FILE, nil for stdout
	outName  string
	onceFile *os.File // .once FILE, for the next statement only
	onceName string
	// termWidth is the terminal's width when results go to it (table rows
	// wider than it are cut); nil otherwise.
	termWidth func() int

	timer    bool
	snapshot bool
	history  string // the history file, for .show; "" for none
	depth    int    // .read and .run nesting
	quit     bool   // .quit or .exit ran
	// completing says Tab completion is in use: the user's tables are
	// read again after each statement.
	completing bool

	// loadQueries reads the saved queries (queries.Load of the user's
	// directory); tests replace it.
	loadQueries func() ([]queries.Query, error)
}

func newSession(sh *Shell) *session {
	ss := &session{sh: sh, stdout: sh.out, vocab: &vocabulary{}}
	ss.loadQueries = func() ([]queries.Query, error) { return queries.Load(queries.UserDir()) }
	ss.vocab.queries = func() []string {
		list, _ := ss.loadQueries()
		names := make([]string, len(list))
		for i, q := range list {
			names[i] = q.Name
		}
		return names
	}
	ss.vocab.params = func() []string {
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
// own, dot-commands, in order, stopping at the first that fails. name
// (a file, "stdin") locates errors. Dot-commands that write files are
// refused unless the engine allows writing (--allow-write).
func (s *Shell) RunInput(ctx context.Context, name, text string) error {
	ss := newSession(s)
	defer ss.closeOutput()
	return ss.runText(ctx, origin{name: name}, text)
}

// runText runs the statements and dot-commands of text. A line is a
// dot-command when no statement is pending.
func (ss *session) runText(ctx context.Context, from origin, text string) error {
	var pending strings.Builder
	pendingLine := 0
	busy := false // pending holds SQL or an open comment: no dot-command now
	for i, line := range strings.SplitAfter(text, "\n") {
		if ss.quit {
			return nil
		}
		if !busy && isDotLine(line) {
			pending.Reset()
			if err := ss.dot(ctx, from, line); err != nil {
				return locate(err, from.name, i+1)
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
		if strings.Contains(line, ";") && Complete(pending.String()) {
			if err := ss.runStatements(ctx, from, pending.String(), pendingLine); err != nil {
				return err
			}
			pending.Reset()
			busy = false
		}
	}
	return ss.runStatements(ctx, from, pending.String(), pendingLine)
}

// runStatements runs the statements of text, which starts on line first
// of its origin, and stops at the first that fails.
func (ss *session) runStatements(ctx context.Context, from origin, text string, first int) error {
	for _, st := range Split(text) {
		if ss.quit {
			return nil
		}
		err := ss.runSQL(ctx, st.Text)
		var se *StatementError
		if from.name != "" && errors.As(err, &se) && se.Where == "" {
			se.Where = fmt.Sprintf("%s line %d", from.name, first+st.Line-1)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// locate names the file and line of a failed dot-command.
func locate(err error, name string, line int) error {
	var se *StatementError
	if name == "" || errors.As(err, &se) || errors.Is(err, context.Canceled) {
		return err
	}
	return fmt.Errorf("%s line %d: %w", name, line, err)
}

// noStatement reports whether text holds no SQL yet: only white space and
// finished comments.
func noStatement(text string) bool {
	sc := scanner{src: text}
	for sc.pos < len(text) {
		kind, tok := sc.next()
		switch kind {
		case tokWord, tokOther, tokUnterminated:
			return false
		case tokComment:
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

// runSQL runs one statement into the current output, timing it when
// .timer is on (a statement that fails reports its error instead).
func (ss *session) runSQL(ctx context.Context, query string) error {
	var before syscall.Rusage
	start := time.Now()
	if ss.timer {
		syscall.Getrusage(syscall.RUSAGE_SELF, &before)
	}
	err := ss.withOutput(true, func() error { return ss.sh.Exec(ctx, query) })
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

// withOutput runs fn with the Shell's output pointed where results go
// now: the .once file (then closed), the .output file, or stdout, cut at
// the terminal's width for tables. statement says fn runs SQL, which
// uses up a .once.
func (ss *session) withOutput(statement bool, fn func() error) error {
	saved := ss.sh.out
	defer func() { ss.sh.out = saved }()
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
	case ss.termWidth != nil && ss.sh.Format.Mode == "table" && ss.termWidth() > 0:
		clip = &clipWriter{w: ss.stdout, width: ss.termWidth()}
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

// closeOutput ends .output and .once redirection.
func (ss *session) closeOutput() {
	for _, f := range []*os.File{ss.outFile, ss.onceFile} {
		if f != nil {
			f.Close()
		}
	}
	ss.outFile, ss.outName, ss.onceFile, ss.onceName = nil, "", nil, ""
}

// refreshTables reads the tables and views the user made, so that Tab
// completes them and their columns beside the datasets.
func (ss *session) refreshTables(ctx context.Context) {
	objs, err := ss.userObjects(ctx)
	if err != nil {
		objs = nil // completion only: the datasets still complete
	}
	var names []string
	columns := map[string][]string{}
	for _, d := range ss.sh.eng.Datasets() {
		names = append(names, d.Name)
		for _, col := range d.Columns {
			columns[d.Name] = append(columns[d.Name], col.Name)
		}
	}
	for _, o := range objs {
		names = append(names, o.name)
		columns[o.name] = o.columns
	}
	ss.vocab.setTables(names, columns)
}

// loadFunctions reads the SQL functions the engine knows, for completion.
func (ss *session) loadFunctions(ctx context.Context) {
	rows, err := ss.sh.eng.Conn().QueryContext(ctx,
		"SELECT DISTINCT name FROM pragma_function_list WHERE name GLOB '[a-z]*' ORDER BY name")
	if err != nil {
		return
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var name string
		if rows.Scan(&name) == nil {
			names = append(names, name)
		}
	}
	ss.vocab.setFunctions(names)
}

// userObject is a table or view the user created in the in-memory
// database.
type userObject struct {
	name, kind, sql string
	columns         []string
}

// userObjects lists the user's tables and views; they read no dataset to
// be listed, so no Statement is needed.
func (ss *session) userObjects(ctx context.Context) ([]userObject, error) {
	conn := ss.sh.eng.Conn()
	rows, err := conn.QueryContext(ctx, `
		SELECT name, type, coalesce(sql, '') FROM sqlite_schema
		WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\_%' ESCAPE '\'
		UNION ALL
		SELECT name, type, coalesce(sql, '') FROM sqlite_temp_schema
		WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\_%' ESCAPE '\'
		ORDER BY 1`)
	if err != nil {
		return nil, err
	}
	var objs []userObject
	for rows.Next() {
		var o userObject
		if err := rows.Scan(&o.name, &o.kind, &o.sql); err != nil {
			rows.Close()
			return nil, err
		}
		if engine.Find(ss.sh.eng.Datasets(), o.name) == nil {
			objs = append(objs, o)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range objs {
		cols, err := conn.QueryContext(ctx, "SELECT name FROM pragma_table_info(?)", objs[i].name)
		if err != nil {
			continue
		}
		for cols.Next() {
			var name string
			if cols.Scan(&name) == nil {
				objs[i].columns = append(objs[i].columns, name)
			}
		}
		cols.Close()
	}
	return objs, nil
}

// dotCommand is one of the prompt's dot-commands.
type dotCommand struct {
	name   string
	usage  string // the arguments, for .help
	help   string
	writes bool // writes a file: refused outside the prompt unless --allow-write
	run    func(ss *session, ctx context.Context, from origin, args []string) error
	// complete lists candidates for the argument after args.
	complete func(c *completer, args []string, current string) []candidate
}

// dotCommands lists the dot-commands in the order .help shows them.
func dotCommands() []dotCommand {
	onOff := func(c *completer, args []string, _ string) []candidate {
		if len(args) == 0 {
			return []candidate{{word: "on", tail: " "}, {word: "off", tail: " "}}
		}
		return nil
	}
	tableArg := func(c *completer, args []string, _ string) []candidate {
		if len(args) == 0 {
			return nameCandidates(c.vocab.tableNames(), " ")
		}
		return nil
	}
	fileArg := func(c *completer, args []string, current string) []candidate {
		if len(args) == 0 {
			return fileCandidates(current)
		}
		return nil
	}
	return []dotCommand{
		{name: ".help", help: "list the dot-commands", run: (*session).dotHelp},
		{name: ".tables", usage: "[PATTERN]", help: "list the tables (LIKE PATTERN)", run: (*session).dotTables, complete: tableArg},
		{name: ".schema", usage: "[TABLE]", help: "show CREATE TABLE with each column's description", run: (*session).dotSchema, complete: tableArg},
		{name: ".mode", usage: "MODE", help: "output mode: " + strings.Join(output.Modes, ", "), run: (*session).dotMode,
			complete: func(c *completer, args []string, _ string) []candidate {
				if len(args) == 0 {
					return nameCandidates(output.Modes, " ")
				}
				return nil
			}},
		{name: ".headers", usage: "on|off", help: "print column names", run: (*session).dotHeaders, complete: onOff},
		{name: ".nullvalue", usage: "[TEXT]", help: "print NULL as TEXT (no TEXT: the mode's default)", run: (*session).dotNullValue},
		{name: ".timer", usage: "on|off", help: "print the real and CPU time of each statement", run: (*session).dotTimer, complete: onOff},
		{name: ".snapshot", usage: "on|off", help: "keep one snapshot across statements until .refresh", run: (*session).dotSnapshot, complete: onOff},
		{name: ".refresh", help: "drop the kept snapshot: the next statement collects afresh", run: (*session).dotRefresh},
		{name: ".param", usage: "set NAME VALUE | unset NAME | list | clear", help: "bind :NAME in later statements", run: (*session).dotParam,
			complete: func(c *completer, args []string, _ string) []candidate {
				switch {
				case len(args) == 0:
					return nameCandidates([]string{"set", "unset", "list", "clear"}, " ")
				case len(args) == 1 && (args[0] == "unset" || args[0] == "set") && c.vocab.params != nil:
					return nameCandidates(c.vocab.params(), " ")
				}
				return nil
			}},
		{name: ".run", usage: "NAME", help: "run a saved query", run: (*session).dotRun,
			complete: func(c *completer, args []string, _ string) []candidate {
				if len(args) == 0 && c.vocab.queries != nil {
					return nameCandidates(c.vocab.queries(), " ")
				}
				return nil
			}},
		{name: ".queries", help: "list the saved queries", run: (*session).dotQueries},
		{name: ".read", usage: "FILE", help: "run the statements and dot-commands in FILE", run: (*session).dotRead, complete: fileArg},
		{name: ".output", usage: "[FILE]", help: "send results to FILE (no FILE: back to the terminal)", writes: true, run: (*session).dotOutput, complete: fileArg},
		{name: ".once", usage: "FILE", help: "send the next statement's result to FILE", writes: true, run: (*session).dotOnce, complete: fileArg},
		{name: ".show", help: "show the current settings", run: (*session).dotShow},
		{name: ".quit", help: "leave netsql (also .exit and Ctrl-D)", run: (*session).dotQuit},
		{name: ".exit", help: "leave netsql", run: (*session).dotQuit},
	}
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

// dot runs one dot-command line.
func (ss *session) dot(ctx context.Context, from origin, line string) error {
	args, err := splitDotArgs(strings.TrimSpace(line))
	if err != nil {
		return err
	}
	if len(args) == 0 {
		return nil
	}
	cmds := dotCommands()
	cmd := findDotCommand(cmds, args[0])
	if cmd == nil {
		if s := closestCommand(cmds, args[0]); s != "" {
			return fmt.Errorf("unknown command %s: did you mean %s? (.help lists them)", args[0], s)
		}
		return fmt.Errorf("unknown command %s (.help lists them)", args[0])
	}
	if cmd.writes && !from.interactive && !ss.sh.allowWrite() {
		return fmt.Errorf("refused: %s writes a file; run with --allow-write to allow it", cmd.name)
	}
	return cmd.run(ss, ctx, from, args[1:])
}

// splitDotArgs splits a dot-command line into words; 'single' and
// "double" quotes keep blanks in a word. A trailing `;` is dropped, as
// typed from habit.
func splitDotArgs(line string) ([]string, error) {
	line = strings.TrimRight(strings.TrimSpace(line), ";")
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

// closestCommand suggests what name was meant to be: the first command
// it begins, else the nearest within two edits; "" when none is near.
func closestCommand(cmds []dotCommand, name string) string {
	for _, cmd := range cmds {
		if len(name) > 1 && strings.HasPrefix(cmd.name, name) {
			return cmd.name
		}
	}
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
		w, err := output.NewWriter(ss.sh.out, ss.sh.Format)
		if err != nil {
			return err
		}
		if err := w.Begin(columns); err != nil {
			return err
		}
		for _, r := range rows {
			if err := w.Row(r); err != nil {
				return err
			}
		}
		return w.End()
	})
}

// printText prints text as it is to the current output.
func (ss *session) printText(text string) error {
	return ss.withOutput(false, func() error {
		_, err := io.WriteString(ss.sh.out, text)
		return err
	})
}

func (ss *session) dotHelp(_ context.Context, _ origin, args []string) error {
	cmds := dotCommands()
	width := 0
	for _, c := range cmds {
		width = max(width, len(c.name)+1+len(c.usage))
	}
	var b strings.Builder
	for _, c := range cmds {
		fmt.Fprintf(&b, "%-*s  %s\n", width, strings.TrimSpace(c.name+" "+c.usage), c.help)
	}
	b.WriteString("\nSQL statements end with ; and may span lines. Tab completes; Ctrl-C cancels a statement; Ctrl-D leaves.\n")
	return ss.printText(b.String())
}

func (ss *session) dotTables(ctx context.Context, _ origin, args []string) error {
	if err := argCount(".tables", args, 0, 1, "[PATTERN]"); err != nil {
		return err
	}
	pattern := "%"
	if len(args) == 1 {
		pattern = args[0]
	}
	var rows [][]any
	for _, d := range ss.sh.eng.Datasets() {
		if likeMatch(pattern, d.Name) {
			rows = append(rows, []any{d.Name, d.Doc})
		}
	}
	objs, err := ss.userObjects(ctx)
	if err != nil {
		return err
	}
	for _, o := range objs {
		if likeMatch(pattern, o.name) {
			rows = append(rows, []any{o.name, "your " + o.kind})
		}
	}
	if len(rows) == 0 {
		return fmt.Errorf("no table matches %q", pattern)
	}
	return ss.printResult([]string{"table_name", "description"}, rows)
}

func (ss *session) dotSchema(ctx context.Context, _ origin, args []string) error {
	if err := argCount(".schema", args, 0, 1, "[TABLE]"); err != nil {
		return err
	}
	pattern := "%"
	if len(args) == 1 {
		pattern = args[0]
	}
	var parts []string
	for _, d := range ss.sh.eng.Datasets() {
		if likeMatch(pattern, d.Name) {
			parts = append(parts, d.CreateTableSQL())
		}
	}
	objs, err := ss.userObjects(ctx)
	if err != nil {
		return err
	}
	for _, o := range objs {
		if likeMatch(pattern, o.name) {
			parts = append(parts, o.sql+";")
		}
	}
	if len(parts) == 0 {
		return fmt.Errorf("no table matches %q (.tables lists them)", pattern)
	}
	return ss.printText(strings.Join(parts, "\n\n") + "\n")
}

// modeAliases maps sqlite3's mode names to netsql's.
var modeAliases = map[string]string{"box": "table", "column": "table", "tabs": "tsv", "lines": "line"}

func (ss *session) dotMode(_ context.Context, _ origin, args []string) error {
	if len(args) == 0 {
		return ss.printText(ss.sh.Format.Mode + "\n")
	}
	if err := argCount(".mode", args, 1, 1, "MODE"); err != nil {
		return err
	}
	mode := strings.ToLower(args[0])
	if m, ok := modeAliases[mode]; ok {
		mode = m
	}
	for _, m := range output.Modes {
		if m == mode {
			ss.sh.Format.Mode = mode
			return nil
		}
	}
	return fmt.Errorf(".mode %s: %w %q (valid modes: %s)", args[0], output.ErrUnknownMode, args[0], strings.Join(output.Modes, ", "))
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

func (ss *session) dotTimer(_ context.Context, _ origin, args []string) error {
	on, err := parseOnOff(".timer", args)
	if err == nil {
		ss.timer = on
	}
	return err
}

func (ss *session) dotSnapshot(_ context.Context, _ origin, args []string) error {
	on, err := parseOnOff(".snapshot", args)
	if err == nil {
		ss.snapshot = on
		ss.sh.eng.SetKeepSnapshot(on)
	}
	return err
}

func (ss *session) dotRefresh(_ context.Context, _ origin, args []string) error {
	if err := argCount(".refresh", args, 0, 0, ""); err != nil {
		return err
	}
	ss.sh.eng.Refresh()
	return nil
}

func (ss *session) dotParam(_ context.Context, _ origin, args []string) error {
	const usage = "set NAME VALUE | unset NAME | list | clear"
	if len(args) == 0 {
		args = []string{"list"}
	}
	switch args[0] {
	case "set":
		if len(args) < 3 {
			return fmt.Errorf("usage: .param %s", usage)
		}
		ss.sh.SetParam(args[1], strings.Join(args[2:], " "))
	case "unset":
		if len(args) != 2 {
			return fmt.Errorf("usage: .param %s", usage)
		}
		name := strings.TrimLeft(args[1], ":@$")
		if _, ok := ss.sh.Params()[name]; !ok {
			return fmt.Errorf("no parameter %q (.param list shows them)", name)
		}
		ss.sh.UnsetParam(name)
	case "clear":
		for name := range ss.sh.Params() {
			ss.sh.UnsetParam(name)
		}
	case "list":
		params := ss.sh.Params()
		names := make([]string, 0, len(params))
		for name := range params {
			names = append(names, name)
		}
		sort.Strings(names)
		rows := make([][]any, len(names))
		for i, name := range names {
			rows[i] = []any{":" + name, params[name]}
		}
		return ss.printResult([]string{"name", "value"}, rows)
	default:
		return fmt.Errorf("usage: .param %s", usage)
	}
	return nil
}

func (ss *session) dotRun(ctx context.Context, from origin, args []string) error {
	if err := argCount(".run", args, 1, 1, "NAME"); err != nil {
		return err
	}
	list, err := ss.loadQueries()
	if err != nil {
		return err
	}
	q, err := queries.Find(list, args[0])
	if err != nil {
		return err
	}
	if ss.depth >= 16 {
		return errors.New(".run: nested too deeply")
	}
	ss.depth++
	defer func() { ss.depth-- }()
	return ss.runText(ctx, origin{name: "query " + q.Name}, q.SQL)
}

func (ss *session) dotQueries(_ context.Context, _ origin, args []string) error {
	if err := argCount(".queries", args, 0, 0, ""); err != nil {
		return err
	}
	list, err := ss.loadQueries()
	if err != nil {
		return err
	}
	rows := make([][]any, len(list))
	for i, q := range list {
		rows[i] = []any{q.Name, q.Description}
	}
	return ss.printResult([]string{"name", "description"}, rows)
}

func (ss *session) dotRead(ctx context.Context, _ origin, args []string) error {
	if err := argCount(".read", args, 1, 1, "FILE"); err != nil {
		return err
	}
	data, err := os.ReadFile(expandHome(args[0]))
	if err != nil {
		return err
	}
	if ss.depth >= 16 {
		return errors.New(".read: nested too deeply")
	}
	ss.depth++
	defer func() { ss.depth-- }()
	return ss.runText(ctx, origin{name: args[0]}, string(data))
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
	f, err := os.Create(expandHome(args[0]))
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
	f, err := os.Create(expandHome(args[0]))
	if err != nil {
		return err
	}
	if ss.onceFile != nil {
		ss.onceFile.Close()
	}
	ss.onceFile, ss.onceName = f, args[0]
	return nil
}

func (ss *session) dotShow(_ context.Context, _ origin, args []string) error {
	if err := argCount(".show", args, 0, 0, ""); err != nil {
		return err
	}
	f := ss.sh.Format
	onOff := map[bool]string{true: "on", false: "off"}
	null := fmt.Sprintf("%q", f.Null)
	if !f.NullSet {
		null = "the mode's default"
	}
	output := "stdout"
	if ss.outFile != nil {
		output = ss.outName
	}
	if ss.onceFile != nil {
		output += " (next statement: " + ss.onceName + ")"
	}
	history := ss.history
	if history == "" {
		history = "off"
	}
	settings := [][2]string{
		{"mode", f.Mode},
		{"headers", onOff[f.Headers]},
		{"nullvalue", null},
		{"output", output},
		{"timer", onOff[ss.timer]},
		{"snapshot", onOff[ss.snapshot]},
		{"allow-write", onOff[ss.sh.allowWrite()]},
		{"params", fmt.Sprint(len(ss.sh.Params()))},
		{"history", history},
	}
	var b strings.Builder
	for _, kv := range settings {
		fmt.Fprintf(&b, "%11s: %s\n", kv[0], kv[1])
	}
	return ss.printText(b.String())
}

func (ss *session) dotQuit(_ context.Context, _ origin, args []string) error {
	ss.quit = true
	return nil
}

// likeMatch matches s against an SQL LIKE pattern (% any run, _ any one
// character), ignoring case.
func likeMatch(pattern, s string) bool {
	p, r := []rune(strings.ToLower(pattern)), []rune(strings.ToLower(s))
	// match[j] reports whether p[:i] matches r[:j].
	match := make([]bool, len(r)+1)
	match[0] = true
	for i := 0; i < len(p); i++ {
		next := make([]bool, len(r)+1)
		for j := 0; j <= len(r); j++ {
			switch p[i] {
			case '%':
				next[j] = match[j] || j > 0 && next[j-1]
			case '_':
				next[j] = j > 0 && match[j-1]
			default:
				next[j] = j > 0 && match[j-1] && r[j-1] == p[i]
			}
		}
		match = next
	}
	return match[len(r)]
}
