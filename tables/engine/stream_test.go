package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"time"

	"netsql/tables/kernel"

	"github.com/google/go-cmp/cmp"
)

// streamer is a dataset that hands its rows to kernel.Sink in batches as
// it makes them, as the sockets dataset does with a netlink dump, with
// hooks to hold or break the read after its first batch.
type streamer struct {
	n, batch   int
	afterFirst func() error // called once the first batch was handed over
	reverse    bool         // return the rows in the other order than handed over
	// poison: a column the statement does not read (kernel.Columns) holds
	// a text no answer may show; pruned counts the reads told so.
	poison bool
	pruned int
}

func streamerRow(i int) Row {
	return Row{int64(i), int64(i % 5), fmt.Sprintf("kind-%d", i%3), nil}
}

func (s *streamer) collect(c *kernel.Collector, keep func(Row) bool) ([]Row, error) {
	emit := kernel.Sink[Row](c)
	used, pruned := kernel.Columns(c)
	if pruned {
		s.pruned++
	}
	var rows []Row
	sent := 0
	for i := range s.n {
		r := streamerRow(i)
		if pruned && s.poison {
			for col := range 3 { // extra is a group: never pruned
				if used&(1<<col) == 0 {
					r[col] = "POISON"
				}
			}
		}
		if keep != nil && !keep(r) {
			continue
		}
		rows = append(rows, r)
		if emit == nil || len(rows)-sent < s.batch {
			continue
		}
		emit(rows[sent:])
		first := sent == 0
		sent = len(rows)
		if first && s.afterFirst != nil {
			if err := s.afterFirst(); err != nil {
				return nil, err
			}
		}
		runtime.Gosched() // let the statement catch up, so scans wait for batches
	}
	if emit != nil && len(rows) > sent {
		emit(rows[sent:])
	}
	if s.reverse {
		slices.Reverse(rows)
	}
	return rows, nil
}

func (s *streamer) dataset(streams bool) *Dataset {
	return &Dataset{
		Name:    "streamed",
		Doc:     "made-up rows read in batches",
		Sources: []string{"memory"},
		Columns: []Column{
			{Name: "id", Type: Integer, Doc: "row number"},
			{Name: "grp", Type: Integer, Doc: "id modulo 5, not a key"},
			{Name: "kind", Type: Text, Doc: "kind-N, N = id modulo 3; a key the read narrows on"},
			{Name: "extra", Type: Integer, Doc: "filled on demand", Group: "extra"},
		},
		Collect: func(c *kernel.Collector) ([]Row, error) { return s.collect(c, nil) },
		Keys:    []Key{{Column: "kind"}},
		Narrow: func(c *kernel.Collector, any [][]KeyValue) ([]Row, error) {
			return s.collect(c, func(r Row) bool {
				for _, conj := range any {
					if len(conj) == 1 && conj[0].Value == r[2] {
						return true
					}
				}
				return false
			})
		},
		Fill: map[string]func(*kernel.Collector, []int, []Row) error{"extra": func(c *kernel.Collector, cols []int, rows []Row) error {
			for _, r := range rows {
				r[cols[0]] = r[0].(int64) + 1000
			}
			return nil
		}},
		Streams:       streams,
		EstimatedRows: int64(s.n),
	}
}

func openStreamer(t *testing.T, s *streamer, streams bool) *Engine {
	t.Helper()
	e, err := Open(context.Background(), kernel.RootSource(t.TempDir()), []*Dataset{s.dataset(streams)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// A statement whose only scan is of a streaming dataset is served its
// first row while the read still runs: the read here will not go on
// until the statement has printed a row, and gives up after a while.
func TestStreamServesRowsWhileReading(t *testing.T) {
	printed := make(chan struct{})
	s := &streamer{n: 500, batch: 10, afterFirst: func() error {
		select {
		case <-printed:
			return nil
		case <-time.After(10 * time.Second):
			return errors.New("no row was served while the read ran")
		}
	}}
	e := openStreamer(t, s, true)
	for _, q := range []string{
		"SELECT id, kind FROM streamed",
		"SELECT id FROM streamed WHERE kind = 'kind-1'",              // a narrowed read
		"SELECT id FROM streamed WHERE kind IN ('kind-0', 'kind-2')", // one scan per value
		"SELECT id FROM streamed WHERE grp < 3 AND id > 2 LIMIT 30",
	} {
		printed = make(chan struct{})
		var got int
		var once bool
		d := delta(e, func() {
			_, err := e.Statement(context.Background(), q, nil, func(rows *sql.Rows) error {
				for rows.Next() {
					if !once {
						once = true
						close(printed)
					}
					got++
				}
				return rows.Err()
			})
			if err != nil {
				t.Errorf("%s: %v", q, err)
			}
		})
		if d.Streamed["streamed"] != 1 {
			t.Errorf("%s: streamed %d times, want once", q, d.Streamed["streamed"])
		}
		if got == 0 {
			t.Errorf("%s: no rows", q)
		}
	}
}

// Streaming changes when rows arrive, never which: the same statements
// against the same rows in a plain SQLite table give the same multisets,
// on an engine that streams and on one that does not.
func TestStreamDifferential(t *testing.T) {
	s := &streamer{n: 400, batch: 7}
	streaming, whole := openStreamer(t, s, true), openStreamer(t, s, false)
	plain, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { plain.Close() })
	plain.SetMaxOpenConns(1)
	if _, err := plain.Exec("CREATE TABLE streamed (id INTEGER, grp INTEGER, kind TEXT, extra INTEGER)"); err != nil {
		t.Fatal(err)
	}
	for i := range s.n {
		r := streamerRow(i)
		if _, err := plain.Exec("INSERT INTO streamed VALUES (?, ?, ?, ?)", r[0], r[1], r[2], r[0].(int64)+1000); err != nil {
			t.Fatal(err)
		}
	}
	statements := []string{
		"SELECT * FROM streamed",
		"SELECT id, grp FROM streamed WHERE kind = 'kind-2'",
		"SELECT id FROM streamed WHERE kind IN ('kind-0', 'kind-1')",
		"SELECT id FROM streamed WHERE kind = 'kind-0' OR kind = 'kind-2' OR kind = 'kind-9'",
		"SELECT id FROM streamed WHERE kind = 'kind-1' OR grp = 2",
		"SELECT id FROM streamed WHERE (kind = 'kind-1' AND grp = 1) OR (kind = 'kind-2' AND grp = 4) OR id = 7",
		"SELECT count(*) FROM streamed WHERE grp = 0 OR grp = 3 OR kind = 'kind-2'",
		"SELECT id FROM streamed WHERE grp IN (1, 2) AND kind <> 'kind-0'",
		"SELECT id FROM streamed WHERE NOT (kind = 'kind-1') AND id < 50",
		"SELECT id FROM streamed WHERE kind LIKE '%-2' AND grp IS NOT NULL",
		"SELECT kind, count(*), sum(grp) FROM streamed GROUP BY kind",
		"SELECT id FROM streamed ORDER BY id DESC LIMIT 5",
		"SELECT id FROM streamed LIMIT 3",
		"SELECT id, extra FROM streamed WHERE kind = 'kind-1'", // fills a group: not streamed
		"SELECT a.id, b.id FROM streamed a JOIN streamed b ON a.id = b.grp WHERE a.kind = 'kind-0'",
		"SELECT id FROM streamed a WHERE NOT EXISTS (SELECT 1 FROM streamed b WHERE b.id = a.id)",
		"SELECT (SELECT count(*) FROM streamed WHERE kind = 'kind-0'), (SELECT count(*) FROM streamed WHERE kind LIKE 'kind-0')",
		"SELECT id FROM streamed WHERE id IN (SELECT grp FROM streamed WHERE kind = 'kind-1')",
	}
	for _, q := range statements {
		want := sortedRows(t, plain, q)
		for name, e := range map[string]*Engine{"streaming": streaming, "whole": whole} {
			_, got, _, err := e.Query(context.Background(), q)
			if err != nil {
				t.Errorf("%s engine: %s: %v", name, q, err)
				continue
			}
			if strings.Contains(q, "LIMIT 3") {
				// Which three rows is not fixed: the count and the range are.
				if len(got) != 3 {
					t.Errorf("%s engine: %s: %d rows", name, q, len(got))
				}
				continue
			}
			sortRows(got)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s engine: %s (-sqlite +netsql):\n%s", name, q, diff)
			}
		}
	}
	// Those with one scan (9 of them) stream; an OR of two columns is two
	// scans, a join or a subquery more.
	if n := streaming.Stats().Streamed["streamed"]; n < 8 {
		t.Errorf("the streaming engine streamed %d statements of %d", n, len(statements))
	}
	if n := whole.Stats().Streamed["streamed"]; n != 0 {
		t.Errorf("a dataset that does not stream was streamed %d times", n)
	}
}

func sortedRows(t *testing.T, db *sql.DB, q string) [][]any {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatalf("sqlite: %s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out [][]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		out = append(out, vals)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	sortRows(out)
	return out
}

func sortRows(rows [][]any) {
	slices.SortFunc(rows, func(a, b []any) int { return strings.Compare(fmt.Sprint(a...), fmt.Sprint(b...)) })
}

// Only a statement's one scan streams: two scans would use the collector
// at once, a group fill needs every row, and a kept snapshot is read whole.
func TestStreamOnlyTheOneScan(t *testing.T) {
	s := &streamer{n: 50, batch: 4}
	e := openStreamer(t, s, true)
	for q, want := range map[string]int{
		"SELECT id FROM streamed":                                         1,
		"SELECT id FROM streamed WHERE kind = 'kind-1'":                   1,
		"SELECT id, extra FROM streamed":                                  0,
		"SELECT a.id FROM streamed a JOIN streamed b ON a.id = b.id":      0,
		"SELECT id FROM streamed UNION ALL SELECT grp FROM streamed":      0,
		"SELECT (SELECT max(id) FROM streamed), (SELECT 1 FROM streamed)": 0,
	} {
		d := delta(e, func() { query(t, e, q) })
		if d.Streamed["streamed"] != want {
			t.Errorf("%s: streamed %d times, want %d", q, d.Streamed["streamed"], want)
		}
		if d.Collections["streamed"]+d.Narrowed["streamed"] != 1 {
			t.Errorf("%s: %d collections and %d narrowed reads, want one read", q, d.Collections["streamed"], d.Narrowed["streamed"])
		}
	}
	// A kept snapshot (.snapshot on, --save) streams a dataset's first,
	// whole read when it is the statement's only scan; later statements
	// are served the same rows, every column of them.
	e.SetKeepSnapshot(true)
	for _, c := range []struct {
		q                  string
		streamed, collects int
	}{
		{"SELECT a.id FROM streamed a JOIN streamed b ON a.id = b.id", 0, 1},
		{"SELECT id FROM streamed", 1, 1},
	} {
		e.Refresh()
		for n, q := range []string{c.q, "SELECT id FROM streamed WHERE kind = 'kind-1'", "SELECT count(*) FROM streamed"} {
			d := delta(e, func() { query(t, e, q) })
			wantStreamed, wantCollects := 0, 0
			if n == 0 {
				wantStreamed, wantCollects = c.streamed, c.collects
			}
			if d.Streamed["streamed"] != wantStreamed || d.Collections["streamed"] != wantCollects || d.Narrowed["streamed"] != 0 {
				t.Errorf("kept snapshot, %s: streamed %d, collected %d, narrowed %d; want %d, %d, 0",
					q, d.Streamed["streamed"], d.Collections["streamed"], d.Narrowed["streamed"], wantStreamed, wantCollects)
			}
		}
	}
	if got := query(t, e, "SELECT count(*), count(grp), count(kind) FROM streamed"); fmt.Sprint(got) != fmt.Sprint([][]any{{int64(s.n), int64(s.n), int64(s.n)}}) {
		t.Errorf("kept snapshot: %v, want every row with every column", got)
	}
	e.SetKeepSnapshot(false)
}

// A statement that stops early (LIMIT) still leaves a whole read behind:
// the watch mode's prev and the next statement see every row.
func TestStreamStoppedEarlyEndsTheRead(t *testing.T) {
	s := &streamer{n: 300, batch: 5}
	e := openStreamer(t, s, true)
	e.SetRetainLast(true)
	if got := query(t, e, "SELECT id FROM streamed LIMIT 2"); len(got) != 2 {
		t.Fatalf("LIMIT 2: %d rows", len(got))
	}
	rows, ok := e.LastRows("streamed")
	if !ok || len(rows) != s.n {
		t.Errorf("after LIMIT 2: LastRows has %d rows (%v), want %d", len(rows), ok, s.n)
	}
	if got := query(t, e, "SELECT count(*) FROM streamed"); got[0][0] != int64(s.n) {
		t.Errorf("count after an early stop: %v", got)
	}
}

// A read that fails after rows were served fails the statement with its
// error; one that returns other rows than it handed over is a bug that
// says so rather than an answer.
func TestStreamFailures(t *testing.T) {
	boom := errors.New("dump broke mid-way")
	printed := make(chan struct{})
	s := &streamer{n: 100, batch: 10, afterFirst: func() error {
		select {
		case <-printed:
		case <-time.After(10 * time.Second):
		}
		return boom
	}}
	e := openStreamer(t, s, true)
	var got int
	_, err := e.Statement(context.Background(), "SELECT id FROM streamed", nil, func(rows *sql.Rows) error {
		for rows.Next() {
			if got++; got == 1 {
				close(printed)
			}
		}
		return rows.Err()
	})
	if !errors.Is(err, boom) || got == 0 || got >= s.n {
		t.Errorf("read failing after rows were served: %d rows and %v, want some rows and %v", got, err, boom)
	}
	// Failing before the first row, the error reaches SQLite's.
	s.afterFirst = func() error { return boom }
	if _, _, _, err := e.Query(context.Background(), "SELECT id FROM streamed"); err == nil || !strings.Contains(err.Error(), boom.Error()) {
		t.Errorf("read failing at once: got %v, want %v", err, boom)
	}
	if got := query(t, e, "SELECT 1"); len(got) != 1 {
		t.Errorf("the engine after a failed read: %v", got)
	}

	// A reader that panics mid-way fails the statement, not the process.
	s.afterFirst = func() error { panic("decoder bug") }
	if _, _, _, err := e.Query(context.Background(), "SELECT id FROM streamed"); err == nil || !strings.Contains(err.Error(), "decoder bug") {
		t.Errorf("read panicking after its first batch: got %v", err)
	}

	r := &streamer{n: 100, batch: 10, reverse: true}
	e = openStreamer(t, r, true)
	_, _, _, err = e.Query(context.Background(), "SELECT id FROM streamed")
	if err == nil || !strings.Contains(err.Error(), "internal error") {
		t.Errorf("rows returned in another order than handed over: got %v, want an internal error", err)
	}
}

// With SetGCPause(false) (the exporter) a collection leaves the garbage
// collector on; by default it is off while rows are built.
func TestSetGCPause(t *testing.T) {
	percent := func() int {
		p := debug.SetGCPercent(100)
		debug.SetGCPercent(p)
		return p
	}
	resume := PauseGC()
	if p := percent(); p != -1 {
		t.Errorf("during a collection: GC percent %d, want -1 (paused)", p)
	}
	resume()
	SetGCPause(false)
	defer SetGCPause(true)
	resume = PauseGC()
	if p := percent(); p == -1 {
		t.Error("with SetGCPause(false) a collection paused the garbage collector")
	}
	resume()
}

// A read fills only the columns the statement's references use (SQLite's
// colUsed, gathered while the plan is made): every statement of the
// differential list, against a dataset that poisons the columns it is told
// nobody reads, still matches plain SQLite. Rows that outlive the
// statement (watch mode's prev, .snapshot on) and reads that fill a group
// get every column.
func TestPrunedColumnsNeverShow(t *testing.T) {
	s := &streamer{n: 120, batch: 7, poison: true}
	e := openStreamer(t, s, true)
	for _, q := range []string{
		"SELECT id FROM streamed",
		"SELECT count(*) FROM streamed WHERE kind = 'kind-1'",
		"SELECT id FROM streamed WHERE grp = 2 ORDER BY kind",
		"SELECT a.id, b.kind FROM streamed a JOIN streamed b ON a.id = b.grp",
		"SELECT id FROM streamed a WHERE EXISTS (SELECT 1 FROM streamed b WHERE b.grp = a.id AND b.kind = 'kind-2')",
		"SELECT (SELECT max(grp) FROM streamed), (SELECT min(kind) FROM streamed)",
		"SELECT kind, group_concat(id) FROM streamed GROUP BY kind",
		"SELECT * FROM streamed WHERE id < 3",
	} {
		_, rows, _, err := e.Query(context.Background(), q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		for _, r := range rows {
			for _, v := range r {
				if v == "POISON" || (strings.Contains(fmt.Sprint(v), "POISON")) {
					t.Errorf("%s: a column the read was told nobody reads reached the answer: %v", q, r)
				}
			}
		}
	}
	if s.pruned == 0 {
		t.Error("no read was told which columns the statement uses")
	}
	for _, c := range []struct {
		name         string
		retain, keep bool
	}{{"retain", true, false}, {"keep", false, true}} {
		e.SetRetainLast(c.retain)
		e.SetKeepSnapshot(c.keep)
		before := s.pruned
		query(t, e, "SELECT id FROM streamed")
		if s.pruned != before {
			t.Errorf("%s: a read was pruned whose rows outlive the statement", c.name)
		}
		e.Refresh()
	}
	e.SetRetainLast(false)
	e.SetKeepSnapshot(false)
	before := s.pruned
	query(t, e, "SELECT id, extra FROM streamed")
	if s.pruned != before {
		t.Error("a read that fills a group was pruned")
	}
	before = s.pruned
	query(t, e, "SELECT id FROM streamed WHERE kind = 'kind-0'")
	if s.pruned != before+1 {
		t.Error("a plain narrowed read was not pruned")
	}
}

// TestStreamTakesRoomFromBatch: the stream's copy of the rows makes as
// much room as the collection did (the batch's capacity) at the first
// batch, instead of growing by doubling through the read.
func TestStreamTakesRoomFromBatch(t *testing.T) {
	rows := make([]Row, 0, 1000)
	for i := range 1000 {
		rows = append(rows, streamerRow(i))
	}
	st := &rowStream{end: make(chan struct{})}
	st.more.L = &st.mu
	st.emit(rows[:128])
	if cap(st.rows) < 1000 {
		t.Fatalf("after the first batch of a 1000-row list: room for %d rows, want 1000", cap(st.rows))
	}
	first := &st.rows[:1][0]
	for at := 128; at < 1000; at += 128 {
		st.emit(rows[at:min(at+128, 1000)])
	}
	if len(st.rows) != 1000 || &st.rows[:1][0] != first {
		t.Errorf("after every batch: %d rows, moved %v; want 1000 rows where they were", len(st.rows), &st.rows[:1][0] != first)
	}
}

// TestBesideRunsWithoutWaiting: an engine set beside runs its statements
// while another engine's statement runs (moment's part writer); without
// SetBeside they run one at a time in the process. The first engine's
// read waits here until the second engine's statement has ended, and
// gives up after a while.
func TestBesideRunsWithoutWaiting(t *testing.T) {
	reading, besideDone := make(chan struct{}), make(chan struct{})
	waiting := &streamer{n: 10, batch: 100}
	first := waiting.dataset(false)
	first.Collect = func(c *kernel.Collector) ([]Row, error) {
		close(reading)
		select {
		case <-besideDone:
		case <-time.After(5 * time.Second):
			return nil, errors.New("the engine beside did not run its statement meanwhile")
		}
		return waiting.collect(c, nil)
	}
	e1, err := Open(context.Background(), kernel.RootSource(t.TempDir()), []*Dataset{first})
	if err != nil {
		t.Fatal(err)
	}
	defer e1.Close()
	e2 := openStreamer(t, &streamer{n: 50, batch: 10}, true)
	e2.SetBeside()
	firstErr := make(chan error, 1)
	go func() {
		_, rows, _, err := e1.Query(context.Background(), "SELECT count(*) FROM streamed")
		if err == nil && (len(rows) != 1 || rows[0][0] != int64(10)) {
			err = fmt.Errorf("first engine counted %v, want 10", rows)
		}
		firstErr <- err
	}()
	<-reading // the first engine's statement runs
	_, rows, _, err := e2.Query(context.Background(), "SELECT count(*) FROM streamed")
	close(besideDone)
	if err != nil || len(rows) != 1 || rows[0][0] != int64(50) {
		t.Errorf("engine beside: %v, %v; want 50 rows", rows, err)
	}
	if err := <-firstErr; err != nil {
		t.Error(err)
	}
}
