package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// layers lists netsql's packages from the top: each may import only the
// ones after it (ARCHITECTURE.md, "Parts").
var layers = []string{"netsql", "netsql/sqlshell/serve", "netsql/sqlshell", "netsql/sqlshell/prompt", "netsql/sqlshell/sqltext", "netsql/sqlshell/output", "netsql/tables/export", "netsql/tables/moment",
	"netsql/tables", "netsql/tables/engine", "netsql/tables/kernel", "netsql/tables/jsontext"}

// upwardImports returns "a imports b" for every package of order that
// imports one listed before it.
func upwardImports(t *testing.T, order []string) []string {
	t.Helper()
	var found []string
	for i, pkg := range order {
		out, err := exec.Command("go", "list", "-deps", pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pkg, err)
		}
		deps := strings.Fields(string(out))
		for _, above := range order[:i] {
			if slices.Contains(deps, above) {
				found = append(found, pkg+" imports "+above)
			}
		}
	}
	return found
}

// Imports run one way: main → sqlshell → tables → tables/engine →
// tables/kernel; the kernel readers know no SQL, the engine no dataset,
// the catalogue no shell. (Most upward imports would be cycles the build
// refuses; this catches a dependency that flips, such as kernel starting
// to import the engine after the engine stopped importing it.)
func TestImportDirection(t *testing.T) {
	if up := upwardImports(t, layers); len(up) > 0 {
		t.Errorf("imports against the layers: %q", up)
	}
	// The check itself: read bottom up, every layer imports one "above".
	reversed := slices.Clone(layers)
	slices.Reverse(reversed)
	if up := upwardImports(t, reversed); len(up) < len(layers)-1 {
		t.Errorf("the check found only %q in the layers reversed", up)
	}
}
