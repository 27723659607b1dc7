package sqlshell

import (
	"bytes"
	"strings"
	"testing"

	"netsql/sqlshell/output"
	"netsql/tables"
	"netsql/tables/kernel"
	"netsql/tables/tablestest"
)

// .netns switches the namespaces later statements read, shows them, and
// refuses one that does not exist, keeping the scope it had.
func TestDotNetns(t *testing.T) {
	eng, err := tables.Open(t.Context(), kernel.RootSource(tablestest.ContainersRoot(t)), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	var out, errOut bytes.Buffer
	sh := New(eng, output.Format{Mode: "tsv", Headers: false}, &out, &errOut)
	ss := newSession(sh)
	steps := []struct{ typed, want string }{
		{".netns", "self\n"},
		{"SELECT DISTINCT netns FROM snmp;", "4026531840\n"},
		{".netns blue 3100", ""},
		{".netns", "blue,3100\n"},
		{"SELECT DISTINCT netns FROM snmp ORDER BY 1;", "4026532000\n4026532100\n"},
		{".netns all", ""},
		{"SELECT count(DISTINCT netns) FROM snmp;", "8\n"},
		{".netns self", ""},
		{"SELECT DISTINCT netns FROM snmp;", "4026531840\n"},
	}
	for _, s := range steps {
		out.Reset()
		if err := typed(t, ss, s.typed); err != nil {
			t.Fatalf("%s: %v", s.typed, err)
		}
		if out.String() != s.want {
			t.Errorf("%s printed %q, want %q", s.typed, out.String(), s.want)
		}
	}
	err = typed(t, ss, ".netns green")
	if err == nil || !strings.Contains(err.Error(), ".netns: --netns green") {
		t.Errorf(".netns green: error %v, want one naming it", err)
	}
	out.Reset()
	typed(t, ss, ".netns")
	if out.String() != "self\n" {
		t.Errorf("after a refused .netns the scope is %q, want self kept", out.String())
	}
}
