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

// write fills the empty database file tmp.
func write(ctx context.Context, e *engine.Engine, tmp string, datasets []*engine.Dataset, opt Options) (*Result, error) {
	if err := e.Attach(ctx, tmp, saveSchema, true); err != nil {
		return nil, fmt.Errorf("%s: %w", tmp, err)
	}
	defer e.Detach(context.WithoutCancel(ctx), saveSchema)
	conn := e.Conn()
	if err := prepareFile(ctx, conn, saveSchema, datasets); err != nil {
		return nil, err
	}
	kept := e.KeepSnapshot()
	if !kept {
		e.SetKeepSnapshot(true) // one moment for every table of the file
		defer e.SetKeepSnapshot(false)
	}
	takenAt := time.Now().UTC()
	// The datasets that stream (tcp_info), after the first, are written
	// beside the others by a second engine on the other core, into a part
	// file copied in at the end (besideWrite); not from a snapshot kept
	// before (.snapshot on), whose rows the file must hold.
	var here, beside []*engine.Dataset
	for i, d := range datasets {
		if i > 0 && d.Streams && !kept {
			beside = append(beside, d)
		} else {
			here = append(here, d)
		}
	}
	var part *besideWrite
	if len(beside) > 0 {
		part = newBeside(tmp, beside)
		defer part.stop()
		// It starts when the first table's rows are read (the sockets,
		// with their owners: both cores busy), as they are written.
		first := here[0].Name
		e.SetScanReady(func(name string) {
			if name == first {
				part.start(ctx, e.Source())
			}
		})
		defer e.SetScanReady(nil)
	}
	res := &Result{Rows: map[string]int{}}
	seen := map[string]bool{}
	warn := func(warnings []kernel.Warning) {
		for _, w := range warnings {
			if !seen[w.String()] {
				seen[w.String()] = true
				res.Warnings = append(res.Warnings, w)
			}
		}
	}
	for _, d := range here {
		count, warnings, err := copyDataset(ctx, e, d)
		if err != nil {
			return nil, err
		}
		warn(warnings)
		res.Rows[d.Name] = count
		if part != nil {
			part.start(ctx, e.Source()) // if the first table's copy scanned nothing
		}
	}
	if part != nil {
		warnings, err := part.copyInto(ctx, e, res.Rows)
		if err != nil {
			return nil, err
		}
		warn(warnings)
	}
	tables := map[string]any{}
	for _, d := range datasets {
		tables[d.Name] = map[string]any{"rows": res.Rows[d.Name], "read_from": d.Sources}
	}
	info, err := describe(ctx, e, takenAt, tables, res.Warnings, opt.Version)
	if err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, createTable(saveSchema+"."+InfoTable, infoColumns)); err != nil {
		return nil, err
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(info)), ", ")
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("INSERT INTO %s.%s VALUES (%s)", saveSchema, InfoTable, marks), info...); err != nil {
		return nil, err
	}
	return res, nil
}

// prepareFile sets up the empty file attached as schema and creates the
// datasets' tables in it, in catalogue order. The file is synced once, at
// the end: no journal, no sync per page. It is written once and read
// whole (--from, --diff): 64 KiB pages make fewer, larger writes (about
// 4% of --save at 100,000 sockets; 28.7 MiB against 28.3 MiB of 4 KiB
// pages).
func prepareFile(ctx context.Context, conn *sql.Conn, schema string, datasets []*engine.Dataset) error {
	for _, pragma := range []string{"page_size = 65536", "journal_mode = OFF", "synchronous = OFF"} {
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

// besideWrite writes datasets into a part file of their own with a second
// engine, beside the engine writing the others. Every row a table of the
// file holds goes through a virtual table column by column, one SQLite
// call per value, and tcp_info's 49 columns made it a third of --save;
// the second core is mostly idle meanwhile (the sockets' owner walk and
// their writing use about one). At the end the part's tables are copied
// into the file, record by record (SQLite's INSERT ... SELECT * transfer
// between tables of the same shape: 44 ms for 100,000 tcp_info rows).
// Each table is still read once for the file, at the time it is taken.
type besideWrite struct {
	path     string
	datasets []*engine.Dataset
	once     sync.Once
	cancel   context.CancelFunc // set by start
	done     chan struct{}      // closed when the writing ended
	rows     map[string]int
	warnings []kernel.Warning
	err      error
}

const partSchema = "netsql_part"

func newBeside(tmp string, datasets []*engine.Dataset) *besideWrite {
	return &besideWrite{path: tmp + "-part", datasets: datasets, done: make(chan struct{}), rows: map[string]int{}}
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
	f, err := os.OpenFile(b.path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	f.Close()
	e, err := engine.Open(ctx, src, b.datasets)
	if err != nil {
		return err
	}
	defer e.Close()
	e.SetBeside()
	if err := e.Attach(ctx, b.path, saveSchema, true); err != nil {
		return fmt.Errorf("%s: %w", b.path, err)
	}
	defer e.Detach(context.WithoutCancel(ctx), saveSchema)
	if err := prepareFile(ctx, e.Conn(), saveSchema, b.datasets); err != nil {
		return err
	}
	e.SetKeepSnapshot(true)
	defer e.SetKeepSnapshot(false)
	for _, d := range b.datasets {
		count, warnings, err := copyDataset(ctx, e, d)
		if err != nil {
			return err
		}
		b.rows[d.Name] = count
		b.warnings = append(b.warnings, warnings...)
	}
	return nil
}

// copyInto waits for the part to be written, then copies its tables into
// the file attached to e, adding their row counts to rows.
func (b *besideWrite) copyInto(ctx context.Context, e *engine.Engine, rows map[string]int) ([]kernel.Warning, error) {
	select {
	case <-b.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if b.err != nil {
		return nil, b.err
	}
	if err := e.Attach(ctx, b.path, partSchema, false); err != nil {
		return nil, fmt.Errorf("%s: %w", b.path, err)
	}
	defer e.Detach(context.WithoutCancel(ctx), partSchema)
	for _, d := range b.datasets {
		q := fmt.Sprintf("INSERT INTO %s.%s SELECT * FROM %s.%s", saveSchema, d.Name, partSchema, d.Name)
		if _, err := e.Conn().ExecContext(ctx, q); err != nil {
			return nil, fmt.Errorf("save %s: %s", d.Name, engine.CleanError(err))
		}
		rows[d.Name] = b.rows[d.Name]
	}
	return b.warnings, nil
}

// stop ends the part's writing if it still runs and removes its file.
func (b *besideWrite) stop() {
	b.once.Do(func() { close(b.done) }) // never started
	if b.cancel != nil {
		b.cancel()
	}
	<-b.done
	os.Remove(b.path)
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
