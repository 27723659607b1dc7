package dbfile

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	_ "modernc.org/sqlite"
)

// value draws a value of the kind a column of affinity a takes unchanged:
// integers of every serial size, reals, texts and blobs of every length up
// to long (past a page: overflow chains), NULLs.
func value(r *rand.Rand, a Affinity, long int) any {
	switch r.IntN(8) {
	case 0:
		return nil
	case 1:
		return []byte(strings.Repeat("\x00b", r.IntN(long/2+1)))
	}
	switch a {
	case Integer:
		bits := []int64{0, 1, 7, 8, 15, 16, 23, 24, 31, 32, 47, 48, 63}[r.IntN(13)]
		x := r.Int64() >> (63 - bits)
		if r.IntN(2) == 0 {
			x = -x
		}
		if r.IntN(4) == 0 {
			return []int64{0, 1}[r.IntN(2)] // serial types of their own
		}
		if r.IntN(10) == 0 {
			return int64(math.MinInt64)
		}
		return x
	case Real:
		return []float64{r.NormFloat64() * 1e6, 0.5, math.Inf(1), -0.25, math.MaxFloat64, math.SmallestNonzeroFloat64}[r.IntN(6)]
	}
	n := []int{0, 1, 10, 127, 128, 1000, long}[r.IntN(7)]
	return strings.Repeat("é", r.IntN(n+1)/2) + "x"
}

// readBack reads every row of table from the file as SQLite sees it, each
// value with its type.
func readBack(t *testing.T, db *sql.DB, table string, columns int) [][]any {
	t.Helper()
	rows, err := db.Query(fmt.Sprintf("SELECT rowid, * FROM %q ORDER BY rowid", table))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out [][]any
	for want := int64(1); rows.Next(); want++ {
		var rowid int64
		vals := make([]any, columns)
		ptrs := []any{&rowid}
		for i := range vals {
			ptrs = append(ptrs, &vals[i])
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		if rowid != want {
			t.Fatalf("%s: rowid %d where %d was due", table, rowid, want)
		}
		out = append(out, vals)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// sameRows reports the first rows that differ, value by value (cmp.Diff
// of long texts that differ takes minutes).
func sameRows(t *testing.T, table string, want, got [][]any) {
	t.Helper()
	if len(want) != len(got) {
		t.Errorf("%s: %d rows read back, %d appended", table, len(got), len(want))
	}
	bad := 0
	for i := range min(len(want), len(got)) {
		for j := range want[i] {
			a, b := want[i][j], got[i][j]
			same := a == nil && b == nil
			switch x := a.(type) {
			case []byte:
				y, ok := b.([]byte)
				same = ok && bytes.Equal(x, y)
			case int64, float64, string:
				same = a == b
			}
			if !same {
				t.Errorf("%s row %d column %d: appended %T %.100v, read back %T %.100v", table, i+1, j, a, a, b, b)
				if bad++; bad == 5 {
					t.FailNow()
				}
			}
		}
	}
}

func integrity(t *testing.T, db *sql.DB) {
	t.Helper()
	var lines []string
	rows, err := db.Query("PRAGMA integrity_check")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		rows.Scan(&s)
		lines = append(lines, s)
	}
	if len(lines) != 1 || lines[0] != "ok" {
		t.Fatalf("integrity_check: %q", lines)
	}
}

// A written file is one SQLite opens, checks whole, and reads back the
// same rows, values and types from; SQLite's own writing then works on it.
// Small pages make deep trees and overflow chains out of a few rows.
func TestWriterSQLiteReadsBack(t *testing.T) {
	type spec struct {
		name  string
		affs  []Affinity
		rows  int
		long  int
		short bool // rows end early, their last columns NULL
	}
	for _, pageSize := range []int{512, 4096, 65536} {
		t.Run(fmt.Sprint(pageSize), func(t *testing.T) {
			specs := []spec{
				{name: "empty", affs: []Affinity{Integer, Text}},
				{name: "one", affs: []Affinity{Text}, rows: 1},
				{name: "mixed", affs: []Affinity{Integer, Text, Real, Integer, Text}, rows: 3000, long: 3 * pageSize, short: true},
				{name: "many", affs: []Affinity{Integer, Integer}, rows: 60000, long: 10},
				{name: "big", affs: []Affinity{Text}, rows: 40, long: 5 * pageSize},
			}
			if pageSize == 512 {
				specs[3].rows = 200000 // three interior levels
			}
			path := filepath.Join(t.TempDir(), "f.db")
			w, err := Create(path, pageSize)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string][][]any{}
			var wg sync.WaitGroup
			errs := make([]error, len(specs))
			tables := make([]*Table, len(specs))
			for i, s := range specs {
				defs := make([]string, len(s.affs))
				for j, a := range s.affs {
					defs[j] = fmt.Sprintf("c%d %s", j, map[Affinity]string{Integer: "INTEGER", Text: "TEXT", Real: "REAL"}[a])
				}
				if tables[i], err = w.Table(s.name, "CREATE TABLE "+s.name+" ("+strings.Join(defs, ", ")+")", s.affs); err != nil {
					t.Fatal(err)
				}
				r := rand.New(rand.NewPCG(uint64(pageSize), uint64(i)))
				var rows [][]any
				for range s.rows {
					row := make([]any, len(s.affs))
					for j, a := range s.affs {
						row[j] = value(r, a, s.long)
					}
					if s.short {
						row = row[:r.IntN(len(row)+1)]
					}
					rows = append(rows, row)
				}
				for _, row := range rows {
					full := make([]any, len(s.affs))
					copy(full, row)
					want[s.name] = append(want[s.name], full)
				}
				// The tables are filled at once, as --save does.
				wg.Go(func() {
					for _, row := range rows {
						if errs[i] = tables[i].Append(row); errs[i] != nil {
							return
						}
					}
					errs[i] = tables[i].Close()
				})
			}
			wg.Wait()
			if err := errors.Join(errs...); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
			if err != nil {
				t.Fatal(err)
			}
			integrity(t, db)
			for i, s := range specs {
				got := readBack(t, db, s.name, len(s.affs))
				sameRows(t, s.name, want[s.name], got)
				if tables[i].Rows() != int64(s.rows) {
					t.Errorf("%s: Rows() = %d, want %d", s.name, tables[i].Rows(), s.rows)
				}
			}
			var ps int
			db.QueryRow("PRAGMA page_size").Scan(&ps)
			if ps != pageSize {
				t.Errorf("page_size %d, want %d", ps, pageSize)
			}
			db.Close()
			// SQLite writes on: a table of its own, a row more in ours.
			db, err = sql.Open("sqlite", "file:"+path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			for _, q := range []string{"CREATE TABLE extra (a TEXT)", "INSERT INTO extra VALUES ('x')", "INSERT INTO many VALUES (1, 2)", "DELETE FROM mixed WHERE rowid % 3 = 0"} {
				if _, err := db.Exec(q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			integrity(t, db)
			var n int
			db.QueryRow("SELECT count(*) FROM many").Scan(&n)
			if n != specs[3].rows+1 {
				t.Errorf("many: %d rows after an insert, want %d", n, specs[3].rows+1)
			}
		})
	}
}

// Values SQLite would change on the way into a column are refused, so the
// caller can write them through SQLite instead.
func TestAppendRefusesWhatAffinityChanges(t *testing.T) {
	w, err := Create(filepath.Join(t.TempDir(), "f.db"), 4096)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := w.Table("t", "CREATE TABLE t (i INTEGER, s TEXT, r REAL)", []Affinity{Integer, Text, Real})
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range [][]any{
		{"12"}, {2.0}, {nil, int64(3)}, {nil, 1.5}, {nil, nil, int64(4)}, {nil, nil, "x"}, {uint8(1)},
		{nil, nil, math.Copysign(0, -1)}, // SQLite stores it as 0, read back +0.0
	} {
		if err := tbl.Append(row); !errors.Is(err, ErrUnfit) {
			t.Errorf("Append(%v) = %v, want ErrUnfit", row, err)
		}
	}
	for _, row := range [][]any{
		{int64(1), "a", 1.5}, {2.5, []byte("b"), math.NaN()}, {true, nil, nil}, {7},
	} {
		if err := tbl.Append(row); err != nil {
			t.Errorf("Append(%v) = %v", row, err)
		}
	}
	if err := tbl.Append([]any{1, 2, 3, 4}); err == nil {
		t.Error("a row longer than the columns was taken")
	}
	if tbl.Rows() != 4 {
		t.Errorf("Rows() = %d, want 4", tbl.Rows())
	}
	tbl.Close()
	if err := tbl.Append([]any{int64(1)}); err == nil {
		t.Error("Append after Close: no error")
	}
}

// Varints as SQLite's file format defines them, and the record header's
// size that counts itself.
func TestVarint(t *testing.T) {
	for _, c := range []struct {
		x    uint64
		want string
	}{
		{0, "00"}, {0x7f, "7f"}, {0x80, "8100"}, {0x3fff, "ff7f"}, {0x4000, "818000"},
		{1<<56 - 1, "ffffffffffffff7f"}, {1 << 56, "80c080808080808000"}, {math.MaxUint64, "ffffffffffffffffff"},
	} {
		got := fmt.Sprintf("%x", appendVarint(nil, c.x))
		if got != c.want || varintLen(c.x) != len(c.want)/2 {
			t.Errorf("varint(%#x) = %s (length %d), want %s", c.x, got, varintLen(c.x), c.want)
		}
	}
	// 126 one-byte serial types: a header of 127 bytes, whose size takes
	// one byte; with 127 it is 129 bytes, its size two.
	for _, n := range []int{126, 127} {
		rec := appendRecord(nil, nil, make([]uint64, n))
		size := n + 1
		if n == 127 {
			size = n + 2
		}
		if len(rec) != size || varintLen(uint64(size)) != size-n {
			t.Errorf("%d NULLs: record of %d bytes, want %d", n, len(rec), size)
		}
	}
}

// Page numbers skip the page SQLite keeps for its locks (byte 2^30).
func TestAllocateSkipsLockPage(t *testing.T) {
	w, err := Create(filepath.Join(t.TempDir(), "f.db"), 65536)
	if err != nil {
		t.Fatal(err)
	}
	defer w.f.Close()
	w.pages = 16383
	got := []uint32{w.allocate(), w.allocate(), w.allocate()}
	if diff := cmp.Diff([]uint32{16384, 16386, 16387}, got); diff != "" {
		t.Errorf("pages around byte 2^30 (-want +got):\n%s", diff)
	}
}

// Misuse and limits are errors, not broken files.
func TestWriterErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Create(filepath.Join(dir, "x.db"), 1000); err == nil {
		t.Error("page size 1000 was taken")
	}
	w, err := Create(filepath.Join(dir, "a.db"), 512)
	if err != nil {
		t.Fatal(err)
	}
	w.Table("t", "CREATE TABLE t (a TEXT)", []Affinity{Text})
	if _, err := w.Table("none", "CREATE TABLE none (a)", nil); err == nil {
		t.Error("a table of no column was taken (its cells would be under SQLite's 4 bytes)")
	}
	if err := w.Close(); err == nil || !strings.Contains(err.Error(), "not closed") {
		t.Errorf("Close with a table open: %v", err)
	}
	w, err = Create(filepath.Join(dir, "b.db"), 512)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		tbl, _ := w.Table(fmt.Sprint("t", i), "CREATE TABLE t"+fmt.Sprint(i)+" ("+strings.Repeat("a TEXT, ", 10)+"z TEXT)", []Affinity{Text})
		tbl.Close()
	}
	if err := w.Close(); err == nil || !strings.Contains(err.Error(), "does not fit on page 1") {
		t.Errorf("Close with a schema past page 1: %v", err)
	}
	if _, err := Create(filepath.Join(dir, "b.db"), 512); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("Create over a written file: %v", err)
	}
}

// BenchmarkAppend: rows shaped like the sockets table's (30 columns:
// small and large integers, short texts, NULLs) into a 64 KiB-page file.
func BenchmarkAppend(b *testing.B) {
	affs := make([]Affinity, 30)
	row := make([]any, 30)
	for i := range affs {
		switch i % 3 {
		case 0:
			affs[i], row[i] = Integer, int64(i*1000+7)
		case 1:
			affs[i], row[i] = Text, "127.0.0.1"
		default:
			affs[i], row[i] = Integer, nil
		}
	}
	w, err := Create(filepath.Join(b.TempDir(), "f.db"), PageSize)
	if err != nil {
		b.Fatal(err)
	}
	tbl, err := w.Table("t", "CREATE TABLE t (a)", affs)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := tbl.Append(row); err != nil {
			b.Fatal(err)
		}
	}
	tbl.Close()
	w.Close()
}
