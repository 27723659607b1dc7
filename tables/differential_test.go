package tables

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"netsql/tables/engine"
	"netsql/tables/kernel"

	"github.com/google/go-cmp/cmp"
)

// The differential tests check the engine against SQLite itself: every
// dataset's rows are copied into an ordinary table of the same schema
// (ref_NAME), and random statements — WHERE with =, IN, OR, AND, NOT,
// LIKE, IS NULL on key and other columns, self-joins, joins between
// datasets, correlated subqueries, GROUP BY — must return the same
// multiset of rows from both. NETSQL_DIFF_STATEMENTS sets how many (per
// corpus) and NETSQL_DIFF_SEED the seed; a failure prints the statement.

// diffStatements is how many random statements a corpus runs.
func diffStatements(t *testing.T, ciDefault int) (n int, seed uint64) {
	n, seed = ciDefault, 1
	if v := os.Getenv("NETSQL_DIFF_STATEMENTS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			t.Fatalf("NETSQL_DIFF_STATEMENTS=%q: %v", v, err)
		}
	}
	if v := os.Getenv("NETSQL_DIFF_SEED"); v != "" {
		var err error
		if seed, err = strconv.ParseUint(v, 10, 64); err != nil {
			t.Fatalf("NETSQL_DIFF_SEED=%q: %v", v, err)
		}
	}
	return n, seed
}

// diffTable is what the generator knows of one dataset: its columns and
// values seen in them, to pick constants that match some rows.
type diffTable struct {
	name    string
	columns []engine.Column
	values  [][]any // per column, distinct values seen
}

// copyToReference creates ref_NAME for every dataset of e and fills it
// with one whole scan of the dataset, and returns what the generator needs.
func copyToReference(t *testing.T, e *engine.Engine) []diffTable {
	t.Helper()
	var tables []diffTable
	for _, d := range e.Datasets() {
		var cols []string
		for _, c := range d.Columns {
			cols = append(cols, c.Name+" "+c.Type.String())
		}
		ref := "ref_" + d.Name
		query(t, e, fmt.Sprintf("CREATE TABLE %s (%s)", ref, strings.Join(cols, ", ")))
		query(t, e, fmt.Sprintf("INSERT INTO %s SELECT * FROM %s", ref, d.Name))
		rows := query(t, e, "SELECT * FROM "+ref)
		dt := diffTable{name: d.Name, columns: d.Columns, values: make([][]any, len(d.Columns))}
		for i := range d.Columns {
			seen := map[string]bool{}
			for _, r := range rows {
				k := fmt.Sprintf("%T:%v", r[i], r[i])
				if !seen[k] && len(dt.values[i]) < 40 {
					seen[k] = true
					dt.values[i] = append(dt.values[i], r[i])
				}
			}
		}
		if len(rows) > 0 {
			tables = append(tables, dt)
		}
	}
	return tables
}

// stmtGen writes random statements over diffTables. Each is written with
// {NAME} placeholders, so one text serves the engine (NAME) and the
// reference (ref_NAME).
type stmtGen struct {
	r      *rand.Rand
	tables []diffTable
}

func (g *stmtGen) table() diffTable { return g.tables[g.r.IntN(len(g.tables))] }

func (g *stmtGen) column(t diffTable) int { return g.r.IntN(len(t.columns)) }

// literal renders v as SQL.
func literal(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case string:
		return "'" + strings.ReplaceAll(x, "'", "''") + "'"
	case []byte:
		return fmt.Sprintf("x'%x'", x)
	}
	return "NULL"
}

// value picks a constant for column i of t: mostly one the column holds,
// sometimes a changed form of it (text for a number, other case) or one
// no row holds.
func (g *stmtGen) value(t diffTable, i int) string {
	vals := t.values[i]
	if len(vals) == 0 || g.r.IntN(10) == 0 {
		return []string{"NULL", "0", "'x'", "22", "'LISTEN'", "'tcp'", "1", "''"}[g.r.IntN(8)]
	}
	v := vals[g.r.IntN(len(vals))]
	switch g.r.IntN(8) {
	case 0:
		if n, ok := v.(int64); ok {
			return "'" + strconv.FormatInt(n, 10) + "'" // text for a number
		}
		if s, ok := v.(string); ok {
			return literal(strings.ToLower(s))
		}
	case 1:
		if n, ok := v.(int64); ok {
			return strconv.FormatInt(n, 10) + ".0"
		}
	}
	return literal(v)
}

// predicate is a random condition on alias a of t.
func (g *stmtGen) predicate(t diffTable, a string, depth int) string {
	if depth > 0 && g.r.IntN(3) == 0 {
		switch g.r.IntN(3) {
		case 0:
			return "(" + g.predicate(t, a, depth-1) + " AND " + g.predicate(t, a, depth-1) + ")"
		case 1:
			return "(" + g.predicate(t, a, depth-1) + " OR " + g.predicate(t, a, depth-1) + ")"
		default:
			return "NOT (" + g.predicate(t, a, depth-1) + ")"
		}
	}
	i := g.column(t)
	col := a + "." + t.columns[i].Name
	switch g.r.IntN(12) {
	case 0:
		return col + " IS NULL"
	case 1:
		return col + " IS NOT NULL"
	case 2:
		return col + " IN (" + g.value(t, i) + ", " + g.value(t, i) + ", " + g.value(t, i) + ")"
	case 3:
		return col + " <> " + g.value(t, i)
	case 4:
		if t.columns[i].Type == engine.Text {
			v := g.value(t, i)
			if len(v) > 3 && v[0] == '\'' {
				return col + " LIKE " + v[:len(v)/2] + "%'"
			}
		}
		return col + " > " + g.value(t, i)
	case 5:
		if t.columns[i].Type == engine.Text {
			return col + " = " + strings.ToUpper(g.value(t, i)) + " COLLATE NOCASE"
		}
		return "+" + col + " = " + g.value(t, i)
	default:
		return col + " = " + g.value(t, i)
	}
}

// shared returns the columns of a and b with the same name and type: the
// join keys (pid, inode, ifindex, netns, ...).
func shared(a, b diffTable) [][2]int {
	var out [][2]int
	for i, ca := range a.columns {
		for j, cb := range b.columns {
			if ca.Name == cb.Name && ca.Type == cb.Type {
				out = append(out, [2]int{i, j})
			}
		}
	}
	return out
}

// statement writes one random statement.
func (g *stmtGen) statement() string {
	t := g.table()
	switch g.r.IntN(8) {
	case 0: // self-join on one to three columns, ON terms in random order
		n := 1 + g.r.IntN(3)
		var on []string
		for range n {
			i, j := g.column(t), g.column(t)
			if g.r.IntN(2) == 0 {
				j = i
			}
			on = append(on, fmt.Sprintf("a.%s = b.%s", t.columns[i].Name, t.columns[j].Name))
		}
		return fmt.Sprintf("SELECT a.%s, b.%s FROM {%s} a JOIN {%s} b ON %s WHERE %s",
			t.columns[g.column(t)].Name, t.columns[g.column(t)].Name, t.name, t.name, strings.Join(on, " AND "), g.predicate(t, "a", 2))
	case 1: // correlated subquery, EXISTS or NOT EXISTS
		u := g.table()
		not := []string{"", "NOT "}[g.r.IntN(2)]
		if keys := shared(t, u); len(keys) > 0 {
			k := keys[g.r.IntN(len(keys))]
			return fmt.Sprintf("SELECT a.* FROM {%s} a WHERE %s AND %sEXISTS (SELECT 1 FROM {%s} b WHERE b.%s = a.%s AND %s)",
				t.name, g.predicate(t, "a", 1), not, u.name, u.columns[k[1]].Name, t.columns[k[0]].Name, g.predicate(u, "b", 1))
		}
		i := g.column(t)
		return fmt.Sprintf("SELECT a.* FROM {%s} a WHERE %sEXISTS (SELECT 1 FROM {%s} b WHERE b.%s = a.%s AND %s)",
			t.name, not, t.name, t.columns[i].Name, t.columns[i].Name, g.predicate(t, "b", 1))
	case 2: // a join between two datasets on a shared column
		u := g.table()
		keys := shared(t, u)
		if len(keys) == 0 || t.name == u.name {
			break
		}
		k := keys[g.r.IntN(len(keys))]
		join := []string{"JOIN", "LEFT JOIN"}[g.r.IntN(2)]
		return fmt.Sprintf("SELECT a.%s, b.%s FROM {%s} a %s {%s} b ON b.%s = a.%s WHERE %s AND (%s OR b.%s IS NULL)",
			t.columns[g.column(t)].Name, u.columns[g.column(u)].Name, t.name, join, u.name,
			u.columns[k[1]].Name, t.columns[k[0]].Name, g.predicate(t, "a", 1), g.predicate(u, "b", 1), u.columns[k[1]].Name)
	case 3: // GROUP BY
		i := g.column(t)
		return fmt.Sprintf("SELECT a.%s, count(*) FROM {%s} a WHERE %s GROUP BY a.%s",
			t.columns[i].Name, t.name, g.predicate(t, "a", 2), t.columns[i].Name)
	case 5: // a column compared to a CASE over another table's row
		u := g.table()
		i, j := g.column(u), g.column(t)
		return fmt.Sprintf("SELECT a.%s, b.%s FROM {%s} a JOIN {%s} b ON b.%s = CASE WHEN %s THEN %s ELSE %s END WHERE %s OR b.%s = %s",
			t.columns[g.column(t)].Name, u.columns[i].Name, t.name, u.name, u.columns[i].Name,
			g.predicate(t, "a", 1), g.value(u, i), g.value(u, i), g.predicate(t, "a", 1), u.columns[i].Name, g.value(u, i)) +
			fmt.Sprintf(" AND a.%s IS NOT NULL", t.columns[j].Name)
	case 4: // IN (subquery) over another scan of a dataset
		i := g.column(t)
		return fmt.Sprintf("SELECT a.* FROM {%s} a WHERE a.%s IN (SELECT b.%s FROM {%s} b WHERE %s) OR %s",
			t.name, t.columns[i].Name, t.columns[i].Name, t.name, g.predicate(t, "b", 1), g.predicate(t, "a", 1))
	}
	return fmt.Sprintf("SELECT a.* FROM {%s} a WHERE %s", t.name, g.predicate(t, "a", 3))
}

// resolve turns {NAME} into the engine's table or the reference copy.
func resolve(stmt string, tables []diffTable, ref bool) string {
	var pairs []string
	for _, t := range tables {
		name := t.name
		if ref {
			name = "ref_" + name
		}
		pairs = append(pairs, "{"+t.name+"}", name)
	}
	return strings.NewReplacer(pairs...).Replace(stmt)
}

// multiset renders rows as sorted text, types included.
func multiset(rows [][]any) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		parts := make([]string, len(r))
		for j, v := range r {
			parts[j] = fmt.Sprintf("%T:%v", v, v)
		}
		out[i] = strings.Join(parts, "|")
	}
	slices.Sort(out)
	return out
}

// runDifferential runs n random statements on e and on the reference.
func runDifferential(t *testing.T, e *engine.Engine, tables []diffTable, n int, seed uint64) {
	t.Helper()
	g := &stmtGen{r: rand.New(rand.NewPCG(seed, 0x6e657473716c)), tables: tables}
	failures := 0
	for i := 0; i < n && failures < 5; i++ {
		stmt := g.statement()
		engineSQL, refSQL := resolve(stmt, tables, false), resolve(stmt, tables, true)
		_, got, _, err := e.Query(context.Background(), engineSQL)
		_, want, _, refErr := e.Query(context.Background(), refSQL)
		if (err == nil) != (refErr == nil) {
			t.Errorf("statement %d: %s\nengine error %v, reference error %v", i, engineSQL, err, refErr)
			failures++
			continue
		}
		if diff := cmp.Diff(multiset(want), multiset(got)); diff != "" {
			t.Errorf("statement %d (seed %d): %s\nrows differ from SQLite's on the same rows (-sqlite +netsql):\n%s", i, seed, engineSQL, diff)
			failures++
		}
	}
}

func TestDifferentialFixture(t *testing.T) {
	e := openFixture(t, kernel.RootSource(fixtureRoot(t, nil)))
	tables := copyToReference(t, e)
	if len(tables) < 8 {
		t.Fatalf("only %d datasets have rows in the fixture", len(tables))
	}
	n, seed := diffStatements(t, 1500)
	runDifferential(t, e, tables, n, seed)
}

// replayDataset serves rows captured once under d's declaration — the same
// columns, keys (and their stability), Narrow and groups — so the engine's
// plans, narrowed reads and lookups run over a real host's data at one
// fixed moment.
func replayDataset(d *engine.Dataset, rows []engine.Row) *engine.Dataset {
	r := *d
	clone := func(keep func(engine.Row) bool) []engine.Row {
		var out []engine.Row
		for _, row := range rows {
			if keep(row) {
				out = append(out, slices.Clone(row))
			}
		}
		return out
	}
	matches := func(row engine.Row, conj []engine.KeyValue) bool { return engine.RowMatches(d, row, conj) }
	r.Collect = func(*kernel.Collector) ([]engine.Row, error) {
		return clone(func(engine.Row) bool { return true }), nil
	}
	r.Keys = slices.Clone(d.Keys)
	for i := range r.Keys {
		column := r.Keys[i].Column
		r.Keys[i].Collect = func(_ *kernel.Collector, v any) ([]engine.Row, error) {
			return clone(func(row engine.Row) bool { return matches(row, []engine.KeyValue{{Column: column, Value: v}}) }), nil
		}
	}
	if d.Narrow != nil {
		r.Narrow = func(_ *kernel.Collector, any [][]engine.KeyValue) ([]engine.Row, error) {
			return clone(func(row engine.Row) bool {
				return slices.ContainsFunc(any, func(conj []engine.KeyValue) bool { return matches(row, conj) })
			}), nil
		}
	}
	r.Fill = map[string]func(*kernel.Collector, []int, []engine.Row) error{}
	for g := range d.Fill {
		r.Fill[g] = func(*kernel.Collector, []int, []engine.Row) error { return nil } // captured rows hold every column
	}
	r.Prefetch = nil
	return &r
}
