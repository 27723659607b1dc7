package sqltext

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSplit(t *testing.T) {
	cases := []struct {
		name string
		text string
		want []Statement
	}{
		{"empty", "", nil},
		{"only whitespace, comments and semicolons", " \n-- c\n/* d */ ;; ;\n", nil},
		{"one without semicolon", "SELECT 1", []Statement{{"SELECT 1", 1}}},
		{"several on one line", "SELECT 1; SELECT 2;SELECT 3;", []Statement{
			{"SELECT 1;", 1}, {"SELECT 2;", 1}, {"SELECT 3;", 1}}},
		{"semicolon in a string", "SELECT 'a;b', 'it''s;'; SELECT 2;", []Statement{
			{"SELECT 'a;b', 'it''s;';", 1}, {"SELECT 2;", 1}}},
		{"semicolon in quoted identifiers", "SELECT 1 AS \"x;y\", 2 AS `p;q`, 3 AS [r;s];", []Statement{
			{"SELECT 1 AS \"x;y\", 2 AS `p;q`, 3 AS [r;s];", 1}}},
		{"doubled double quote", `SELECT 1 AS "a"";b";`, []Statement{{`SELECT 1 AS "a"";b";`, 1}}},
		{"semicolon in a line comment", "SELECT 1 -- not here;\n, 2;\n", []Statement{
			{"SELECT 1 -- not here;\n, 2;", 1}}},
		{"semicolon in a block comment", "SELECT /* a; b\n c; */ 1;", []Statement{
			{"SELECT /* a; b\n c; */ 1;", 1}}},
		{"line numbers", "-- header\n\nSELECT 1;\n\n  SELECT\n  2;\nSELECT 3", []Statement{
			{"-- header\n\nSELECT 1;", 3}, {"SELECT\n  2;", 5}, {"SELECT 3", 7}}},
		{"multi-line string keeps line count", "SELECT 'a\nb';\nSELECT 2;", []Statement{
			{"SELECT 'a\nb';", 1}, {"SELECT 2;", 3}}},
		{"trigger body stays one statement",
			"CREATE TRIGGER t AFTER INSERT ON x BEGIN\n  INSERT INTO y VALUES (1);\n  DELETE FROM z;\nEND;\nSELECT 1;",
			[]Statement{
				{"CREATE TRIGGER t AFTER INSERT ON x BEGIN\n  INSERT INTO y VALUES (1);\n  DELETE FROM z;\nEND;", 1},
				{"SELECT 1;", 5}}},
		{"temp trigger, lower case", "create temp trigger t after insert on x begin select 1; end; select 2;", []Statement{
			{"create temp trigger t after insert on x begin select 1; end;", 1}, {"select 2;", 1}}},
		{"CASE ... END inside a trigger body", "CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT CASE WHEN 1 THEN 2 END; END; SELECT 3;", []Statement{
			{"CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT CASE WHEN 1 THEN 2 END; END;", 1}, {"SELECT 3;", 1}}},
		{"END outside a trigger is a plain word", "SELECT CASE WHEN 1 THEN 2 END; SELECT 3;", []Statement{
			{"SELECT CASE WHEN 1 THEN 2 END;", 1}, {"SELECT 3;", 1}}},
		{"unterminated string runs to the end", "SELECT 'abc; SELECT 2;", []Statement{{"SELECT 'abc; SELECT 2;", 1}}},
		{"unterminated block comment", "SELECT 1; /* SELECT 2;", []Statement{{"SELECT 1;", 1}}},
		{"non-ASCII words", "SELECT 'é;' AS café; SELECT 2", []Statement{{"SELECT 'é;' AS café;", 1}, {"SELECT 2", 1}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if diff := cmp.Diff(c.want, Split(c.text)); diff != "" {
				t.Errorf("Split(%q) (-want +got):\n%s", c.text, diff)
			}
		})
	}
}

func TestComplete(t *testing.T) {
	cases := []struct {
		text string
		want bool
	}{
		{"", false},
		{"   \n", false},
		{"SELECT 1", false},
		{"SELECT 1;", true},
		{"SELECT 1;  \n", true},
		{"SELECT 1; -- trailing comment", true},
		{"SELECT 1; SELECT 2", false},
		{"SELECT 'a;", false},
		{"SELECT 'a;'", false},
		{"SELECT 'a;';", true},
		{"SELECT \"x;", false},
		{"SELECT [x;", false},
		{"SELECT 1 -- ;", false},
		{"SELECT 1 -- ;\n;", true},
		{"SELECT 1 /* ; */", false},
		{"SELECT 1 /* ;", false},
		{"/* only a comment; */", false},
		{";", false},
		{"CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 1;", false},
		{"CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 1; END", false},
		{"CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 1; END;", true},
		{"CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT CASE 1 WHEN 1 THEN 2 END;", false},
		{"CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT CASE 1 WHEN 1 THEN 2 END; END;", true},
	}
	for _, c := range cases {
		if got := Complete(c.text); got != c.want {
			t.Errorf("Complete(%q) = %v, want %v", c.text, got, c.want)
		}
	}
}

// FuzzSplit checks that splitting never panics and never loses SQL text:
// the statements appear in the input in order.
func FuzzSplit(f *testing.F) {
	for _, seed := range []string{"SELECT 1; SELECT 'a;b'", "CREATE TRIGGER t BEGIN x; END;", "/* ; */ -- ;\n[a;]`b;`\"c;\"", "'"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		rest := text
		for _, st := range Split(text) {
			i := indexOf(rest, st.Text)
			if i < 0 {
				t.Fatalf("statement %q not found in order in %q", st.Text, text)
			}
			rest = rest[i+len(st.Text):]
		}
		Complete(text)
	})
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}
