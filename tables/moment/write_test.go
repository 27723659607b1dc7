package moment

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"netsql/tables"
	"netsql/tables/engine"
	"netsql/tables/kernel"
	"netsql/tables/tablestest"
)

// fileRows reads every table of the file at path, each row as text that
// shows every value's type, in rowid order; and the file's
// integrity_check.
func fileRows(t *testing.T, path string, datasets []*engine.Dataset) (map[string][]string, string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var check string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, d := range datasets {
		exprs := make([]string, len(d.Columns))
		for i, c := range d.Columns {
			exprs[i] = fmt.Sprintf("typeof(%s) || ':' || quote(%s)", c.Name, c.Name)
		}
		rows, err := db.Query("SELECT " + strings.Join(exprs, " || ' ' || ") + " FROM " + d.Name + " ORDER BY rowid")
		if err != nil {
			t.Fatalf("%s: %v", d.Name, err)
		}
		for rows.Next() {
			var r string
			rows.Scan(&r)
			out[d.Name] = append(out[d.Name], r)
		}
		rows.Close()
	}
	return out, check
}

// Differential: every dataset of the fixture tree, saved by dbfile, reads
// back from the file as SQLite's own INSERT ... SELECT writes it, row by
// row, value by value and type by type; and no value was refused.
func TestSaveDirectMatchesSQLite(t *testing.T) {
	root := tablestest.Root(t, nil)
	e, err := tables.Open(context.Background(), kernel.RootSource(root), tables.All)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	e.SetKeepSnapshot(true) // both files of one moment
	defer e.SetKeepSnapshot(false)
	dir := t.TempDir()
	direct := filepath.Join(dir, "direct.db")
	res, err := Save(context.Background(), e, direct, Options{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if res.ThroughSQLite {
		t.Error("the fixture's moment was written through SQLite: a value did not fit its column")
	}
	viaSQL := filepath.Join(dir, "sql.db")
	if err := os.WriteFile(viaSQL, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := writeSQL(context.Background(), e, viaSQL, tables.All); err != nil {
		t.Fatal(err)
	}
	got, check := fileRows(t, direct, tables.All)
	if check != "ok" {
		t.Errorf("integrity_check of the file dbfile wrote: %s", check)
	}
	want, _ := fileRows(t, viaSQL, tables.All)
	for _, d := range tables.All {
		if diff := cmp.Diff(want[d.Name], got[d.Name]); diff != "" {
			t.Errorf("%s (-through SQLite +dbfile):\n%s", d.Name, diff)
		}
		if res.Rows[d.Name] != len(want[d.Name]) {
			t.Errorf("%s: %d rows saved, SQLite wrote %d", d.Name, res.Rows[d.Name], len(want[d.Name]))
		}
	}
	if len(got["sockets"]) < 10 || len(got["processes"]) < 3 {
		t.Errorf("the fixture saved %d sockets, %d processes", len(got["sockets"]), len(got["processes"]))
	}
}

// A value SQLite would change on the way in (text in an INTEGER column,
// an integer in a TEXT one) sends the whole save through SQLite, which
// applies the columns' affinity; the file is whole either way.
func TestSaveThroughSQLiteWhenAValueDoesNotFit(t *testing.T) {
	odd := &engine.Dataset{Name: "odd", Doc: "values of other types than their columns", Sources: []string{"memory"},
		Columns: []engine.Column{{Name: "n", Type: engine.Integer, Doc: "number"}, {Name: "s", Type: engine.Text, Doc: "text"}},
		Collect: func(*kernel.Collector) ([]engine.Row, error) {
			return []engine.Row{{int64(1), "a"}, {"12", int64(7)}, {2.0, 1.5}}, nil
		},
		Diff: engine.DiffSpec{Key: []string{"n"}}}
	plain := &engine.Dataset{Name: "plain", Doc: "fits", Sources: []string{"memory"},
		Columns: []engine.Column{{Name: "n", Type: engine.Integer, Doc: "number"}},
		Collect: func(*kernel.Collector) ([]engine.Row, error) {
			return []engine.Row{{int64(5)}}, nil
		},
		Diff: engine.DiffSpec{Key: []string{"n"}}}
	datasets := []*engine.Dataset{plain, odd}
	e, err := engine.Open(context.Background(), kernel.RootSource(t.TempDir()), datasets)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	path := filepath.Join(t.TempDir(), "m.db")
	res, err := Save(context.Background(), e, path, Options{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if !res.ThroughSQLite || res.Rows["odd"] != 3 || res.Rows["plain"] != 1 {
		t.Errorf("result %+v, want written through SQLite, 3 and 1 rows", res)
	}
	got, check := fileRows(t, path, datasets)
	want := map[string][]string{
		"plain": {"integer:5"},
		"odd":   {"integer:1 text:'a'", "integer:12 text:'7'", "integer:2 text:'1.5'"},
	}
	if diff := cmp.Diff(want, got); diff != "" || check != "ok" {
		t.Errorf("file (-want +got):\n%s\nintegrity_check: %s", diff, check)
	}
}
