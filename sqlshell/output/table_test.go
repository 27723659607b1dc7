package output

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/olekukonko/tablewriter/pkg/twwidth"
)

// wideRows is a result wider than a terminal: a short column, a number, and
// two long texts.
var (
	wideColumns = []string{"proto", "port", "cmdline", "path"}
	wideRows    = [][]any{
		{"tcp", int64(22), "/usr/sbin/sshd -D -o AuthorizedKeysCommand=/usr/bin/keys --long-option-here", "/run/sshd.pid"},
		{"udp", int64(5353), "avahi-daemon: running [host.local]", "/run/avahi-daemon/socket/with/a/deep/path/name"},
	}
)

// lineWidths returns the display width of each line of out.
func lineWidths(out string) []int {
	var widths []int
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		widths = append(widths, twwidth.Width(line))
	}
	return widths
}

func TestTableFitsTerminal(t *testing.T) {
	got := render(t, Format{Mode: "table", Headers: true, Terminal: true, Width: 60}, wideColumns, wideRows)
	want := `┌───────┬──────┬─────────────────────┬─────────────────────┐
│ proto │ port │ cmdline             │ path                │
├───────┼──────┼─────────────────────┼─────────────────────┤
│ tcp   │   22 │ /usr/sbin/sshd -D … │ /run/sshd.pid       │
│ udp   │ 5353 │ avahi-daemon: runn… │ /run/avahi-daemon/… │
└───────┴──────┴─────────────────────┴─────────────────────┘
`
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("table in 60 columns (-want +got):\n%s", diff)
	}
	for i, w := range lineWidths(got) {
		if w != 60 {
			t.Errorf("line %d is %d columns wide, want 60", i, w)
		}
	}
	// A table that fits is left as it is.
	if got, want := render(t, Format{Mode: "table", Headers: true, Terminal: true, Width: 400}, wideColumns, wideRows),
		render(t, Format{Mode: "table", Headers: true}, wideColumns, wideRows); got != want {
		t.Errorf("a table that fits was changed:\n%s\nwant\n%s", got, want)
	}
}

func TestTableWrap(t *testing.T) {
	got := render(t, Format{Mode: "table", Headers: true, Terminal: true, Width: 60, Wrap: true}, wideColumns, wideRows)
	want := `┌───────┬──────┬─────────────────────┬─────────────────────┐
│ proto │ port │ cmdline             │ path                │
├───────┼──────┼─────────────────────┼─────────────────────┤
│ tcp   │   22 │ /usr/sbin/sshd -D   │ /run/sshd.pid       │
│       │      │ -o AuthorizedKeysCo │                     │
│       │      │ mmand=/usr/bin/keys │                     │
│       │      │  --long-option-here │                     │
│ udp   │ 5353 │ avahi-daemon:       │ /run/avahi-daemon/s │
│       │      │ running             │ ocket/with/a/deep/p │
│       │      │ [host.local]        │ ath/name            │
└───────┴──────┴─────────────────────┴─────────────────────┘
`
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("wrapped table (-want +got):\n%s", diff)
	}
}

// TestTableOffTerminal: piped, nothing is shortened, whatever the width.
func TestTableOffTerminal(t *testing.T) {
	got := render(t, Format{Mode: "table", Headers: true, Width: 60}, wideColumns, wideRows)
	for _, row := range wideRows {
		for _, v := range row {
			if s, ok := v.(string); ok && !strings.Contains(got, s) {
				t.Errorf("value %q is not shown whole:\n%s", s, got)
			}
		}
	}
	if strings.Contains(got, "…") {
		t.Errorf("a value was shortened off a terminal:\n%s", got)
	}
}

func TestTableUserWidths(t *testing.T) {
	columns := []string{"name", "n", "rest"}
	rows := [][]any{{"sshd-session", int64(7), "x"}}
	got := render(t, Format{Mode: "table", Headers: true, Terminal: true, Width: 80, Widths: []int{6, -4}}, columns, rows)
	want := `┌────────┬──────┬──────┐
│ name   │    n │ rest │
├────────┼──────┼──────┤
│ sshd-… │    7 │ x    │
└────────┴──────┴──────┘
`
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf(".width 6 -4 on a terminal (-want +got):\n%s", diff)
	}
	// Off a terminal the width is kept and the value wrapped, not cut.
	got = render(t, Format{Mode: "table", Headers: true, Widths: []int{6, -4, 0, 9}}, columns, rows)
	want = `┌────────┬──────┬──────┐
│ name   │    n │ rest │
├────────┼──────┼──────┤
│ sshd-s │    7 │ x    │
│ ession │      │      │
└────────┴──────┴──────┘
`
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf(".width 6 -4 0 9 off a terminal (-want +got):\n%s", diff)
	}
}

func TestFitWidths(t *testing.T) {
	tests := []struct {
		natural, user []int
		total         int
		want          []int
	}{
		{[]int{5, 30, 40}, nil, 0, []int{5, 30, 40}},        // no limit
		{[]int{5, 30, 40}, nil, 85, []int{5, 30, 40}},       // fits exactly: 5+30+40 + 3*3+1
		{[]int{5, 30, 40}, nil, 60, []int{5, 22, 23}},       // the wide ones share what the narrow one leaves
		{[]int{5, 10, 40}, nil, 60, []int{5, 10, 35}},       // only the widest gives
		{[]int{0, 3}, nil, 80, []int{1, 3}},                 // at least 1
		{[]int{50, 50}, []int{-10, 0}, 40, []int{10, 23}},   // a user width is kept as is
		{[]int{50, 50, 50}, nil, 10, []int{4, 4, 4}},        // too narrow: minCellWidth each
		{[]int{2, 50, 50}, nil, 10, []int{2, 4, 4}},         // a column narrower than minCellWidth keeps its width
		{[]int{9, 9}, []int{0, 0, 5}, 0, []int{9, 9}},       // extra user widths are ignored
		{[]int{1, 1, 1, 1}, []int{3}, 0, []int{3, 1, 1, 1}}, // a user width off a terminal
	}
	for _, tt := range tests {
		if got := fitWidths(tt.natural, tt.user, tt.total); !cmp.Equal(got, tt.want) {
			t.Errorf("fitWidths(%v, %v, %d) = %v, want %v", tt.natural, tt.user, tt.total, got, tt.want)
		}
	}
}

// writeLog records each Write the writer under test makes.
type writeLog struct{ writes []string }

func (l *writeLog) Write(p []byte) (int, error) {
	l.writes = append(l.writes, string(p))
	return len(p), nil
}

// TestTableBoundedMeasure: table and markdown hold only the first
// measureRows rows; from then on each row is written as it comes, a later
// longer value being shortened on a terminal, wrapped off one, and widening
// its own line in markdown.
func TestTableBoundedMeasure(t *testing.T) {
	for _, tt := range []struct {
		f    Format
		want string
	}{
		{Format{Mode: "table", Terminal: true, Width: 80}, "│ later, lon… │\n"},
		{Format{Mode: "table"}, "│ later,      │\n│ longer      │\n│ than the    │\n│ others      │\n"},
		{Format{Mode: "markdown"}, "| later, longer than the others |\n"},
	} {
		log := &writeLog{}
		w, err := NewWriter(log, tt.f)
		if err != nil {
			t.Fatal(err)
		}
		w.Begin([]string{"v"})
		for i := range measureRows {
			if err := w.Row([]any{fmt.Sprintf("row %7d", i)}); err != nil {
				t.Fatal(err)
			}
			if i < measureRows-1 && len(log.writes) > 0 {
				t.Fatalf("%s: wrote before %d rows were measured", tt.f.Mode, measureRows)
			}
		}
		if len(log.writes) != 1 {
			t.Fatalf("%s: %d writes once %d rows were in, want 1", tt.f.Mode, len(log.writes), measureRows)
		}
		w.Row([]any{"later, longer than the others"})
		if len(log.writes) != 2 || log.writes[1] != tt.want {
			t.Errorf("%s: the row after the measured ones gave %q, want %q", tt.f.Mode, log.writes[1:], tt.want)
		}
		w.End()
	}
}

func TestCutWidth(t *testing.T) {
	for _, tt := range []struct {
		in         string
		width      int
		head, rest string
	}{
		{"abcdef", 3, "abc", "def"},
		{"ab", 3, "ab", ""},
		{"日本語", 3, "日", "本語"}, // each is two columns wide
		{"日本語", 1, "日", "本語"}, // at least one character
		{"", 3, "", ""},
	} {
		if head, rest := cutWidth(tt.in, tt.width); head != tt.head || rest != tt.rest {
			t.Errorf("cutWidth(%q, %d) = %q, %q; want %q, %q", tt.in, tt.width, head, rest, tt.head, tt.rest)
		}
	}
}
