package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"netsql/tables/kernel"

	"modernc.org/sqlite"
	"modernc.org/sqlite/vtab"
)

// moduleName is the SQLite module every dataset's virtual table uses.
const moduleName = "netsql"

var (
	registerOnce sync.Once
	registerErr  error
	engines      sync.Map // engine id (string) -> *Engine
	nextEngineID atomic.Int64
)

// register installs the virtual-table module and EachRow's aggregate once
// per process; modules and functions reach only connections opened
// afterwards (ARCHITECTURE.md, "The engine"), so every engine calls it
// before opening its database.
func register() error {
	registerOnce.Do(func() {
		registerErr = vtab.RegisterModule(nil, moduleName, module{})
		if registerErr == nil {
			registerErr = registerEachRow()
		}
	})
	return registerErr
}

// Stats counts what the engine did, for tests that prove the engine's
// promises by counting rather than timing.
type Stats struct {
	Collections map[string]int // whole collections, by dataset
	Narrowed    map[string]int // narrowed collections (one key value each), by dataset
	Fills       map[string]int // column-group fills, by "dataset.group"
	Scans       map[string]int // cursor Filter calls, by dataset
	RowsVisited map[string]int // rows a cursor handed to SQLite, by dataset
	// Replanned counts scans the statement's plan did not foresee, which
	// made a narrowed dataset fall back to a whole read, by dataset.
	Replanned map[string]int
	// Streamed counts reads that ran beside their statement, serving rows
	// as they came (a plan's stream), by dataset.
	Streamed map[string]int
	// Picked counts statements Direct ran by position (directPick): the
	// rows' values read from the scan's row, not computed by SQLite.
	Picked map[string]int
}

func newStats() Stats {
	return Stats{Collections: map[string]int{}, Narrowed: map[string]int{}, Fills: map[string]int{},
		Scans: map[string]int{}, RowsVisited: map[string]int{}, Replanned: map[string]int{}, Streamed: map[string]int{},
		Picked: map[string]int{}}
}

func (s Stats) clone() Stats {
	c := newStats()
	for _, pair := range [][2]map[string]int{{c.Collections, s.Collections}, {c.Narrowed, s.Narrowed},
		{c.Fills, s.Fills}, {c.Scans, s.Scans}, {c.RowsVisited, s.RowsVisited}, {c.Replanned, s.Replanned},
		{c.Streamed, s.Streamed}, {c.Picked, s.Picked}} {
		for k, v := range pair[1] {
			pair[0][k] = v
		}
	}
	return c
}

// Engine is one in-memory SQLite database on one pinned connection, with
// every dataset declared as a virtual table.
type Engine struct {
	id       string
	db       *sql.DB
	conn     *sql.Conn
	src      *kernel.Source
	datasets []*Dataset

	mu         sync.Mutex
	snap       *snapshot // the current statement's state; nil between statements
	last       *snapshot // the last statement's, when retainLast (LastRows)
	retainLast bool
	progress   *kernel.Progress // the running statement's collection, for a progress note
	keepSnap   bool             // .snapshot on: keep snap across statements
	beside     atomic.Bool      // SetBeside: statements run without the process-wide running lock
	stats      Stats

	allowWrite atomic.Bool // --allow-write: statements may write files
	dry        atomic.Bool // Direct's dry run: every dataset is empty, none is read
	picked     *directPick // Direct by position: the scan whose rows the step reads
	// colsUsed gathers, while planStatement prepares a statement, the
	// columns (SQLite's colUsed) each dataset's references use, by index.
	colsUsed  map[int]uint64
	attaching atomic.Bool // netsql's own ATTACH runs (Attach), not a statement's
	denied    string      // why the authorizer refused the current statement

	// seen is what the engine learned of each dataset's size from earlier
	// collections, for the planner's estimates (by dataset name).
	seen map[string]*seenStats
}

// seenStats is a dataset's row count and distinct values per column set
// ("3,5"), as last collected whole.
type seenStats struct {
	rows     int
	distinct map[string]int
}

// Open creates an engine reading from src and declaring datasets.
func Open(ctx context.Context, src *kernel.Source, datasets []*Dataset) (*Engine, error) {
	if len(datasets) >= idxNumDatasetMask {
		return nil, fmt.Errorf("open engine: %d datasets, at most %d", len(datasets), idxNumDatasetMask-1)
	}
	for _, d := range datasets {
		if err := d.Validate(); err != nil {
			return nil, err
		}
	}
	if err := register(); err != nil {
		return nil, fmt.Errorf("register sqlite module: %w", err)
	}
	e := &Engine{id: fmt.Sprint(nextEngineID.Add(1)), src: src, datasets: datasets, stats: newStats(),
		seen: map[string]*seenStats{}, progress: &kernel.Progress{}}
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		return nil, err
	}
	// Each pooled :memory: connection would be its own empty database.
	db.SetMaxOpenConns(1)
	e.db = db
	e.conn, err = db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	engines.Store(e.id, e)
	setup := []string{"PRAGMA temp_store = MEMORY"}
	for _, d := range datasets {
		setup = append(setup, fmt.Sprintf("CREATE VIRTUAL TABLE %s USING %s(%s, %s)", d.Name, moduleName, e.id, d.Name))
	}
	for _, stmt := range setup {
		if _, err := e.conn.ExecContext(ctx, stmt); err != nil {
			e.Close()
			return nil, fmt.Errorf("open engine: %s: %w", stmt, err)
		}
	}
	err = e.conn.Raw(func(driverConn any) error {
		reg, ok := driverConn.(sqlite.AuthorizerRegisterer)
		if !ok {
			return errors.New("the sqlite driver has no authorizer")
		}
		return reg.RegisterAuthorizer(e.authorize)
	})
	if err != nil {
		e.Close()
		return nil, fmt.Errorf("open engine: %w", err)
	}
	return e, nil
}

// SetAllowWrite lets statements write files (--allow-write): ATTACH,
// VACUUM INTO and the temp_store pragmas.
func (e *Engine) SetAllowWrite(allow bool) { e.allowWrite.Store(allow) }

// AllowWrite reports whether statements may write files.
func (e *Engine) AllowWrite() bool { return e.allowWrite.Load() }

// ErrRefused marks a statement the read-only policy refused.
var ErrRefused = errors.New("refused")

// authorize is the connection's authorizer. netsql often runs as root on
// query files someone else wrote, so by default a statement may not touch
// the filesystem: ATTACH (VACUUM INTO reaches here as an ATTACH) and the
// pragmas that move temporary storage to disk are refused, and so are
// loading extensions and dropping netsql's own tables, always.
func (e *Engine) authorize(action sqlite.AuthorizerActionCode, arg1, arg2, _, _ string) sqlite.AuthorizerReturnCode {
	deny := func(why string) sqlite.AuthorizerReturnCode {
		e.denied = why
		return sqlite.AuthorizerDeny
	}
	const hint = "; netsql is read-only unless run with --allow-write"
	switch action {
	case sqlite.AuthAttach:
		if !e.allowWrite.Load() && !e.attaching.Load() {
			return deny(fmt.Sprintf("ATTACH or VACUUM INTO %q would open a file%s", arg1, hint))
		}
	case sqlite.AuthPragma:
		switch strings.ToLower(arg1) {
		case "temp_store", "temp_store_directory", "data_store_directory":
			if arg2 != "" && !e.allowWrite.Load() {
				return deny(fmt.Sprintf("PRAGMA %s could put data on disk%s", arg1, hint))
			}
		}
	case sqlite.AuthFunction:
		if strings.EqualFold(arg2, "load_extension") {
			return deny("load_extension() would load code into netsql")
		}
	case sqlite.AuthDropVTable:
		if arg2 == moduleName {
			return deny(fmt.Sprintf("%s is a netsql table and cannot be dropped", arg1))
		}
	}
	return sqlite.AuthorizerOK
}

// Close releases the database.
func (e *Engine) Close() error {
	engines.Delete(e.id)
	var errs []error
	if e.conn != nil {
		errs = append(errs, e.conn.Close())
	}
	errs = append(errs, e.db.Close())
	return errors.Join(errs...)
}

// Conn returns the engine's one connection. Statements that read datasets
// must run inside Statement.
func (e *Engine) Conn() *sql.Conn { return e.conn }

// Source returns where the engine reads from; its namespace scope may be
// changed between statements (.netns).
func (e *Engine) Source() *kernel.Source { return e.src }

// Datasets returns the datasets this engine declares.
func (e *Engine) Datasets() []*Dataset { return e.datasets }

// Stats returns a copy of the engine's counters.
func (e *Engine) Stats() Stats {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.stats.clone()
}

// SetKeepSnapshot turns on or off keeping one snapshot across statements
// (.snapshot on|off); turning it off drops the kept snapshot.
func (e *Engine) SetKeepSnapshot(keep bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.keepSnap = keep
	if !keep {
		e.snap = nil
	}
}

// KeepSnapshot tells whether one snapshot is kept across statements.
func (e *Engine) KeepSnapshot() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.keepSnap
}

// Refresh drops a kept snapshot, so the next statement collects afresh.
func (e *Engine) Refresh() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.snap = nil
}

// Statement runs query as one statement and hands its rows to each: every
// dataset it reads is read at one moment, however often SQLite scans it,
// and afresh by the next statement. Before the first row the engine asks
// SQLite for the statement's program and decides from every reference how
// each dataset is read (plan.go). It returns the warnings counted and the
// statement's error; the caller prints the warnings (Shell.Exec does).
// each may be nil for a statement whose rows are not read.
func (e *Engine) Statement(ctx context.Context, query string, args []any, each func(rows *sql.Rows) error) ([]kernel.Warning, error) {
	if !e.beside.Load() {
		running.Lock()
		running.engine = e
		defer func() {
			running.engine = nil
			running.Unlock()
		}()
	}
	e.mu.Lock()
	fresh := e.snap == nil || !e.keepSnap
	retain := e.retainLast
	if fresh {
		e.snap = newSnapshot(ctx, e.src)
		e.snap.col.SetProgress(e.progress)
	}
	e.progress.Reset()
	snap := e.snap
	snap.col.SetContext(ctx)
	e.denied = ""
	keep := e.keepSnap
	e.mu.Unlock()

	// A kept snapshot serves statements not yet written: it is read whole,
	// though a statement's only scan may still stream its first read.
	if keep {
		snap.plans = e.planKept(ctx, query, args)
		e.denied = ""
	}
	if fresh && !keep {
		snap.plans = e.planStatement(ctx, query, args)
		e.denied = ""
		if retain { // LastRows hands out every column (watch mode's prev)
			for _, p := range snap.plans {
				p.prune = false
			}
		}
	}

	err := func() error {
		rows, err := e.conn.QueryContext(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		if each == nil { // a statement whose rows nobody reads (INSERT ... SELECT)
			for rows.Next() {
			}
		} else if err := each(rows); err != nil {
			return err
		}
		return rows.Err()
	}()
	// A read streamed beside the statement ends before its snapshot is
	// kept or dropped; its failure fails the statement, rows served or not.
	if serr := snap.settle(e); serr != nil && err == nil {
		err = serr
	}
	// The authorizer runs while the statement is prepared, and a denial
	// always fails the prepare: an error with a denial recorded is that
	// refusal, whatever words SQLite put in its message.
	if err != nil && e.denied != "" {
		err = fmt.Errorf("%w: %s", ErrRefused, e.denied)
	}

	e.mu.Lock()
	warnings := snap.col.Warnings()
	snap.col.ClearWarnings()
	if !e.keepSnap {
		if e.retainLast {
			e.last = snap
		}
		e.snap = nil
	}
	e.mu.Unlock()
	return warnings, err
}

// SetRetainLast makes the engine keep, after each statement, what that
// statement read, for LastRows (watch mode's prev); the next statement
// still reads afresh, narrowed as its plan says.
func (e *Engine) SetRetainLast(on bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.retainLast, e.last = on, nil
}

// LastRows returns the rows of the dataset called name that the last
// statement read (SetRetainLast): every row when it read the dataset
// whole, else the rows its narrowed reads brought. Column groups the
// statement did not use are nil. ok is false when it did not read it.
func (e *Engine) LastRows(name string) (rows []Row, ok bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.last == nil {
		return nil, false
	}
	ts := e.last.tables[name]
	if ts == nil {
		return nil, false
	}
	if ts.all != nil {
		return ts.all.rows, true
	}
	for _, rs := range ts.byValue {
		rows = append(rows, rs.rows...)
		ok = true
	}
	return rows, ok
}

// running is the engine whose statement runs. SQLite functions register
// process-wide and receive nothing that names their connection, so the
// ones that need the statement (service's etc/services, resolve's cache)
// ask RunningCollector; Statement runs one statement at a time per
// process and records itself here.
var running struct {
	sync.Mutex // held for the whole of a statement, across engines
	engine     *Engine
}

// SetBeside lets the engine's statements run beside other engines'
// statements instead of one at a time in the process, for an engine whose
// statements call none of the SQL functions that ask RunningCollector
// (--save's second engine, which reads its tables with ScanAll). Such a
// function called in them fails as outside a statement rather than read
// another engine's snapshot.
func (e *Engine) SetBeside() { e.beside.Store(true) }

// Progress tells how far the running statement's collection got; another
// goroutine may read it while the statement runs (a terminal's note).
func (e *Engine) Progress() *kernel.Progress { return e.progress }

// RunningCollector is the reading session of the statement being run, for
// SQL functions (fn names the caller in the error outside a statement).
func RunningCollector(fn string) (*kernel.Collector, error) {
	e := running.engine
	if e == nil || e.snap == nil {
		return nil, fmt.Errorf("%s: called outside a netsql statement", fn)
	}
	return e.snap.col, nil
}

// Sub returns how much each counter moved since before.
func (s Stats) Sub(before Stats) Stats {
	d := newStats()
	for _, pair := range [][3]map[string]int{{d.Collections, s.Collections, before.Collections},
		{d.Narrowed, s.Narrowed, before.Narrowed}, {d.Fills, s.Fills, before.Fills},
		{d.Scans, s.Scans, before.Scans}, {d.RowsVisited, s.RowsVisited, before.RowsVisited},
		{d.Replanned, s.Replanned, before.Replanned}, {d.Streamed, s.Streamed, before.Streamed},
		{d.Picked, s.Picked, before.Picked}} {
		for k, v := range pair[1] {
			if v-pair[2][k] != 0 {
				pair[0][k] = v - pair[2][k]
			}
		}
	}
	return d
}

// Query runs one statement and returns every row, for tests and small
// callers; Statement streams.
func (e *Engine) Query(ctx context.Context, query string, args ...any) (columns []string, rows [][]any, warnings []kernel.Warning, err error) {
	warnings, err = e.Statement(ctx, query, args, func(r *sql.Rows) error {
		var err error
		columns, err = r.Columns()
		if err != nil {
			return err
		}
		for r.Next() {
			vals := make([]any, len(columns))
			ptrs := make([]any, len(columns))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := r.Scan(ptrs...); err != nil {
				return err
			}
			rows = append(rows, vals)
		}
		return nil
	})
	return columns, rows, warnings, err
}

// learnRows records a whole collection's size for later estimates.
func (e *Engine) learnRows(d *Dataset, rows int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := e.seen[d.Name]
	if s == nil {
		s = &seenStats{distinct: map[string]int{}}
		e.seen[d.Name] = s
	}
	s.rows = rows
}

// learnDistinct records how many distinct values a column set had.
func (e *Engine) learnDistinct(d *Dataset, columns string, rows, distinct int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if s := e.seen[d.Name]; s != nil && s.rows == rows {
		s.distinct[columns] = max(distinct, 1)
	}
}

// defaultSelectivity is how many times an equality on a column whose
// distinct values were never counted is assumed to divide the rows.
const defaultSelectivity = 10

// estimate tells the planner what a scan with equality on columns costs
// and returns: the whole dataset without columns, else the rows expected
// per distinct value of the column set (a hash lookup). Sizes come from
// the last whole collection, or the declaration's typical size.
func (e *Engine) estimate(d *Dataset, columns []int) (cost float64, rows int64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := float64(max(d.EstimatedRows, 1))
	s := e.seen[d.Name]
	if s != nil {
		n = float64(max(s.rows, 1))
	}
	if len(columns) == 0 {
		return n, int64(n)
	}
	divisor := 1.0
	if d, ok := s.distinctOf(columnList(columns)); ok {
		divisor = float64(d)
	} else {
		for _, c := range columns {
			if d, ok := s.distinctOf(columnList([]int{c})); ok {
				divisor *= float64(d)
			} else {
				divisor *= defaultSelectivity
			}
		}
	}
	est := max(n/min(divisor, n), 1)
	return 1 + est, int64(est)
}

func (s *seenStats) distinctOf(columns string) (int, bool) {
	if s == nil {
		return 0, false
	}
	d, ok := s.distinct[columns]
	return d, ok
}

// CleanError strips the driver's decoration from an SQLite error
// ("SQL logic error: no such table: x (1)" becomes "no such table: x").
func CleanError(err error) string {
	msg := err.Error()
	var se *sqlite.Error
	if errors.As(err, &se) {
		msg = se.Error()
		if i := strings.LastIndex(msg, " ("); i > 0 && strings.HasSuffix(msg, ")") {
			msg = msg[:i]
		}
		for _, prefix := range []string{"SQL logic error: ", "SQL logic error", "constraint failed: "} {
			if strings.HasPrefix(msg, prefix) && len(msg) > len(prefix) {
				msg = strings.TrimPrefix(msg, prefix)
				break
			}
		}
	}
	return strings.TrimSpace(strings.ReplaceAll(msg, "\n", " "))
}

// lookupEngine finds the engine a virtual table belongs to.
func lookupEngine(id string) (*Engine, error) {
	v, ok := engines.Load(id)
	if !ok {
		return nil, fmt.Errorf("netsql: no engine %s", id)
	}
	return v.(*Engine), nil
}

// current returns the statement's snapshot, or an error when a dataset is
// read outside Statement (a bug in the caller).
func (e *Engine) current() (*snapshot, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.snap == nil {
		return nil, errors.New("netsql: dataset read outside a statement")
	}
	return e.snap, nil
}

func (e *Engine) count(m func(*Stats) map[string]int, key string, n int) {
	e.mu.Lock()
	m(&e.stats)[key] += n
	e.mu.Unlock()
}
