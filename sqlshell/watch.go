package sqlshell

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"netsql/sqlshell/output"
	"netsql/sqlshell/sqltext"
	"netsql/tables/engine"
	"netsql/tables/moment"
)

// WatchOptions are what --watch was asked.
type WatchOptions struct {
	Interval time.Duration
	Count    int  // stop after this many runs; 0 runs until interrupted
	Terminal bool // redraw in place, changed rows marked; else print only changes
}

// Watch reruns one statement at an interval (--watch). On a terminal it
// redraws the whole result each time with the time and the interval, and
// marks the rows that were not in the previous result, as watch -d does.
// Piped, it prints only what changed since the previous run: each row
// that came (+) or went (-), with the time, as tsv/csv rows with a change
// column first or as one JSON line each (-o jsonl). The previous run's
// moment is the schema prev (moment.Prev), for rates. Ctrl-C (ctx) ends it
// without an error.
func (s *Shell) Watch(ctx context.Context, text string, opt WatchOptions) error {
	stmts := sqltext.Split(text)
	if len(stmts) != 1 {
		return fmt.Errorf("--watch runs one statement, got %d", len(stmts))
	}
	query := stmts[0].Text
	if !opt.Terminal && s.Format.Mode == "json" {
		return errors.New("--watch piped prints changes as they come: use -o jsonl, tsv or csv, not json")
	}
	args, err := s.bindArgs(query)
	if err != nil {
		return &StatementError{Msg: err.Error()}
	}
	prev, err := moment.OpenPrev(ctx, s.eng)
	if err != nil {
		return err
	}
	var last map[string]int // the previous result's rows, counted
	var lastRows [][]any
	// Piped, the runs' changes are one run's results (output.Stream): tsv
	// and csv print their header once, as the columns stay the same.
	stream := output.NewStream(false)
	for run := 1; opt.Count == 0 || run <= opt.Count; run++ {
		start := time.Now()
		runCtx, cancel := ctx, context.CancelFunc(func() {})
		if s.Timeout > 0 {
			runCtx, cancel = context.WithTimeout(ctx, s.Timeout)
		}
		var cols []string
		var rows [][]any
		first := prev.First()
		err := prev.Run(runCtx, func() error {
			c, r, warnings, err := s.eng.Query(runCtx, query, args...)
			cols, rows = c, r
			if !s.Quiet {
				for _, w := range warnings {
					fmt.Fprintln(s.errOut, w)
				}
			}
			return err
		})
		cancel()
		if ctx.Err() != nil {
			return nil // Ctrl-C: a clean end
		}
		if err != nil {
			return &StatementError{Where: fmt.Sprintf("run %d", run), Msg: engine.CleanError(err)}
		}
		now := map[string]int{}
		for _, r := range rows {
			now[rowKey(r)]++
		}
		if opt.Terminal {
			err = s.drawWatch(query, opt.Interval, start, first, cols, rows, last)
		} else {
			err = s.printChanges(stream, start, run == 1, cols, rows, lastRows, last, now)
		}
		if err != nil {
			if isClosedPipe(err) {
				return ErrOutputClosed
			}
			return err
		}
		last, lastRows = now, rows
		if opt.Count != 0 && run == opt.Count {
			break
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Until(start.Add(opt.Interval))):
		}
	}
	return nil
}

// rowKey tells rows apart by every value and its type.
func rowKey(r []any) string {
	var b strings.Builder
	for _, v := range r {
		fmt.Fprintf(&b, "%T:%v\x00", v, v)
	}
	return b.String()
}

// drawWatch redraws the screen: a header, then the result with a first
// column marking (*) the rows the previous result did not have.
func (s *Shell) drawWatch(query string, interval time.Duration, at time.Time, first bool, cols []string, rows [][]any, last map[string]int) error {
	line, _, _ := strings.Cut(strings.TrimSpace(query), "\n")
	f := s.format() // on the terminal: fitted to its width, values escaped
	title := fmt.Sprintf("%s  every %v  %s\n", at.Format("15:04:05"), interval, line)
	if first {
		title += "first run: values are totals, and changes are marked from the next run\n"
	}
	fmt.Fprint(s.out, "\x1b[H\x1b[2J"+output.ForTerminal(title, f.Width))
	w, err := output.NewWriter(s.out, f)
	if err != nil {
		return err
	}
	if err := w.Begin(append([]string{"Δ"}, cols...)); err != nil {
		return err
	}
	seen := map[string]int{}
	for _, r := range rows {
		k := rowKey(r)
		seen[k]++
		mark := ""
		if !first && seen[k] > last[k] {
			mark = "*"
		}
		if err := w.Row(append([]any{mark}, r...)); err != nil {
			return err
		}
	}
	if err := w.End(); err != nil {
		return err
	}
	return s.out.Flush()
}

// printChanges prints the rows that came and went since the previous run,
// as the next result of stream; a later run without changes prints nothing.
func (s *Shell) printChanges(stream *output.Stream, at time.Time, first bool, cols []string, rows, lastRows [][]any, last, now map[string]int) error {
	type change struct {
		sign string
		row  []any
	}
	var changes []change
	seen := map[string]int{}
	for _, r := range lastRows {
		k := rowKey(r)
		seen[k]++
		if seen[k] > now[k] {
			changes = append(changes, change{"-", r})
		}
	}
	clear(seen)
	for _, r := range rows {
		k := rowKey(r)
		seen[k]++
		if seen[k] > last[k] {
			changes = append(changes, change{"+", r})
		}
	}
	when := at.UTC().Format(time.RFC3339Nano)
	if s.Format.Mode == "jsonl" {
		enc := json.NewEncoder(s.out)
		enc.SetEscapeHTML(false)
		for _, c := range changes {
			obj := make(map[string]any, len(cols))
			for i, col := range cols {
				obj[col] = jsonValue(c.row[i])
			}
			kind := map[string]string{"+": "added", "-": "removed"}[c.sign]
			if err := enc.Encode(map[string]any{"time": when, "change": kind, "row": obj}); err != nil {
				return err
			}
		}
		return s.out.Flush()
	}
	if len(changes) == 0 && !first {
		return nil
	}
	w, err := stream.Writer(s.out, s.format())
	if err != nil {
		return err
	}
	if err := w.Begin(append([]string{"time", "change"}, cols...)); err != nil {
		return err
	}
	for _, c := range changes {
		if err := w.Row(append([]any{when, c.sign}, c.row...)); err != nil {
			return err
		}
	}
	if err := w.End(); err != nil {
		return err
	}
	return s.out.Flush()
}

// jsonValue keeps text as text in JSON ([]byte would be base64).
func jsonValue(v any) any {
	if b, ok := v.([]byte); ok {
		return string(b)
	}
	return v
}
