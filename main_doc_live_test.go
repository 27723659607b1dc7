//go:build live

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"netsql/tables/tablestest"
)

// The zsh script parses, and its helpers list saved queries and tables by
// running netsql (compadd is replaced by a function that prints its words:
// a real completion needs a terminal).
func TestZshCompletion(t *testing.T) {
	zsh := tablestest.RequireTool(t, "zsh")
	cliOnPath(t)
	code, script, _ := runCLI(t, "", "--completion", "zsh")
	if code != 0 {
		t.Fatalf("--completion zsh: exit %d", code)
	}
	file := filepath.Join(t.TempDir(), "_netsql")
	if err := os.WriteFile(file, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(zsh, "-n", file).CombinedOutput(); err != nil {
		t.Fatalf("zsh -n: %v\n%s", err, out)
	}
	prog := `autoload -U compinit && compinit -u -D
source ` + file + `
compadd() { [[ $1 == -a ]] && print -l -- ${(P)2} }
print -- queries; _netsql_queries
print -- tables; _netsql_tables
print -- registered ${_comps[netsql]}`
	out, err := exec.Command(zsh, "-f", "-c", prog).CombinedOutput()
	if err != nil {
		t.Fatalf("zsh: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	q, tb := slices.Index(lines, "queries"), slices.Index(lines, "tables")
	if q < 0 || tb < q || !slices.Contains(lines[q:tb], "listening") || !slices.Contains(lines[tb:], "sockets") ||
		!slices.Contains(lines[tb:], "all") || !slices.Contains(lines, "registered _netsql") {
		t.Errorf("zsh completion helpers printed:\n%s", out)
	}
}

// fish completes flags, saved queries and tables (complete -C answers
// for a command line as Tab would).
func TestFishCompletion(t *testing.T) {
	fish := tablestest.RequireTool(t, "fish")
	cliOnPath(t)
	t.Setenv("HOME", t.TempDir()) // fish writes its config there
	code, script, _ := runCLI(t, "", "--completion", "fish")
	if code != 0 {
		t.Fatalf("--completion fish: exit %d", code)
	}
	file := filepath.Join(t.TempDir(), "netsql.fish")
	if err := os.WriteFile(file, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(fish, "-n", file).CombinedOutput(); err != nil {
		t.Fatalf("fish -n: %v\n%s", err, out)
	}
	complete := func(line string) []string {
		t.Helper()
		out, err := exec.Command(fish, "--no-config", "-c", "source "+file+"; complete -C '"+line+"'").CombinedOutput()
		if err != nil {
			t.Fatalf("fish: %v\n%s", err, out)
		}
		var words []string
		for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			word, _, _ := strings.Cut(l, "\t")
			words = append(words, word)
		}
		return words
	}
	if got := complete("netsql --sch"); !slices.Contains(got, "--schema") {
		t.Errorf("netsql --sch<Tab> = %q", got)
	}
	if got := complete("netsql -q listen"); !slices.Equal(got, []string{"listening"}) {
		t.Errorf("netsql -q listen<Tab> = %q", got)
	}
	if got := complete("netsql --schema sock"); !slices.Equal(got, []string{"sockets", "sockstat"}) {
		t.Errorf("netsql --schema sock<Tab> = %q", got)
	}
	if got := complete("netsql -o js"); !slices.Equal(got, []string{"json", "jsonl"}) {
		t.Errorf("netsql -o js<Tab> = %q", got)
	}
}

// The manual page renders without a warning from man.
func TestManPageRenders(t *testing.T) {
	man := tablestest.RequireTool(t, "man")
	cmd := exec.Command(man, "--warnings", "-l", "-Tutf8", "netsql.1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || stderr.Len() > 0 || !strings.Contains(string(out), "Flags may come") {
		t.Errorf("man -l netsql.1: %v, warnings %q", err, stderr.String())
	}
}
