package main

import (
	"strings"
	"testing"

	"netsql/tables/tablestest"
)

// --netns reads the namespaces it names, repeatable and comma-separated;
// one that does not exist is a usage error naming it.
func TestCLINetns(t *testing.T) {
	tablestest.SkipUnlessLittleEndian(t)
	root := tablestest.ContainersRoot(t)
	const q = "SELECT netns, count(*) FROM snmp GROUP BY 1 ORDER BY 1"
	for _, tc := range []struct {
		flags []string
		want  string
	}{
		{nil, "4026531840"},
		{[]string{"--netns", "blue", "--netns", "3100"}, "4026532000\n4026532100"},
		{[]string{"--netns", "blue,3100"}, "4026532000\n4026532100"},
		{[]string{"--netns=all"}, "4026531840\n4026532000\n4026532100\n4026532200\n4026532300\n4026532400\n4026532500\n4026532600"},
	} {
		args := append([]string{"--root", root, "--no-header", q}, tc.flags...)
		code, out, errOut := runCLI(t, "", args...)
		var got []string
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			got = append(got, strings.Fields(line)[0])
		}
		if code != 0 || strings.Join(got, "\n") != tc.want || errOut != "" {
			t.Errorf("%v: exit %d, netns %q, stderr %q; want %q", tc.flags, code, got, errOut, tc.want)
		}
	}
	code, _, errOut := runCLI(t, "", "--root", root, "--netns", "green", q)
	if code != 2 || !strings.Contains(errOut, "--netns green: ") {
		t.Errorf("--netns green: exit %d, stderr %q; want a usage error naming it", code, errOut)
	}
	code, _, errOut = runCLI(t, "", "--root", root, "--netns", "", q)
	if code != 2 || !strings.Contains(errOut, "empty namespace") {
		t.Errorf("--netns '': exit %d, stderr %q; want a usage error", code, errOut)
	}
}

// The README's container investigations answer on the containers tree:
// pg (docker) holds 0.0.0.0:5432, 10.88.0.7 talks to pg, and the
// namespaces without a default route are all but the host's and pg's.
func TestREADMEContainers(t *testing.T) {
	tablestest.SkipUnlessLittleEndian(t)
	root := tablestest.ContainersRoot(t)
	var found []string
	for _, args := range readmeCommands(t) {
		if len(args) < 3 || args[0] != "--netns" || args[1] != "all" {
			continue
		}
		code, out, errOut := runCLI(t, "", "--root", root, "-o", "tsv", "--no-header", "--netns", "all", args[2])
		if code != 0 || errOut != "" {
			t.Errorf("%s: exit %d, stderr %q", args[2], code, errOut)
			continue
		}
		found = append(found, out)
	}
	want := []func(string) bool{
		func(out string) bool { return strings.Contains(out, "pg\tdocker\ttcp\t0.0.0.0\t5432\tpostgres\n") },
		func(out string) bool { return out == "docker\tpg\t\t\t5432\t54321\tESTABLISHED\tpostgres\n" },
		func(out string) bool { return out == "10.88.0.7\t54321\tESTABLISHED\t1\n" },
		func(out string) bool {
			return strings.Count(out, "\n") == 6 && strings.Contains(out, "4026532000\tblue\t") &&
				!strings.Contains(out, "4026532100") && !strings.Contains(out, "4026531840")
		},
	}
	if len(found) != len(want) {
		t.Fatalf("README.md has %d --netns all examples, want %d", len(found), len(want))
	}
	for i, ok := range want {
		if !ok(found[i]) {
			t.Errorf("example %d printed:\n%s", i+1, found[i])
		}
	}
}
