// Package export is netsql --export: one moment of the datasets written as
// files that columnar engines read (DuckDB, ClickHouse, Spark, Trino), one
// file per table in Hive-style partitions:
//
//	DIR/table=NAME/host=HOST/date=YYYY-MM-DD/HHMMSSZ.parquet
//
// Every row carries the moment's host, machine_id, taken_at and netns
// besides the table's own columns (a table with its own netns keeps it).
// Columns keep their SQL types: INTEGER as int64, TEXT as string, REAL as
// double, each optional (NULL stays NULL); taken_at is a UTC timestamp.
// JSON lines (Format "jsonl") hold the same rows. See ARCHITECTURE.md
// "Exporting".
package export

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/snappy"

	"netsql/tables/engine"
	"netsql/tables/kernel"
	"netsql/tables/moment"
)

// Formats are the file formats Export writes.
var Formats = []string{"parquet", "jsonl"}

// Options are what --export was asked.
type Options struct {
	Tables []string // dataset names; nil for every one the schema holds
	Format string   // "parquet" or "jsonl"
	// Schema is where the tables are: "main" for the engine's live
	// datasets, or the schema a saved moment is attached as ("saved"),
	// whose snapshot_info then gives the origin.
	Schema string
}

// File is one file Export wrote.
type File struct {
	Table string
	Path  string // under the export directory, as written
	Rows  int
}

// Result is what Export wrote, and the collection's warnings.
type Result struct {
	Files    []File
	Warnings []kernel.Warning
}

// ErrExists is returned when a file of the export is already there: an
// export of the same host and second. Nothing is written then.
var ErrExists = errors.New("file exists")

// ErrNoTable is returned for a table name the moment does not hold.
var ErrNoTable = moment.ErrNoTable

// extra are the columns every row gets, after the table's own.
var extra = []engine.Column{
	{Name: "host", Type: engine.Text},
	{Name: "machine_id", Type: engine.Text},
	{Name: "taken_at", Type: engine.Text}, // a timestamp in the file
	{Name: "netns", Type: engine.Integer},
}

// Export writes one moment of the chosen datasets of e under dir. A live
// moment is one kept snapshot for every table; each file is written under
// a hidden temporary name and renamed into place, and every target is
// checked to be free before the first is written.
func Export(ctx context.Context, e *engine.Engine, datasets []*engine.Dataset, dir string, opt Options) (*Result, error) {
	if opt.Format != "parquet" && opt.Format != "jsonl" {
		return nil, fmt.Errorf("format %q: want %s", opt.Format, strings.Join(Formats, " or "))
	}
	if err := kernel.CheckDir(dir); err != nil {
		return nil, err
	}
	chosen, err := moment.Pick(datasets, opt.Tables)
	if err != nil {
		return nil, err
	}
	var origin moment.Origin
	if opt.Schema == "main" {
		if !e.KeepSnapshot() {
			e.SetKeepSnapshot(true) // one moment for every table
			defer e.SetKeepSnapshot(false)
		}
		origin = moment.LiveOrigin(ctx, e, time.Now())
	} else if origin, err = moment.SavedOrigin(ctx, e, opt.Schema); err != nil {
		return nil, err
	}
	targets := make([]string, len(chosen))
	for i, d := range chosen {
		targets[i] = Path(d.Name, origin, opt.Format)
		if _, err := os.Lstat(filepath.Join(dir, targets[i])); err == nil {
			return nil, fmt.Errorf("%s: %w (an export of this host at this second)", filepath.Join(dir, targets[i]), ErrExists)
		}
	}
	res := &Result{}
	seen := map[string]bool{}
	for i, d := range chosen {
		n, warnings, err := writeTable(ctx, e, d, opt, origin, filepath.Join(dir, targets[i]))
		if err != nil {
			return res, fmt.Errorf("export %s: %w", d.Name, err)
		}
		for _, w := range warnings {
			if !seen[w.String()] {
				seen[w.String()] = true
				res.Warnings = append(res.Warnings, w)
			}
		}
		res.Files = append(res.Files, File{Table: d.Name, Path: targets[i], Rows: n})
	}
	return res, nil
}

// Path is where a table's file of the moment goes under the export
// directory: table=NAME/host=HOST/date=YYYY-MM-DD/HHMMSSZ.EXT.
func Path(table string, o moment.Origin, format string) string {
	host := "__HIVE_DEFAULT_PARTITION__" // Hive's name for a NULL partition value
	if o.Host != nil && *o.Host != "" {
		host = escape(*o.Host)
	}
	at := o.TakenAt.UTC()
	return filepath.Join("table="+table, "host="+host, "date="+at.Format("2006-01-02"), at.Format("150405")+"Z."+format)
}

// escape keeps a partition value one path element: every byte but
// letters, digits, '.', '-' and '_' becomes %XX, as Hive escapes them.
func escape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' && s != "." && s != ".." {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// columnsOf are a table's columns in its files: its own, then those of
// extra it lacks.
func columnsOf(d *engine.Dataset) []engine.Column {
	cols := append([]engine.Column(nil), d.Columns...)
	for _, x := range extra {
		if !hasColumn(d.Columns, x.Name) {
			cols = append(cols, x)
		}
	}
	return cols
}

func hasColumn(cols []engine.Column, name string) bool {
	for _, c := range cols {
		if c.Name == name {
			return true
		}
	}
	return false
}

// writeTable writes one table's file at target, through a temporary file
// beside it.
func writeTable(ctx context.Context, e *engine.Engine, d *engine.Dataset, opt Options, origin moment.Origin, target string) (int, []kernel.Warning, error) {
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return 0, nil, err
	}
	tmp := moment.TempName(target)
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return 0, nil, err
	}
	done := false
	defer func() {
		if !done {
			f.Close()
			os.Remove(tmp)
		}
	}()
	cols := columnsOf(d)
	var w rowWriter
	if opt.Format == "parquet" {
		w = newParquetWriter(f, d.Name, cols)
	} else {
		w = newJSONWriter(f, cols)
	}
	own := make([]string, len(d.Columns))
	for i, c := range d.Columns {
		own[i] = c.Name
	}
	query := fmt.Sprintf("SELECT %s FROM %s.%s", strings.Join(own, ", "), opt.Schema, d.Name)
	fixed := map[string]any{"host": deref(origin.Host), "machine_id": deref(origin.MachineID), "taken_at": origin.TakenAt, "netns": deref(origin.Netns)}
	rows := 0
	warnings, err := e.Statement(ctx, query, nil, func(r *sql.Rows) error {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(d.Columns))
		for i := range ptrs {
			ptrs[i] = &vals[i]
		}
		for i := len(d.Columns); i < len(cols); i++ {
			vals[i] = fixed[cols[i].Name]
		}
		for r.Next() {
			if err := r.Scan(ptrs...); err != nil {
				return err
			}
			rows++
			if err := w.Write(vals); err != nil {
				return fmt.Errorf("row %d: %w", rows, err)
			}
		}
		return nil
	})
	if err != nil {
		return 0, nil, errors.New(engine.CleanError(err))
	}
	if err := w.Close(); err != nil {
		return 0, nil, err
	}
	if err := f.Sync(); err != nil {
		return 0, nil, err
	}
	if err := f.Close(); err != nil {
		return 0, nil, err
	}
	// Link fails if target appeared meanwhile: an export is never replaced.
	if err := os.Link(tmp, target); errors.Is(err, fs.ErrExist) {
		return 0, nil, fmt.Errorf("%s: %w", target, ErrExists)
	} else if err != nil {
		return 0, nil, err
	}
	os.Remove(tmp)
	done = true
	return rows, warnings, nil
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

// rowWriter writes rows of the table's columns (cols of writeTable).
type rowWriter interface {
	Write(vals []any) error
	Close() error
}

// parquetWriter writes rows through a Go struct type made for the table,
// one pointer field a column in the table's order, so the Parquet schema
// keeps the columns' order and each is optional.
type parquetWriter struct {
	w      *parquet.Writer
	cols   []engine.Column
	row    reflect.Value
	buffer []any
}

func newParquetWriter(out io.Writer, table string, cols []engine.Column) *parquetWriter {
	fields := make([]reflect.StructField, len(cols))
	for i, c := range cols {
		typ, tag := reflect.TypeFor[*string](), c.Name+",optional"
		switch {
		case c.Name == "taken_at":
			typ, tag = reflect.TypeFor[time.Time](), c.Name+",timestamp(microsecond)"
		case c.Type == engine.Integer:
			typ = reflect.TypeFor[*int64]()
		case c.Type == engine.Real:
			typ = reflect.TypeFor[*float64]()
		}
		fields[i] = reflect.StructField{Name: fmt.Sprintf("C%d", i), Type: typ, Tag: reflect.StructTag(`parquet:"` + tag + `"`)}
	}
	rowType := reflect.StructOf(fields)
	schema := parquet.NewSchema(table, parquet.SchemaOf(reflect.New(rowType).Elem().Interface()))
	// Snappy: what every reader of Parquet reads, and a quarter of the size.
	w := parquet.NewWriter(out, schema, parquet.Compression(&snappy.Codec{}))
	return &parquetWriter{w: w, cols: cols, row: reflect.New(rowType).Elem()}
}

func (p *parquetWriter) Write(vals []any) error {
	for i, c := range p.cols {
		field := p.row.Field(i)
		if c.Name == "taken_at" {
			field.Set(reflect.ValueOf(vals[i].(time.Time)))
			continue
		}
		v, err := convert(c, vals[i])
		if err != nil {
			return err
		}
		if v == nil {
			field.SetZero()
			continue
		}
		ptr := reflect.New(field.Type().Elem())
		ptr.Elem().Set(reflect.ValueOf(v))
		field.Set(ptr)
	}
	return p.w.Write(p.row.Interface())
}

func (p *parquetWriter) Close() error { return p.w.Close() }

// convert is a value as the column's type holds it: int64, string,
// float64, or nil for NULL. SQLite may hand a declared column another
// type; a number that does not fit is an error naming the column.
func convert(c engine.Column, v any) (any, error) {
	if b, ok := v.([]byte); ok {
		v = string(b)
	}
	if v == nil {
		return nil, nil
	}
	switch c.Type {
	case engine.Integer:
		switch n := v.(type) {
		case int64:
			return n, nil
		case float64:
			if n == math.Trunc(n) && math.Abs(n) < 1<<63 {
				return int64(n), nil
			}
		}
	case engine.Real:
		switch n := v.(type) {
		case float64:
			return n, nil
		case int64:
			return float64(n), nil
		}
	case engine.Text:
		switch t := v.(type) {
		case string:
			return t, nil
		case int64, float64:
			return fmt.Sprint(t), nil
		}
	}
	return nil, fmt.Errorf("column %s (%s): value %v is %T", c.Name, c.Type, v, v)
}

// jsonWriter writes one JSON object a row, keys in the columns' order.
type jsonWriter struct {
	out  *bufio.Writer
	cols []engine.Column
	keys [][]byte
}

func newJSONWriter(out io.Writer, cols []engine.Column) *jsonWriter {
	j := &jsonWriter{out: bufio.NewWriter(out), cols: cols}
	for _, c := range cols {
		key, _ := json.Marshal(c.Name)
		j.keys = append(j.keys, key)
	}
	return j
}

func (j *jsonWriter) Write(vals []any) error {
	j.out.WriteByte('{')
	for i, c := range j.cols {
		if i > 0 {
			j.out.WriteByte(',')
		}
		j.out.Write(j.keys[i])
		j.out.WriteByte(':')
		v := vals[i]
		if t, ok := v.(time.Time); ok {
			v = t.UTC().Format(time.RFC3339Nano)
		} else {
			var err error
			if v, err = convert(c, v); err != nil {
				return err
			}
		}
		if f, ok := v.(float64); ok && (math.IsNaN(f) || math.IsInf(f, 0)) {
			v = nil // JSON has no NaN or infinity
		}
		data, err := json.Marshal(v)
		if err != nil {
			return err
		}
		j.out.Write(data)
	}
	j.out.WriteString("}\n")
	return nil
}

func (j *jsonWriter) Close() error { return j.out.Flush() }
