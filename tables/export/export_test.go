package export

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/parquet-go/parquet-go"

	"netsql/tables"
	"netsql/tables/engine"
	"netsql/tables/kernel"
	"netsql/tables/moment"
	"netsql/tables/tablestest"
)

func openFixture(t *testing.T) *engine.Engine {
	t.Helper()
	root := tablestest.Root(t, nil)
	// The fixture names no host: give it one, and a machine id.
	for path, text := range map[string]string{"proc/sys/kernel/hostname": "web-1\n", "etc/machine-id": "0123456789abcdef0123456789abcdef\n"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, path)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, path), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	eng, err := tables.Open(context.Background(), kernel.RootSource(root), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	return eng
}

// want is a table's rows as SQL gives them, each value as text with its
// type ("integer 5", "text x", "null"), the extra columns last, sorted.
func want(t *testing.T, eng *engine.Engine, schema string, d *engine.Dataset, o moment.Origin) []string {
	t.Helper()
	names := make([]string, len(d.Columns))
	for i, c := range d.Columns {
		names[i] = c.Name
	}
	_, rows, _, err := eng.Query(context.Background(), fmt.Sprintf("SELECT %s FROM %s.%s", strings.Join(names, ", "), schema, d.Name))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rows {
		var vals []string
		for _, v := range r {
			vals = append(vals, typed(v))
		}
		for _, x := range extra {
			if hasColumn(d.Columns, x.Name) {
				continue
			}
			switch x.Name {
			case "host":
				vals = append(vals, typed(*o.Host))
			case "machine_id":
				vals = append(vals, typed(*o.MachineID))
			case "taken_at":
				vals = append(vals, "timestamp "+o.TakenAt.Truncate(time.Microsecond).Format(time.RFC3339Nano))
			case "netns":
				vals = append(vals, typed(*o.Netns))
			}
		}
		out = append(out, strings.Join(vals, " | "))
	}
	sort.Strings(out)
	return out
}

func typed(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case int64:
		return fmt.Sprintf("integer %d", v)
	case float64:
		return fmt.Sprintf("real %g", v)
	case string:
		return "text " + v
	case []byte:
		return "text " + string(v)
	}
	return fmt.Sprintf("%T %v", v, v)
}

// readParquet reads a file back with the Parquet library: its rows as
// want gives them, and its columns as "name type".
func readParquet(t *testing.T, path string) (rows, columns []string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	file, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	fields := file.Schema().Fields()
	for _, field := range fields {
		optional := ""
		if field.Optional() {
			optional = " optional"
		}
		columns = append(columns, field.Name()+" "+field.Type().Kind().String()+" "+field.Type().String()+optional)
	}
	reader := parquet.NewReader(file)
	defer reader.Close()
	buf := make([]parquet.Row, 64)
	for {
		n, err := reader.ReadRows(buf)
		for _, row := range buf[:n] {
			vals := make([]string, len(fields))
			for _, v := range row {
				i := v.Column()
				switch {
				case v.IsNull():
					vals[i] = "null"
				case fields[i].Name() == "taken_at":
					vals[i] = "timestamp " + time.UnixMicro(v.Int64()).UTC().Format(time.RFC3339Nano)
				case v.Kind() == parquet.Int64:
					vals[i] = fmt.Sprintf("integer %d", v.Int64())
				case v.Kind() == parquet.Double:
					vals[i] = fmt.Sprintf("real %g", v.Double())
				case v.Kind() == parquet.ByteArray:
					vals[i] = "text " + string(v.ByteArray())
				default:
					vals[i] = v.Kind().String() + " " + v.String()
				}
			}
			rows = append(rows, strings.Join(vals, " | "))
		}
		if err != nil {
			break
		}
	}
	sort.Strings(rows)
	return rows, columns
}

// The columns a table's file should declare.
func wantColumns(d *engine.Dataset) []string {
	var out []string
	for _, c := range columnsOf(d) {
		typ := map[engine.Type]string{engine.Integer: "INT64 INT(64,true)", engine.Text: "BYTE_ARRAY STRING", engine.Real: "DOUBLE DOUBLE"}[c.Type] + " optional"
		if c.Name == "taken_at" {
			typ = "INT64 TIMESTAMP(isAdjustedToUTC=true,unit=MICROS)"
		}
		out = append(out, c.Name+" "+typ)
	}
	return out
}

var fileName = regexp.MustCompile(`^table=([a-z_]+)/host=([^/]+)/date=(\d{4}-\d\d-\d\d)/(\d{6})Z\.(parquet|jsonl)$`)

// Every table's Parquet file reads back, with the Parquet library, as the
// rows and types of the same statement, plus the moment's columns, at the
// documented path.
func TestExportParquetReadsBack(t *testing.T) {
	eng := openFixture(t)
	dir := t.TempDir()
	before := time.Now().UTC()
	res, err := Export(context.Background(), eng, eng.Datasets(), dir, Options{Format: "parquet", Schema: "main"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Files) != len(tables.All) {
		t.Fatalf("%d files for %d tables", len(res.Files), len(tables.All))
	}
	if eng.KeepSnapshot() {
		t.Error("the engine still keeps the export's snapshot")
	}
	origin := moment.LiveOrigin(context.Background(), eng, before)
	for i, d := range eng.Datasets() {
		f := res.Files[i]
		m := fileName.FindStringSubmatch(filepath.ToSlash(f.Path))
		if m == nil || m[1] != d.Name || m[2] != *origin.Host || m[5] != "parquet" {
			t.Errorf("%s: path %s", d.Name, f.Path)
			continue
		}
		rows, columns := readParquet(t, filepath.Join(dir, f.Path))
		if diff := cmp.Diff(wantColumns(d), columns); diff != "" {
			t.Errorf("%s: columns (-want +got):\n%s", d.Name, diff)
		}
		if len(rows) != f.Rows {
			t.Errorf("%s: %d rows read, %d written", d.Name, len(rows), f.Rows)
		}
		// taken_at is the moment's, and names the file.
		if len(rows) == 0 {
			continue
		}
		at := rows[0][strings.Index(rows[0], "timestamp ")+len("timestamp "):]
		at, _, _ = strings.Cut(at, " |")
		taken, err := time.Parse(time.RFC3339Nano, at)
		if err != nil || taken.Before(before.Truncate(time.Microsecond)) || time.Since(taken) > time.Minute ||
			m[3] != taken.Format("2006-01-02") || m[4] != taken.Format("150405") {
			t.Errorf("%s: taken_at %s (%v) in %s", d.Name, at, err, f.Path)
		}
		origin.TakenAt = taken
		if diff := cmp.Diff(want(t, eng, "main", d, origin), rows); diff != "" {
			t.Errorf("%s: SQL (-) and the Parquet file (+) differ:\n%s", d.Name, diff)
		}
	}
	// The fixture's tables hold NULLs, reals and a table with its own netns.
	all, _ := filepath.Glob(filepath.Join(dir, "table=sockets", "*", "*", "*.parquet"))
	if rows, _ := readParquet(t, all[0]); !strings.Contains(strings.Join(rows, "\n"), "| null |") {
		t.Error("no NULL in the sockets file")
	}
	var temps []string
	filepath.WalkDir(dir, func(path string, e fs.DirEntry, _ error) error {
		if strings.HasPrefix(e.Name(), ".") {
			temps = append(temps, path)
		}
		return nil
	})
	if len(temps) > 0 {
		t.Errorf("temporary files left: %q", temps)
	}
}

// --from: a saved moment exports with its own origin, as JSON lines too;
// a second export of the same moment is refused before anything is
// written.
func TestExportSavedMomentJSONLines(t *testing.T) {
	eng := openFixture(t)
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "m.db")
	if _, err := moment.Save(ctx, eng, file, moment.Options{Tables: []string{"sockets", "interfaces", "snmp"}}); err != nil {
		t.Fatal(err)
	}
	saved, err := tables.Open(ctx, eng.Source(), []*engine.Dataset{})
	if err != nil {
		t.Fatal(err)
	}
	defer saved.Close()
	if _, err := moment.Attach(ctx, saved, file, "saved"); err != nil {
		t.Fatal(err)
	}
	origin, err := moment.SavedOrigin(ctx, saved, "saved")
	if err != nil {
		t.Fatal(err)
	}
	var datasets []*engine.Dataset
	for _, d := range tables.All {
		if d.Name == "sockets" || d.Name == "interfaces" {
			datasets = append(datasets, d)
		}
	}
	dir := t.TempDir()
	res, err := Export(ctx, saved, datasets, dir, Options{Format: "jsonl", Schema: "saved"})
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range datasets {
		if wantPath := Path(d.Name, origin, "jsonl"); res.Files[i].Path != wantPath {
			t.Errorf("%s: path %s, want %s", d.Name, res.Files[i].Path, wantPath)
		}
		data, err := os.ReadFile(filepath.Join(dir, res.Files[i].Path))
		if err != nil {
			t.Fatal(err)
		}
		var rows []string
		cols := columnsOf(d)
		sc := bufio.NewScanner(strings.NewReader(string(data)))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			dec := json.NewDecoder(strings.NewReader(sc.Text()))
			dec.UseNumber()
			var obj map[string]any
			if err := dec.Decode(&obj); err != nil {
				t.Fatalf("%s: %v: %s", d.Name, err, sc.Text())
			}
			if len(obj) != len(cols) {
				t.Errorf("%s: %d keys, want %d", d.Name, len(obj), len(cols))
			}
			var vals []string
			for _, c := range cols {
				switch v := obj[c.Name].(type) {
				case nil:
					vals = append(vals, "null")
				case json.Number:
					if c.Type == engine.Real {
						f, _ := v.Float64()
						vals = append(vals, fmt.Sprintf("real %g", f))
					} else {
						vals = append(vals, "integer "+v.String())
					}
				case string:
					if c.Name == "taken_at" {
						at, _ := time.Parse(time.RFC3339Nano, v)
						vals = append(vals, "timestamp "+at.Truncate(time.Microsecond).Format(time.RFC3339Nano))
					} else {
						vals = append(vals, "text "+v)
					}
				default:
					vals = append(vals, fmt.Sprintf("%T", v))
				}
			}
			rows = append(rows, strings.Join(vals, " | "))
		}
		sort.Strings(rows)
		if diff := cmp.Diff(want(t, saved, "saved", d, origin), rows); diff != "" {
			t.Errorf("%s: the saved moment (-) and the JSON lines (+) differ:\n%s", d.Name, diff)
		}
	}
	// The same moment again: every file would exist; none is touched.
	stamp := func() map[string]time.Time {
		m := map[string]time.Time{}
		filepath.WalkDir(dir, func(path string, e fs.DirEntry, _ error) error {
			if info, err := e.Info(); err == nil && !e.IsDir() {
				m[path] = info.ModTime()
			}
			return nil
		})
		return m
	}
	was := stamp()
	_, err = Export(ctx, saved, datasets, dir, Options{Format: "jsonl", Schema: "saved"})
	if !errors.Is(err, ErrExists) {
		t.Errorf("a second export of the moment: %v, want ErrExists", err)
	}
	if diff := cmp.Diff(was, stamp()); diff != "" {
		t.Errorf("the refused export changed the directory:\n%s", diff)
	}
	if _, err := Export(ctx, saved, datasets, dir, Options{Format: "jsonl", Schema: "saved", Tables: []string{"nope"}}); !errors.Is(err, ErrNoTable) {
		t.Errorf("--tables nope: %v", err)
	}
}

// A partition value stays one path element.
func TestPathEscapesHost(t *testing.T) {
	at := time.Date(2026, 12, 3, 4, 5, 6, 7, time.FixedZone("x", 3600))
	for host, want := range map[string]string{"web-1.example": "host=web-1.example", "a/b c": "host=a%2Fb%20c", "..": "host=%2E%2E", "": "host=__HIVE_DEFAULT_PARTITION__"} {
		got := Path("sockets", moment.Origin{Host: &host, TakenAt: at}, "parquet")
		if got != "table=sockets/"+want+"/date=2026-12-03/030506Z.parquet" {
			t.Errorf("host %q: %s", host, got)
		}
	}
}

// REAL columns (no dataset has one yet) are doubles; a value of another
// type is converted when it fits and refused when it does not.
func TestParquetWriterTypes(t *testing.T) {
	cols := []engine.Column{{Name: "n", Type: engine.Integer}, {Name: "s", Type: engine.Text}, {Name: "r", Type: engine.Real},
		{Name: "taken_at", Type: engine.Text}}
	path := filepath.Join(t.TempDir(), "x.parquet")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)
	w := newParquetWriter(f, "x", cols)
	for _, row := range [][]any{{int64(1), "a", 1.5, at}, {nil, nil, nil, at}, {2.0, int64(7), int64(3), at}} {
		if err := w.Write(row); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Write([]any{2.5, "a", 1.0, at}); err == nil || !strings.Contains(err.Error(), "column n (INTEGER): value 2.5 is float64") {
		t.Errorf("2.5 as INTEGER: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	rows, columns := readParquet(t, path)
	want := []string{"integer 1 | text a | real 1.5 | timestamp 2026-01-02T03:04:05.000006Z",
		"integer 2 | text 7 | real 3 | timestamp 2026-01-02T03:04:05.000006Z",
		"null | null | null | timestamp 2026-01-02T03:04:05.000006Z"}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if columns[2] != "r DOUBLE DOUBLE optional" {
		t.Errorf("columns %q", columns)
	}
}
