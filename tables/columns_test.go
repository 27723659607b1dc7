package tables

import (
	"context"
	"fmt"
	"testing"

	"netsql/tables/engine"
	"netsql/tables/kernel"
)

// Every position variable a dataset file derives from its columns names a
// column that is there (columnIndex records the ones it did not find).
func TestColumnPositionsResolve(t *testing.T) {
	if len(unknownColumns) > 0 {
		t.Errorf("position variables name columns no dataset declares: %q", unknownColumns)
	}
}

// checkRowsMatchDeclarations reads every dataset of e whole and checks each
// value against its column's declared type: a row filled at the wrong
// position puts a number in a text column or the other way round.
func checkRowsMatchDeclarations(t *testing.T, e *engine.Engine) (checked int) {
	t.Helper()
	for _, d := range e.Datasets() {
		_, rows, _, err := e.Query(context.Background(), "SELECT * FROM "+d.Name)
		if err != nil {
			t.Errorf("%s: %v", d.Name, err)
			continue
		}
		for _, r := range rows {
			if len(r) != len(d.Columns) {
				t.Fatalf("%s: a row of %d values for %d columns", d.Name, len(r), len(d.Columns))
			}
			for i, v := range r {
				want := map[engine.Type]string{engine.Integer: "int64", engine.Text: "string", engine.Real: "float64"}[d.Columns[i].Type]
				if got := fmt.Sprintf("%T", v); v != nil && got != want {
					t.Errorf("%s.%s is %s, holds %s %v", d.Name, d.Columns[i].Name, d.Columns[i].Type, got, v)
				}
			}
		}
		checked += len(rows)
	}
	return checked
}

func TestRowsMatchDeclarationsFixture(t *testing.T) {
	e := openFixture(t, kernel.RootSource(fixtureRoot(t, nil)))
	if n := checkRowsMatchDeclarations(t, e); n < 100 {
		t.Errorf("only %d rows checked", n)
	}
}
