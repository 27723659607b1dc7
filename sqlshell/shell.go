// Package sqlshell runs SQL against a netsql engine: one-shot statements,
// script files and standard input, printing results in the chosen output
// mode and diagnostics on stderr.
package sqlshell

import (
	"bufio"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"netsql/sqlshell/output"
	"netsql/tables/engine"
)

// ErrOutputClosed means the reader of stdout went away (`| head`): the run
// stops quietly.
var ErrOutputClosed = errors.New("output closed")

// Shell runs statements on one engine and prints their results.
type Shell struct {
	eng    *engine.Engine
	Format output.Format
	out    *bufio.Writer
	errOut io.Writer
	params map[string]string // :name bindings (--param, .param set)
	// Timeout stops each statement after this long (--timeout); 0 means none.
	Timeout time.Duration
	// Quiet drops the statements' warnings (--quiet); errors still print.
	Quiet bool
	// Version is netsql's, written into the files .save makes.
	Version string
	// Progress, when set (stderr is a terminal), gets a one-line note
	// while a statement collects for longer than ProgressDelay before its
	// first row: which table, how many processes walked. The note is
	// erased before the result prints.
	Progress      io.Writer
	ProgressDelay time.Duration

	// term is stdout when it is a terminal (SetTerminal), nil otherwise;
	// termSize tells its columns and rows (tests replace it), and
	// onTerminal says results go there now, not to a .output file.
	term       *os.File
	termSize   func() (cols, rows int)
	onTerminal bool

	// stream is the run's stream to where results go now (the session
	// sets it); without one each result is a document of its own.
	stream *output.Stream
}

// DefaultProgressDelay is how long a collection runs before its note shows.
const DefaultProgressDelay = time.Second

// startProgress starts the progress note of one statement; the returned
// function stops it and erases what it printed. It may be called more
// than once.
func (s *Shell) startProgress() (stop func()) {
	if s.Progress == nil {
		return func() {}
	}
	delay := s.ProgressDelay
	if delay <= 0 {
		delay = DefaultProgressDelay
	}
	p := s.eng.Progress()
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTimer(delay)
		defer tick.Stop()
		shown := false
		for {
			select {
			case <-done:
				if shown {
					fmt.Fprint(s.Progress, "\r\x1b[K")
				}
				return
			case <-tick.C:
				if dataset, n := p.Read(); dataset != "" {
					note := "collecting " + dataset + "…"
					if n > 0 {
						note = fmt.Sprintf("collecting %s… %d %s walked", dataset, n, plural(n, "process", "processes"))
					}
					fmt.Fprint(s.Progress, "\r\x1b[K"+note)
					shown = true
				}
				tick.Reset(200 * time.Millisecond)
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(done); <-finished }) }
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// SetTerminal says stdout is the terminal f: tables fit its width, tsv and
// csv escape control characters, and the prompt may page long output.
func (s *Shell) SetTerminal(f *os.File) {
	s.term = f
	s.termSize = func() (int, int) { return output.TerminalSize(f) }
	s.onTerminal = true
}

// resultWriter returns the writer of the next result, printing to out
// (where results go now).
func (s *Shell) resultWriter(out io.Writer) (output.Writer, error) {
	if s.stream == nil {
		return output.NewWriter(out, s.format())
	}
	return s.stream.Writer(out, s.format())
}

// flushEvery is the longest a row waits in the output buffer: rows are
// written in blocks of 64 KiB, and at least this often, so that the rows
// of a slow statement (a jsonl stream, a resolve() per row) reach the
// reader as they come.
const flushEvery = 100 * time.Millisecond

// flusher writes to a buffer that it flushes every flushEvery while a
// statement runs; Write takes a lock, which costs next to nothing on the
// row path (BenchmarkExecTSV).
type flusher struct {
	mu   sync.Mutex
	w    *bufio.Writer
	done chan struct{}
	quit sync.WaitGroup
}

func startFlusher(w *bufio.Writer) *flusher {
	f := &flusher{w: w, done: make(chan struct{})}
	f.quit.Go(func() {
		tick := time.NewTicker(flushEvery)
		defer tick.Stop()
		for {
			select {
			case <-f.done:
				return
			case <-tick.C:
				f.mu.Lock()
				if f.w.Buffered() > 0 {
					f.w.Flush() // an error stays in the buffer and fails the next Write
				}
				f.mu.Unlock()
			}
		}
	})
	return f
}

func (f *flusher) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.w.Write(p)
}

// stop ends the flushing, leaving the buffer to its owner.
func (f *flusher) stop() {
	close(f.done)
	f.quit.Wait()
}

// format is the Format for where results go now: the user's settings and,
// on the terminal, its width.
func (s *Shell) format() output.Format {
	f := s.Format
	if s.onTerminal {
		f.Terminal = true
		f.Width, _ = s.termSize()
	}
	return f
}

// allowWrite tells whether dot-commands that write files (.output, .once)
// may run from files, scripts and saved queries too (--allow-write, which
// the engine holds for statements as well); typed at the prompt they
// always may.
func (s *Shell) allowWrite() bool { return s.eng.AllowWrite() }

// New returns a shell printing results to stdout and diagnostics to stderr.
func New(eng *engine.Engine, f output.Format, stdout, stderr io.Writer) *Shell {
	return &Shell{eng: eng, Format: f, out: bufio.NewWriterSize(stdout, 64<<10), errOut: stderr}
}

// StatementError is a failed statement; where names it in a script
// ("checks.sql line 3").
type StatementError struct {
	Where string
	Msg   string
}

func (e *StatementError) Error() string {
	if e.Where != "" {
		return e.Where + ": " + e.Msg
	}
	return e.Msg
}

// Exec runs one statement and prints its rows as they come. Rows printed
// before a failure stay printed and the output is closed properly.
func (s *Shell) Exec(ctx context.Context, query string) error {
	args, err := s.bindArgs(query)
	if err != nil {
		return &StatementError{Msg: err.Error()}
	}
	if s.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, s.Timeout, fmt.Errorf("%w after --timeout %v", errTimeout, s.Timeout))
		defer cancel()
	}
	flusher := startFlusher(s.out)
	stopProgress := s.startProgress()
	defer stopProgress()
	p := &rowPrinter{s: s, out: flusher, stopProgress: stopProgress}
	// Rows come through the engine's direct path when it takes the
	// statement (a SELECT over datasets only), else through database/sql.
	warnings, direct, err := s.eng.Direct(ctx, query, args, p.begin, p.directRow)
	if !direct {
		warnings, err = s.eng.Statement(ctx, query, args, func(rows *sql.Rows) error {
			cols, err := rows.Columns()
			if err != nil {
				return err
			}
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			for rows.Next() {
				if err := rows.Scan(ptrs...); err != nil {
					return err
				}
				if !p.begun {
					if err := p.begin(cols); err != nil {
						return err
					}
				}
				if err := p.row(vals); err != nil {
					return err
				}
			}
			if err := rows.Err(); err != nil {
				return err
			}
			if !p.begun {
				return p.begin(cols)
			}
			return nil
		})
	}
	outErr := p.end(err)
	flusher.stop()
	stopProgress()
	if outErr == nil {
		outErr = s.out.Flush()
	} else {
		s.out.Flush()
	}
	if !s.Quiet {
		for _, w := range warnings {
			fmt.Fprintln(s.errOut, w)
		}
	}
	if outErr != nil {
		if isClosedPipe(outErr) {
			return ErrOutputClosed
		}
		return fmt.Errorf("write output: %w", outErr)
	}
	if err != nil {
		if cause := context.Cause(ctx); cause != nil {
			if errors.Is(cause, errTimeout) {
				return &StatementError{Msg: cause.Error()}
			}
			return cause
		}
		msg := engine.CleanError(err)
		if strings.Contains(msg, "no such table: baseline.") {
			msg += " (the baseline is a saved moment: run with --baseline FILE, made by netsql --save FILE)"
		}
		if strings.HasSuffix(msg, "no such table: closed_sockets") {
			msg += " (it lists the sockets closed between two runs of --watch DURATION)"
		}
		if strings.Contains(msg, "no such table: prev.") {
			msg += " (prev is the previous run's moment: run the statement with --watch DURATION)"
		}
		return &StatementError{Msg: msg}
	}
	return nil
}

// rowPrinter hands a statement's rows to the output writer: Begin waits
// for the first row (or the statement's end without error), so a
// statement that fails before producing one prints nothing on stdout, and
// End closes what was begun, also after a failure.
type rowPrinter struct {
	s            *Shell
	out          io.Writer
	stopProgress func()
	w            output.Writer
	keeps        bool // the writer holds rows (table, markdown): texts are copied
	begun        bool
	vals         []any
	outErr       error // writing failed: the rows still come, unprinted
}

func (p *rowPrinter) begin(cols []string) error {
	p.begun = true
	p.stopProgress()
	w, err := p.s.resultWriter(p.out)
	if err != nil {
		return err
	}
	p.w, p.keeps = w, output.Keeps(w)
	p.outErr = w.Begin(cols)
	return nil
}

// row prints one row; a write error stops the statement (end returns it).
func (p *rowPrinter) row(vals []any) error {
	if p.outErr == nil {
		p.outErr = p.w.Row(vals)
	}
	return p.outErr
}

// directRow prints a row of the engine's direct path, whose texts are
// views into SQLite's memory, valid only during the call.
func (p *rowPrinter) directRow(values []driver.Value) error {
	if p.outErr != nil {
		return p.outErr
	}
	p.vals = p.vals[:0]
	for _, v := range values {
		if p.keeps {
			switch x := v.(type) {
			case string:
				v = strings.Clone(x)
			case []byte:
				v = slices.Clone(x)
			}
		}
		p.vals = append(p.vals, v)
	}
	return p.row(p.vals)
}

// end closes the output after the statement (err is its error) and
// returns the first write error.
func (p *rowPrinter) end(err error) error {
	p.stopProgress()
	if p.begun && p.w != nil {
		if endErr := p.w.End(); p.outErr == nil {
			p.outErr = endErr
		}
	}
	return p.outErr
}

// errTimeout marks a statement stopped by --timeout.
var errTimeout = errors.New("statement stopped")

func isClosedPipe(err error) bool {
	return errors.Is(err, syscall.EPIPE) || errors.Is(err, io.ErrClosedPipe)
}

// ListTables prints every dataset's name and description.
func (s *Shell) ListTables() error {
	rows := make([][]any, 0, len(s.eng.Datasets()))
	for _, d := range s.eng.Datasets() {
		rows = append(rows, []any{d.Name, d.Doc})
	}
	return s.PrintRows([]string{"table_name", "description"}, rows)
}

// PrintRows prints a result made by netsql itself (a listing) in the
// shell's output mode, so that scripts get it as JSON too.
func (s *Shell) PrintRows(columns []string, rows [][]any) error {
	w, err := s.resultWriter(s.out)
	if err != nil {
		return err
	}
	if err := output.WriteAll(w, columns, rows); err != nil {
		return err
	}
	return s.out.Flush()
}

// SchemaDatasets returns the datasets whose name matches pattern: "all",
// or an SQL LIKE pattern ignoring case ("sockets", "SOCK%", "%route_").
func SchemaDatasets(datasets []*engine.Dataset, pattern string) ([]*engine.Dataset, error) {
	var match []*engine.Dataset
	for _, d := range datasets {
		if strings.EqualFold(pattern, "all") || likeMatch(pattern, d.Name) {
			match = append(match, d)
		}
	}
	if len(match) == 0 {
		names := make([]string, len(datasets))
		for i, d := range datasets {
			names[i] = d.Name
		}
		return nil, fmt.Errorf("no table matches %q (tables: %s; a LIKE pattern such as 'sock%%', or all)", pattern, strings.Join(names, ", "))
	}
	return match, nil
}

// Schema prints the CREATE TABLE statement of the datasets matching
// pattern (SchemaDatasets), each column's description as a comment.
func Schema(w io.Writer, datasets []*engine.Dataset, pattern string) error {
	match, err := SchemaDatasets(datasets, pattern)
	if err != nil {
		return err
	}
	parts := make([]string, len(match))
	for i, d := range match {
		parts[i] = d.CreateTableSQL()
	}
	_, err = io.WriteString(w, strings.Join(parts, "\n\n")+"\n")
	return err
}

// SchemaRows is the schema of the datasets matching pattern as rows, one
// per column, for the output modes (--schema with -o json).
func SchemaRows(datasets []*engine.Dataset, pattern string) (columns []string, rows [][]any, err error) {
	match, err := SchemaDatasets(datasets, pattern)
	if err != nil {
		return nil, nil, err
	}
	for _, d := range match {
		for _, c := range d.Columns {
			rows = append(rows, []any{d.Name, c.Name, c.Type.String(), c.Doc})
		}
	}
	return []string{"table_name", "column_name", "type", "description"}, rows, nil
}
