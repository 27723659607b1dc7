package sqlshell

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"unicode/utf8"

	"netsql/sqlshell/prompt"
	"netsql/tables/engine"
)

// The dot-commands that move the user's own tables in and out as text:
// .dump and .import. netsql's tables are read from the system afresh by
// every statement: there is nothing of theirs to dump or to load.

// schemaObject is one entry of sqlite_schema or sqlite_temp_schema.
type schemaObject struct {
	kind, name, table, sql string
}

// dotDump prints the tables the user created, with their rows, views,
// indexes and triggers, as SQL that rebuilds them (sqlite3's .dump). A
// TABLE argument is a LIKE pattern on the table's name.
func (ss *session) dotDump(ctx context.Context, _ origin, args []string) error {
	if err := argCount(".dump", args, 0, 1, "[TABLE]"); err != nil {
		return err
	}
	pattern := "%"
	if len(args) == 1 {
		pattern = args[0]
	}
	conn := ss.sh.eng.Conn()
	var b strings.Builder
	b.WriteString("PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n")
	dumped := 0
	for _, schema := range []string{"main", "temp"} {
		objs, err := schemaObjects(ctx, conn, schema)
		if err != nil {
			return err
		}
		var later []schemaObject // indexes, triggers and views, after every table's rows
		for _, o := range objs {
			if !likeMatch(pattern, o.table) {
				continue
			}
			if o.kind != "table" {
				later = append(later, o)
				continue
			}
			dumped++
			b.WriteString(createSQL(schema, o) + ";\n")
			if err := dumpRows(ctx, conn, &b, schema, o.name); err != nil {
				return err
			}
		}
		if pattern == "%" {
			if err := dumpSequence(ctx, conn, &b, schema); err != nil {
				return err
			}
		}
		for _, o := range later {
			dumped++
			b.WriteString(createSQL(schema, o) + ";\n")
		}
	}
	if dumped == 0 && len(args) == 1 {
		for _, d := range ss.sh.eng.Datasets() {
			if likeMatch(pattern, d.Name) {
				return fmt.Errorf(".dump: %s is read from the system, not stored: .dump prints the tables you created", d.Name)
			}
		}
		return fmt.Errorf(".dump: no table of yours matches %q (.tables lists them)", pattern)
	}
	b.WriteString("COMMIT;\n")
	return ss.printText(b.String())
}

// schemaObjects lists what the user created in one schema, in the order
// it was created: no virtual table (netsql's tables are virtual), nothing
// SQLite made itself.
func schemaObjects(ctx context.Context, conn *sql.Conn, schema string) ([]schemaObject, error) {
	rows, err := conn.QueryContext(ctx, `SELECT type, name, tbl_name, sql FROM `+schema+`.sqlite_schema
		WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\_%' ESCAPE '\'
		AND NOT (type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%')
		ORDER BY rowid`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var objs []schemaObject
	for rows.Next() {
		var o schemaObject
		if err := rows.Scan(&o.kind, &o.name, &o.table, &o.sql); err != nil {
			return nil, err
		}
		objs = append(objs, o)
	}
	return objs, rows.Err()
}

// createSQL is the statement that makes o again. SQLite keeps a temporary
// object's statement without its TEMP, so that is put back.
func createSQL(schema string, o schemaObject) string {
	if schema != "temp" {
		return o.sql
	}
	for _, kind := range []string{"TABLE", "VIEW", "TRIGGER"} {
		if rest, ok := strings.CutPrefix(o.sql, "CREATE "+kind+" "); ok {
			return "CREATE TEMP " + kind + " " + rest
		}
	}
	return o.sql
}

// dumpRows writes one INSERT per row of a table. Values are read as SQLite
// quotes them, except text, which is quoted here so that line breaks and
// control bytes are written as char(N): one row is one line, and nothing
// a process named itself reaches a terminal raw.
func dumpRows(ctx context.Context, conn *sql.Conn, b *strings.Builder, schema, table string) error {
	cols, generated, err := insertColumns(ctx, conn, schema, table)
	if err != nil {
		return err
	}
	if len(cols) == 0 {
		return nil
	}
	var selects []string
	for _, c := range cols {
		q := quoteIdent(c)
		selects = append(selects, "typeof("+q+")", "CASE typeof("+q+") WHEN 'text' THEN "+q+" || '' ELSE quote("+q+") END")
	}
	rows, err := conn.QueryContext(ctx, "SELECT "+strings.Join(selects, ", ")+" FROM "+quoteIdent(schema)+"."+quoteIdent(table))
	if err != nil {
		return err
	}
	defer rows.Close()
	target := quoteIdent(table)
	if schema == "temp" {
		target = "temp." + target
	}
	if generated {
		quoted := make([]string, len(cols))
		for i, c := range cols {
			quoted[i] = quoteIdent(c)
		}
		target += "(" + strings.Join(quoted, ",") + ")"
	}
	vals := make([]sql.NullString, 2*len(cols))
	ptrs := make([]any, len(vals))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		b.WriteString("INSERT INTO " + target + " VALUES(")
		for i := 0; i < len(vals); i += 2 {
			if i > 0 {
				b.WriteByte(',')
			}
			if vals[i].String == "text" {
				b.WriteString(textLiteral(vals[i+1].String))
			} else {
				b.WriteString(vals[i+1].String)
			}
		}
		b.WriteString(");\n")
	}
	return rows.Err()
}

// insertColumns lists the columns an INSERT gives values to, and whether
// the table has generated columns (then the INSERT must name them).
func insertColumns(ctx context.Context, conn *sql.Conn, schema, table string) ([]string, bool, error) {
	rows, err := conn.QueryContext(ctx, "SELECT name, hidden FROM pragma_table_xinfo(?, ?) ORDER BY cid", table, schema)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	var cols []string
	generated := false
	for rows.Next() {
		var name string
		var hidden int
		if err := rows.Scan(&name, &hidden); err != nil {
			return nil, false, err
		}
		if hidden != 0 {
			generated = true
			continue
		}
		cols = append(cols, name)
	}
	return cols, generated, rows.Err()
}

// dumpSequence writes the AUTOINCREMENT counters of a schema, as sqlite3
// does, so that rebuilt tables go on counting where they were.
func dumpSequence(ctx context.Context, conn *sql.Conn, b *strings.Builder, schema string) error {
	var n int
	err := conn.QueryRowContext(ctx, "SELECT count(*) FROM "+schema+".sqlite_schema WHERE name = 'sqlite_sequence'").Scan(&n)
	if err != nil || n == 0 {
		return err
	}
	prefix := ""
	if schema == "temp" {
		prefix = "temp."
	}
	rows, err := conn.QueryContext(ctx, "SELECT name, seq FROM "+schema+".sqlite_sequence")
	if err != nil {
		return err
	}
	defer rows.Close()
	b.WriteString("DELETE FROM " + prefix + "sqlite_sequence;\n")
	for rows.Next() {
		var name string
		var seq int64
		if err := rows.Scan(&name, &seq); err != nil {
			return err
		}
		fmt.Fprintf(b, "INSERT INTO %ssqlite_sequence VALUES(%s,%d);\n", prefix, textLiteral(name), seq)
	}
	return rows.Err()
}

// textLiteral is s as an SQL expression of the same text: quoted, with
// control characters as char(N) and bytes that are not UTF-8 as
// CAST(X'..' AS TEXT), joined with ||.
func textLiteral(s string) string {
	var parts []string
	var quoted strings.Builder
	flush := func() {
		if quoted.Len() > 0 {
			parts = append(parts, "'"+quoted.String()+"'")
			quoted.Reset()
		}
	}
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			flush()
			j := i + 1
			for j < len(s) {
				if r, n := utf8.DecodeRuneInString(s[j:]); r != utf8.RuneError || n != 1 {
					break
				}
				j++
			}
			parts = append(parts, "CAST(X'"+strings.ToUpper(hex.EncodeToString([]byte(s[i:j])))+"' AS TEXT)")
			size = j - i
		case r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f:
			flush()
			parts = append(parts, "char("+strconv.Itoa(int(r))+")")
		case r == '\'':
			quoted.WriteString("''")
		default:
			quoted.WriteString(s[i : i+size])
		}
		i += size
	}
	flush()
	if len(parts) == 0 {
		return "''"
	}
	return strings.Join(parts, "||")
}

// quoteIdent quotes an SQL identifier.
func quoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// importBatch is how many rows one INSERT of .import carries.
const importBatch = 1000

// dotImport loads a CSV (or TSV) file into a table of the user's. A table
// that does not exist is created from the file's first row, one TEXT
// column per name; into one that exists every row is data (--skip N drops
// the first N). The whole file goes in or, at the first bad row, none of
// it. Reading a file needs no --allow-write; the rows go into the
// in-memory database, no file is written.
func (ss *session) dotImport(ctx context.Context, _ origin, args []string) error {
	const usage = "[--csv|--tsv] [--skip N] FILE TABLE"
	tsv, skip := false, 0
	var plain []string
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "--csv":
			tsv = false
		case a == "--tsv":
			tsv = true
		case a == "--skip" && i+1 < len(args):
			n, err := strconv.Atoi(args[i+1])
			if err != nil || n < 0 {
				return fmt.Errorf(".import --skip %s: want a number of rows", args[i+1])
			}
			skip = n
			i++
		case strings.HasPrefix(a, "--"):
			return fmt.Errorf("usage: .import %s", usage)
		default:
			plain = append(plain, a)
		}
	}
	if len(plain) != 2 {
		return fmt.Errorf("usage: .import %s", usage)
	}
	file, table := plain[0], plain[1]
	for _, d := range ss.sh.eng.Datasets() {
		if strings.EqualFold(d.Name, table) {
			return fmt.Errorf(".import: %s is read from the system and takes no rows: import into a table of your own", d.Name)
		}
	}
	f, err := openRegular(prompt.ExpandHome(file))
	if err != nil {
		return fmt.Errorf(".import: %w", err)
	}
	defer f.Close()
	var next func() ([]string, int, error)
	if tsv {
		next = tsvRecords(f)
	} else {
		next = csvRecords(f)
	}
	err = ss.importRecords(ctx, table, next, skip)
	if err != nil {
		return fmt.Errorf(".import %s: %w", file, err)
	}
	return nil
}

// importRecords inserts the records next returns into table, creating it
// from the first when it does not exist, inside a savepoint that is rolled
// back on any error.
func (ss *session) importRecords(ctx context.Context, table string, next func() ([]string, int, error), skip int) (err error) {
	var columns int
	err = ss.sh.eng.Conn().QueryRowContext(ctx, "SELECT count(*) FROM pragma_table_info(?)", table).Scan(&columns)
	if err != nil {
		return err
	}
	for range skip {
		if _, _, err := next(); err == io.EOF {
			break
		} else if err != nil {
			return err
		}
	}
	if err := ss.execInternal(ctx, "SAVEPOINT netsql_import"); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			ctx := context.WithoutCancel(ctx)
			ss.execInternal(ctx, "ROLLBACK TO netsql_import")
		}
		if rerr := ss.execInternal(context.WithoutCancel(ctx), "RELEASE netsql_import"); err == nil {
			err = rerr
		}
	}()
	if columns == 0 {
		header, _, err := next()
		if err == io.EOF {
			return fmt.Errorf("the file is empty: no header row to create %s from", table)
		}
		if err != nil {
			return err
		}
		defs := make([]string, len(header))
		for i, name := range header {
			defs[i] = quoteIdent(name) + " TEXT"
		}
		if err := ss.execInternal(ctx, "CREATE TABLE "+quoteIdent(table)+"("+strings.Join(defs, ", ")+")"); err != nil {
			return err
		}
		columns = len(header)
	}
	values := make([]string, columns)
	for i := range values {
		values[i] = fmt.Sprintf("value->>%d", i)
	}
	insert := "INSERT INTO " + quoteIdent(table) + " SELECT " + strings.Join(values, ", ") + " FROM json_each(?)"
	var batch [][]string
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		data, err := json.Marshal(batch)
		if err != nil {
			return err
		}
		batch = batch[:0]
		return ss.execInternal(ctx, insert, string(data))
	}
	for {
		record, line, err := next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if len(record) != columns {
			return fmt.Errorf("line %d has %d fields, %s has %d columns", line, len(record), table, columns)
		}
		batch = append(batch, record)
		if len(batch) == importBatch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// execInternal runs a statement of netsql's own through the engine (so a
// trigger that reads a dataset reads it as any statement does) and prints
// its warnings, not its rows.
func (ss *session) execInternal(ctx context.Context, query string, args ...any) error {
	warnings, err := ss.sh.eng.Statement(ctx, query, args, func(rows *sql.Rows) error {
		for rows.Next() {
		}
		return rows.Err()
	})
	for _, w := range warnings {
		fmt.Fprintln(ss.sh.errOut, w)
	}
	if err != nil {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		return errors.New(engine.CleanError(err))
	}
	return nil
}

// openRegular opens a file to read, refusing anything but a regular file
// (a FIFO or a terminal would wait forever); non-blocking, as the engine
// opens the files it reads (ARCHITECTURE.md, "Sources").
func openRegular(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !info.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	return f, nil
}

// csvRecords reads RFC 4180 records, each with the line it starts on; a
// byte-order mark before the first is dropped.
func csvRecords(r io.Reader) func() ([]string, int, error) {
	br := bufio.NewReader(r)
	if bom, err := br.Peek(3); err == nil && string(bom) == "\uFEFF" {
		br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	return func() ([]string, int, error) {
		record, err := cr.Read()
		if err != nil {
			return nil, 0, err
		}
		line, _ := cr.FieldPos(0)
		return record, line, nil
	}
}

// tsvRecords reads tab-separated lines as netsql's tsv mode writes them:
// \t, \n, \r and \\ in a field are read back as the byte they stand for.
// Blank lines are skipped and a CR before the newline is dropped.
func tsvRecords(r io.Reader) func() ([]string, int, error) {
	br := bufio.NewReader(r)
	if bom, err := br.Peek(3); err == nil && string(bom) == "\uFEFF" {
		br.Discard(3)
	}
	line := 0
	return func() ([]string, int, error) {
		for {
			text, err := br.ReadString('\n')
			if err != nil && err != io.EOF {
				return nil, 0, err
			}
			if text == "" && err == io.EOF {
				return nil, 0, io.EOF
			}
			line++
			text = strings.TrimSuffix(strings.TrimSuffix(text, "\n"), "\r")
			if text == "" {
				continue
			}
			fields := strings.Split(text, "\t")
			for i, field := range fields {
				fields[i] = unescapeTSV(field)
			}
			return fields, line, nil
		}
	}
}
