package output

import (
	"bytes"
	"encoding/csv"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestWriterSeparators(t *testing.T) {
	cases := []struct {
		f    Format
		want string
	}{
		{Format{Mode: "tsv", Headers: true}, "a\tb\n1\tx;y\n\t\"\n"},
		{Format{Mode: "tsv", Headers: true, Separator: ";"}, "a;b\n1;x;y\n;\"\n"},
		{Format{Mode: "tsv", Separator: " | ", RowSeparator: "\r\n"}, "1 | x;y\r\n | \"\r\n"},
		{Format{Mode: "csv", Headers: true}, "a,b\n1,x;y\n,\"\"\"\"\n"},
		{Format{Mode: "csv", Headers: true, Separator: ";"}, "a;b\n1;\"x;y\"\n;\"\"\"\"\n"},
		{Format{Mode: "csv", Separator: "\t", RowSeparator: "\r\n"}, "1\tx;y\r\n\t\"\"\"\"\r\n"},
	}
	for _, c := range cases {
		var b bytes.Buffer
		w, err := NewWriter(&b, c.f)
		if err != nil {
			t.Fatal(err)
		}
		w.Begin([]string{"a", "b"})
		w.Row([]any{int64(1), "x;y"})
		w.Row([]any{nil, `"`})
		w.End()
		if b.String() != c.want {
			t.Errorf("%+v: got %q, want %q", c.f, b.String(), c.want)
		}
	}

	// csv with another separator reads back with that separator.
	var b bytes.Buffer
	w, _ := NewWriter(&b, Format{Mode: "csv", Separator: ";"})
	w.Begin([]string{"a", "b"})
	rows := [][]string{{"x;y", "line\nbreak"}, {"", " lead"}}
	for _, r := range rows {
		w.Row([]any{r[0], r[1]})
	}
	r := csv.NewReader(&b)
	r.Comma = ';'
	got, err := r.ReadAll()
	if err != nil || !cmp.Equal(got, rows) {
		t.Errorf("read back %q, %v; want %q", got, err, rows)
	}

	// A lone empty field keeps the row separator.
	b.Reset()
	w, _ = NewWriter(&b, Format{Mode: "csv", RowSeparator: "\r\n"})
	w.Begin([]string{"a"})
	w.Row([]any{""})
	if b.String() != "\"\"\r\n" {
		t.Errorf("lone empty field: %q", b.String())
	}
}

func TestCheckSeparators(t *testing.T) {
	ok := [][3]string{{"tsv", "anything", "at all"}, {"csv", ";", ""}, {"csv", "\t", "\r\n"}, {"csv", "é", "\n"}, {"csv", "", ""}}
	for _, c := range ok {
		if err := CheckSeparators(c[0], c[1], c[2]); err != nil {
			t.Errorf("%q: %v", c, err)
		}
	}
	bad := [][3]string{{"csv", "ab", ""}, {"csv", `"`, ""}, {"csv", "\n", ""}, {"csv", ",", ";"}, {"csv", "\xff", ""},
		{"table", ",", ""}, {"json", ",", ""}, {"jsonl", ",", ""}, {"markdown", ",", ""}, {"line", ",", ""}}
	for _, c := range bad {
		if err := CheckSeparators(c[0], c[1], c[2]); err == nil {
			t.Errorf("%q: no error", c)
		}
		if _, err := NewWriter(&bytes.Buffer{}, Format{Mode: c[0], Separator: c[1], RowSeparator: c[2]}); err == nil {
			t.Errorf("NewWriter %q: no error", c)
		}
	}
}
