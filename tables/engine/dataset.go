// Package engine serves datasets as SQLite virtual tables: declarations
// (Dataset, Column, Key), one in-memory database on one connection, the
// plan of each statement, snapshots, hash indexes and costs, SQLite's
// comparison rules, and the read-only authorizer. It knows no dataset by
// name and no /proc: a dataset reads through the kernel.Collector it is
// handed.
//
// One moment: within a statement each dataset is read once, at one moment,
// and every scan of it — narrowed or not, in a subquery, a CTE, a self-join,
// each term of an OR — is served from that read. How it is read is decided
// before the first row from every reference the statement makes (plan.go):
// narrowed at the source only when all of them narrow, else whole.
//
// Rowids: within one snapshot every row of a dataset has one rowid, unique
// and the same in every scan that serves it. SQLite answers an OR with one
// scan per term and drops duplicates by rowid, so a rowid that depended on
// the scan would lose or repeat rows.
//
// Streaming and direct rows change when rows arrive and how they leave,
// never which: a statement's only scan may be served while its dataset is
// still read (snapshot.go, rowStream), and the shell's rows may leave
// through one aggregate call a row (direct.go); both are checked against
// plain SQLite and database/sql.
package engine

import (
	"fmt"
	"regexp"
	"strings"

	"netsql/tables/kernel"
)

// Type is the SQLite type of a column; it decides how an equality value is
// converted before an index lookup (SQLite's column affinity).
type Type int

// Column types.
const (
	Integer Type = iota + 1
	Text
	Real
)

// String returns the type's SQL name.
func (t Type) String() string {
	switch t {
	case Integer:
		return "INTEGER"
	case Text:
		return "TEXT"
	case Real:
		return "REAL"
	}
	return fmt.Sprintf("Type(%d)", int(t))
}

// Column declares one column of a dataset.
type Column struct {
	Name string
	Type Type
	Doc  string // one line, shown by --schema, .schema and the README
	// Group names an optional set of columns that costs extra to compute
	// (the owners of a socket); such columns are filled by Dataset.Fill only
	// when a statement uses one of them. Empty for ordinary columns.
	Group string
}

// Row holds one value per column, in column order: int64, float64, string
// or nil (NULL). A row may be shorter than the dataset's columns when the
// statement reads none of the columns past its end (kernel.Columns): those
// read as NULL.
type Row []any

// At is column col of r, nil (NULL) past the row's end.
func (r Row) At(col int) any {
	if col < 0 || col >= len(r) {
		return nil
	}
	return r[col]
}

// Key is a column on which equality narrows the collection itself, so that
// `processes WHERE pid = 42` reads only /proc/42.
type Key struct {
	Column string
	// Collect returns the rows whose Column equals value. The value has been
	// converted by the column's affinity (int64 for INTEGER, string for TEXT).
	// Needed when the key is Stable or the dataset has no Narrow.
	Collect func(c *kernel.Collector, value any) ([]Row, error)
	// Stable says a row's value in Column never changes while the thing it
	// describes lives (a pid, a socket's protocol), so reads narrowed on
	// different values never share or trade a row, and may be made one
	// after another in a statement (a join looking up pid after pid). A
	// key such as a socket's state is not stable: a statement narrows on it
	// only when every value is known before the first row (ARCHITECTURE.md,
	// "One moment").
	Stable bool
}

// KeyValue is one equality on a key column, as Narrow receives it.
type KeyValue struct {
	Column string
	Value  any // converted by the column's affinity, as for Key.Collect
}

// Dataset is one table: its declaration and how to collect its rows.
type Dataset struct {
	Name    string
	Doc     string   // one line
	Sources []string // the kernel files or calls it reads, for documentation
	Columns []Column
	// Collect returns every row. Columns of a Group are left nil; Fill
	// computes them when needed.
	Collect func(c *kernel.Collector) ([]Row, error)
	// Keys lists the columns whose equality narrows the collection.
	Keys []Key
	// Narrow, when set, collects in one read the rows matching any of the
	// conjunctions of equalities on key columns it is given (`(state =
	// 'LISTEN' AND proto = 'tcp') OR (state = 'UNCONN' AND proto = 'udp')`).
	// Rows beyond them are allowed: SQLite re-checks every row. Required
	// when a dataset has more than one key; without it a conjunction names
	// one key, read through that key's Collect.
	Narrow func(c *kernel.Collector, any [][]KeyValue) ([]Row, error)
	// Fill computes the columns of one group for the given rows, in place.
	Fill map[string]func(c *kernel.Collector, columns []int, rows []Row) error
	// Prefetch, when set for a group, is called before a collection whose
	// rows a scan will fill with that group, so slow Fill work (the owner
	// walk) can start in the background and overlap the collection. It
	// must be cheap to call again within a statement.
	Prefetch map[string]func(c *kernel.Collector)
	// Streams says Collect and Narrow hand their rows to kernel.Sink as
	// they read them. A statement whose only scan is of this dataset then
	// starts serving rows while the read still runs (ARCHITECTURE.md,
	// "Streaming").
	Streams bool
	// EstimatedRows is a typical size, told to the query planner.
	EstimatedRows int64
	// Diff says how two moments of the dataset compare (--diff).
	Diff DiffSpec
}

// DiffSpec says how rows of two moments of a dataset are matched and
// compared (--diff; ARCHITECTURE.md "Saved moments").
type DiffSpec struct {
	// Key columns match a row of one moment with its row in the other:
	// what the thing is (a socket's protocol and addresses, a route's
	// table and destination), not a kernel id, so a restarted listener is
	// the same key.
	Key []string
	// Identity columns tell the kernel object behind the key (a socket's
	// inode, a process's start time): the same key with another identity
	// is "replaced".
	Identity []string
	// Counters only grow; they are shown as deltas over the elapsed time,
	// not as changes.
	Counters []string
	// Volatile columns move all the time (timers, queues, lifetimes) and
	// are not compared.
	Volatile []string
}

// ColumnIndex returns the position of the named column, or -1.
func (d *Dataset) ColumnIndex(name string) int {
	for i, col := range d.Columns {
		if col.Name == name {
			return i
		}
	}
	return -1
}

// key returns the narrowing key declared on column i, or nil.
func (d *Dataset) key(i int) *Key {
	for k := range d.Keys {
		if d.Keys[k].Column == d.Columns[i].Name {
			return &d.Keys[k]
		}
	}
	return nil
}

// groups returns the distinct column groups in column order.
func (d *Dataset) groups() []string {
	var names []string
	for _, col := range d.Columns {
		if col.Group != "" && !containsString(names, col.Group) {
			names = append(names, col.Group)
		}
	}
	return names
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

var snakeCase = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)

// sqlKeywords are words that must not name a column (ARCHITECTURE.md,
// "Naming"). The list covers the reserved words people trip over; KEY is
// left out on purpose: SQLite takes it as a plain name, and snmp's
// nstat-style counter name is the column `key`.
var sqlKeywords = map[string]bool{
	"abort": true, "action": true, "add": true, "after": true, "all": true, "alter": true, "analyze": true,
	"and": true, "as": true, "asc": true, "attach": true, "before": true, "begin": true, "between": true,
	"by": true, "cascade": true, "case": true, "cast": true, "check": true, "collate": true, "column": true,
	"commit": true, "conflict": true, "constraint": true, "create": true, "cross": true, "current": true,
	"database": true, "default": true, "delete": true, "desc": true, "detach": true, "distinct": true,
	"drop": true, "each": true, "else": true, "end": true, "escape": true, "except": true, "exists": true,
	"explain": true, "filter": true, "for": true, "foreign": true, "from": true, "full": true, "glob": true,
	"group": true, "having": true, "if": true, "in": true, "index": true, "inner": true, "insert": true,
	"intersect": true, "into": true, "is": true, "isnull": true, "join": true, "left": true,
	"like": true, "limit": true, "match": true, "natural": true, "not": true, "notnull": true, "null": true,
	"of": true, "offset": true, "on": true, "or": true, "order": true, "outer": true, "over": true,
	"partition": true, "plan": true, "pragma": true, "primary": true, "query": true, "range": true,
	"references": true, "regexp": true, "reindex": true, "release": true, "rename": true, "replace": true,
	"right": true, "rollback": true, "row": true, "rows": true, "select": true, "set": true, "table": true,
	"temp": true, "then": true, "to": true, "transaction": true, "trigger": true, "union": true,
	"unique": true, "update": true, "using": true, "vacuum": true, "values": true, "view": true,
	"virtual": true, "when": true, "where": true, "window": true, "with": true, "without": true,
}

// Validate checks a declaration: snake_case names that are not SQL keywords,
// unique columns, a type and a description everywhere, a producer, keys and
// groups that refer to real columns. At most 62 columns, since SQLite's
// column-used mask has 63 exact bits.
func (d *Dataset) Validate() error {
	if !snakeCase.MatchString(d.Name) || sqlKeywords[d.Name] {
		return fmt.Errorf("dataset %q: name is not a snake_case non-keyword", d.Name)
	}
	if strings.TrimSpace(d.Doc) == "" || strings.Contains(d.Doc, "\n") {
		return fmt.Errorf("dataset %s: needs a one-line doc", d.Name)
	}
	if len(d.Sources) == 0 {
		return fmt.Errorf("dataset %s: names no source", d.Name)
	}
	if d.Collect == nil {
		return fmt.Errorf("dataset %s: has no Collect", d.Name)
	}
	if len(d.Columns) == 0 || len(d.Columns) > 62 {
		return fmt.Errorf("dataset %s: has %d columns (1 to 62 allowed)", d.Name, len(d.Columns))
	}
	seen := map[string]bool{}
	for _, col := range d.Columns {
		switch {
		case !snakeCase.MatchString(col.Name) || sqlKeywords[col.Name]:
			return fmt.Errorf("dataset %s: column %q is not a snake_case non-keyword", d.Name, col.Name)
		case seen[col.Name]:
			return fmt.Errorf("dataset %s: column %s declared twice", d.Name, col.Name)
		case col.Type < Integer || col.Type > Real:
			return fmt.Errorf("dataset %s: column %s has no type", d.Name, col.Name)
		case strings.TrimSpace(col.Doc) == "" || strings.Contains(col.Doc, "\n"):
			return fmt.Errorf("dataset %s: column %s needs a one-line description", d.Name, col.Name)
		case col.Group != "" && d.Fill[col.Group] == nil:
			return fmt.Errorf("dataset %s: column %s is in group %q, which has no Fill", d.Name, col.Name, col.Group)
		}
		seen[col.Name] = true
	}
	for _, k := range d.Keys {
		i := d.ColumnIndex(k.Column)
		if i < 0 || (k.Collect == nil && (k.Stable || d.Narrow == nil)) {
			return fmt.Errorf("dataset %s: key %q is not a column with a Collect", d.Name, k.Column)
		}
		if d.Columns[i].Group != "" {
			return fmt.Errorf("dataset %s: key %s is a filled column", d.Name, k.Column)
		}
	}
	if d.Narrow == nil && len(d.Keys) > 1 {
		return fmt.Errorf("dataset %s: %d keys need a Narrow that reads them together", d.Name, len(d.Keys))
	}
	if len(d.groups()) > maxGroups {
		return fmt.Errorf("dataset %s: more than %d column groups", d.Name, maxGroups)
	}
	for g := range d.Fill {
		if !containsString(d.groups(), g) {
			return fmt.Errorf("dataset %s: Fill group %q has no column", d.Name, g)
		}
	}
	for g := range d.Prefetch {
		if d.Fill[g] == nil {
			return fmt.Errorf("dataset %s: Prefetch group %q has no Fill", d.Name, g)
		}
	}
	role := map[string]string{}
	for _, list := range []struct {
		name string
		cols []string
	}{{"key", d.Diff.Key}, {"identity", d.Diff.Identity}, {"counter", d.Diff.Counters}, {"volatile", d.Diff.Volatile}} {
		for _, c := range list.cols {
			if d.ColumnIndex(c) < 0 {
				return fmt.Errorf("dataset %s: diff %s %q is not a column", d.Name, list.name, c)
			}
			if r, dup := role[c]; dup {
				return fmt.Errorf("dataset %s: column %s is both a diff %s and a diff %s", d.Name, c, r, list.name)
			}
			role[c] = list.name
		}
	}
	return nil
}

// CreateTableSQL returns the CREATE TABLE statement that declares the
// dataset, each column's description as a comment; the virtual table is
// declared with it, and --schema and .schema print it.
func (d *Dataset) CreateTableSQL() string {
	var b strings.Builder
	fmt.Fprintf(&b, "-- %s\nCREATE TABLE %s (\n", d.Doc, d.Name)
	width := 0
	for _, col := range d.Columns {
		width = max(width, len(col.Name)+1+len(col.Type.String()))
	}
	for i, col := range d.Columns {
		sep := ","
		if i == len(d.Columns)-1 {
			sep = ""
		}
		decl := col.Name + " " + col.Type.String() + sep
		fmt.Fprintf(&b, "  %-*s -- %s\n", width+1, decl, col.Doc)
	}
	b.WriteString(");")
	return b.String()
}

// Find returns the dataset with the given name from list, or nil.
func Find(list []*Dataset, name string) *Dataset {
	for _, d := range list {
		if d.Name == name {
			return d
		}
	}
	return nil
}
