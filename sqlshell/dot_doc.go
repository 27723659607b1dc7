package sqlshell

// DotCommandDoc is one dot-command as .help shows it, for the manual page
// and the shell completions that main generates from the same table.
type DotCommandDoc struct {
	Name  string // ".tables"
	Usage string // its arguments, "[PATTERN]"; "" for none
	Help  string // one line
}

// DotCommandDocs lists the dot-commands in .help's order, from the one
// table that also runs and completes them.
func DotCommandDocs() []DotCommandDoc {
	cmds := dotCommands()
	docs := make([]DotCommandDoc, len(cmds))
	for i, c := range cmds {
		docs[i] = DotCommandDoc{Name: c.name, Usage: c.usage, Help: c.help}
	}
	return docs
}
