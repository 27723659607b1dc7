package moment

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"netsql/tables/engine"
)

// Info is what a saved moment says of itself.
type Info struct {
	Format        int64
	NetsqlVersion string
	TakenAt       string
	Tables        []string // the saved tables, by name
}

// ErrNotSnapshot marks a file that is not a moment netsql saved.
var ErrNotSnapshot = errors.New("not a netsql snapshot")

// Attach opens the saved moment at path, read-only, as schema name of the
// engine ("main" is taken: --from uses "saved", so unqualified names,
// which SQLite looks up in main first and then in attached schemas, reach
// it) and checks that netsql wrote it in a format this netsql reads. A
// file that is not one gives one error naming it, and nothing stays
// attached.
func Attach(ctx context.Context, e *engine.Engine, path, name string) (*Info, error) {
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("%s: no such file", path)
	case err != nil:
		return nil, err
	case !st.Mode().IsRegular():
		// SQLite would block opening a FIFO: refuse anything but a file.
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	if err := e.Attach(ctx, path, name, false); err != nil {
		return nil, fmt.Errorf("%s: %w: %v", path, ErrNotSnapshot, err)
	}
	info, err := readInfo(ctx, e, path, name)
	if err != nil {
		e.Detach(context.WithoutCancel(ctx), name)
		return nil, err
	}
	return info, nil
}

func readInfo(ctx context.Context, e *engine.Engine, path, name string) (*Info, error) {
	conn := e.Conn()
	schema := quote(name)
	rows, err := conn.QueryContext(ctx, "SELECT name FROM "+schema+".sqlite_schema WHERE type = 'table' ORDER BY name")
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %s", path, ErrNotSnapshot, engine.CleanError(err))
	}
	info := &Info{}
	hasInfo := false
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return nil, fmt.Errorf("%s: %w: %s", path, ErrNotSnapshot, engine.CleanError(err))
		}
		if t == InfoTable {
			hasInfo = true
		} else {
			info.Tables = append(info.Tables, t)
		}
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w: %s", path, ErrNotSnapshot, engine.CleanError(err))
	}
	if !hasInfo {
		return nil, fmt.Errorf("%s: %w (no %s table: netsql --save writes one)", path, ErrNotSnapshot, InfoTable)
	}
	var version any
	err = conn.QueryRowContext(ctx, "SELECT format, netsql_version, taken_at FROM "+schema+"."+InfoTable).Scan(&info.Format, &version, &info.TakenAt)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %s: %s", path, ErrNotSnapshot, InfoTable, engine.CleanError(err))
	}
	info.NetsqlVersion = fmt.Sprint(version)
	if info.Format > Format || info.Format < 1 {
		return nil, fmt.Errorf("%s: written by netsql %s in file format %d; this netsql reads format %d: use a netsql at least as new",
			path, info.NetsqlVersion, info.Format, Format)
	}
	return info, nil
}

func quote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
