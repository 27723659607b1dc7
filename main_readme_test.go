package main

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"netsql/tables"
	"netsql/tables/tablestest"
)

// readmeCommands returns every netsql command line the README shows: the
// lines of its code blocks that start with `netsql`, `$ netsql` or
// `go run .`, each as its arguments (single- and double-quoted words).
func readmeCommands(t *testing.T) [][]string {
	t.Helper()
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	var cmds [][]string
	inBlock := false
	for _, line := range strings.Split(string(data), "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "```") {
			inBlock = !inBlock
			continue
		}
		indented := strings.HasPrefix(line, "    ")
		if !inBlock && !indented {
			continue
		}
		trimmed = strings.TrimPrefix(trimmed, "$ ")
		var rest string
		switch {
		case strings.HasPrefix(trimmed, "netsql "):
			rest = strings.TrimPrefix(trimmed, "netsql ")
		case strings.HasPrefix(trimmed, "go run . "):
			rest = strings.TrimPrefix(trimmed, "go run . ")
		default:
			continue
		}
		if strings.ContainsAny(rest, "|<>") {
			continue // a pipeline or a redirection: not one command
		}
		cmds = append(cmds, shellWords(t, rest))
	}
	return cmds
}

var shellWord = regexp.MustCompile(`"([^"]*)"|'([^']*)'|(\S+)`)

func shellWords(t *testing.T, s string) []string {
	t.Helper()
	var words []string
	for _, m := range shellWord.FindAllStringSubmatch(s, -1) {
		words = append(words, m[1]+m[2]+m[3])
	}
	return words
}

// Every command the README shows runs on the fixture tree without an
// error, so none of them is stale.
func TestREADMECommandsRun(t *testing.T) {
	root := tablestest.Root(t, nil)
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	cmds := readmeCommands(t)
	if len(cmds) < 5 {
		t.Fatalf("found %d commands in README.md; the extraction is broken", len(cmds))
	}
	// The commands that save moments write files where they run, in order:
	// a directory of their own, and the ones that read only saved files
	// get no tree.
	t.Chdir(t.TempDir())
	for _, args := range cmds {
		if len(args) == 0 || args[0] == "--help" || args[0] == "--version" {
			continue
		}
		if slices.Contains(args, "--watch") && !slices.Contains(args, "--count") {
			args = append(args, "--count", "1") // a watch runs until Ctrl-C
		}
		if !slices.Contains(args, "--from") && !(len(args) >= 3 && args[0] == "--diff" && strings.HasSuffix(args[2], ".db")) {
			args = append([]string{"--root", root}, args...)
		}
		code, _, errOut := runCLI(t, "", args...)
		if code != 0 {
			t.Errorf("netsql %q: exit %d: %s", args, code, errOut)
		}
	}
}

// The README's every-owner example names, for each (socket, owner) pair,
// the owner's own process: on the fixture socket 1004 is held by nginx
// (1500) and by "my server" (2044), and each row's name must be its pid's.
func TestREADMEEveryOwnerJoinsTheOwner(t *testing.T) {
	root := tablestest.Root(t, nil)
	var query string
	for _, args := range readmeCommands(t) {
		for _, a := range args {
			if strings.Contains(a, "process_sockets") && strings.Contains(a, "ps.pid") && strings.Contains(a, "p.name") {
				query = a
			}
		}
	}
	if query == "" {
		t.Fatal("README.md has no every-owner example (process_sockets ps ... p.name)")
	}
	code, out, errOut := runCLI(t, "", "--root", root, "-o", "tsv", "--no-header",
		"SELECT x.pid, x.name, q.name FROM ("+query+") x JOIN processes q ON q.pid = x.pid WHERE x.name IS NOT q.name")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if out != "" {
		t.Errorf("rows whose process name is not their pid's (pid, name shown, real name):\n%s", out)
	}
	code, out, _ = runCLI(t, "", "--root", root, "-o", "tsv", "--no-header",
		"SELECT count(*) FROM ("+query+") x WHERE x.pid = 2044 AND x.name = 'my server' AND x.local_port = 80")
	if code != 0 || strings.TrimSpace(out) != "1" {
		t.Errorf("the shared listener's second owner (2044, my server) appears %q times, want 1", out)
	}
}

// The README's list of SQL functions is generated from tables.Functions;
// this fails when they drift. NETSQL_UPDATE_GOLDEN=1 rewrites it.
func TestREADMEFunctionReference(t *testing.T) {
	const begin, end = "<!-- functions:begin (generated; NETSQL_UPDATE_GOLDEN=1 go test . rewrites it) -->\n", "<!-- functions:end -->"
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	i, j := strings.Index(readme, begin), strings.Index(readme, end)
	if i < 0 || j < i {
		t.Fatalf("README.md lacks the %q ... %q markers", begin, end)
	}
	want := tables.FunctionsMarkdown()
	got := readme[i+len(begin) : j]
	if got == want {
		return
	}
	if os.Getenv("NETSQL_UPDATE_GOLDEN") == "1" {
		if err := os.WriteFile("README.md", []byte(readme[:i+len(begin)]+want+readme[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README function reference drifted from tables.Functions (-want +got):\n%s", cmp.Diff(want, got))
}
