package output

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/olekukonko/tablewriter/pkg/twwidth"
)

// sampleColumns and sampleRows are the fixed result every mode is golden-tested
// on: numbers with NULLs, a whole and a fractional float, text with a tab, a
// newline, a backslash, a comma, quotes, a pipe, non-ASCII text, a blob that is
// not UTF-8, an empty string beside NULL, and the column "inode" twice (as a
// join with USING gives).
var sampleColumns = []string{"proto", "local_addr", "local_port", "inode", "process", "path", "rtt_ms", "inode"}

var sampleRows = [][]any{
	{"tcp", "127.0.0.1", int64(22), int64(4242), "sshd", nil, 0.25, int64(4242)},
	{"udp6", "::1", int64(53), int64(1001), "café resolver", "", 2.0, int64(1001)},
	{"unix", nil, nil, int64(31337), "tab\there", `/run/a,b "q"|pipe`, nil, nil},
	{"unix", nil, nil, int64(31338), []byte("bad\xff\xfebytes"), "/tmp/line1\nline2", 1234567.5, nil},
	{"raw", "10.0.0.1", int64(0), int64(-7), `back\slash`, "C:\\dir\\", 1e-7, int64(-7)},
}

// render runs one result through the writer for f the way the runner does: the
// values slice and the bytes of blobs are reused from row to row, so a writer
// that keeps a reference instead of a copy shows garbage.
func render(t *testing.T, f Format, columns []string, rows [][]any) string {
	t.Helper()
	// Widths of ambiguous characters (é, U+FFFD) follow the locale; goldens assume narrow.
	twwidth.SetEastAsian(false)
	var out bytes.Buffer
	w, err := NewWriter(&out, f)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Begin(columns); err != nil {
		t.Fatalf("Begin: %v", err)
	}
	values := make([]any, len(columns))
	blob := make([]byte, 0, 64)
	for _, row := range rows {
		copy(values, row)
		for i, v := range values {
			if b, ok := v.([]byte); ok {
				blob = append(blob[:0], b...)
				values[i] = blob
			}
		}
		if err := w.Row(values); err != nil {
			t.Fatalf("Row: %v", err)
		}
		for i := range values {
			values[i] = "overwritten"
		}
		for i := range blob {
			blob[i] = 'X'
		}
	}
	if err := w.End(); err != nil {
		t.Fatalf("End: %v", err)
	}
	return out.String()
}

// checkGolden compares got with testdata/golden/name.golden, or rewrites the
// file when NETSQL_UPDATE_GOLDEN=1.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name+".golden")
	if os.Getenv("NETSQL_UPDATE_GOLDEN") == "1" {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (set NETSQL_UPDATE_GOLDEN=1 to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

func TestWriterGolden(t *testing.T) {
	for _, mode := range Modes {
		t.Run(mode, func(t *testing.T) {
			got := render(t, Format{Mode: mode, Headers: true}, sampleColumns, sampleRows)
			checkGolden(t, mode, got)
		})
	}
}

func TestWriterGoldenZeroRows(t *testing.T) {
	for _, mode := range Modes {
		t.Run(mode, func(t *testing.T) {
			got := render(t, Format{Mode: mode, Headers: true}, sampleColumns, nil)
			checkGolden(t, mode+"_zero_rows", got)
		})
	}
}

func TestWriterGoldenNoHeaders(t *testing.T) {
	for _, mode := range Modes {
		t.Run(mode, func(t *testing.T) {
			got := render(t, Format{Mode: mode, Headers: false}, sampleColumns, sampleRows)
			switch mode {
			case "json", "jsonl", "line":
				// These modes always name the columns.
				want := render(t, Format{Mode: mode, Headers: true}, sampleColumns, sampleRows)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("Headers=false changed %s output (-want +got):\n%s", mode, diff)
				}
			default:
				checkGolden(t, mode+"_no_headers", got)
			}
		})
	}
}

func TestWriterGoldenNullValue(t *testing.T) {
	for _, mode := range Modes {
		t.Run(mode, func(t *testing.T) {
			got := render(t, Format{Mode: mode, Headers: true, Null: "-", NullSet: true}, sampleColumns, sampleRows)
			switch mode {
			case "json", "jsonl":
				// JSON has its own null.
				want := render(t, Format{Mode: mode, Headers: true}, sampleColumns, sampleRows)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("Null changed %s output (-want +got):\n%s", mode, diff)
				}
			default:
				checkGolden(t, mode+"_null_dash", got)
			}
		})
	}
}

// TestWriterJSONPartial ends the array after two rows, as the runner does when
// a statement fails mid-stream: the output must still be one valid array.
func TestWriterJSONPartial(t *testing.T) {
	got := render(t, Format{Mode: "json"}, sampleColumns, sampleRows[:2])
	checkGolden(t, "json_partial", got)
	var rows []map[string]any
	if err := json.Unmarshal([]byte(got), &rows); err != nil {
		t.Fatalf("partial output is not valid JSON: %v\n%s", err, got)
	}
	if len(rows) != 2 {
		t.Errorf("got %d objects, want 2", len(rows))
	}
}

// TestWriterJSONMidStream looks at the output after each call, before End: the
// rows are already out, one per line.
func TestWriterJSONMidStream(t *testing.T) {
	var out bytes.Buffer
	w, err := NewWriter(&out, Format{Mode: "json"})
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		call func() error
		want string
	}{
		{func() error { return w.Begin([]string{"a"}) }, "["},
		{func() error { return w.Row([]any{int64(1)}) }, "[\n{\"a\":1}"},
		{func() error { return w.Row([]any{nil}) }, "[\n{\"a\":1},\n{\"a\":null}"},
		{w.End, "[\n{\"a\":1},\n{\"a\":null}\n]\n"},
	}
	for i, step := range steps {
		if err := step.call(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if diff := cmp.Diff(step.want, out.String()); diff != "" {
			t.Errorf("after step %d (-want +got):\n%s", i, diff)
		}
	}
}

func TestWriterJSONValues(t *testing.T) {
	for _, mode := range []string{"json", "jsonl"} {
		t.Run(mode, func(t *testing.T) {
			got := render(t, Format{Mode: mode}, sampleColumns, sampleRows)
			if mode == "jsonl" {
				got = "[" + strings.Join(strings.Split(strings.TrimSuffix(got, "\n"), "\n"), ",") + "]"
			}
			dec := json.NewDecoder(strings.NewReader(got))
			dec.UseNumber()
			var rows []map[string]any
			if err := dec.Decode(&rows); err != nil {
				t.Fatalf("output is not valid JSON: %v\n%s", err, got)
			}
			want := []map[string]any{
				{"proto": "tcp", "local_addr": "127.0.0.1", "local_port": json.Number("22"), "inode": json.Number("4242"),
					"process": "sshd", "path": nil, "rtt_ms": json.Number("0.25"), "inode_2": json.Number("4242")},
				{"proto": "udp6", "local_addr": "::1", "local_port": json.Number("53"), "inode": json.Number("1001"),
					"process": "café resolver", "path": "", "rtt_ms": json.Number("2.0"), "inode_2": json.Number("1001")},
				{"proto": "unix", "local_addr": nil, "local_port": nil, "inode": json.Number("31337"),
					"process": "tab\there", "path": `/run/a,b "q"|pipe`, "rtt_ms": nil, "inode_2": nil},
				{"proto": "unix", "local_addr": nil, "local_port": nil, "inode": json.Number("31338"),
					"process": "bad\uFFFD\uFFFDbytes", "path": "/tmp/line1\nline2", "rtt_ms": json.Number("1234567.5"), "inode_2": nil},
				{"proto": "raw", "local_addr": "10.0.0.1", "local_port": json.Number("0"), "inode": json.Number("-7"),
					"process": `back\slash`, "path": `C:\dir\`, "rtt_ms": json.Number("1e-07"), "inode_2": json.Number("-7")},
			}
			if diff := cmp.Diff(want, rows); diff != "" {
				t.Errorf("decoded rows (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWriterJSONNonFinite(t *testing.T) {
	got := render(t, Format{Mode: "jsonl"}, []string{"nan", "inf", "neg", "zero"},
		[][]any{{math.NaN(), math.Inf(1), math.Inf(-1), math.Copysign(0, -1)}})
	if want := `{"nan":null,"inf":null,"neg":null,"zero":-0.0}` + "\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestWriterJSONKeys(t *testing.T) {
	got := render(t, Format{Mode: "jsonl"}, []string{"inode", "inode", "inode_2", "inode", `a"b<>`},
		[][]any{{int64(1), int64(2), int64(3), int64(4), true}})
	want := `{"inode":1,"inode_3":2,"inode_2":3,"inode_4":4,"a\"b<>":"true"}` + "\n"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// sampleText is what tsv and csv should carry for each sample value: bytes as
// they are, NULL as an empty field.
func sampleText(v any) string {
	if v == nil {
		return ""
	}
	return rawText(v)
}

func TestWriterCSVReadBack(t *testing.T) {
	got := render(t, Format{Mode: "csv", Headers: true}, sampleColumns, sampleRows)
	records, err := csv.NewReader(strings.NewReader(got)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{sampleColumns}
	for _, row := range sampleRows {
		var record []string
		for _, v := range row {
			record = append(record, sampleText(v))
		}
		want = append(want, record)
	}
	if diff := cmp.Diff(want, records); diff != "" {
		t.Errorf("csv read back (-want +got):\n%s", diff)
	}
}

func TestWriterCSVLoneEmptyField(t *testing.T) {
	got := render(t, Format{Mode: "csv"}, []string{"x"}, [][]any{{nil}, {""}, {"a"}})
	records, err := csv.NewReader(strings.NewReader(got)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([][]string{{""}, {""}, {"a"}}, records); diff != "" {
		t.Errorf("csv read back of %q (-want +got):\n%s", got, diff)
	}
}

// unescapeTSV undoes the escapes of tsv, and of line and tsv on a
// terminal (\xNN).
func unescapeTSV(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'x':
			n, _ := strconv.ParseUint(s[i+1:i+3], 16, 8)
			b.WriteByte(byte(n))
			i += 2
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

func TestWriterTSVRoundTrip(t *testing.T) {
	rows := sampleRows
	for _, s := range []string{"\\t is not a tab", "\r\n", "\\\\\t\\", "trailing\\", "\x00\x1b[31m"} {
		rows = append(rows, []any{s, s, s, s, []byte(s), s, s, s})
	}
	got := render(t, Format{Mode: "tsv", Headers: true}, sampleColumns, rows)
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	if len(lines) != len(rows)+1 {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(rows)+1, got)
	}
	if lines[0] != strings.Join(sampleColumns, "\t") {
		t.Errorf("header line %q", lines[0])
	}
	for i, line := range lines[1:] {
		var fields, want []string
		for _, field := range strings.Split(line, "\t") {
			fields = append(fields, unescapeTSV(field))
		}
		for _, v := range rows[i] {
			want = append(want, sampleText(v))
		}
		if diff := cmp.Diff(want, fields); diff != "" {
			t.Errorf("row %d read back (-want +got):\n%s", i, diff)
		}
	}
}

func TestWriterZeroColumns(t *testing.T) {
	for _, mode := range Modes {
		for _, headers := range []bool{true, false} {
			if got := render(t, Format{Mode: mode, Headers: headers}, nil, nil); got != "" {
				t.Errorf("%s (headers %v) printed %q for a result without columns", mode, headers, got)
			}
		}
	}
}

func TestWriterRowWidth(t *testing.T) {
	for _, mode := range Modes {
		w, err := NewWriter(&bytes.Buffer{}, Format{Mode: mode})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Begin([]string{"a", "b"}); err != nil {
			t.Fatal(err)
		}
		if err := w.Row([]any{int64(1)}); err == nil {
			t.Errorf("%s: Row with 1 value for 2 columns gave no error", mode)
		}
	}
}

func TestWriterUnknownMode(t *testing.T) {
	w, err := NewWriter(&bytes.Buffer{}, Format{Mode: "bogus"})
	if err == nil {
		t.Fatalf("NewWriter(bogus) = %T, want an error", w)
	}
	if !errors.Is(err, ErrUnknownMode) {
		t.Errorf("error %v does not wrap ErrUnknownMode", err)
	}
	msg := err.Error()
	for _, mode := range append([]string{"bogus"}, Modes...) {
		if !strings.Contains(msg, mode) {
			t.Errorf("error %q does not mention %q", msg, mode)
		}
	}
}

func TestFormatFloat(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{0, "0.0"},
		{math.Copysign(0, -1), "-0.0"},
		{2, "2.0"},
		{-3, "-3.0"},
		{0.1, "0.1"},
		{0.25, "0.25"},
		{1.0 / 3, "0.3333333333333333"},
		{1e6, "1000000.0"},
		{1234567.5, "1234567.5"},
		{1e20, "100000000000000000000.0"},
		{1e21, "1e+21"},
		{1.5e300, "1.5e+300"},
		{1e-6, "0.000001"},
		{1e-7, "1e-07"},
		{math.MaxFloat64, "1.7976931348623157e+308"},
		{math.Inf(1), "Inf"},
		{math.Inf(-1), "-Inf"},
		{math.NaN(), "NaN"},
	}
	for _, tt := range tests {
		if got := floatText(tt.in); got != tt.want {
			t.Errorf("floatText(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestFormatDisplayText: displayText (table, markdown) and exactText (line,
// tsv on a terminal) escape every control and unsafe character and every
// byte that is not UTF-8, each escaped byte as one \xNN; exactText also
// doubles the backslash, so its text reads back to the same bytes.
func TestFormatDisplayText(t *testing.T) {
	tests := []struct{ in, display, exact string }{
		{"plain", "plain", "plain"},
		{"café 日本\u00a0", "café 日本\u00a0", "café 日本\u00a0"},
		{`back\slash`, `back\slash`, `back\\slash`},
		{"a\tb\nc\rd", `a\tb\nc\rd`, `a\tb\nc\rd`},
		{"\x1b[31mred", `\x1b[31mred`, `\x1b[31mred`},
		{`\x1b` + "\x1b", `\x1b\x1b`, `\\x1b\x1b`},
		{"nul\x00del\x7f", `nul\x00del\x7f`, `nul\x00del\x7f`},
		{"nel\u0085", `nel\xc2\x85`, `nel\xc2\x85`},
		{"csi\u009b31m", `csi\xc2\x9b31m`, `csi\xc2\x9b31m`},
		{"bad\xff\xfe", `bad\xff\xfe`, `bad\xff\xfe`},
		{"cut\xe2\x82", `cut\xe2\x82`, `cut\xe2\x82`},
		{"\u202egnp.exe", `\xe2\x80\xaegnp.exe`, `\xe2\x80\xaegnp.exe`},
		{"line\u2028sep", `line\xe2\x80\xa8sep`, `line\xe2\x80\xa8sep`},
	}
	for _, tt := range tests {
		if got := displayText(tt.in); got != tt.display {
			t.Errorf("displayText(%q) = %q, want %q", tt.in, got, tt.display)
		}
		if got := exactText(tt.in); got != tt.exact {
			t.Errorf("exactText(%q) = %q, want %q", tt.in, got, tt.exact)
		}
	}
}

func TestFormatMarkdownText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a|b", `a\|b`},
		{"one\ntwo\r\nthree", "one<br>two<br>three"},
		{"lone\rcr\ttab", `lone\rcr\ttab`},
	}
	for _, tt := range tests {
		if got := markdownText(tt.in); got != tt.want {
			t.Errorf("markdownText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestWriterNoHeadersNoRows(t *testing.T) {
	for _, mode := range []string{"table", "markdown", "tsv", "csv"} {
		if got := render(t, Format{Mode: mode}, []string{"a", "b"}, nil); got != "" {
			t.Errorf("%s without headers printed %q for zero rows", mode, got)
		}
	}
}

// TestWriterTableExact checks that tablewriter neither trims, wraps nor
// truncates: a value is shown whole, spaces included.
func TestWriterTableExact(t *testing.T) {
	long := strings.Repeat("word ", 60) + "end"
	got := render(t, Format{Mode: "table", Headers: true}, []string{"padded", "long"},
		[][]any{{"  lead", long}, {"trail  ", "x"}})
	for _, want := range []string{"│   lead  │ " + long + " │", "│ trail   │ x "} {
		if !strings.Contains(got, want) {
			t.Errorf("table output lacks %q:\n%s", want, got)
		}
	}
}

// hostile holds what a process name or a unix path may: an escape sequence,
// a newline, a tab, a backslash and two different bytes that are not UTF-8.
const hostile = "a\x1b[31mb\nc\td\\e\xff\xfe"

// TestWriterHostileValue checks each mode's output for a hostile value,
// as text and as a blob, written to a file and to a terminal.
func TestWriterHostileValue(t *testing.T) {
	shown := `a\x1b[31mb\nc\td\e\xff\xfe`  // the table's and markdown's form
	exact := `a\x1b[31mb\nc\td\\e\xff\xfe` // line's and tsv's on a terminal: reads back
	tests := []struct {
		mode     string
		terminal bool
		want     string
	}{
		{"table", true, "┌────────────────────────────┐\n│ v                          │\n├────────────────────────────┤\n│ " + shown + " │\n└────────────────────────────┘\n"},
		{"markdown", true, "| v" + strings.Repeat(" ", 27) + " |\n|" + strings.Repeat("-", 30) + "|\n| " + strings.Replace(shown, `\n`, "<br>", 1) + " |\n"},
		{"line", true, "v = " + exact + "\n"},
		{"tsv", false, "v\na\x1b[31mb\\nc\\td\\\\e\xff\xfe\n"},
		{"tsv", true, "v\n" + exact + "\n"},
		{"csv", false, "v\n\"" + hostile + "\"\n"},
		{"csv", true, "v\n" + shown + "\n"},
		{"json", true, "[\n{\"v\":\"a\\u001b[31mb\\nc\\td\\\\e\\udcff\\udcfe\"}\n]\n"},
		{"jsonl", true, "{\"v\":\"a\\u001b[31mb\\nc\\td\\\\e\\udcff\\udcfe\"}\n"},
	}
	for _, tt := range tests {
		for _, value := range []any{hostile, []byte(hostile)} {
			got := render(t, Format{Mode: tt.mode, Headers: true, Terminal: tt.terminal}, []string{"v"}, [][]any{{value}})
			if got != tt.want {
				t.Errorf("%s (terminal %v, %T):\ngot  %q\nwant %q", tt.mode, tt.terminal, value, got, tt.want)
			}
			if !tt.terminal {
				continue
			}
			for i := 0; i < len(got); i++ {
				if c := got[i]; c < 0x20 && c != '\n' || c == 0x7f {
					t.Errorf("%s on a terminal: raw byte %#x at %d", tt.mode, c, i)
				}
			}
			if !utf8.ValidString(got) {
				t.Errorf("%s on a terminal: output is not UTF-8: %q", tt.mode, got)
			}
		}
	}
}

// TestWriterHostileReadBack reads each reversible mode's output back to the
// value's exact bytes.
func TestWriterHostileReadBack(t *testing.T) {
	for _, mode := range []string{"tsv", "csv", "line", "json", "jsonl"} {
		for _, terminal := range []bool{false, true} {
			got := render(t, Format{Mode: mode, Headers: true, Terminal: terminal}, []string{"v", "w"}, [][]any{{hostile, "\xfe\xff"}})
			var fields []string
			switch mode {
			case "tsv":
				line := strings.Split(got, "\n")[1]
				for _, f := range strings.Split(line, "\t") {
					fields = append(fields, unescapeTSV(f))
				}
			case "csv":
				if terminal {
					continue // shown, not for reading back
				}
				records, err := csv.NewReader(strings.NewReader(got)).ReadAll()
				if err != nil {
					t.Fatal(err)
				}
				fields = records[1]
			case "line":
				for _, l := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
					_, value, _ := strings.Cut(l, " = ")
					fields = append(fields, unescapeTSV(value))
				}
			case "json", "jsonl":
				var doc any
				if err := json.Unmarshal([]byte(strings.Trim(got, "[]\n")), &doc); err != nil {
					t.Fatalf("%s: not JSON: %v\n%s", mode, err, got)
				}
				literals := regexp.MustCompile(`"(?:[^"\\]|\\.)*"`).FindAllString(got, -1)
				for i := 1; i < len(literals); i += 2 { // the values, after their keys
					fields = append(fields, surrogateUnescape(t, literals[i]))
				}
			}
			if diff := cmp.Diff([]string{hostile, "\xfe\xff"}, fields); diff != "" {
				t.Errorf("%s (terminal %v) read back (-want +got):\n%s\n%q", mode, terminal, diff, got)
			}
		}
	}
}

// surrogateUnescape reads a JSON string literal back to bytes, \udcXX being
// the byte XX (the json mode's scheme for bytes that are not UTF-8).
func surrogateUnescape(t *testing.T, literal string) string {
	t.Helper()
	var b []byte
	s := literal[1 : len(literal)-1]
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b = append(b, s[i])
			continue
		}
		i++
		switch s[i] {
		case 'n':
			b = append(b, '\n')
		case 't':
			b = append(b, '\t')
		case 'r':
			b = append(b, '\r')
		case 'u':
			n, err := strconv.ParseUint(s[i+1:i+5], 16, 16)
			if err != nil {
				t.Fatalf("bad escape in %s", literal)
			}
			if n >= 0xdc80 && n <= 0xdcff {
				b = append(b, byte(n))
			} else {
				b = utf8.AppendRune(b, rune(n))
			}
			i += 4
		default:
			b = append(b, s[i])
		}
	}
	return string(b)
}
