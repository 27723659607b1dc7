package sqlshell

import (
	"context"
	"errors"
	"os"

	"netsql/queries"
	"netsql/sqlshell/prompt"
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
	rows := make([][]any, len(list))
	for i, q := range list {
		rows[i] = []any{q.Name, q.Description}
	}
	return ss.printResult([]string{"name", "description"}, rows)
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
