package moment

import (
	"context"
	"fmt"
	"time"

	"netsql/tables/engine"
)

// PrevSchema is the schema that holds the previous run's moment in watch
// mode.
const PrevSchema = "prev"

// Prev keeps, between the runs of a watched statement, the moment the
// last run saw: the tables it read, in an in-memory schema prev, and
// prev.snapshot_info (taken_at, and taken_unix in seconds for rates:
// unixepoch('subsec') - taken_unix is the time since). Before the first
// run its tables are empty, so statements that name them compile.
type Prev struct {
	e     *engine.Engine
	first bool
}

// OpenPrev attaches prev with an empty table per dataset.
func OpenPrev(ctx context.Context, e *engine.Engine) (*Prev, error) {
	if err := e.AttachMemory(ctx, PrevSchema); err != nil {
		return nil, err
	}
	conn := e.Conn()
	for _, d := range e.Datasets() {
		if _, err := conn.ExecContext(ctx, createTable(PrevSchema+"."+d.Name, d.Columns)); err != nil {
			return nil, err
		}
	}
	if _, err := conn.ExecContext(ctx, "CREATE TABLE "+PrevSchema+"."+InfoTable+" (taken_at TEXT, taken_unix REAL)"); err != nil {
		return nil, err
	}
	return &Prev{e: e, first: true}, nil
}

// First tells whether no run has been kept yet.
func (p *Prev) First() bool { return p.first }

// Run runs one statement (run) on a fresh moment kept for its whole
// duration, then makes that moment the new prev: every table the
// statement read is copied from the kept snapshot, so prev is exactly
// what the statement saw.
func (p *Prev) Run(ctx context.Context, run func() error) error {
	e := p.e
	e.SetKeepSnapshot(true) // a fresh snapshot, read whole and kept for the copies
	defer e.SetKeepSnapshot(false)
	before := e.Stats()
	takenAt := time.Now().UTC()
	if err := run(); err != nil {
		return err
	}
	read := e.Stats().Sub(before)
	conn := e.Conn()
	for _, d := range e.Datasets() {
		if read.Collections[d.Name] == 0 && read.Narrowed[d.Name] == 0 {
			continue
		}
		if _, err := conn.ExecContext(ctx, "DELETE FROM "+PrevSchema+"."+d.Name); err != nil {
			return err
		}
		if _, err := e.Statement(ctx, fmt.Sprintf("INSERT INTO %s.%s SELECT * FROM main.%s", PrevSchema, d.Name, d.Name), nil, nil); err != nil {
			return fmt.Errorf("keep %s for prev: %s", d.Name, engine.CleanError(err))
		}
	}
	if _, err := conn.ExecContext(ctx, "DELETE FROM "+PrevSchema+"."+InfoTable); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, "INSERT INTO "+PrevSchema+"."+InfoTable+" VALUES (?, ?)",
		takenAt.Format(time.RFC3339Nano), float64(takenAt.UnixNano())/1e9); err != nil {
		return err
	}
	p.first = false
	return nil
}
