package sqlshell

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// .save writes the moment the prompt sees (with .snapshot on, the kept
// one), refuses to replace a file without --force, and is refused in a
// script without --allow-write, like .output.
func TestDotSave(t *testing.T) {
	sh, out, _ := newTestShell(t)
	ss := newSession(sh)
	dir := t.TempDir()
	file := filepath.Join(dir, "m.db")
	if err := typed(t, ss, ".save "+file+" sockets routes\n"); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "saved 2 tables, ") {
		t.Errorf(".save printed %q", out)
	}
	out.Reset()
	if err := typed(t, ss, "ATTACH '"+file+"' AS m;\n"); err == nil {
		t.Fatal("a statement's ATTACH ran without --allow-write")
	}
	err := typed(t, ss, ".save "+file+"\n")
	if err == nil || !strings.Contains(err.Error(), "file exists (use --force to replace it)") {
		t.Errorf(".save over a file: %v", err)
	}
	if err := typed(t, ss, ".save --force "+file+" sysctls\n"); err != nil {
		t.Errorf(".save --force: %v", err)
	}
	err = ss.runText(t.Context(), origin{name: "checks.sql"}, ".save "+filepath.Join(dir, "other.db")+"\n")
	if err == nil || !strings.Contains(err.Error(), "--allow-write") {
		t.Errorf(".save in a script: %v; want a refusal naming --allow-write", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "other.db")); err == nil {
		t.Error("the refused .save wrote its file")
	}
	if err := typed(t, ss, ".save "+filepath.Join(dir, "x.db")+" nope\n"); err == nil || !strings.Contains(err.Error(), `no table "nope"`) {
		t.Errorf(".save of an unknown table: %v", err)
	}
}
