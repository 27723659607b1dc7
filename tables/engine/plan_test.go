package engine

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"netsql/tables/kernel"
)

// peers is a made-up socket table where many sockets share a port (one
// server port per 20 clients, all on 127.0.0.1), as on a busy server: a
// lookup on one of the join's columns alone returns thousands of rows.
func peers(n int) *Dataset {
	row := func(i int) Row {
		k := int64(i / 2)
		client, server := 30000+k, 8000+k%20
		if i%2 == 0 {
			return Row{"127.0.0.1", client, "127.0.0.1", server}
		}
		return Row{"127.0.0.1", server, "127.0.0.1", client}
	}
	return &Dataset{
		Name: "conns", Doc: "made-up connections, two sockets each", Sources: []string{"memory"},
		Columns: []Column{
			{Name: "local_addr", Type: Text, Doc: "local address"},
			{Name: "local_port", Type: Integer, Doc: "local port"},
			{Name: "remote_addr", Type: Text, Doc: "remote address"},
			{Name: "remote_port", Type: Integer, Doc: "remote port"},
		},
		Collect: func(*kernel.Collector) ([]Row, error) {
			rows := make([]Row, n)
			for i := range rows {
				rows[i] = row(i)
			}
			return rows, nil
		},
		EstimatedRows: int64(n),
	}
}

// permutations returns every order of terms.
func permutations(terms []string) [][]string {
	if len(terms) <= 1 {
		return [][]string{terms}
	}
	var out [][]string
	for i := range terms {
		rest := append(append([]string{}, terms[:i]...), terms[i+1:]...)
		for _, p := range permutations(rest) {
			out = append(out, append([]string{terms[i]}, p...))
		}
	}
	return out
}

// A two-table equi-join on one to three columns gets an indexed plan that
// uses every column, whatever the order of its ON terms (and of each
// term's sides), and visits O(n) rows: the answer and the work do not
// depend on how the statement was written. With one column only used, the
// peer join below visits n²/40 rows.
func TestPlanEveryOrderOfOnTerms(t *testing.T) {
	const n = 20000
	e, err := Open(context.Background(), kernel.RootSource(t.TempDir()), []*Dataset{peers(n)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	joins := []struct {
		terms []string
		want  int
		cols  []string // the lookup's columns in EXPLAIN QUERY PLAN, for b or for a
	}{
		// Each client's server port is shared by n/40 server sockets; each
		// server socket's remote port is its one client's.
		{[]string{"a.remote_port = b.local_port"}, n/2*n/40 + n/2, []string{"local_port="}},
		{[]string{"a.remote_port = b.local_port", "b.remote_port = a.local_port"}, n, []string{"local_port=", "remote_port="}},
		{[]string{"a.remote_addr = b.local_addr", "a.remote_port = b.local_port", "b.remote_port = a.local_port"}, n,
			[]string{"local_addr=", "local_port=", "remote_port="}},
	}
	for _, j := range joins {
		var counts []any
		for _, order := range permutations(j.terms) {
			for flip := range 2 {
				terms := append([]string{}, order...)
				if flip == 1 { // write each term the other way round
					for i, term := range terms {
						l, r, _ := strings.Cut(term, " = ")
						terms[i] = r + " = " + l
					}
				}
				q := "SELECT count(*) FROM conns a JOIN conns b ON " + strings.Join(terms, " AND ")
				plan := query(t, e, "EXPLAIN QUERY PLAN "+q)
				var detail []string
				for _, r := range plan {
					detail = append(detail, fmt.Sprint(r[len(r)-1]))
				}
				text := strings.Join(detail, "; ")
				want := strings.Join(j.cols, ",")
				mirror := strings.ReplaceAll(strings.ReplaceAll(strings.ReplaceAll(want, "local_", "@"), "remote_", "local_"), "@", "remote_")
				if !strings.Contains(text, ":"+want) && !strings.Contains(text, ":"+sortedCols(mirror)) {
					t.Errorf("%s: plan %q does not look up on %s", q, text, want)
				}
				var rows [][]any
				d := delta(e, func() { rows = query(t, e, q) })
				counts = append(counts, rows[0][0])
				if visited := d.RowsVisited["conns"]; visited > 3*n+j.want {
					t.Errorf("%s: visited %d rows; want O(n), at most %d", q, visited, 3*n+j.want)
				}
			}
		}
		for _, c := range counts {
			if c != int64(j.want) {
				t.Errorf("ON %v: counts %v over the orders, want %d each", j.terms, counts, j.want)
				break
			}
		}
	}
}

// sortedCols orders "x=,y=" by column position in conns, as BestIndex does.
func sortedCols(list string) string {
	order := map[string]int{"local_addr=": 0, "local_port=": 1, "remote_addr=": 2, "remote_port=": 3}
	cols := strings.Split(list, ",")
	for i := range cols {
		for k := i + 1; k < len(cols); k++ {
			if order[cols[k]] < order[cols[i]] {
				cols[i], cols[k] = cols[k], cols[i]
			}
		}
	}
	return strings.Join(cols, ",")
}

// TestKeyMatchesAsRowKey: keyMatches, which a streamed scan uses to filter
// rows without allocating, agrees with comparing rowKey's result, for
// every pair of a row value and a constraint value's key.
func TestKeyMatchesAsRowKey(t *testing.T) {
	values := []any{nil, "tcp", "TCP", "tcp  ", "Tcp6", "tcp6", "", " ", "ESTABLISHED", "established ", "22", "022",
		int64(22), int64(0), float64(22), 22.5, "22.5", []byte("tcp"), "x y", "X Y "}
	for _, typ := range []Type{Text, Integer, Real} {
		for _, constraint := range values {
			key, ok := lookupKey(typ, constraint)
			if !ok {
				continue
			}
			for _, v := range values {
				rk, isKey := rowKey(typ, v)
				want := isKey && rk == key
				if got := keyMatches(typ, v, key); got != want {
					t.Errorf("%v column, row value %#v, constraint %#v: keyMatches %v, rowKey says %v", typ, v, constraint, got, want)
				}
			}
		}
	}
}
