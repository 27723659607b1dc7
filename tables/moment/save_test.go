package moment

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"netsql/tables/engine"
	"netsql/tables/kernel"
)

// besideDatasets are a dataset read first and one that streams, which
// Save writes beside it with a second engine; the streaming one records
// whether the first one's rows were read before it started, and fails
// when fail is set.
func besideDatasets(firstRead *atomic.Bool, startedAfter *atomic.Bool, fail bool) []*engine.Dataset {
	first := &engine.Dataset{Name: "first", Doc: "read first", Sources: []string{"memory"},
		Columns: []engine.Column{{Name: "n", Type: engine.Integer, Doc: "number"}},
		Collect: func(*kernel.Collector) ([]engine.Row, error) {
			rows := make([]engine.Row, 300)
			for i := range rows {
				rows[i] = engine.Row{int64(i)}
			}
			firstRead.Store(true)
			return rows, nil
		},
		Diff: engine.DiffSpec{Key: []string{"n"}}}
	streamed := &engine.Dataset{Name: "streamed", Doc: "streams", Sources: []string{"memory"},
		Columns: []engine.Column{{Name: "n", Type: engine.Integer, Doc: "number"}, {Name: "word", Type: engine.Text, Doc: "text"}},
		Collect: func(*kernel.Collector) ([]engine.Row, error) {
			startedAfter.Store(firstRead.Load())
			if fail {
				return nil, errors.New("the streamed read broke")
			}
			rows := make([]engine.Row, 200)
			for i := range rows {
				rows[i] = engine.Row{int64(i), strings.Repeat("x", i%7)}
			}
			return rows, nil
		},
		Streams: true,
		Diff:    engine.DiffSpec{Key: []string{"n"}}}
	return []*engine.Dataset{first, streamed}
}

// TestSaveWritesBeside: a dataset that streams, after the first, is
// written into the file by a second engine, started once the first
// table's rows are read; no other file is left, and a failure of the
// second engine fails the save and leaves nothing.
func TestSaveWritesBeside(t *testing.T) {
	for _, fail := range []bool{false, true} {
		var firstRead, startedAfter atomic.Bool
		e, err := engine.Open(context.Background(), kernel.RootSource(t.TempDir()), besideDatasets(&firstRead, &startedAfter, fail))
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
		if res.Rows["first"] != 300 || res.Rows["streamed"] != 200 {
			t.Errorf("rows saved: %v", res.Rows)
		}
		if !startedAfter.Load() {
			t.Error("the part started before the first table's rows were read")
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
			(SELECT count(*) || ':' || sum(n) FROM saved.first), (SELECT group_concat(name) FROM saved.sqlite_schema WHERE type = 'table')`)
		if err != nil || len(rows) != 1 {
			t.Fatalf("reading the file: %v, %v", rows, err)
		}
		want := []any{"200:19900:594", "300:44850", "first,streamed,snapshot_info"}
		for i := range want {
			if rows[0][i] != want[i] {
				t.Errorf("file column %d: %v, want %v", i, rows[0][i], want[i])
			}
		}
	}
}
