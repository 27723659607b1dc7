package engine

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strings"

	"netsql/tables/kernel"
)

// Direct runs query as Statement does, but hands the rows over through the
// netsql_each_row aggregate (EachRow) instead of database/sql: the
// statement runs as the body of a CTE whose columns are named by position,
// and SQLite calls the aggregate once a row with the row's values. Read
// through database/sql and the driver, each value costs column calls into
// SQLite that take the connection's mutex, and half of a 40k-socket
// listing's time went there (ARCHITECTURE.md, "Direct rows").
//
// begin gets the column names before the first row (or after the
// statement, when it gave none and did not fail); row gets each row's
// values, valid only during the call (a text is a view into SQLite's
// memory). ran is false when the statement is not one Direct takes (it
// writes, reads a stored table, is not a SELECT, or a snapshot is kept):
// nothing ran then, and the caller uses Statement.
func (e *Engine) Direct(ctx context.Context, query string, args []any, begin func(columns []string) error, row func(values []driver.Value) error) (warnings []kernel.Warning, ran bool, err error) {
	if e.KeepSnapshot() {
		return nil, false, nil
	}
	n, ok := e.directColumns(ctx, query, args)
	if !ok {
		return nil, false, nil
	}
	columns, ok := e.dryColumns(ctx, query, args)
	if !ok || len(columns) != n {
		return nil, false, nil
	}
	token := eachRowSinks.next.Add(1)
	begun := false
	sink := &eachRowSink{each: func(values []driver.Value) error {
		if !begun {
			begun = true
			if err := begin(columns); err != nil {
				return err
			}
		}
		return row(values)
	}}
	eachRowSinks.Store(token, sink)
	defer eachRowSinks.Delete(token)
	wrapped := directQuery(query, n, token)
	if _, err := e.explain(ctx, wrapped, args); err != nil {
		e.denied = ""
		return nil, false, nil // not a statement that can be a CTE's body
	}
	e.denied = ""
	warnings, err = e.Statement(ctx, wrapped, args, func(rows *sql.Rows) error {
		for rows.Next() { // the aggregate's one row
		}
		return rows.Err()
	})
	err = eachRowError(err, sink)
	if err == nil && !begun {
		err = begin(columns)
	}
	return warnings, true, err
}

// directQuery is query as the body of a CTE whose n columns are c1..cn,
// each row handed to token's sink. The body ends on a line of its own, so
// a trailing -- comment cannot swallow the parenthesis.
func directQuery(query string, n int, token int64) string {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("c%d", i+1)
	}
	list := strings.Join(names, ", ")
	body := strings.TrimRight(strings.TrimSpace(query), "; \t\r\n")
	return fmt.Sprintf("WITH netsql_direct(%s) AS (\n%s\n) SELECT %s(%d, %s) FROM netsql_direct", list, body, eachRowFunction, token, list)
}

// directColumns reads the statement's program (EXPLAIN, which prepares
// without running) and returns how many columns a row has, when Direct
// takes it: a SELECT that reads at least one of our datasets and no stored
// table (its dry run must cost nothing) and writes nothing.
func (e *Engine) directColumns(ctx context.Context, query string, args []any) (n int, ok bool) {
	ops, err := e.explain(ctx, query, args)
	e.denied = ""
	if err != nil {
		return 0, false
	}
	scans := false
	n = -1
	for _, op := range ops {
		switch op.opcode {
		case "ResultRow":
			if n >= 0 && int64(n) != op.p2 {
				return 0, false
			}
			n = int(op.p2)
		case "VFilter":
			scans = true
		case "OpenRead", "OpenWrite", "VUpdate", "ParseSchema", "VCreate", "VDestroy":
			return 0, false
		}
	}
	return n, scans && n > 0
}

// dryColumns runs the statement with every dataset empty (no dataset is
// read: Filter serves no rows) for the names SQLite gives its columns,
// which the driver knows only after a first step.
func (e *Engine) dryColumns(ctx context.Context, query string, args []any) ([]string, bool) {
	e.dry.Store(true)
	defer e.dry.Store(false)
	rows, err := e.conn.QueryContext(ctx, query, args...)
	e.denied = ""
	if err != nil {
		return nil, false
	}
	defer rows.Close()
	columns, err := rows.Columns()
	return columns, err == nil
}
