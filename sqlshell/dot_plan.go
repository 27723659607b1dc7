package sqlshell

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"netsql/sqlshell/sqltext"
	"netsql/tables/engine"
)

// The dot-commands about how statements read the tables: .eqp, .explain,
// .indexes.

func (ss *session) dotEQP(_ context.Context, _ origin, args []string) error {
	on, err := parseOnOff(".eqp", args)
	if err == nil {
		ss.eqp = on
	}
	return err
}

// dotExplain prints the query plan of the statement given, without
// running it; `.explain on|off` is .eqp (sqlite3's .explain only changes
// how EXPLAIN's output is laid out).
func (ss *session) dotExplain(ctx context.Context, from origin, args []string) error {
	if len(args) == 0 {
		return errors.New("usage: .explain STATEMENT | on|off")
	}
	if _, err := parseOnOff(".explain", args); err == nil {
		return ss.dotEQP(ctx, from, args)
	}
	query := args[0]
	if isExplain(query) {
		return fmt.Errorf(".explain: %s is an EXPLAIN already: run it as a statement", firstWords(query))
	}
	if n := len(sqltext.Split(query)); n != 1 {
		return fmt.Errorf(".explain takes one statement, not %d", n)
	}
	plan, err := ss.queryPlan(ctx, query)
	if err != nil {
		return err
	}
	return ss.printText(plan)
}

// queryPlan returns EXPLAIN QUERY PLAN of query as sqlite3 draws it: a
// "QUERY PLAN" line and the tree of steps. A scan of one of netsql's tables
// shows its lookup (ARCHITECTURE.md, "Lookups and costs"): `SCAN sockets
// VIRTUAL TABLE INDEX 769:proto=,state=` names the columns looked up.
// Nothing is read from the system: the plan is made, never run.
func (ss *session) queryPlan(ctx context.Context, query string) (string, error) {
	args, err := ss.sh.bindArgs(query)
	if err != nil {
		return "", err
	}
	_, rows, _, err := ss.sh.eng.Query(ctx, "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		return "", &StatementError{Msg: engine.CleanError(err)}
	}
	type step struct {
		id, parent int64
		detail     string
	}
	var steps []step
	known := map[int64]bool{0: true}
	for _, r := range rows {
		if len(r) < 4 {
			continue
		}
		id, _ := r[0].(int64)
		parent, _ := r[1].(int64)
		detail, _ := r[3].(string)
		steps = append(steps, step{id, parent, detail})
		known[id] = true
	}
	if len(steps) == 0 {
		return "", nil // a statement with no plan to show (CREATE TABLE)
	}
	children := map[int64][]step{}
	for _, s := range steps {
		if !known[s.parent] {
			s.parent = 0
		}
		children[s.parent] = append(children[s.parent], s)
	}
	var b strings.Builder
	b.WriteString("QUERY PLAN\n")
	var draw func(parent int64, indent string)
	draw = func(parent int64, indent string) {
		list := children[parent]
		for i, s := range list {
			branch, below := "|--", "|  "
			if i == len(list)-1 {
				branch, below = "`--", "   "
			}
			b.WriteString(indent + branch + s.detail + "\n")
			if s.id != parent {
				draw(s.id, indent+below)
			}
		}
	}
	draw(0, "")
	return b.String(), nil
}

// isExplain reports whether a statement is an EXPLAIN already.
func isExplain(query string) bool {
	return strings.EqualFold(firstWords(query), "explain")
}

// firstWords returns the first word of a statement, after comments.
func firstWords(query string) string {
	sc := sqltext.Scanner{Src: query}
	for sc.Pos < len(query) {
		kind, tok := sc.Next()
		switch kind {
		case sqltext.Space, sqltext.Comment:
			continue
		}
		return tok
	}
	return ""
}

// dotIndexes lists the lookups each table serves. A dataset narrows what
// it reads on its key columns, and any equality is served from a hash
// index built over the rows read (ARCHITECTURE.md, "The engine"); a table
// the user made has SQLite's own indexes.
func (ss *session) dotIndexes(ctx context.Context, _ origin, args []string) error {
	if err := argCount(".indexes", args, 0, 1, "[TABLE]"); err != nil {
		return err
	}
	pattern := "%"
	if len(args) == 1 {
		pattern = args[0]
	}
	columns := []string{"table_name", "columns", "lookup", "description"}
	var rows [][]any
	matched := false
	for _, d := range ss.sh.eng.Datasets() {
		if !likeMatch(pattern, d.Name) {
			continue
		}
		matched = true
		for _, k := range d.Keys {
			how := "only with values known before the first row (a constant, IN (...))"
			if k.Stable {
				how = "with constants, and value by value in a join"
			}
			rows = append(rows, []any{d.Name, k.Column, "key",
				fmt.Sprintf("%s = ... narrows what is read from the system, %s", k.Column, how)})
		}
		rows = append(rows, []any{d.Name, "any", "hash",
			"equalities on any columns are looked up in one hash index, built on first use over the rows read"})
	}
	objs, err := ss.userObjects(ctx)
	if err != nil {
		return err
	}
	for _, o := range objs {
		if !likeMatch(pattern, o.name) {
			continue
		}
		matched = true
		if o.kind != "table" {
			continue
		}
		indexes, err := ss.tableIndexes(ctx, o.name)
		if err != nil {
			return err
		}
		rows = append(rows, indexes...)
	}
	if !matched {
		return fmt.Errorf("no table matches %q (.tables lists them)", pattern)
	}
	return ss.printResult(columns, rows)
}

// tableIndexes lists SQLite's indexes on one of the user's tables, in
// .indexes' columns.
func (ss *session) tableIndexes(ctx context.Context, table string) ([][]any, error) {
	conn := ss.sh.eng.Conn()
	list, err := conn.QueryContext(ctx, "SELECT name, \"unique\", origin, partial FROM pragma_index_list(?) ORDER BY name", table)
	if err != nil {
		return nil, err
	}
	type index struct {
		name            string
		unique, partial bool
		origin          string
	}
	var indexes []index
	for list.Next() {
		var ix index
		if err := list.Scan(&ix.name, &ix.unique, &ix.origin, &ix.partial); err != nil {
			list.Close()
			return nil, err
		}
		indexes = append(indexes, ix)
	}
	list.Close()
	if err := list.Err(); err != nil {
		return nil, err
	}
	var rows [][]any
	for _, ix := range indexes {
		cols, err := conn.QueryContext(ctx, "SELECT coalesce(name, '<expression>') FROM pragma_index_info(?) ORDER BY seqno", ix.name)
		if err != nil {
			return nil, err
		}
		var names []string
		for cols.Next() {
			var name string
			if err := cols.Scan(&name); err != nil {
				cols.Close()
				return nil, err
			}
			names = append(names, name)
		}
		cols.Close()
		kind := "index"
		switch {
		case ix.origin == "pk":
			kind = "primary key"
		case ix.unique:
			kind = "unique index"
		}
		desc := ix.name
		if ix.partial {
			desc += " (partial)"
		}
		rows = append(rows, []any{table, strings.Join(names, ", "), kind, desc})
	}
	return rows, nil
}
