package output

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/olekukonko/tablewriter/pkg/twwidth"
)

func TestForTerminal(t *testing.T) {
	twwidth.SetEastAsian(false)
	tests := []struct {
		name, in string
		width    int
		want     string
	}{
		{"fits", "short line\n", 20, "short line\n"},
		{"no width: escaped only", "a\x1b[2Jb " + strings.Repeat("x", 50), 0, `a\x1b[2Jb ` + strings.Repeat("x", 50)},
		{"help column",
			".mode MODE    output mode: table (or box, column), tsv (or tabs)\n.quit         leave\n", 40,
			".mode MODE    output mode: table (or\n              box, column), tsv (or\n              tabs)\n.quit         leave\n"},
		{"schema comment",
			"  local_addr TEXT, -- local address, canonical text; link-local IPv6 with %interface\n", 50,
			"  local_addr TEXT, -- local address, canonical\n                   -- text; link-local IPv6 with\n                   -- %interface\n"},
		{"indented prose", "    one two three four five six seven eight nine ten\n", 30, "    one two three four five\n    six seven eight nine ten\n"},
		{"no room for the indent", "    one two three four five six\n", 16, "    one two\nthree four five\nsix\n"},
		{"a word longer than the line", "see /a/very/long/path/name/without/spaces ok", 12,
			"see\n/a/very/long\n/path/name/w\nithout/space\ns ok"},
		{"no newline at the end", "alpha beta gamma", 11, "alpha beta\ngamma"},
	}
	for _, tt := range tests {
		got := ForTerminal(tt.in, tt.width)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
		if tt.width == 0 {
			continue
		}
		for _, line := range strings.Split(got, "\n") {
			if w := twwidth.Width(line); w > tt.width {
				t.Errorf("%s: line %q is %d columns wide, more than %d", tt.name, line, w, tt.width)
			}
		}
	}
}
