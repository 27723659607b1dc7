package moment

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"netsql/tables/engine"
	"netsql/tables/kernel"
)

// besideDatasets are a dataset read first, one that streams, one that
// reads processes (its sources say /proc/PID/) and one that reads none.
// The first one's read waits for the streaming one's and the plain one's
// to begin (or fails after a while), so the save can only succeed when a
// second engine reads those two meanwhile; the process one records
// whether the first one's read had ended before it began. The streaming
// one fails when fail is set.
func besideDatasets(beganBeside chan string, procsAfterFirst *atomic.Bool, fail bool) []*engine.Dataset {
	var firstDone atomic.Bool
	rows := func(n int) []engine.Row {
		rows := make([]engine.Row, n)
		for i := range rows {
			rows[i] = engine.Row{int64(i), strings.Repeat("x", i%7)}
		}
		return rows
	}
	columns := []engine.Column{{Name: "n", Type: engine.Integer, Doc: "number"}, {Name: "word", Type: engine.Text, Doc: "text"}}
	first := &engine.Dataset{Name: "first", Doc: "read first", Sources: []string{"/proc/PID/fd/*"}, Columns: columns,
		Collect: func(*kernel.Collector) ([]engine.Row, error) {
			defer firstDone.Store(true)
			began := map[string]bool{}
			want := 2
			if fail { // the second engine stops at the streamed one
				want = 1
			}
			for len(began) < want {
				select {
				case name := <-beganBeside:
					began[name] = true
				case <-time.After(10 * time.Second):
					return nil, fmt.Errorf("only %v began while the first table was read", began)
				}
			}
			return rows(300), nil
		},
		Diff: engine.DiffSpec{Key: []string{"n"}}}
	streamed := &engine.Dataset{Name: "streamed", Doc: "streams", Sources: []string{"memory"}, Columns: columns,
		Collect: func(*kernel.Collector) ([]engine.Row, error) {
			beganBeside <- "streamed"
			if fail {
				return nil, errors.New("the streamed read broke")
			}
			return rows(200), nil
		},
		Streams: true,
		Diff:    engine.DiffSpec{Key: []string{"n"}}}
	procs := &engine.Dataset{Name: "procs", Doc: "reads processes", Sources: []string{"/proc/PID/stat"}, Columns: columns,
		Collect: func(*kernel.Collector) ([]engine.Row, error) {
			procsAfterFirst.Store(firstDone.Load())
			return rows(20), nil
		},
		Diff: engine.DiffSpec{Key: []string{"n"}}}
	plain := &engine.Dataset{Name: "plain", Doc: "reads no process", Sources: []string{"/proc/net/x"}, Columns: columns,
		Collect: func(*kernel.Collector) ([]engine.Row, error) {
			beganBeside <- "plain"
			return rows(10), nil
		},
		Diff: engine.DiffSpec{Key: []string{"n"}}}
	return []*engine.Dataset{first, streamed, procs, plain}
}

// TestSaveWritesBeside: the datasets after the first that stream or read
// no process are read and written into the file by a second engine, at
// the same time as the first; one that reads processes is read by the
// first engine, after the first dataset. No other file is left, and a
// failure of the second engine fails the save and leaves nothing.
func TestSaveWritesBeside(t *testing.T) {
	for _, fail := range []bool{false, true} {
		beganBeside := make(chan string, 2)
		var procsAfterFirst atomic.Bool
		e, err := engine.Open(context.Background(), kernel.RootSource(t.TempDir()), besideDatasets(beganBeside, &procsAfterFirst, fail))
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		dir := t.TempDir()
		path := filepath.Join(dir, "m.db")
		res, err := Save(context.Background(), e, path, Options{Version: "test"})
		entries, _ := os.ReadDir(dir)
		if fail {
			if err == nil || !strings.Contains(err.Error(), "the streamed read broke") || len(entries) != 0 {
				t.Errorf("a failing part: error %v, files left %v", err, entries)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 1 || entries[0].Name() != "m.db" {
			t.Errorf("files after the save: %v, want m.db alone", entries)
		}
		if res.Rows["first"] != 300 || res.Rows["streamed"] != 200 || res.Rows["procs"] != 20 || res.Rows["plain"] != 10 {
			t.Errorf("rows saved: %v", res.Rows)
		}
		if !procsAfterFirst.Load() {
			t.Error("the dataset that reads processes was not read after the first, by the first engine")
		}
		reader, err := engine.Open(context.Background(), kernel.RootSource(t.TempDir()), []*engine.Dataset{})
		if err != nil {
			t.Fatal(err)
		}
		defer reader.Close()
		if err := reader.Attach(context.Background(), path, "saved", false); err != nil {
			t.Fatal(err)
		}
		_, rows, _, err := reader.Query(context.Background(), `SELECT (SELECT count(*) || ':' || sum(n) || ':' || sum(length(word)) FROM saved.streamed),
			(SELECT count(*) || ':' || sum(n) FROM saved.first), (SELECT group_concat(name) FROM saved.sqlite_schema WHERE type = 'table'),
			(SELECT count(*) FROM saved.plain)`)
		if err != nil || len(rows) != 1 {
			t.Fatalf("reading the file: %v, %v", rows, err)
		}
		want := []any{"200:19900:594", "300:44850", "first,streamed,procs,plain,snapshot_info", int64(10)}
		for i := range want {
			if rows[0][i] != want[i] {
				t.Errorf("file column %d: %v, want %v", i, rows[0][i], want[i])
			}
		}
	}
}
