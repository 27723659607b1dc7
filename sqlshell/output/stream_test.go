package output

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// result is one statement's result for runStream.
type result struct {
	mode    string
	headers bool
	columns []string
	rows    [][]any
}

// runStream prints results as one run does, through one Stream.
func runStream(t *testing.T, several bool, results []result) string {
	t.Helper()
	var out bytes.Buffer
	s := NewStream(several)
	for _, r := range results {
		w, err := s.Writer(&out, Format{Mode: r.mode, Headers: r.headers})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Begin(r.columns); err != nil {
			t.Fatal(err)
		}
		for _, row := range r.rows {
			if err := w.Row(row); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.End(); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(&out); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// TestStreamHeaders: in a run, tsv and csv print a header only when the
// columns change; a statement without columns (CREATE) changes nothing, a
// result without headers, or in another mode, starts over.
func TestStreamHeaders(t *testing.T) {
	a := [][]any{{int64(1)}}
	for mode, want := range map[string]string{
		"tsv": "n\n1\n1\nm\n1\nn\n1\n1\n1\nn\n1\n",
		"csv": "n\n1\n1\nm\n1\nn\n1\n1\n1\nn\n1\n",
	} {
		got := runStream(t, true, []result{
			{mode, true, []string{"n"}, a},
			{mode, true, []string{"n"}, a}, // same columns: no header
			{mode, true, []string{"m"}, a},
			{mode, true, []string{"n"}, a},
			{mode, true, nil, nil}, // CREATE VIEW ...
			{mode, true, []string{"n"}, a},
			{mode, false, []string{"n"}, a}, // .headers off
			{mode, true, []string{"n"}, a},  // .headers on: the header again
		})
		if got != want {
			t.Errorf("%s: got %q, want %q", mode, got, want)
		}
	}
	got := runStream(t, true, []result{
		{"tsv", true, []string{"n"}, a},
		{"csv", true, []string{"n"}, a}, // .mode csv
	})
	if got != "n\n1\nn\n1\n" {
		t.Errorf("after a change of mode: %q", got)
	}
}

// TestStreamJSON decodes the whole output of a run with encoding/json: an
// array of rows for a single statement, an array of results for several
// (a statement without columns adds none), valid at every step.
func TestStreamJSON(t *testing.T) {
	results := []result{
		{"json", true, []string{"a"}, [][]any{{int64(1)}, {int64(2)}}},
		{"json", true, nil, nil},
		{"json", true, []string{"b"}, nil},
		{"json", true, []string{"c", "c"}, [][]any{{"x", nil}}},
	}
	var several [][]map[string]any
	if err := json.Unmarshal([]byte(runStream(t, true, results)), &several); err != nil {
		t.Fatalf("several results: %v\n%s", err, runStream(t, true, results))
	}
	want := [][]map[string]any{{{"a": 1.0}, {"a": 2.0}}, {}, {{"c": "x", "c_2": nil}}}
	if diff := cmp.Diff(want, several); diff != "" {
		t.Errorf("several results (-want +got):\n%s", diff)
	}
	var single []map[string]any
	if err := json.Unmarshal([]byte(runStream(t, false, results[:1])), &single); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want[0], single); diff != "" {
		t.Errorf("a single result (-want +got):\n%s", diff)
	}
	// A run of several statements whose first fails prints nothing; one
	// that ends after a result is closed.
	if got := runStream(t, true, nil); got != "" {
		t.Errorf("no result: %q", got)
	}
	if got := runStream(t, true, results[2:3]); got != "[\n[]\n]\n" {
		t.Errorf("one empty result of several: %q", got)
	}
}

// TestWriterJSONLStreams: each row is written, whole, when Row is called.
func TestWriterJSONLStreams(t *testing.T) {
	log := &writeLog{}
	w, err := NewWriter(log, Format{Mode: "jsonl"})
	if err != nil {
		t.Fatal(err)
	}
	w.Begin([]string{"x"})
	for i, want := range []string{`{"x":1}` + "\n", `{"x":2}` + "\n"} {
		w.Row([]any{int64(i + 1)})
		if len(log.writes) != i+1 || log.writes[i] != want {
			t.Fatalf("after row %d the writes are %q", i+1, log.writes)
		}
	}
	w.End()
	if len(log.writes) != 2 {
		t.Errorf("End wrote %q", log.writes[2:])
	}
}

// TestStreamSeparators: .separator's separators keep tsv's and csv's
// header-on-change (one header while they stay the same, a new one when
// they change), accept a mode's alias, and on a terminal the fields are
// escaped between them.
func TestStreamSeparators(t *testing.T) {
	var out bytes.Buffer
	s := NewStream(true)
	print := func(f Format, values ...any) {
		t.Helper()
		w, err := s.Writer(&out, f)
		if err != nil {
			t.Fatal(err)
		}
		cols := make([]string, len(values))
		for i := range cols {
			cols[i] = string(rune('a' + i))
		}
		if err := w.Begin(cols); err != nil {
			t.Fatal(err)
		}
		if err := w.Row(values); err != nil {
			t.Fatal(err)
		}
		w.End()
	}
	semi := Format{Mode: "tabs", Headers: true, Separator: ";"}
	print(semi, int64(1), "x")
	print(semi, int64(2), "y")
	print(Format{Mode: "tsv", Headers: true, Separator: " | ", RowSeparator: "\r\n"}, int64(3), "z")
	print(Format{Mode: "tsv", Headers: true}, int64(4), "w")
	if want := "a;b\n1;x\n2;y\na | b\r\n3 | z\r\na\tb\n4\tw\n"; out.String() != want {
		t.Errorf("tsv: got %q, want %q", out.String(), want)
	}

	for _, tt := range []struct {
		f    Format
		want string
	}{
		{Format{Mode: "tsv", Separator: ";", Terminal: true}, "a\\x1bb;\\tc\n"},
		{Format{Mode: "csv", Separator: ";", RowSeparator: "\r\n", Terminal: true}, "a\\x1bb;\\tc\r\n"},
		{Format{Mode: "csv", Separator: ";"}, "a\x1bb;\"\tc\"\n"},
	} {
		out.Reset()
		s = NewStream(false)
		print(tt.f, "a\x1bb", "\tc")
		if out.String() != tt.want {
			t.Errorf("%+v: got %q, want %q", tt.f, out.String(), tt.want)
		}
	}

	if err := CheckSeparators("box", ",", ""); err == nil || err.Error() != "the table mode uses no separator (tsv and csv do)" {
		t.Errorf("box: %v", err)
	}
	if _, err := NewStream(false).Writer(&out, Format{Mode: "lines", Separator: ","}); err == nil {
		t.Error("lines with a separator: no error")
	}
}
