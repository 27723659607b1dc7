package queries

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The metric header: `-- metric:` and `-- help:` among the comment lines
// after the description; a malformed one is the query's problem.
func TestMetricHeader(t *testing.T) {
	cases := []struct {
		text string
		want *Metric
		line int // of the error; 0 for none
	}{
		{"-- description: d\nSELECT 1;\n", nil, 0},
		{"-- description: d\n-- metric: netsql_x gauge\nSELECT 1 AS value;\n", &Metric{Name: "netsql_x", Type: "gauge", Help: "d"}, 0},
		{"-- description: d\n-- a note\n-- help:  what it is \n-- metric: a:b_total counter\nSELECT 1 AS value;\n",
			&Metric{Name: "a:b_total", Type: "counter", Help: "what it is"}, 0},
		{"-- description: d\nSELECT 1 AS value;\n-- metric: netsql_x gauge\n", nil, 0}, // not in the header
		{"-- description: d\n-- metric: netsql_x\n", nil, 2},
		{"-- description: d\n-- metric: netsql_x histogram\n", nil, 2},
		{"-- description: d\n-- metric: 9x gauge\n", nil, 2},
		{"-- description: d\n-- metric: x gauge\n-- metric: y gauge\n", nil, 3},
		{"-- description: d\n-- help: h\nSELECT 1;\n", nil, 2},
	}
	for _, c := range cases {
		q, err := parse("m.sql", "m.sql", []byte(c.text))
		if c.line == 0 {
			if err != nil {
				t.Errorf("%q: %v", c.text, err)
			} else if diff := cmp.Diff(c.want, q.Metric); diff != "" {
				t.Errorf("%q (-want +got):\n%s", c.text, diff)
			}
			continue
		}
		if !errors.Is(err, ErrBadMetric) || err.Error()[:len("m.sql line 2")] != "m.sql line "+string(rune('0'+c.line)) {
			t.Errorf("%q: error %v, want ErrBadMetric at line %d", c.text, err, c.line)
		}
	}
}

// A user's file with a bad metric header is loaded with its problem set,
// as one without a description is; a built-in one would fail Load.
func TestBadMetricIsAProblem(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bad.sql"), []byte("-- description: d\n-- metric: x summary\nSELECT 1 AS value;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	list, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	q, err := Find(list, "bad")
	if err != nil || !errors.Is(q.Problem, ErrBadMetric) || q.Metric != nil {
		t.Errorf("bad: %+v, %v", q, err)
	}
	n := 0
	for _, q := range list {
		if q.Origin == "builtin" && q.Metric != nil {
			n++
		}
	}
	if n < 7 {
		t.Errorf("%d built-in metric queries", n)
	}
}
