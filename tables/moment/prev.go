package moment

import (
	"context"
	"fmt"
	"strings"
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

// Run runs one statement (run), planned and narrowed as usual, then makes
// what it read the new prev: the rows of every table it read (all of them,
// or those its narrowed reads brought: a watched listeners query keeps
// the listeners), in the columns it used (the others are NULL).
func (p *Prev) Run(ctx context.Context, run func() error) error {
	e := p.e
	e.SetRetainLast(true)
	defer e.SetRetainLast(false)
	takenAt := time.Now().UTC()
	if err := run(); err != nil {
		return err
	}
	conn := e.Conn()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, d := range e.Datasets() {
		rows, ok := e.LastRows(d.Name)
		if !ok {
			continue
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM "+PrevSchema+"."+d.Name); err != nil {
			return err
		}
		marks := strings.TrimSuffix(strings.Repeat("?, ", len(d.Columns)), ", ")
		stmt, err := tx.PrepareContext(ctx, fmt.Sprintf("INSERT INTO %s.%s VALUES (%s)", PrevSchema, d.Name, marks))
		if err != nil {
			return err
		}
		for _, r := range rows {
			if _, err := stmt.ExecContext(ctx, r...); err != nil {
				stmt.Close()
				return fmt.Errorf("keep %s for prev: %w", d.Name, err)
			}
		}
		stmt.Close()
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM "+PrevSchema+"."+InfoTable); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO "+PrevSchema+"."+InfoTable+" VALUES (?, ?)",
		takenAt.Format(time.RFC3339Nano), float64(takenAt.UnixNano())/1e9); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	p.first = false
	return nil
}
