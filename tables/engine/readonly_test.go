package engine

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every statement that would write a file or load code is refused by
// default, and no file appears — in the target paths or in the temp
// directory SQLite would spill to.
func TestReadOnlyByDefault(t *testing.T) {
	dir := t.TempDir()
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	t.Setenv("SQLITE_TMPDIR", tmp)
	e := openSynthetic(t, &synthetic{name: "alpha", n: 10})
	target := filepath.Join(dir, "out.db")
	refused := map[string]string{
		"ATTACH '" + target + "' AS x":                "ATTACH or VACUUM INTO",
		"ATTACH DATABASE '" + target + "' AS x":       "ATTACH or VACUUM INTO",
		"VACUUM INTO '" + target + "'":                "ATTACH or VACUUM INTO",
		"PRAGMA temp_store = FILE":                    "PRAGMA temp_store",
		"PRAGMA temp_store = 1":                       "PRAGMA temp_store",
		"PRAGMA temp_store_directory = '" + dir + "'": "PRAGMA temp_store_directory",
		"SELECT load_extension('" + target + "')":     "load_extension",
		"DROP TABLE alpha":                            "alpha is a netsql table",
	}
	for q, want := range refused {
		_, _, _, err := e.Query(context.Background(), q)
		if err == nil || !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want a refusal mentioning %q", q, err, want)
		}
	}
	// Reading a setting, and tables and views in memory, stay allowed.
	for _, q := range []string{"PRAGMA temp_store", "CREATE TABLE t(a)", "INSERT INTO t VALUES (1)",
		"CREATE VIEW v AS SELECT * FROM alpha", "SELECT count(*) FROM v"} {
		if _, _, _, err := e.Query(context.Background(), q); err != nil {
			t.Errorf("%s: %v", q, err)
		}
	}
	// A big sort stays in memory (temp_store = MEMORY at open).
	rows := query(t, e, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 300000)
		SELECT count(*) FROM (SELECT i, randomblob(64) FROM n ORDER BY 2)`)
	if rows[0][0] != int64(300000) {
		t.Errorf("sort count = %v", rows[0][0])
	}
	for _, d := range []string{dir, tmp} {
		if entries, _ := os.ReadDir(d); len(entries) > 0 {
			t.Errorf("files appeared in %s: %v", d, entries)
		}
	}
	if rows := query(t, e, "PRAGMA temp_store"); rows[0][0] != int64(2) {
		t.Errorf("temp_store = %v, want 2 (MEMORY)", rows[0][0])
	}
}

func TestAllowWriteLetsAttachWrite(t *testing.T) {
	dir := t.TempDir()
	e := openSynthetic(t, &synthetic{name: "alpha", n: 10})
	e.SetAllowWrite(true)
	target := filepath.Join(dir, "out.db")
	if _, _, _, err := e.Query(context.Background(), "VACUUM INTO '"+target+"'"); err != nil {
		t.Fatalf("with --allow-write, VACUUM INTO failed: %v", err)
	}
	if _, err := os.Stat(target); err != nil {
		t.Errorf("VACUUM INTO wrote nothing: %v", err)
	}
	// load_extension stays refused even then: it loads code.
	if _, _, _, err := e.Query(context.Background(), "SELECT load_extension('x')"); !errors.Is(err, ErrRefused) {
		t.Errorf("load_extension with --allow-write: %v, want refused", err)
	}
}
