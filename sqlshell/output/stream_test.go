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
