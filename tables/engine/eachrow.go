package engine

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"modernc.org/sqlite"

	"netsql/tables/kernel"
)

// eachRowFunction is the aggregate through which EachRow hands a table's
// rows to Go: SQLite calls its step once a row with the row's values. A
// row read through database/sql costs, per value, a column call into
// SQLite that takes the connection's mutex (and one more for its type),
// and an allocation per text; a step gets the row's values at once, texts
// unallocated. Reading every row of two 100k-socket moments takes half the
// time this way (--diff; ARCHITECTURE.md "Saved moments").
const eachRowFunction = "netsql_each_row"

// eachRowSinks are the callers of EachRow now reading, by the token they
// pass as the aggregate's first argument.
var eachRowSinks struct {
	sync.Map // int64 → *eachRowSink
	next     atomic.Int64
}

type eachRowSink struct {
	each func(values []driver.Value) error
	err  error // what each returned, the statement's cause of failure
}

func registerEachRow() error {
	return sqlite.RegisterFunction(eachRowFunction, &sqlite.FunctionImpl{NArgs: -1, VolatileArgs: true,
		MakeAggregate: func(sqlite.FunctionContext) (sqlite.AggregateFunction, error) { return &eachRowStep{}, nil }})
}

// eachRowStep is one evaluation of the aggregate.
type eachRowStep struct{ sink *eachRowSink }

func (a *eachRowStep) Step(_ *sqlite.FunctionContext, args []driver.Value) error {
	if a.sink == nil {
		token, _ := args[0].(int64)
		sink, ok := eachRowSinks.Load(token)
		if !ok {
			return fmt.Errorf("%s: not called by netsql", eachRowFunction)
		}
		a.sink = sink.(*eachRowSink)
	}
	if err := a.sink.each(args[1:]); err != nil {
		a.sink.err = err
		return err
	}
	return nil
}

func (a *eachRowStep) WindowInverse(*sqlite.FunctionContext, []driver.Value) error {
	return fmt.Errorf("%s: not a window function", eachRowFunction)
}

func (a *eachRowStep) WindowValue(*sqlite.FunctionContext) (driver.Value, error) { return nil, nil }

func (a *eachRowStep) Final(*sqlite.FunctionContext) {}

// eachRowQuery is the statement that hands columns of table to token's
// sink, and the sink's cleanup.
func eachRowQuery(columns []string, table string, each func([]driver.Value) error) (query string, token int64, sink *eachRowSink, done func()) {
	token, sink, done = newEachRowSink(each)
	args := append([]string{"?"}, columns...)
	return "SELECT " + eachRowFunction + "(" + strings.Join(args, ", ") + ") FROM " + table, token, sink, done
}

// newEachRowSink registers a sink that hands rows to each, under the
// token a statement passes the aggregate; done unregisters it.
func newEachRowSink(each func([]driver.Value) error) (token int64, sink *eachRowSink, done func()) {
	token = eachRowSinks.next.Add(1)
	sink = &eachRowSink{each: each}
	eachRowSinks.Store(token, sink)
	return token, sink, func() { eachRowSinks.Delete(token) }
}

// runEachRow runs query, whose one row is the aggregate's, through
// Statement: its error is the sink's callback's when that caused it.
func (e *Engine) runEachRow(ctx context.Context, query string, args []any, sink *eachRowSink) ([]kernel.Warning, error) {
	warnings, err := e.Statement(ctx, query, args, func(rows *sql.Rows) error {
		for rows.Next() { // the aggregate's one row
		}
		return rows.Err()
	})
	return warnings, eachRowError(err, sink)
}

// eachRowError is the statement's error, or the callback's that caused it.
func eachRowError(err error, sink *eachRowSink) error {
	if err != nil && sink.err != nil {
		return sink.err
	}
	return err
}

// EachRow calls each with the values of columns (names, as SQL gives
// them) of every row of table (a table name, maybe schema-qualified), in
// the order SQLite scans it, as one statement (Statement: a dataset is
// read at one moment). The values are the driver's (nil, int64, float64,
// string, []byte) and valid only during the call: a text or blob is a
// view into SQLite's memory. An error from each ends the statement and is
// returned.
func (e *Engine) EachRow(ctx context.Context, columns []string, table string, each func(values []driver.Value) error) ([]kernel.Warning, error) {
	query, token, sink, done := eachRowQuery(columns, table, each)
	defer done()
	return e.runEachRow(ctx, query, []any{token}, sink)
}

// EachRowOf is EachRow on a database of its own (a saved moment read
// beside the engine), opened after an engine was: SQLite functions reach
// only connections opened after they were registered.
func EachRowOf(ctx context.Context, db *sql.DB, columns []string, table string, each func(values []driver.Value) error) error {
	if err := register(); err != nil {
		return err
	}
	query, token, sink, done := eachRowQuery(columns, table, each)
	defer done()
	var count any
	err := db.QueryRowContext(ctx, query, token).Scan(&count)
	if errors.Is(err, sql.ErrNoRows) {
		err = nil
	}
	return eachRowError(err, sink)
}
