// Package moment keeps the network state of one moment in a file and reads
// it back: --save writes every dataset (or some) of one moment into a plain
// SQLite file with the same tables and columns plus snapshot_info;
// --from queries such a file with the same SQL; --baseline attaches one
// beside the live tables as schema baseline. See ARCHITECTURE.md
// "Saved moments".
package moment

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"netsql/tables/engine"
	"netsql/tables/kernel"
	"netsql/tables/moment/dbfile"
)

// Format is the version of the file layout this netsql writes; a file of
// a newer format is refused with one error rather than misread.
const Format = 1

// InfoTable is the table of a saved moment that describes it.
const InfoTable = "snapshot_info"

// infoColumns are snapshot_info's columns, its one row.
var infoColumns = []engine.Column{
	{Name: "format", Type: engine.Integer, Doc: "the file layout's version"},
	{Name: "netsql_version", Type: engine.Text, Doc: "the netsql that wrote the file"},
	{Name: "host", Type: engine.Text, Doc: "host name (proc/sys/kernel/hostname)"},
	{Name: "machine_id", Type: engine.Text, Doc: "etc/machine-id; NULL when absent"},
	{Name: "kernel", Type: engine.Text, Doc: "kernel release (proc/sys/kernel/osrelease)"},
	{Name: "taken_at", Type: engine.Text, Doc: "when the collection began, UTC, RFC 3339 with nanoseconds"},
	{Name: "netns", Type: engine.Integer, Doc: "the network namespace the moment shows (its inode)"},
	{Name: "source", Type: engine.Text, Doc: "where it was read: live, or the tree's directories"},
	{Name: "tables", Type: engine.Text, Doc: "JSON object: each saved table's name, its rows and what it was read from"},
	{Name: "warnings", Type: engine.Text, Doc: "JSON array of the collection's warnings, as netsql printed them"},
}

// Options are what --save was asked.
type Options struct {
	Tables  []string // dataset names; nil for every dataset
	Force   bool     // replace an existing file
	Version string   // netsql's version, for snapshot_info
}

// Result is what Save wrote.
type Result struct {
	Rows     map[string]int
	Warnings []kernel.Warning
	// ThroughSQLite is set when the tables were written through SQLite,
	// because a value did not fit its column unchanged (writeDirect).
	ThroughSQLite bool
}

// ErrNoTable is returned by Save for a table name it does not know.
var ErrNoTable = errors.New("no table")

// ErrExists is returned by Save when the file exists and Force is off.
var ErrExists = errors.New("file exists (use --force to replace it)")

// Save writes one moment of the engine's datasets to path: every dataset
// is collected once, with the engine's snapshot kept across the copies,
// so all tables show the same moment (a snapshot the prompt keeps with
// .snapshot on is the one saved). The file is written beside path under a
// temporary name, synced, and renamed into place, so path is never half
// written; without Force an existing path is left alone.
func Save(ctx context.Context, e *engine.Engine, path string, opt Options) (*Result, error) {
	datasets, err := Pick(e.Datasets(), opt.Tables)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if !opt.Force {
		if _, err := os.Lstat(path); err == nil {
			return nil, fmt.Errorf("%s: %w", path, ErrExists)
		}
	}
	dir := filepath.Dir(path)
	if err := kernel.CheckDir(dir); err != nil {
		return nil, err
	}
	tmp := TempName(path)
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	f.Close()
	done := false
	defer func() {
		if !done {
			os.Remove(tmp)
		}
	}()
	// Every row a save reads is kept until the file is written, so a
	// garbage collection cycle in between only marks them again: the
	// collector is paused for the whole writing, as for a collection
	// (engine.PauseGC, which the exporter's SetGCPause(false) turns off).
	resume := engine.PauseGC()
	res, err := write(ctx, e, tmp, datasets, opt)
	resume()
	if err != nil {
		return nil, err
	}
	if err := syncFile(tmp); err != nil {
		return nil, err
	}
	if opt.Force {
		err = os.Rename(tmp, path)
	} else if err = os.Link(tmp, path); err == nil { // fails if path appeared meanwhile
		err = os.Remove(tmp)
	} else if errors.Is(err, fs.ErrExist) {
		err = fmt.Errorf("%s: %w", path, ErrExists)
	}
	if err != nil {
		return nil, err
	}
	done = true
	syncDir(dir)
	return res, nil
}

const saveSchema = "netsql_save"

// write fills the empty database file tmp with one moment: the engine
// keeps one snapshot across the tables (or the one .snapshot on keeps).
// The tables are written by dbfile, rows straight from the datasets
// (writeDirect); should a value not fit its column unchanged, the file is
// written again through SQLite (writeSQL), from the same snapshot.
// snapshot_info is added through SQLite either way.
func write(ctx context.Context, e *engine.Engine, tmp string, datasets []*engine.Dataset, opt Options) (*Result, error) {
	kept := e.KeepSnapshot()
	if !kept {
		e.SetKeepSnapshot(true) // one moment for every table of the file
		defer e.SetKeepSnapshot(false)
	}
	takenAt := time.Now().UTC()
	res, err := writeDirect(ctx, e, tmp, datasets, kept)
	if errors.Is(err, errThroughSQLite) {
		if err = os.Truncate(tmp, 0); err == nil {
			res, err = writeSQL(ctx, e, tmp, datasets)
		}
		if err == nil {
			res.ThroughSQLite = true
		}
	}
	if err != nil {
		return nil, err
	}
	if err := e.Attach(ctx, tmp, saveSchema, true); err != nil {
		return nil, fmt.Errorf("%s: %w", tmp, err)
	}
	defer e.Detach(context.WithoutCancel(ctx), saveSchema)
	if err := prepareFile(ctx, e.Conn(), saveSchema, nil); err != nil {
		return nil, err
	}
	tables := map[string]any{}
	for _, d := range datasets {
		tables[d.Name] = map[string]any{"rows": res.Rows[d.Name], "read_from": d.Sources}
	}
	info, err := describe(ctx, e, takenAt, tables, res.Warnings, opt.Version)
	if err != nil {
		return nil, err
	}
	conn := e.Conn()
	if _, err := conn.ExecContext(ctx, createTable(saveSchema+"."+InfoTable, infoColumns)); err != nil {
		return nil, err
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(info)), ", ")
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("INSERT INTO %s.%s VALUES (%s)", saveSchema, InfoTable, marks), info...); err != nil {
		return nil, err
	}
	return res, nil
}

// errThroughSQLite is writeDirect's answer when a table must be written
// through SQLite: a value SQLite would change on the way in (its column's
// affinity), or a scan SQLite does not plan as one.
var errThroughSQLite = errors.New("through SQLite")

// results gathers the rows and warnings of a save's tables.
type results struct {
	mu sync.Mutex
	Result
	seen map[string]bool
}

func (r *results) add(name string, rows int, warnings []kernel.Warning) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.Rows == nil {
		r.Rows, r.seen = map[string]int{}, map[string]bool{}
	}
	r.Rows[name] = rows
	for _, w := range warnings {
		if !r.seen[w.String()] {
			r.seen[w.String()] = true
			r.Warnings = append(r.Warnings, w)
		}
	}
}

// writeDirect writes the datasets' tables into the empty file tmp with
// dbfile: each row as the dataset made it (Engine.ScanAll), encoded into
// the file's pages, with no SQLite call per value. Through SQLite, each
// value cost a column call and two copies, and that was most of what
// --save took over reading the same rows.
//
// A second engine reads and writes, into the same file and at the same
// time, the datasets after the first that stream (tcp_info, a netlink dump
// of its own) or read no process (routes, sysctls, ...): the first engine
// keeps the sockets and the tables that read /proc/PID, which share its
// owner walk. The sockets' read leaves the second core partly idle. Not
// from a snapshot kept before (.snapshot on), whose rows the file must
// hold. Each table is read once for the file, at the time it is taken.
func writeDirect(ctx context.Context, e *engine.Engine, tmp string, datasets []*engine.Dataset, kept bool) (_ *Result, err error) {
	w, err := dbfile.Create(tmp, dbfile.PageSize)
	if err != nil {
		return nil, err
	}
	defer func() { // last: the file is closed whole, or given up
		if err != nil {
			w.Abandon()
		} else if err = w.Close(); err != nil {
			err = fmt.Errorf("%s: %w", tmp, err)
		}
	}()
	tables := map[*engine.Dataset]*dbfile.Table{}
	var here, beside []*engine.Dataset
	for i, d := range datasets {
		if tables[d], err = w.Table(d.Name, createTable(d.Name, d.Columns), affinities(d.Columns)); err != nil {
			return nil, err
		}
		if i > 0 && !kept && (d.Streams || !readsProcesses(d)) {
			beside = append(beside, d)
		} else {
			here = append(here, d)
		}
	}
	var res results
	var part *besideWrite
	if len(beside) > 0 {
		part = &besideWrite{datasets: beside, tables: tables, res: &res, done: make(chan struct{})}
		defer part.stop() // before the file is closed
		part.start(ctx, e.Source())
	}
	for _, d := range here {
		if err := scanInto(ctx, e, d, tables[d], &res); err != nil {
			return nil, err
		}
	}
	if part != nil {
		if err := part.wait(ctx); err != nil {
			return nil, err
		}
	}
	return &res.Result, nil
}

// scanInto writes dataset d's rows, as e reads them, into table t.
func scanInto(ctx context.Context, e *engine.Engine, d *engine.Dataset, t *dbfile.Table, res *results) error {
	warnings, ran, err := e.ScanAll(ctx, d, func(r engine.Row) error { return t.Append(r) })
	if !ran || errors.Is(err, dbfile.ErrUnfit) {
		return errThroughSQLite
	}
	if err == nil {
		err = t.Close()
	}
	if err != nil {
		return fmt.Errorf("save %s: %s", d.Name, engine.CleanError(err))
	}
	res.add(d.Name, int(t.Rows()), warnings)
	return nil
}

// readsProcesses tells whether the dataset reads /proc/PID files (its
// declared sources), which the engine's owner walk serves.
func readsProcesses(d *engine.Dataset) bool {
	for _, src := range d.Sources {
		if strings.Contains(src, "/proc/PID/") {
			return true
		}
	}
	return false
}

// affinities are the columns' types as dbfile's.
func affinities(columns []engine.Column) []dbfile.Affinity {
	out := make([]dbfile.Affinity, len(columns))
	for i, c := range columns {
		switch c.Type {
		case engine.Integer:
			out[i] = dbfile.Integer
		case engine.Real:
			out[i] = dbfile.Real
		default:
			out[i] = dbfile.Text
		}
	}
	return out
}

// besideWrite reads datasets with a second engine and writes them into
// their tables of the file, beside the engine writing the others.
type besideWrite struct {
	datasets []*engine.Dataset
	tables   map[*engine.Dataset]*dbfile.Table
	res      *results
	once     sync.Once
	cancel   context.CancelFunc // set by start
	done     chan struct{}      // closed when the writing ended
	err      error
}

// start starts the writing, once.
func (b *besideWrite) start(ctx context.Context, src *kernel.Source) {
	b.once.Do(func() {
		ctx, b.cancel = context.WithCancel(ctx)
		go func() {
			defer close(b.done)
			b.err = b.write(ctx, src)
		}()
	})
}

func (b *besideWrite) write(ctx context.Context, src *kernel.Source) error {
	e, err := engine.Open(ctx, src, b.datasets)
	if err != nil {
		return err
	}
	defer e.Close()
	e.SetBeside()
	e.SetKeepSnapshot(true)
	defer e.SetKeepSnapshot(false)
	for _, d := range b.datasets {
		if err := scanInto(ctx, e, d, b.tables[d], b.res); err != nil {
			return err
		}
	}
	return nil
}

// wait waits for the writing to end and returns its error.
func (b *besideWrite) wait(ctx context.Context) error {
	select {
	case <-b.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	return b.err
}

// stop ends the writing if it still runs.
func (b *besideWrite) stop() {
	b.once.Do(func() { close(b.done) }) // never started
	if b.cancel != nil {
		b.cancel()
	}
	<-b.done
}

// writeSQL writes the datasets' tables into the empty file tmp through
// SQLite: INSERT ... SELECT * from each virtual table, with its affinity
// applied to every value.
func writeSQL(ctx context.Context, e *engine.Engine, tmp string, datasets []*engine.Dataset) (*Result, error) {
	if err := e.Attach(ctx, tmp, saveSchema, true); err != nil {
		return nil, fmt.Errorf("%s: %w", tmp, err)
	}
	defer e.Detach(context.WithoutCancel(ctx), saveSchema)
	if err := prepareFile(ctx, e.Conn(), saveSchema, datasets); err != nil {
		return nil, err
	}
	var res results
	for _, d := range datasets {
		count, warnings, err := copyDataset(ctx, e, d)
		if err != nil {
			return nil, err
		}
		res.add(d.Name, count, warnings)
	}
	return &res.Result, nil
}

// prepareFile sets up the file attached as schema and creates the
// datasets' tables in it, in catalogue order. The file is synced once, at
// the end: no journal, no sync per page. It is written once and read
// whole (--from, --diff): 64 KiB pages make fewer, larger writes (about
// 4% of --save at 100,000 sockets; 28.7 MiB against 28.3 MiB of 4 KiB
// pages).
func prepareFile(ctx context.Context, conn *sql.Conn, schema string, datasets []*engine.Dataset) error {
	for _, pragma := range []string{fmt.Sprintf("page_size = %d", dbfile.PageSize), "journal_mode = OFF", "synchronous = OFF"} {
		if _, err := conn.ExecContext(ctx, "PRAGMA "+schema+"."+pragma); err != nil {
			return err
		}
	}
	for _, d := range datasets {
		if _, err := conn.ExecContext(ctx, createTable(schema+"."+d.Name, d.Columns)); err != nil {
			return err
		}
	}
	return nil
}

// copyDataset copies the dataset's rows of e's snapshot into its table of
// the file attached as saveSchema, and returns how many it wrote.
func copyDataset(ctx context.Context, e *engine.Engine, d *engine.Dataset) (int, []kernel.Warning, error) {
	var count int
	warnings, err := e.Statement(ctx, fmt.Sprintf("INSERT INTO %s.%s SELECT * FROM main.%s", saveSchema, d.Name, d.Name), nil, nil)
	if err == nil { // the rows the INSERT wrote, without reading the table again
		err = e.Conn().QueryRowContext(ctx, "SELECT changes()").Scan(&count)
	}
	if err != nil {
		return 0, nil, fmt.Errorf("save %s: %s", d.Name, engine.CleanError(err))
	}
	return count, warnings, nil
}

// Origin is where and when a moment was taken: snapshot_info's host,
// machine_id, taken_at and netns.
type Origin struct {
	Host      *string // NULL when the tree has no hostname
	MachineID *string // NULL when etc/machine-id is absent
	TakenAt   time.Time
	Netns     *int64 // NULL when the namespace cannot be read
}

// LiveOrigin is the origin of a moment the engine collects now, from its
// source, taken at takenAt.
func LiveOrigin(ctx context.Context, e *engine.Engine, takenAt time.Time) Origin {
	c := kernel.NewCollector(ctx, e.Source())
	text := func(path string) *string {
		data, ok, err := c.ReadOptional(path)
		if err != nil || !ok {
			return nil
		}
		s := strings.TrimSpace(string(data))
		return &s
	}
	return Origin{Host: text(e.Source().ProcPath("sys", "kernel", "hostname")), MachineID: text(e.Source().EtcPath("machine-id")),
		TakenAt: takenAt.UTC(), Netns: netnsOf(kernel.SelfNetns(c))}
}

func netnsOf(v any) *int64 {
	if n, ok := v.(int64); ok {
		return &n
	}
	return nil
}

// orNull is *p, or nil for SQL NULL.
func orNull[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

// SavedOrigin reads the origin of the moment attached as schema from its
// snapshot_info.
func SavedOrigin(ctx context.Context, e *engine.Engine, schema string) (Origin, error) {
	var o Origin
	var takenAt string
	err := e.Conn().QueryRowContext(ctx, "SELECT host, machine_id, taken_at, netns FROM "+quote(schema)+"."+InfoTable).
		Scan(&o.Host, &o.MachineID, &takenAt, &o.Netns)
	if err != nil {
		return o, fmt.Errorf("%s: %s", InfoTable, engine.CleanError(err))
	}
	if o.TakenAt, err = time.Parse(time.RFC3339Nano, takenAt); err != nil {
		return o, fmt.Errorf("%s: taken_at %q: not RFC 3339", InfoTable, takenAt)
	}
	return o, nil
}

// describe is snapshot_info's row, in infoColumns' order.
func describe(ctx context.Context, e *engine.Engine, takenAt time.Time, tables map[string]any, warnings []kernel.Warning, version string) ([]any, error) {
	src := e.Source()
	origin := LiveOrigin(ctx, e, takenAt)
	var release any
	if data, ok, err := kernel.NewCollector(ctx, src).ReadOptional(src.ProcPath("sys", "kernel", "osrelease")); err == nil && ok {
		release = strings.TrimSpace(string(data))
	}
	source := "live"
	if !src.Live {
		var parts []string
		for _, p := range []string{src.Proc, src.Sys, src.Etc} {
			if p != "" {
				parts = append(parts, p)
			}
		}
		source = strings.Join(parts, " ")
	}
	lines := make([]string, len(warnings))
	for i, w := range warnings {
		lines[i] = w.String()
	}
	tablesJSON, err := json.Marshal(tables)
	if err != nil {
		return nil, err
	}
	warningsJSON, err := json.Marshal(lines)
	if err != nil {
		return nil, err
	}
	return []any{int64(Format), version, orNull(origin.Host), orNull(origin.MachineID), release,
		takenAt.Format(time.RFC3339Nano), orNull(origin.Netns), source, string(tablesJSON), string(warningsJSON)}, nil
}

// createTable declares a table with the columns' names and SQL types, so
// values keep their types in the file.
func createTable(name string, columns []engine.Column) string {
	defs := make([]string, len(columns))
	for i, c := range columns {
		defs[i] = c.Name + " " + c.Type.String()
	}
	return "CREATE TABLE " + name + " (" + strings.Join(defs, ", ") + ")"
}

// Pick returns the datasets named (all for none), in the catalogue's
// order; an unknown name is ErrNoTable (--tables of --save and --export).
func Pick(all []*engine.Dataset, names []string) ([]*engine.Dataset, error) {
	if len(names) == 0 {
		return all, nil
	}
	want := map[string]bool{}
	for _, n := range names {
		want[strings.ToLower(strings.TrimSpace(n))] = true
	}
	var out []*engine.Dataset
	for _, d := range all {
		if want[d.Name] {
			out = append(out, d)
			delete(want, d.Name)
		}
	}
	for n := range want {
		known := make([]string, len(all))
		for i, d := range all {
			known[i] = d.Name
		}
		return nil, fmt.Errorf("%w %q (tables: %s)", ErrNoTable, n, strings.Join(known, ", "))
	}
	return out, nil
}

// TempName is a hidden temporary name beside path, for a file written
// and then renamed or linked into place.
func TempName(path string) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp-"+randomSuffix())
}

func randomSuffix() string {
	b := make([]byte, 6)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
