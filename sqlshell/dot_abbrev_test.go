package sqlshell

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A command may be shortened to a beginning no other command shares, as in
// sqlite3; .q and .h are fixed short forms.
func TestDotAbbreviations(t *testing.T) {
	sh, out, _ := newTestShell(t)
	ss := newSession(sh)
	for _, pair := range [][2]string{
		{".tab process%", ".tables process%"},
		{".sch process_sockets", ".schema process_sockets"},
		{".ind sockets", ".indexes sockets"},
		{".hel", ".help"},
		{".h", ".help"},
		{".help sch", ".help .schema"},
		{".par list", ".param list"},
	} {
		out.Reset()
		if err := typed(t, ss, pair[1]); err != nil {
			t.Fatalf("%s: %v", pair[1], err)
		}
		want := out.String()
		out.Reset()
		if err := typed(t, ss, pair[0]); err != nil {
			t.Fatalf("%s: %v", pair[0], err)
		}
		if out.String() != want || want == "" {
			t.Errorf("%s printed\n%s\nwant what %s prints:\n%s", pair[0], out, pair[1], want)
		}
	}

	// .h with an argument is .headers, as sqlite3's `.h on`.
	out.Reset()
	if err := typed(t, ss, ".h off\nSELECT 1 AS one;\n.h on\nSELECT 2 AS two;\n"); err != nil {
		t.Fatal(err)
	}
	if out.String() != "1\ntwo\n2\n" {
		t.Errorf(".h off / .h on: output %q", out)
	}
	// .hea is .headers by prefix; .q is .quit though .queries shares it.
	if err := typed(t, ss, ".hea off"); err != nil || sh.Format.Headers {
		t.Errorf(".hea off: %v, headers %v", err, sh.Format.Headers)
	}
	// The output branch's names: .wi, .wr and .pag are enough.
	if err := typed(t, ss, ".wi 3 -4"); err != nil || !cmp.Equal(sh.Format.Widths, []int{3, -4}) {
		t.Errorf(".wi 3 -4: %v, widths %v", err, sh.Format.Widths)
	}
	if err := typed(t, ss, ".wr on"); err != nil || !sh.Format.Wrap {
		t.Errorf(".wr on: %v, wrap %v", err, sh.Format.Wrap)
	}
	if err := typed(t, ss, ".pag on"); err != nil || !ss.pager {
		t.Errorf(".pag on: %v, pager %v", err, ss.pager)
	}
	if err := typed(t, ss, ".q"); err != nil || !ss.quit {
		t.Errorf(".q: %v, quit %v", err, ss.quit)
	}

	// A beginning several commands share is an error naming them.
	ss = newSession(sh)
	for line, want := range map[string]string{
		".s":   "ambiguous command .s: .schema, .separator, .snapshot, .save, .show, .shell, ... (type more of the name)",
		".ex":  "ambiguous command .ex: .explain, .exit (type more of the name)",
		".e":   "ambiguous command .e: .eqp, .explain, .echo, .exit (type more of the name)",
		".re":  "ambiguous command .re: .refresh, .read (type more of the name)",
		".he":  "ambiguous command .he: .help, .headers (type more of the name)",
		".o x": "ambiguous command .o: .output, .once (type more of the name)",
		".w":   "ambiguous command .w: .width, .wrap (type more of the name)",
		".pa":  "ambiguous command .pa: .pager, .param (type more of the name)",
	} {
		if err := typed(t, ss, line); err == nil || err.Error() != want {
			t.Errorf("%s: %v, want %q", line, err, want)
		}
	}
	if ss.quit {
		t.Error("an ambiguous command ran something")
	}
}

// An exact name wins over the longer names it begins.
func TestLookupDotCommandExactWins(t *testing.T) {
	cmds := []dotCommand{{name: ".ab"}, {name: ".abc"}, {name: ".abd"}}
	for typed, want := range map[string]string{".ab": ".ab", ".abc": ".abc", ".abd": ".abd"} {
		if cmd, _ := lookupDotCommand(cmds, typed, false); cmd == nil || cmd.name != want {
			t.Errorf("%s: %v, want %s", typed, cmd, want)
		}
	}
	cmd, candidates := lookupDotCommand(cmds, ".a", false)
	if cmd != nil || !cmp.Equal(candidates, []string{".ab", ".abc", ".abd"}) {
		t.Errorf(".a: %v, %q", cmd, candidates)
	}
	// More than six candidates are cut to six.
	err := ambiguousCommand(".x", []string{".x1", ".x2", ".x3", ".x4", ".x5", ".x6", ".x7"})
	if want := "ambiguous command .x: .x1, .x2, .x3, .x4, .x5, .x6, ... (type more of the name)"; err.Error() != want {
		t.Errorf("got %q, want %q", err, want)
	}
}

// Completion reads the same table and resolves the same abbreviations:
// every command completes from a dot, and an abbreviated command
// completes its arguments.
func TestCompleteDotAbbreviations(t *testing.T) {
	c := testCompleter("")
	got, _ := do(c, ".")
	if len(got) != len(dotCommands()) {
		t.Errorf("a lone dot completes %d names, the table has %d: %q", len(got), len(dotCommands()), got)
	}
	for _, cmd := range dotCommands() {
		if !contains(got, cmd.name[1:]+" ") {
			t.Errorf(". does not complete %s", cmd.name)
		}
	}
	cases := []struct {
		line string
		want []string
	}{
		{".tab so", []string{"ckets ", "ckstat "}},
		{".sch proc", []string{"ess_sockets ", "esses "}},
		{".h o", []string{"ff ", "n "}},
		{".ec ", []string{"off ", "on "}},
		{".ba o", []string{"ff ", "n "}},
		{".eqp ", []string{"off ", "on "}},
		{".dump my", []string{"_view "}},
		{".import --", []string{"csv ", "skip ", "tsv "}},
		{".import x.csv so", []string{"ckets ", "ckstat "}},
		{".import --tsv x.tsv my", []string{"_view "}},
		{".s x", nil},
	}
	for _, tc := range cases {
		got, _ := do(c, tc.line)
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("Do(%q) (-want +got):\n%s", tc.line, diff)
		}
	}
}
