package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"netsql/queries"
	"netsql/sqlshell"
	"netsql/tables"
)

// netsql.1 is what --man prints; NETSQL_UPDATE_GOLDEN=1 rewrites it.
func TestManPageIsCurrent(t *testing.T) {
	code, out, errOut := runCLI(t, "", "--man")
	if code != 0 || errOut != "" {
		t.Fatalf("--man: exit %d, stderr %q", code, errOut)
	}
	if os.Getenv("NETSQL_UPDATE_GOLDEN") == "1" {
		if err := os.WriteFile("netsql.1", []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile("netsql.1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), out); diff != "" {
		t.Errorf("netsql.1 is not what --man prints (NETSQL_UPDATE_GOLDEN=1 go test . rewrites it) (-file +man):\n%s", diff)
	}
	// Every flag, dot-command, table and saved query is in it.
	var names []string
	for _, f := range docFlags() {
		names = append(names, roff(f.dash()))
	}
	for _, d := range sqlshell.DotCommandDocs() {
		if d.Usage == "" {
			names = append(names, ".B "+roff(d.Name)+"\n")
		} else {
			names = append(names, `.BI "`+roff(d.Name)+` " "`+roff(d.Usage)+"\"\n")
		}
	}
	for _, d := range tables.All {
		names = append(names, ".B "+d.Name+"\n")
	}
	saved, err := queries.Load("")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range saved {
		names = append(names, ".B "+roff(q.Name)+"\n")
	}
	for _, n := range names {
		if !strings.Contains(out, n) {
			t.Errorf("--man lacks %q", n)
		}
	}
}

// cliOnPath puts this test binary on PATH as netsql (TestMain runs it as
// the command), for the completion scripts to call.
func cliOnPath(t *testing.T) {
	dir := t.TempDir()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(self, filepath.Join(dir, "netsql")); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("NETSQL_TEST_AS_CLI", "1")
	t.Setenv("XDG_CONFIG_HOME", t.TempDir()) // no queries of the user's
}

// The bash script completes flags, modes, saved queries and tables, by
// running its completion function as bash's completion would.
func TestBashCompletion(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatalf("bash: %v", err)
	}
	cliOnPath(t)
	code, script, _ := runCLI(t, "", "--completion", "bash")
	if code != 0 {
		t.Fatalf("--completion bash: exit %d", code)
	}
	complete := func(words ...string) []string {
		t.Helper()
		quoted := make([]string, len(words))
		for i, w := range words {
			quoted[i] = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
		}
		prog := script + "\nCOMP_WORDS=(" + strings.Join(quoted, " ") + ")\nCOMP_CWORD=" + strconv.Itoa(len(words)-1) +
			"\n_netsql\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n"
		out, err := exec.Command(bash, "-c", prog).CombinedOutput()
		if err != nil {
			t.Fatalf("bash: %v\n%s", err, out)
		}
		return strings.Fields(string(out))
	}
	if got := complete("netsql", "--sch"); !slices.Equal(got, []string{"--schema"}) {
		t.Errorf("netsql --sch<Tab> = %q, want --schema", got)
	}
	if got := complete("netsql", "-o", "js"); !slices.Equal(got, []string{"json", "jsonl"}) {
		t.Errorf("netsql -o js<Tab> = %q", got)
	}
	if got := complete("netsql", "-q", "listen"); !slices.Equal(got, []string{"listening"}) {
		t.Errorf("netsql -q listen<Tab> = %q, want the saved query listening", got)
	}
	if got := complete("netsql", "--schema", "sock"); !slices.Equal(got, []string{"sockets", "sockstat"}) {
		t.Errorf("netsql --schema sock<Tab> = %q", got)
	}
	if got := complete("netsql", "rou"); !slices.Equal(got, []string{"routes"}) {
		t.Errorf("netsql rou<Tab> = %q, want the table routes", got)
	}
	code, _, errOut := runCLI(t, "", "--completion", "tcsh")
	if code != exitUsage || !strings.Contains(errOut, `--completion "tcsh": want bash, zsh or fish`) {
		t.Errorf("--completion tcsh: exit %d, %q", code, errOut)
	}
}
