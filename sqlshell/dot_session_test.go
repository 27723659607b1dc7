package sqlshell

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDotPrint(t *testing.T) {
	sh, out, _ := newTestShell(t)
	ss := newSession(sh)
	if err := typed(t, ss, ".print hello 'big  world'\n.print\n.print \"a;b\";\n"); err != nil {
		t.Fatal(err)
	}
	if want := "hello big  world\n\na;b\n"; out.String() != want {
		t.Errorf("got %q, want %q", out, want)
	}
}

func TestDotEcho(t *testing.T) {
	sh, out, _ := newTestShell(t)
	err := sh.RunInput(t.Context(), "stdin", ".echo on\n.headers off\nSELECT 1;\nSELECT 2; SELECT 3;\n.echo off\nSELECT 4;\n")
	if err != nil {
		t.Fatal(err)
	}
	if want := ".headers off\nSELECT 1;\n1\nSELECT 2;\n2\nSELECT 3;\n3\n.echo off\n4\n"; out.String() != want {
		t.Errorf("got %q, want %q", out, want)
	}
}

// A script stops at its first error (-f and stdin always did); .bail off
// lets it go on, printing each error, and the run still fails at the end.
func TestDotBail(t *testing.T) {
	sh, out, errOut := newTestShell(t)
	script := ".headers off\nSELECT 1;\nSELECT * FROM nope;\n.nosuch\nSELECT 2;\n"
	err := sh.RunInput(t.Context(), "checks.sql", script)
	if err == nil || err.Error() != "checks.sql line 3: no such table: nope" || out.String() != "1\n" {
		t.Errorf("default: %v, output %q", err, out)
	}

	out.Reset()
	err = sh.RunInput(t.Context(), "checks.sql", ".bail off\n"+script)
	if err == nil || err.Error() != "checks.sql: 2 statements or commands failed (.bail off)" {
		t.Errorf(".bail off: %v", err)
	}
	if out.String() != "1\n2\n" {
		t.Errorf(".bail off: output %q, want every statement that works", out)
	}
	if want := "error: checks.sql line 4: no such table: nope\n" +
		"error: checks.sql line 5: unknown command .nosuch (.help lists them)\n"; errOut.String() != want {
		t.Errorf(".bail off: stderr %q, want %q", errOut, want)
	}

	// Several statements on one line: the rest of the line runs too.
	out.Reset()
	errOut.Reset()
	if err := sh.RunInput(t.Context(), "stdin", ".bail off\n.headers off\nSELECT * FROM nope; SELECT 'after';\n"); err == nil {
		t.Error("no error")
	}
	if out.String() != "after\n" {
		t.Errorf("output %q", out)
	}

	// At the prompt, .bail governs the files it reads; the prompt itself
	// never ends on an error.
	out.Reset()
	errOut.Reset()
	ss := newSession(sh)
	file := filepath.Join(t.TempDir(), "more.sql")
	os.WriteFile(file, []byte("SELECT * FROM nope;\nSELECT 'read on';\n"), 0o644)
	if err := typed(t, ss, ".headers off\n.read "+file); err == nil || out.Len() != 0 {
		t.Errorf(".read with .bail on: %v, output %q", err, out)
	}
	if err := typed(t, ss, ".bail off\n.read "+file); err != nil || out.String() != "read on\n" {
		t.Errorf(".read with .bail off: %v, output %q", err, out)
	}
	if !strings.Contains(errOut.String(), "error: "+file+" line 1: no such table: nope") {
		t.Errorf("stderr %q", errOut)
	}
	if err := typed(t, ss, ".bail maybe"); err == nil {
		t.Error(".bail maybe: no error")
	}
}

func TestDotShellRefused(t *testing.T) {
	sh, out, _ := newTestShell(t)
	ss := newSession(sh)
	for _, line := range []string{".shell ls", ".system id", ".she touch x", ".sy"} {
		err := typed(t, ss, line)
		if err == nil || err.Error() != "refused: netsql runs no other programs (run them from your shell)" {
			t.Errorf("%s: %v", line, err)
		}
	}
	if out.Len() != 0 {
		t.Errorf("output %q", out)
	}
}

func TestDotSeparator(t *testing.T) {
	sh, out, _ := newTestShell(t)
	ss := newSession(sh)
	steps := []struct{ lines, want string }{
		{".separator ,\nSELECT 'a' AS x, 'b\tc' AS y;\n", "x,y\na,b\\tc\n"},
		{".separator ' | ' '\\r\\n'\nSELECT 1 AS x, 2 AS y;\n", "x | y\r\n1 | 2\r\n"},
		{".separator \\t\nSELECT 1 AS x, 2 AS y;\n", "x\ty\n1\t2\n"},
		{".mode csv\n.separator ;\nSELECT 'a;b' AS x, 2 AS y;\n", "x;y\n\"a;b\";2\n"},
		{".separator ; \\r\\n\nSELECT 1 AS x;\n", "x\r\n1\r\n"},
		// .mode gives a mode its own separators again.
		{".mode csv\nSELECT 1 AS x, 2 AS y;\n", "x,y\n1,2\n"},
	}
	for _, step := range steps {
		out.Reset()
		if err := typed(t, ss, step.lines); err != nil {
			t.Fatalf("%q: %v", step.lines, err)
		}
		if out.String() != step.want {
			t.Errorf("%q: got %q, want %q", step.lines, out, step.want)
		}
	}
	// In one run the header is printed once while the columns and the
	// separators stay, again when the separators change; .mode by an
	// alias resets them too.
	out.Reset()
	if err := sh.RunInput(t.Context(), "script", ".mode tabs\nSELECT 1 AS x;\n.separator ;\nSELECT 2 AS x;\nSELECT 3 AS x;\n.mode tabs\nSELECT 4 AS x;\n"); err != nil {
		t.Fatal(err)
	}
	if want := "x\n1\nx\n2\n3\nx\n4\n"; out.String() != want {
		t.Errorf("a run with .separator: got %q, want %q", out, want)
	}
	for line, want := range map[string]string{
		".separator":                   "usage: .separator COL [ROW]",
		".separator ''":                ".separator: the column separator is empty",
		".separator ab":                `.separator: csv separates fields with one character other than a quote or a line break, not "ab"`,
		".separator , ;":               `.separator: csv ends rows with \n or \r\n, not ";"`,
		".mode table\n.separator ,":    ".separator: the table mode uses no separator (tsv and csv do)",
		".mode box\n.separator ,":      ".separator: the table mode uses no separator (tsv and csv do)",
		".mode json\n.separator , x y": "usage: .separator COL [ROW]",
	} {
		if err := typed(t, ss, ".mode csv\n"+line); err == nil || err.Error() != want {
			t.Errorf("%q: %v, want %q", line, err, want)
		}
	}
}

func TestDotShowNewSettings(t *testing.T) {
	sh, out, _ := newTestShell(t)
	ss := newSession(sh)
	if err := typed(t, ss, ".show\n"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"separator: the mode's own", "eqp: off", "echo: off", "bail: on"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf(".show lacks %q:\n%s", want, out)
		}
	}
	out.Reset()
	if err := typed(t, ss, ".separator ; '\\r\\n'\n.eqp on\n.echo on\n.bail off\n.show\n"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`separator: ";", rows "\r\n"`, "eqp: on", "echo: on", "bail: off"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf(".show lacks %q:\n%s", want, out)
		}
	}
}
