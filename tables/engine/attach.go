package engine

import (
	"context"
	"errors"
	"net/url"
	"path/filepath"
	"strings"
)

// Attach opens the SQLite file at path as the schema name: read-only and
// immutable for a saved moment to query (--from, --baseline), or writable
// for a file being saved (--save). It is netsql's own ATTACH of a file the
// user named with a flag, so the read-only policy that refuses a
// statement's ATTACH does not apply to it.
func (e *Engine) Attach(ctx context.Context, path, name string, writable bool) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	uri := FileURI(abs, writable)
	e.attaching.Store(true)
	defer e.attaching.Store(false)
	if _, err := e.conn.ExecContext(ctx, "ATTACH ? AS "+quoteIdent(name), uri); err != nil {
		return errors.New(CleanError(err)) // the caller names the file
	}
	return nil
}

// AttachMemory opens an empty in-memory database as the schema name
// (watch mode's prev), with the same privilege as Attach.
func (e *Engine) AttachMemory(ctx context.Context, name string) error {
	e.attaching.Store(true)
	defer e.attaching.Store(false)
	if _, err := e.conn.ExecContext(ctx, "ATTACH ':memory:' AS "+quoteIdent(name)); err != nil {
		return errors.New(CleanError(err))
	}
	return nil
}

// FileURI is the SQLite file: URI of an absolute path, so that SQLite
// takes mode and immutable (read-only and immutable unless writable); the
// path is escaped (a ? or # in a file name is not a parameter).
func FileURI(abs string, writable bool) string {
	uri := (&url.URL{Scheme: "file", Path: abs}).String()
	if writable {
		return uri + "?mode=rw"
	}
	return uri + "?mode=ro&immutable=1"
}

// Detach closes a schema Attach opened.
func (e *Engine) Detach(ctx context.Context, name string) error {
	_, err := e.conn.ExecContext(ctx, "DETACH "+quoteIdent(name))
	return err
}

// quoteIdent quotes an SQL identifier.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
