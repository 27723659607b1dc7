// Command netsql shows this machine's network state — sockets, the
// processes that own them, and more — as tables of an in-memory SQLite
// database, to query and join with SQL.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
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
	"netsql/tables/kernel"
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
}

func parseFlags(args []string, helpOut io.Writer) (*options, error) {
	o := &options{}
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
	fs.Func("param", "bind :name in the statements to a value: `name=value` (repeatable)", func(v string) error {
		if _, _, err := sqlshell.ParseParam(v); err != nil {
			return err
		}
		o.params = append(o.params, v)
		return nil
	})
	fs.BoolVar(&o.allowWrite, "allow-write", false, "let statements and dot-commands write files (ATTACH, VACUUM INTO, .output)")
	fs.DurationVar(&o.timeout, "timeout", 0, "stop each statement after `DURATION` (e.g. 5s); 0 means no limit")
	fs.StringVar(&o.initFile, "init", "", "at the interactive prompt, run `FILE` first instead of ~/.netsqlrc")
	fs.BoolVar(&o.noInit, "no-init", false, "at the interactive prompt, run no start-up file")
	fs.BoolVar(&o.noHistory, "no-history", false, "at the interactive prompt, keep no history file")
	if err := fs.Parse(args); err != nil {
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
	rest := fs.Args()
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
	case o.timeout < 0:
		return nil, fmt.Errorf("--timeout %v: must not be negative", o.timeout)
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
	if o.schema != "" {
		if err := sqlshell.Schema(stdout, tables.All, o.schema); err != nil {
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
	if len(absent) > 0 {
		fmt.Fprintf(stderr, "warning: %s\n", strings.Join(absent, "; "))
	}
	script, scriptName := o.query, ""
	var saved []queries.Query
	if o.savedQuery != "" || o.listQueries {
		if saved, err = queries.Load(queries.UserDir()); err != nil {
			fmt.Fprintf(stderr, "netsql: %v\n", err)
			return exitUsage
		}
	}
	switch {
	case o.listQueries:
		for _, q := range saved {
			fmt.Fprintf(stdout, "%s\t%s\n", q.Name, q.Description)
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

	eng, sh, err := openShell(ctx, o, src, stdout, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "netsql: %v\n", err)
		return exitFailed
	}
	defer eng.Close()
	if o.listTables {
		err = sh.ListTables()
	} else {
		err = sh.RunInput(ctx, scriptName, script)
	}
	if s := caught(); s != nil {
		if s == syscall.SIGTERM {
			return exitTerminated
		}
		return exitInterrupted
	}
	switch {
	case err == nil, errors.Is(err, sqlshell.ErrOutputClosed):
		return exitOK
	default:
		fmt.Fprintf(stderr, "error: %v\n", err)
		return exitFailed
	}
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
	eng, err := tables.Open(ctx, src, nil)
	if err != nil {
		return nil, nil, err
	}
	eng.SetAllowWrite(o.allowWrite)
	sh := sqlshell.New(eng, format, stdout, stderr)
	if f, ok := stdout.(*os.File); ok && isTerminal(f) {
		sh.SetTerminal(f)
	}
	sh.Timeout = o.timeout
	for _, p := range o.params {
		name, value, _ := sqlshell.ParseParam(p)
		sh.SetParam(name, value)
	}
	return eng, sh, nil
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
