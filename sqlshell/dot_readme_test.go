package sqlshell

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The README lists the dot-commands from the table that drives .help and
// completion; this fails when they drift. NETSQL_UPDATE_GOLDEN=1 rewrites it.
func TestREADMEDotCommands(t *testing.T) {
	const path = "../README.md"
	const begin, end = "<!-- dot-commands:begin (generated; NETSQL_UPDATE_GOLDEN=1 go test ./sqlshell rewrites it) -->\n", "<!-- dot-commands:end -->"
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	i, j := strings.Index(readme, begin), strings.Index(readme, end)
	if i < 0 || j < i {
		t.Fatalf("README.md lacks the %q ... %q markers", begin, end)
	}
	want, got := helpMarkdown(), readme[i+len(begin):j]
	if got == want {
		return
	}
	if os.Getenv("NETSQL_UPDATE_GOLDEN") == "1" {
		if err := os.WriteFile(path, []byte(readme[:i+len(begin)]+want+readme[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README's dot-commands drifted from dotCommands (-want +got):\n%s", cmp.Diff(want, got))
}
