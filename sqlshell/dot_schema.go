package sqlshell

import (
	"context"
	"fmt"
	"strings"

	"netsql/tables/engine"
)

// The dot-commands about tables and help (.help, .tables, .schema), and
// the vocabulary Tab completes from.

// refreshTables reads the tables and views the user made, so that Tab
// completes them and their columns beside the datasets.
func (ss *session) refreshTables(ctx context.Context) {
	objs, err := ss.userObjects(ctx)
	if err != nil {
		objs = nil // completion only: the datasets still complete
	}
	var names []string
	columns := map[string][]string{}
	for _, d := range ss.sh.eng.Datasets() {
		names = append(names, d.Name)
		for _, col := range d.Columns {
			columns[d.Name] = append(columns[d.Name], col.Name)
		}
	}
	for _, o := range objs {
		names = append(names, o.name)
		columns[o.name] = o.columns
	}
	ss.vocab.SetTables(names, columns)
}

// loadFunctions reads the SQL functions the engine knows, for completion.
func (ss *session) loadFunctions(ctx context.Context) {
	rows, err := ss.sh.eng.Conn().QueryContext(ctx,
		"SELECT DISTINCT name FROM pragma_function_list WHERE name GLOB '[a-z]*' ORDER BY name")
	if err != nil {
		return
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var name string
		if rows.Scan(&name) == nil {
			names = append(names, name)
		}
	}
	ss.vocab.SetFunctions(names)
}

// userObject is a table or view the user created in the in-memory
// database.
type userObject struct {
	name, kind, sql string
	columns         []string
}

// userObjects lists the user's tables and views; they read no dataset to
// be listed, so no Statement is needed.
func (ss *session) userObjects(ctx context.Context) ([]userObject, error) {
	conn := ss.sh.eng.Conn()
	rows, err := conn.QueryContext(ctx, `
		SELECT name, type, coalesce(sql, '') FROM sqlite_schema
		WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\_%' ESCAPE '\'
		UNION ALL
		SELECT name, type, coalesce(sql, '') FROM sqlite_temp_schema
		WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\_%' ESCAPE '\'
		ORDER BY 1`)
	if err != nil {
		return nil, err
	}
	var objs []userObject
	for rows.Next() {
		var o userObject
		if err := rows.Scan(&o.name, &o.kind, &o.sql); err != nil {
			rows.Close()
			return nil, err
		}
		if engine.Find(ss.sh.eng.Datasets(), o.name) == nil {
			objs = append(objs, o)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range objs {
		cols, err := conn.QueryContext(ctx, "SELECT name FROM pragma_table_info(?)", objs[i].name)
		if err != nil {
			continue
		}
		for cols.Next() {
			var name string
			if cols.Scan(&name) == nil {
				objs[i].columns = append(objs[i].columns, name)
			}
		}
		cols.Close()
	}
	return objs, nil
}

// dotHelp lists the dot-commands from the one table in dot.go, or those
// whose name begins with its argument (the dot may be left out).
func (ss *session) dotHelp(_ context.Context, _ origin, args []string) error {
	if err := argCount(".help", args, 0, 1, "[COMMAND]"); err != nil {
		return err
	}
	cmds := dotCommands()
	if len(args) == 1 {
		prefix := "." + strings.TrimPrefix(args[0], ".")
		var some []dotCommand
		for _, c := range cmds {
			if strings.HasPrefix(c.name, prefix) {
				some = append(some, c)
			}
		}
		if len(some) == 0 {
			return fmt.Errorf("no command begins with %s (.help lists them)", prefix)
		}
		return ss.printText(helpText(some))
	}
	return ss.printText(helpText(cmds) + "\n" + helpNotes)
}

// helpNotes ends the full .help.
const helpNotes = `A command may be shortened to any beginning that no other command shares
(.tab for .tables); .q is .quit, and .h is .help, or .headers when on|off follows.
SQL statements end with ; and may span lines. Tab completes; Ctrl-C cancels a statement;
Ctrl-D leaves (running a last statement that lacks only its ;).
`

// helpMarkdown is the README's list of dot-commands, generated from the
// same table as .help.
func helpMarkdown() string {
	var b strings.Builder
	b.WriteString("| command | what it does |\n| --- | --- |\n")
	for _, c := range dotCommands() {
		usage := strings.TrimSpace(c.name + " " + c.usage)
		fmt.Fprintf(&b, "| `%s` | %s |\n", strings.ReplaceAll(usage, "|", "\\|"), strings.ReplaceAll(c.help, "|", "\\|"))
	}
	return b.String()
}

// helpText is one line per command: its name, arguments and help.
func helpText(cmds []dotCommand) string {
	width := 0
	for _, c := range cmds {
		width = max(width, len(c.name)+1+len(c.usage))
	}
	var b strings.Builder
	for _, c := range cmds {
		fmt.Fprintf(&b, "%-*s  %s\n", width, strings.TrimSpace(c.name+" "+c.usage), c.help)
	}
	return b.String()
}

func (ss *session) dotTables(ctx context.Context, _ origin, args []string) error {
	if err := argCount(".tables", args, 0, 1, "[PATTERN]"); err != nil {
		return err
	}
	pattern := "%"
	if len(args) == 1 {
		pattern = args[0]
	}
	var rows [][]any
	for _, d := range ss.sh.eng.Datasets() {
		if likeMatch(pattern, d.Name) {
			rows = append(rows, []any{d.Name, d.Doc})
		}
	}
	objs, err := ss.userObjects(ctx)
	if err != nil {
		return err
	}
	for _, o := range objs {
		if likeMatch(pattern, o.name) {
			rows = append(rows, []any{o.name, "your " + o.kind})
		}
	}
	if len(rows) == 0 {
		return fmt.Errorf("no table matches %q", pattern)
	}
	return ss.printResult([]string{"table_name", "description"}, rows)
}

func (ss *session) dotSchema(ctx context.Context, _ origin, args []string) error {
	if err := argCount(".schema", args, 0, 1, "[TABLE]"); err != nil {
		return err
	}
	pattern := "%"
	if len(args) == 1 {
		pattern = args[0]
	}
	var parts []string
	for _, d := range ss.sh.eng.Datasets() {
		if likeMatch(pattern, d.Name) {
			parts = append(parts, d.CreateTableSQL())
		}
	}
	objs, err := ss.userObjects(ctx)
	if err != nil {
		return err
	}
	for _, o := range objs {
		if likeMatch(pattern, o.name) {
			parts = append(parts, o.sql+";")
		}
	}
	if len(parts) == 0 {
		return fmt.Errorf("no table matches %q (.tables lists them)", pattern)
	}
	return ss.printText(strings.Join(parts, "\n\n") + "\n")
}

// likeMatch matches s against an SQL LIKE pattern (% any run, _ any one
// character), ignoring case.
func likeMatch(pattern, s string) bool {
	p, r := []rune(strings.ToLower(pattern)), []rune(strings.ToLower(s))
	// match[j] reports whether p[:i] matches r[:j].
	match := make([]bool, len(r)+1)
	match[0] = true
	for i := 0; i < len(p); i++ {
		next := make([]bool, len(r)+1)
		for j := 0; j <= len(r); j++ {
			switch p[i] {
			case '%':
				next[j] = match[j] || j > 0 && next[j-1]
			case '_':
				next[j] = j > 0 && match[j-1]
			default:
				next[j] = j > 0 && match[j-1] && r[j-1] == p[i]
			}
		}
		match = next
	}
	return match[len(r)]
}
