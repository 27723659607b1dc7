// Command netsql shows this machine's network state — sockets, the
// processes that own them, and more — as tables of an in-memory SQLite
// database, to query and join with SQL.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"netsql/queries"
	"netsql/sqlshell"
	"netsql/sqlshell/output"
	"netsql/tables"
	"netsql/tables/engine"
	"netsql/tables/export"
	"netsql/tables/kernel"
	"netsql/tables/moment"
)

const version = "0.1.0"

// Exit codes (ARCHITECTURE.md, "Parts").
const (
	exitOK          = 0
	exitFailed      = 1 // a statement failed or timed out
	exitUsage       = 2
	exitInterrupted = 130 // SIGINT
	exitTerminated  = 143 // SIGTERM
)

func main() {
	// Notified, SIGPIPE turns a write to a closed stdout into an EPIPE error,
	// which run treats as "the reader is done".
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

const usage = `usage: netsql [flags] ['SQL']

Shows this machine's sockets and the processes that own them as SQL tables.

  netsql 'SELECT * FROM sockets'       run one statement (also -e 'SQL')
  netsql -f checks.sql                 run a file of statements, stop at the first error
  netsql < checks.sql                  run statements from standard input
  netsql                               on a terminal: the interactive prompt (.help there)

flags:
`

// options are the parsed command line.
type options struct {
	exec, file, mode, null, root, proc, sys, schema string
	noHeader, listTables, showVersion, nullSet      bool
	wrap                                            bool
	query                                           string
	savedQuery                                      string
	listQueries, allowWrite                         bool
	params                                          []string
	timeout                                         time.Duration
	initFile                                        string // --init: the prompt's start-up file
	noInit, noHistory                               bool
	quiet                                           bool
	man                                             bool
	completion                                      string
	save, saveTables, from, baseline, diff          string // saved moments (tables/moment)
	force                                           bool
	watch                                           time.Duration
	count                                           int
	queriesDir                                      string // --queries: the user's saved queries
	serve, webConfig                                string // --serve ADDR: the Prometheus exporter (sqlshell/serve)
	scrapeTimeout                                   time.Duration
	maxSeries                                       int
	export, format                                  string            // --export DIR: one moment as Parquet or JSON lines (tables/export)
	extra                                           []*engine.Dataset // datasets beyond tables.All (closed_sockets in watch mode)
	netns                                           []string          // --netns, as given
}

// newFlagSet declares every flag, storing into o: the one list that
// parsing, --help, the man page and the shell completions read.
func newFlagSet(o *options) *flag.FlagSet {
	fs := flag.NewFlagSet("netsql", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported in one line by run
	fs.StringVar(&o.exec, "e", "", "run `SQL` and exit")
	fs.StringVar(&o.file, "f", "", "run the statements in `FILE` and exit")
	fs.StringVar(&o.mode, "o", "", "output `MODE`: "+output.ModeHelp+" (default table on a terminal, tsv otherwise)")
	fs.BoolVar(&o.noHeader, "no-header", false, "do not print column names")
	fs.BoolVar(&o.wrap, "wrap", false, "in table mode on a terminal, wrap long values onto more lines instead of shortening them with …")
	fs.StringVar(&o.null, "null", "", "print NULL as `TEXT`")
	fs.StringVar(&o.root, "root", "", "read another machine's tree: `DIR`/proc, DIR/sys, DIR/etc")
	fs.StringVar(&o.proc, "proc", "", "read the proc filesystem from `DIR`")
	fs.StringVar(&o.sys, "sys", "", "read the sys filesystem from `DIR`")
	fs.BoolVar(&o.listTables, "list-tables", false, "list the tables and exit")
	fs.StringVar(&o.schema, "schema", "", "print the schema of `TABLE` (or all) and exit")
	fs.BoolVar(&o.showVersion, "version", false, "print the version and exit")
	fs.StringVar(&o.savedQuery, "q", "", "run the saved query `NAME` (see --list-queries)")
	fs.BoolVar(&o.listQueries, "list-queries", false, "list the saved queries and exit")
	fs.StringVar(&o.queriesDir, "queries", "", "read the user's saved queries from `DIR` instead of ~/.config/netsql/queries")
	fs.Func("param", "bind :name in the statements to a value: `name=value` (repeatable)", func(v string) error {
		if _, _, err := sqlshell.ParseParam(v); err != nil {
			return err
		}
		o.params = append(o.params, v)
		return nil
	})
	fs.BoolVar(&o.allowWrite, "allow-write", false, "let statements and dot-commands write files (ATTACH, VACUUM INTO, .output)")
	fs.Func("timeout", "stop each statement after `DURATION`: a bare number is seconds (5, 0.5), else a Go duration (1m30s, 500ms); 0 means no limit", func(v string) error {
		d, err := parseTimeout(v)
		o.timeout = d
		return err
	})
	fs.BoolVar(&o.quiet, "quiet", false, "print no warnings (skipped processes, files a tree lacks, ...); errors still print")
	fs.StringVar(&o.initFile, "init", "", "at the interactive prompt, run `FILE` first instead of ~/.netsqlrc")
	fs.BoolVar(&o.noInit, "no-init", false, "at the interactive prompt, run no start-up file")
	fs.BoolVar(&o.noHistory, "no-history", false, "at the interactive prompt, keep no history file")
	fs.StringVar(&o.save, "save", "", "write one moment of every table (or --tables) to the SQLite `FILE` and exit; it runs no statement")
	fs.StringVar(&o.saveTables, "tables", "", "with --save or --export: the tables to write, `LIST` separated by commas")
	fs.BoolVar(&o.force, "force", false, "with --save: replace FILE if it exists")
	fs.StringVar(&o.from, "from", "", "query the moment saved in `FILE` instead of this machine (read-only)")
	fs.StringVar(&o.baseline, "baseline", "", "attach the moment saved in `FILE` as schema baseline (SELECT ... FROM baseline.sockets)")
	fs.StringVar(&o.diff, "diff", "", "compare the moment saved in `OLD` with now, or with the saved moment given after it (netsql --diff OLD NEW): rows added, removed, changed, counters moved")
	fs.Func("watch", "rerun the statement (SQL or -q NAME) every `DURATION` (2, 500ms): redrawn on a terminal, only the changes when piped; the previous run is schema prev", positiveDuration(&o.watch))
	fs.IntVar(&o.count, "count", 0, "with --watch: stop after `N` runs")
	fs.StringVar(&o.export, "export", "", "write one moment of every table (or --tables) under `DIR` as DIR/table=NAME/host=HOST/date=YYYY-MM-DD/HHMMSSZ.parquet and exit; with --from, the saved moment")
	fs.StringVar(&o.format, "format", "", "with --export: the files' `FORMAT`, parquet (the default) or jsonl")
	fs.StringVar(&o.serve, "serve", "", "serve Prometheus metrics on `ADDR` (127.0.0.1:9917; 0.0.0.0:9917 for every interface): the saved queries with a -- metric: line, at /metrics")
	o.scrapeTimeout = 10 * time.Second
	fs.Func("scrape-timeout", "with --serve: stop a scrape's queries after `DURATION` (default 10s)", positiveDuration(&o.scrapeTimeout))
	fs.IntVar(&o.maxSeries, "max-series", 10000, "with --serve: keep at most `N` samples of each metric query, counting the rest in netsql_series_dropped_total")
	fs.StringVar(&o.webConfig, "web-config", "", "with --serve: TLS and basic auth from the Prometheus web configuration `FILE`")
	fs.BoolVar(&o.man, "man", false, "print the manual page (roff) and exit: netsql --man > netsql.1")
	fs.Func("netns", "read the network namespace `NS`: all (every one found), self, a name from /run/netns, a pid or a path (repeatable; default netsql's own)", func(v string) error {
		if _, err := kernel.ParseNetnsScope([]string{v}); err != nil {
			return err
		}
		o.netns = append(o.netns, v)
		return nil
	})
	fs.StringVar(&o.completion, "completion", "", "print the completion script for `SHELL` (bash, zsh or fish) and exit")
	return fs
}

func parseFlags(args []string, helpOut io.Writer) (*options, error) {
	o := &options{}
	fs := newFlagSet(o)
	flagArgs, rest := splitArgs(fs, args)
	if err := fs.Parse(flagArgs); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(helpOut, usage)
			fs.SetOutput(helpOut)
			fs.PrintDefaults()
		}
		return nil, err
	}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "null" {
			o.nullSet = true
		}
	})
	switch {
	case len(rest) > 1:
		return nil, fmt.Errorf("expected one SQL argument, got %d (quote the statement)", len(rest))
	case len(rest) == 1 && (o.exec != "" || o.file != ""):
		return nil, errors.New("give SQL either as an argument, with -e or with -f, not several")
	case o.exec != "" && o.file != "":
		return nil, errors.New("-e and -f cannot be used together")
	case o.savedQuery != "" && (o.exec != "" || o.file != "" || len(rest) == 1):
		return nil, errors.New("-q cannot be used with -e, -f or an SQL argument")
	case o.initFile != "" && o.noInit:
		return nil, errors.New("--init and --no-init cannot be used together")
	case o.save != "" && (o.exec != "" || o.file != "" || o.savedQuery != "" || len(rest) == 1):
		return nil, errors.New("--save writes a file and runs no statement: give no SQL, -e, -f or -q with it")
	case o.diff != "" && (o.exec != "" || o.file != "" || o.savedQuery != "" || o.save != "" || o.from != "" || o.baseline != ""):
		return nil, errors.New("--diff OLD [NEW] compares two moments: -e, -f, -q, --save, --from and --baseline cannot be used with it")
	case o.diff != "" && (o.root != "" || o.proc != "" || o.sys != "") && len(rest) == 1:
		return nil, errors.New("--diff OLD NEW compares two files: --root, --proc and --sys cannot be used with them")
	case o.count < 0:
		return nil, errors.New("--count must not be negative")
	case o.count > 0 && o.watch == 0:
		return nil, errors.New("--count goes with --watch")
	case o.watch > 0 && (o.file != "" || o.save != "" || o.diff != ""):
		return nil, errors.New("--watch reruns one statement (SQL, -e or -q NAME): -f, --save and --diff cannot be used with it")
	case o.watch > 0 && o.savedQuery == "" && o.exec == "" && len(rest) == 0:
		return nil, errors.New("--watch needs a statement: SQL, -e SQL or -q NAME")
	case o.save != "" && o.from != "":
		return nil, errors.New("--save reads this machine, not a saved moment: --from cannot be used with it")
	case o.serve != "" && (o.exec != "" || o.file != "" || o.savedQuery != "" || len(rest) == 1 || o.save != "" || o.diff != "" || o.watch > 0 || o.listQueries || o.listTables):
		return nil, errors.New("--serve runs the metric queries for each scrape: give no SQL, -e, -f, -q, --save, --diff, --watch or a listing with it")
	case o.serve == "" && (o.webConfig != "" || o.maxSeries != 10000 || o.scrapeTimeout != 10*time.Second):
		return nil, errors.New("--web-config, --max-series and --scrape-timeout go with --serve")
	case o.export != "" && (o.exec != "" || o.file != "" || o.savedQuery != "" || len(rest) == 1 || o.save != "" || o.diff != "" || o.watch > 0 || o.serve != "" || o.baseline != ""):
		return nil, errors.New("--export writes files and runs no statement: give no SQL, -e, -f, -q, --save, --diff, --watch, --serve or --baseline with it")
	case o.format != "" && o.export == "":
		return nil, errors.New("--format goes with --export")
	case o.format != "" && !slices.Contains(export.Formats, o.format):
		return nil, fmt.Errorf("--format %q: want %s", o.format, strings.Join(export.Formats, " or "))
	case o.saveTables != "" && o.save == "" && o.export == "":
		return nil, errors.New("--tables goes with --save or --export")
	case o.force && o.save == "":
		return nil, errors.New("--force goes with --save")
	case o.from != "" && (o.root != "" || o.proc != "" || o.sys != ""):
		return nil, errors.New("--from reads a saved moment: --root, --proc and --sys cannot be used with it")
	}
	if o.serve != "" {
		if err := checkServeAddr(o.serve); err != nil {
			return nil, err
		}
	}
	switch {
	case o.maxSeries <= 0:
		return nil, errors.New("--max-series must be more than 0")
	case len(rest) == 1:
		o.query = rest[0]
	default:
		o.query = o.exec
	}
	if o.mode != "" {
		mode, err := output.Lookup(o.mode)
		if err != nil {
			return nil, fmt.Errorf("-o: %w", err)
		}
		o.mode = mode
	}
	return o, nil
}

// splitArgs separates the flags from the SQL argument, so that flags may
// come after it (netsql 'SELECT 1' -o json) as well as before. "--" ends
// the flags: what follows is SQL even when it starts with "-" (a "--"
// comment). An argument whose would-be flag name holds white space is SQL
// too ('-- count them
// SELECT ...'). The flags are left in order for fs.Parse, which reports
// an unknown one.
func splitArgs(fs *flag.FlagSet, args []string) (flags, rest []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return flags, append(rest, args[i+1:]...)
		}
		name, hasValue := strings.CutPrefix(a, "--")
		if !hasValue {
			name, hasValue = strings.CutPrefix(a, "-")
		}
		name, _, inline := strings.Cut(name, "=")
		if !hasValue || name == "" || strings.ContainsAny(name, " \t\n\r") {
			rest = append(rest, a)
			continue
		}
		flags = append(flags, a)
		f := fs.Lookup(name)
		if inline || f == nil {
			continue // a value given with =, or an unknown flag fs.Parse names
		}
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			continue
		}
		if i+1 < len(args) {
			i++
			flags = append(flags, args[i])
		}
	}
	return flags, rest
}

// positiveDuration parses a flag's duration as parseTimeout does into
// dst, refusing 0.
func positiveDuration(dst *time.Duration) func(string) error {
	return func(v string) error {
		d, err := parseTimeout(v)
		if err == nil && d <= 0 {
			err = errors.New("must be more than 0")
		}
		*dst = d
		return err
	}
}

// parseTimeout reads --timeout: a bare number is seconds, as in timeout(1)
// and curl's --max-time; otherwise a Go duration ("1m30s").
func parseTimeout(v string) (time.Duration, error) {
	var d time.Duration
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if math.IsNaN(secs) || math.IsInf(secs, 0) || secs > math.MaxInt64/float64(time.Second) {
			return 0, errors.New("too many seconds")
		}
		d = time.Duration(secs * float64(time.Second))
	} else if d, err = time.ParseDuration(v); err != nil {
		return 0, errors.New("want seconds (5, 0.5) or a duration (1m30s, 500ms)")
	}
	if d < 0 {
		return 0, errors.New("must not be negative")
	}
	return d, nil
}

// source builds where to read from out of --root, --proc and --sys. Once
// one of them points away from the live system nothing is read from the
// host: a part not given is absent, and absent lists what that leaves
// empty, for one line on stderr.
func (o *options) source() (src *kernel.Source, absent []string, err error) {
	src = kernel.LiveSource()
	if o.root != "" {
		if err := kernel.CheckDir(o.root); err != nil {
			return nil, nil, fmt.Errorf("--root %w", err)
		}
		src = kernel.RootSource(o.root)
	} else if o.proc != "" || o.sys != "" {
		src = &kernel.Source{}
		if o.proc == "" {
			absent = append(absent, "no --proc: every table but interfaces is empty")
		}
		if o.sys == "" {
			absent = append(absent, "no --sys: interfaces come from proc/net/dev alone, their sysfs columns NULL")
		}
		absent = append(absent, "no etc: user, service and routing table names are NULL, services is empty")
	}
	for _, part := range []struct {
		flag, dir string
		dst       *string
	}{{"--proc", o.proc, &src.Proc}, {"--sys", o.sys, &src.Sys}} {
		if part.dir == "" {
			continue
		}
		if err := kernel.CheckDir(part.dir); err != nil {
			return nil, nil, fmt.Errorf("%s %w", part.flag, err)
		}
		dir, err := filepath.Abs(part.dir)
		if err != nil {
			return nil, nil, fmt.Errorf("%s %w", part.flag, err)
		}
		*part.dst = dir
		src.Live = false
	}
	return src, absent, nil
}

func isTerminal(f any) bool {
	file, ok := f.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(file.Fd()), unix.TCGETS)
	return err == nil
}

// run is the whole command: it parses args, runs what they ask and returns
// the exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "netsql: %v (see netsql --help)\n", err)
		return exitUsage
	}
	if o.showVersion {
		fmt.Fprintf(stdout, "netsql %s\n", version)
		return exitOK
	}
	if o.man {
		return writeDoc(stdout, stderr, "--man", manPage)
	}
	if o.completion != "" {
		script, ok := completions[o.completion]
		if !ok {
			fmt.Fprintf(stderr, "netsql: --completion %q: want bash, zsh or fish (see netsql --help)\n", o.completion)
			return exitUsage
		}
		return writeDoc(stdout, stderr, "--completion", script)
	}
	if o.schema != "" {
		// Without -o the CREATE TABLE text; with it, one row per column.
		var err error
		if o.mode == "" {
			err = sqlshell.Schema(stdout, tables.All, o.schema)
		} else {
			var cols []string
			var rows [][]any
			if cols, rows, err = sqlshell.SchemaRows(tables.All, o.schema); err == nil {
				err = printRows(o, stdout, cols, rows)
			}
		}
		if err != nil {
			fmt.Fprintf(stderr, "netsql: --schema: %v\n", err)
			return exitUsage
		}
		return exitOK
	}
	src, absent, err := o.source()
	if err != nil {
		fmt.Fprintf(stderr, "netsql: %v\n", err)
		return exitUsage
	}
	src.Netns, _ = kernel.ParseNetnsScope(o.netns) // each value was checked while parsing
	if err := kernel.CheckNetnsScope(src); err != nil {
		fmt.Fprintf(stderr, "netsql: %v\n", err)
		return exitUsage
	}
	if len(absent) > 0 && !o.quiet {
		fmt.Fprintf(stderr, "warning: %s\n", strings.Join(absent, "; "))
	}
	if o.save != "" {
		return saveMoment(o, src, stderr)
	}
	if o.diff != "" {
		return diffMoments(o, src, stdout, stderr)
	}
	if o.serve != "" {
		return serveMetrics(o, src, stderr)
	}
	if o.export != "" {
		return exportMoment(o, src, stderr)
	}
	script, scriptName := o.query, ""
	var saved []queries.Query
	if o.savedQuery != "" || o.listQueries {
		if saved, err = queries.Load(o.userQueries()); err != nil {
			fmt.Fprintf(stderr, "netsql: %v\n", err)
			return exitUsage
		}
	}
	// A broken query file is skipped with a warning naming it, unless it
	// is the very query asked for.
	for _, q := range saved {
		if q.Problem != nil && q.Name != o.savedQuery && !o.quiet {
			fmt.Fprintf(stderr, "warning: %v: skipped\n", q.Problem)
		}
	}
	switch {
	case o.listQueries:
		var rows [][]any
		for _, q := range saved {
			if q.Problem == nil {
				rows = append(rows, []any{q.Name, q.Description})
			}
		}
		if o.mode == "" {
			for _, r := range rows {
				fmt.Fprintf(stdout, "%s\t%s\n", r...)
			}
		} else if err := printRows(o, stdout, []string{"name", "description"}, rows); err != nil {
			fmt.Fprintf(stderr, "netsql: --list-queries: %v\n", err)
			return exitFailed
		}
		return exitOK
	case o.savedQuery != "":
		q, err := queries.Find(saved, o.savedQuery)
		if err != nil {
			fmt.Fprintf(stderr, "netsql: -q: %v\n", err)
			return exitUsage
		}
		script, scriptName = q.SQL, "query "+q.Name
	case o.file != "":
		data, err := os.ReadFile(o.file)
		if err != nil {
			fmt.Fprintf(stderr, "netsql: -f: %v\n", err)
			return exitUsage
		}
		script, scriptName = string(data), o.file
	case o.query == "" && !o.listTables:
		if isTerminal(stdin) {
			return runREPL(o, src, stdin.(*os.File), stdout, stderr)
		}
		data, err := io.ReadAll(stdin)
		if err != nil {
			fmt.Fprintf(stderr, "netsql: read standard input: %v\n", err)
			return exitFailed
		}
		script, scriptName = string(data), "stdin"
	}

	ctx, caught, stop := signalContext(os.Interrupt, syscall.SIGTERM)
	defer stop()

	if o.watch > 0 && o.from == "" {
		src.Owners = kernel.NewOwnerCache() // owners checked between runs, not walked for each
		// closed_sockets: the sockets that end between two runs.
		var watcher *kernel.DestroyWatch
		err := errors.New("not the live system")
		if src.Live {
			watcher, err = kernel.WatchDestroyed()
		}
		if watcher != nil {
			defer watcher.Close()
		}
		o.extra = append(o.extra, tables.ClosedSockets(watcher, err))
	}
	eng, sh, err := openShell(ctx, o, src, stdout, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "netsql: %v\n", err)
		return exitFailed
	}
	defer eng.Close()
	switch {
	case o.listTables:
		err = sh.ListTables()
	case o.watch > 0:
		term := isTerminal(stdout)
		if term && o.mode == "" {
			sh.Format.Mode = "table"
		}
		err = sh.Watch(ctx, script, sqlshell.WatchOptions{Interval: o.watch, Count: o.count, Terminal: term})
	default:
		err = sh.RunInput(ctx, scriptName, script)
	}
	if code, ok := signalExit(caught()); ok {
		return code
	}
	switch {
	case err == nil, errors.Is(err, sqlshell.ErrOutputClosed):
		return exitOK
	default:
		fmt.Fprintf(stderr, "error: %v\n", err)
		return exitFailed
	}
}

// saveMoment is --save: one moment of the tables into a file, then exit.
func saveMoment(o *options, src *kernel.Source, stderr io.Writer) int {
	ctx, interrupted, stop := runContext(o)
	defer stop()
	eng, err := tables.Open(ctx, src, nil)
	if err != nil {
		fmt.Fprintf(stderr, "netsql: %v\n", err)
		return exitFailed
	}
	defer eng.Close()
	var names []string
	if o.saveTables != "" {
		names = strings.Split(o.saveTables, ",")
	}
	res, err := moment.Save(ctx, eng, o.save, moment.Options{Tables: names, Force: o.force, Version: version})
	if code, ok := interrupted(); ok {
		return code
	}
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (after --timeout %v; nothing was written)", ctx.Err(), o.timeout)
		}
		fmt.Fprintf(stderr, "netsql: --save %v\n", err)
		if errors.Is(err, moment.ErrExists) || errors.Is(err, moment.ErrNoTable) {
			return exitUsage
		}
		return exitFailed
	}
	if !o.quiet {
		for _, w := range res.Warnings {
			fmt.Fprintln(stderr, w)
		}
		total := 0
		for _, n := range res.Rows {
			total += n
		}
		fmt.Fprintf(stderr, "netsql: saved %d tables, %d rows, to %s\n", len(res.Rows), total, o.save)
	}
	return exitOK
}

// diffMoments is --diff OLD [NEW]: the changes from the moment saved in
// OLD to NEW's, or to now.
func diffMoments(o *options, src *kernel.Source, stdout, stderr io.Writer) int {
	ctx, interrupted, stop := runContext(o)
	defer stop()
	newFile := o.query // the argument after --diff OLD
	var datasets []*engine.Dataset
	newSchema, newName := "main", "now"
	if newFile != "" {
		datasets, newSchema, newName = []*engine.Dataset{}, "saved", newFile
	}
	eng, err := tables.Open(ctx, src, datasets)
	if err != nil {
		fmt.Fprintf(stderr, "netsql: %v\n", err)
		return exitFailed
	}
	defer eng.Close()
	for _, m := range []struct{ file, schema string }{{o.diff, "baseline"}, {newFile, "saved"}} {
		if m.file == "" {
			continue
		}
		if _, err := moment.Attach(ctx, eng, m.file, m.schema); err != nil {
			fmt.Fprintf(stderr, "netsql: --diff %v\n", err)
			return exitUsage
		}
	}
	oldAbs, err := filepath.Abs(o.diff)
	if err != nil {
		fmt.Fprintf(stderr, "netsql: --diff %v\n", err)
		return exitUsage
	}
	res, err := moment.Diff(ctx, eng, tables.All, "baseline", newSchema, oldAbs)
	if code, ok := interrupted(); ok {
		return code
	}
	if err != nil {
		fmt.Fprintf(stderr, "netsql: --diff: %v\n", err)
		return exitFailed
	}
	res.Old, res.New = o.diff, newName
	if !o.quiet {
		for _, w := range res.Warnings {
			fmt.Fprintln(stderr, w)
		}
	}
	out := bufio.NewWriter(stdout)
	switch o.mode {
	case "json", "jsonl":
		err = moment.WriteDiffJSON(out, res, o.mode == "jsonl")
	default:
		err = moment.WriteDiffText(out, res, tables.All)
	}
	if err == nil {
		err = out.Flush()
	}
	if err != nil && !errors.Is(err, syscall.EPIPE) {
		fmt.Fprintf(stderr, "netsql: --diff: write output: %v\n", err)
		return exitFailed
	}
	return exitOK
}

// printRows prints a listing netsql makes itself (--schema, --list-queries)
// in the mode -o asked for.
func printRows(o *options, stdout io.Writer, columns []string, rows [][]any) error {
	out := bufio.NewWriter(stdout)
	w, err := output.NewWriter(out, output.Format{Mode: o.mode, Headers: !o.noHeader, Null: o.null, NullSet: o.nullSet})
	if err != nil {
		return err
	}
	if err := output.WriteAll(w, columns, rows); err != nil {
		return err
	}
	return out.Flush()
}

// openShell opens the engine and the shell every way in shares, set up
// from the flags: output format, --allow-write, --timeout, --param.
func openShell(ctx context.Context, o *options, src *kernel.Source, stdout, stderr io.Writer) (*engine.Engine, *sqlshell.Shell, error) {
	format := output.Format{Mode: o.mode, Headers: !o.noHeader, Null: o.null, NullSet: o.nullSet, Wrap: o.wrap}
	if format.Mode == "" {
		format.Mode = "tsv"
		if isTerminal(stdout) {
			format.Mode = "table"
		}
	}
	var datasets []*engine.Dataset // nil: every dataset, live
	if o.from != "" {
		datasets = []*engine.Dataset{} // the saved moment's tables, not live ones
	} else if len(o.extra) > 0 {
		datasets = append(append([]*engine.Dataset{}, tables.All...), o.extra...)
	}
	eng, err := tables.Open(ctx, src, datasets)
	if err != nil {
		return nil, nil, err
	}
	for _, m := range []struct{ flag, file, schema string }{{"--from", o.from, "saved"}, {"--baseline", o.baseline, "baseline"}} {
		if m.file == "" {
			continue
		}
		if _, err := moment.Attach(ctx, eng, m.file, m.schema); err != nil {
			eng.Close()
			return nil, nil, fmt.Errorf("%s %w", m.flag, err)
		}
	}
	eng.SetAllowWrite(o.allowWrite)
	sh := sqlshell.New(eng, format, stdout, stderr)
	if f, ok := stdout.(*os.File); ok && isTerminal(f) {
		sh.SetTerminal(f)
	}
	sh.Timeout = o.timeout
	sh.Quiet = o.quiet
	sh.Version = version
	if !o.quiet && isTerminal(stdout) && isTerminal(stderr) {
		sh.Progress = stderr // a note while a long collection runs; never when piped
	}
	for _, p := range o.params {
		name, value, _ := sqlshell.ParseParam(p)
		sh.SetParam(name, value)
	}
	return eng, sh, nil
}

// runContext is the context of a command that reads and writes once
// (--save, --diff, --export): cancelled by SIGINT or SIGTERM and by
// --timeout. interrupted gives the exit code when a signal ended it.
func runContext(o *options) (ctx context.Context, interrupted func() (int, bool), stop func()) {
	ctx, caught, stopSignals := signalContext(os.Interrupt, syscall.SIGTERM)
	cancel := context.CancelFunc(func() {})
	if o.timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, o.timeout)
	}
	return ctx, func() (int, bool) { return signalExit(caught()) }, func() { cancel(); stopSignals() }
}

// signalExit is the exit code of a run a signal ended (130, 143); ok is
// false when none did.
func signalExit(s os.Signal) (code int, ok bool) {
	switch s {
	case nil:
		return 0, false
	case syscall.SIGTERM:
		return exitTerminated, true
	}
	return exitInterrupted, true
}

// signalContext returns a context cancelled when one of sigs arrives, a
// function telling which arrived (nil if none), and a stop function that
// releases the signals.
func signalContext(sigs ...os.Signal) (context.Context, func() os.Signal, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var caught atomic.Value
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, sigs...)
	go func() {
		select {
		case s := <-ch:
			caught.Store(s)
			cancel()
		case <-ctx.Done():
		}
	}()
	which := func() os.Signal {
		s, _ := caught.Load().(os.Signal)
		return s
	}
	return ctx, which, func() { signal.Stop(ch); cancel() }
}
