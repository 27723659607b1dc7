package sqlshell

import (
	"context"
	"errors"
	"fmt"
	"os"

	"netsql/queries"
	"netsql/sqlshell/prompt"
	"netsql/tables/moment"
)

// The dot-commands that run files and saved queries: .run, .queries,
// .read.

func (ss *session) dotRun(ctx context.Context, from origin, args []string) error {
	if err := argCount(".run", args, 1, 1, "NAME"); err != nil {
		return err
	}
	list, err := ss.loadQueries()
	if err != nil {
		return err
	}
	q, err := queries.Find(list, args[0])
	if err != nil {
		return err
	}
	if ss.depth >= 16 {
		return errors.New(".run: nested too deeply")
	}
	ss.depth++
	defer func() { ss.depth-- }()
	ss.nestedRun(q.SQL)
	return ss.runText(ctx, origin{name: "query " + q.Name}, q.SQL)
}

func (ss *session) dotQueries(_ context.Context, _ origin, args []string) error {
	if err := argCount(".queries", args, 0, 0, ""); err != nil {
		return err
	}
	list, err := ss.loadQueries()
	if err != nil {
		return err
	}
	var rows [][]any
	for _, q := range list {
		if q.Problem != nil {
			// A broken file of the user's: named, not listed; .run NAME still runs it.
			fmt.Fprintf(ss.sh.errOut, "warning: %v: skipped\n", q.Problem)
			continue
		}
		rows = append(rows, []any{q.Name, q.Description})
	}
	return ss.printResult([]string{"name", "description"}, rows)
}

// dotSave writes one moment of every table (or the tables named) to FILE,
// as --save does; with .snapshot on, the kept moment.
func (ss *session) dotSave(ctx context.Context, _ origin, args []string) error {
	if len(args) == 0 {
		return errors.New(".save: usage: .save FILE [TABLE ...] (add --force first to replace FILE)")
	}
	force := args[0] == "--force"
	if force {
		args = args[1:]
	}
	if len(args) == 0 {
		return errors.New(".save: usage: .save [--force] FILE [TABLE ...]")
	}
	res, err := moment.Save(ctx, ss.sh.eng, prompt.ExpandHome(args[0]), moment.Options{Tables: args[1:], Force: force, Version: ss.sh.Version})
	if err != nil {
		return fmt.Errorf(".save %v", err)
	}
	if !ss.sh.Quiet {
		for _, w := range res.Warnings {
			fmt.Fprintln(ss.sh.errOut, w)
		}
	}
	total := 0
	for _, n := range res.Rows {
		total += n
	}
	return ss.printText(fmt.Sprintf("saved %d tables, %d rows, to %s\n", len(res.Rows), total, args[0]))
}

func (ss *session) dotRead(ctx context.Context, _ origin, args []string) error {
	if err := argCount(".read", args, 1, 1, "FILE"); err != nil {
		return err
	}
	data, err := os.ReadFile(prompt.ExpandHome(args[0]))
	if err != nil {
		return err
	}
	if ss.depth >= 16 {
		return errors.New(".read: nested too deeply")
	}
	ss.depth++
	defer func() { ss.depth-- }()
	ss.nestedRun(string(data))
	return ss.runText(ctx, origin{name: args[0]}, string(data))
}
