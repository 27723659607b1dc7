package moment

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"netsql/tables/engine"
)

// WriteDiffText prints a diff for people: a line saying what was compared,
// then per table the counts and one line per change (+ added, - removed,
// ~ changed, ! replaced, Δ counters).
func WriteDiffText(w io.Writer, res *DiffResult, datasets []*engine.Dataset) error {
	ew := &errWriter{w: w}
	ew.printf("%s (taken %s) against %s (taken %s): %s apart\n", res.Old, res.OldAt.Format(time.RFC3339),
		res.New, res.NewAt.Format(time.RFC3339), res.Elapsed.Round(time.Millisecond))
	byTable := map[string][]Change{}
	for _, c := range res.Changes {
		byTable[c.Table] = append(byTable[c.Table], c)
	}
	spec := map[string]*engine.Dataset{}
	for _, d := range datasets {
		spec[d.Name] = d
	}
	var quiet []string
	for _, t := range res.Tables {
		changes := byTable[t.Table]
		if len(changes) == 0 {
			quiet = append(quiet, t.Table)
			continue
		}
		var parts []string
		for _, p := range []struct {
			n    int
			word string
		}{{t.Added, "added"}, {t.Removed, "removed"}, {t.Changed, "changed"}, {t.Replaced, "replaced"}, {t.CounterRows, "with counters moved"}} {
			if p.n > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", p.n, p.word))
			}
		}
		ew.printf("\n%s: %s\n", t.Table, strings.Join(parts, ", "))
		d := spec[t.Table]
		for _, c := range changes {
			ew.printf("  %s %s%s\n", mark[c.Change], keyText(c.Key, d.Diff.Key), detail(c, d))
		}
	}
	if len(quiet) > 0 {
		ew.printf("\nno change in: %s\n", strings.Join(quiet, ", "))
	}
	if len(res.Skipped) > 0 {
		ew.printf("not compared (in one moment only): %s\n", strings.Join(res.Skipped, ", "))
	}
	return ew.err
}

var mark = map[string]string{"added": "+", "removed": "-", "changed": "~", "replaced": "!", "counters": "Δ"}

// keyText is the key's non-NULL values, in the declared order.
func keyText(key map[string]any, order []string) string {
	var parts []string
	for _, k := range order {
		if v := key[k]; v != nil {
			parts = append(parts, fmt.Sprintf("%s=%v", k, v))
		}
	}
	return strings.Join(parts, " ")
}

// detail is what a change line adds to its key.
func detail(c Change, d *engine.Dataset) string {
	var parts []string
	switch c.Change {
	case "added", "removed":
		row := c.After
		if row == nil {
			row = c.Before
		}
		for _, k := range append(append([]string{}, d.Diff.Identity...), stateLike(row)...) {
			if v := row[k]; v != nil {
				parts = append(parts, fmt.Sprintf("%s=%v", k, v))
			}
		}
		if len(parts) > 0 {
			return "  (" + strings.Join(parts, " ") + ")"
		}
		return ""
	case "changed", "replaced":
		for _, col := range c.Columns {
			parts = append(parts, fmt.Sprintf("%s %v → %v", col, show(c.Before[col]), show(c.After[col])))
		}
	}
	names := make([]string, 0, len(c.Delta))
	for n := range c.Delta {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		text := fmt.Sprintf("%s %+d", n, c.Delta[n])
		if c.ElapsedS > 0 {
			text += fmt.Sprintf(" (%.4g/s)", float64(c.Delta[n])/c.ElapsedS)
		}
		parts = append(parts, text)
	}
	return ": " + strings.Join(parts, ", ")
}

// stateLike picks the columns worth showing beside an added or removed
// row's key: its state and owner, where the table has them.
func stateLike(row map[string]any) []string {
	var out []string
	for _, k := range []string{"state", "process", "value"} {
		if _, ok := row[k]; ok {
			out = append(out, k)
		}
	}
	return out
}

func show(v any) any {
	if v == nil {
		return "NULL"
	}
	return v
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}
