package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"syscall"
	"unicode"

	"netsql/queries"
	"netsql/sqlshell"
	"netsql/sqlshell/output"
	"netsql/tables"
)

// The manual page and the shell completion scripts are generated from the
// same definitions --help, .help and the prompt's completion read: the
// flag set (newFlagSet), the dot-command table, the registry of tables,
// the saved queries and the output modes. netsql.1 in the repository is
// `netsql --man`, and a test fails when it is not current.

// writeDoc writes one generated document to stdout.
func writeDoc(stdout, stderr io.Writer, flagName string, write func(io.Writer) error) int {
	w := bufio.NewWriter(stdout)
	err := write(w)
	if err == nil {
		err = w.Flush()
	}
	if err != nil && !errors.Is(err, syscall.EPIPE) {
		fmt.Fprintf(stderr, "netsql: %s: %v\n", flagName, err)
		return exitFailed
	}
	return exitOK
}

// docFlag is one flag as the documents show it.
type docFlag struct {
	name  string // "o", "schema"
	arg   string // the value's name ("MODE"), "" for a bool flag
	usage string
}

// dash is the flag as people type it: -o, --schema (Go takes either).
func (f docFlag) dash() string {
	if len(f.name) == 1 {
		return "-" + f.name
	}
	return "--" + f.name
}

func docFlags() []docFlag {
	var flags []docFlag
	newFlagSet(&options{}).VisitAll(func(f *flag.Flag) {
		arg, usage := flag.UnquoteUsage(f)
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			arg = ""
		} else if arg == "value" {
			arg = "VALUE"
		}
		flags = append(flags, docFlag{name: f.Name, arg: arg, usage: usage})
	})
	return flags
}

// roff escapes text for a roff line: backslashes, and a leading dot or
// quote that roff would take for a request; a character beyond ASCII
// (the … of --wrap) is written as its \[uXXXX] escape, which needs no
// preconv.
func roff(s string) string {
	s = strings.ReplaceAll(s, `\`, `\e`)
	s = strings.ReplaceAll(s, "-", `\-`)
	if strings.ContainsFunc(s, func(r rune) bool { return r > unicode.MaxASCII }) {
		var b strings.Builder
		for _, r := range s {
			if r > unicode.MaxASCII {
				fmt.Fprintf(&b, `\[u%04X]`, r)
			} else {
				b.WriteRune(r)
			}
		}
		s = b.String()
	}
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	return s
}

// manPage writes netsql(1) in roff (man(7) macros).
func manPage(w io.Writer) error {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	p(`.TH NETSQL 1 "" "netsql %s" "User Commands"`, version)
	p(`.SH NAME`)
	p(`netsql \- query this machine's sockets, processes, routes and counters with SQL`)
	p(`.SH SYNOPSIS`)
	p(`.B netsql`)
	p(`[\fIflags\fR] [\fISQL\fR] [\fIflags\fR]`)
	p(`.SH DESCRIPTION`)
	p(`netsql shows a Linux machine's network state \(em what netstat, ss, ip and lsof \-i show \(em as tables of one in\-memory SQLite database.`)
	p(`Each table is collected from the kernel only when a statement reads it, once per statement, so joins and self\-joins see one moment.`)
	p(`Given SQL (as an argument, with \fB\-e\fR, \fB\-f\fR or on standard input) it runs it and exits; on a terminal without SQL it opens an interactive prompt.`)
	p(`Flags may come before or after the SQL; \fB\-\-\fR ends them.`)
	p(`.SH OPTIONS`)
	for _, f := range docFlags() {
		p(`.TP`)
		if f.arg == "" {
			p(`.B %s`, roff(f.dash()))
		} else {
			p(`.BI "%s " %s`, roff(f.dash()), roff(f.arg))
		}
		p(`%s`, roff(f.usage))
	}
	p(`.SH OUTPUT MODES`)
	p(`%s.`, roff(output.ModeHelp))
	p(`table is the default on a terminal, tsv when the output is piped.`)
	p(`.SH DOT-COMMANDS`)
	p(`At the prompt, in \fB\-f\fR files and on standard input:`)
	for _, d := range sqlshell.DotCommandDocs() {
		p(`.TP`)
		if d.Usage == "" {
			p(`.B %s`, roff(d.Name))
		} else {
			p(`.BI "%s " "%s"`, roff(d.Name), roff(d.Usage))
		}
		p(`%s`, roff(d.Help))
	}
	p(`.SH TABLES`)
	p(`\fB\-\-schema\fR \fITABLE\fR prints each table's columns with their descriptions.`)
	for _, d := range tables.All {
		p(`.TP`)
		p(`.B %s`, roff(d.Name))
		p(`%s`, roff(d.Doc))
	}
	p(`.SH SAVED QUERIES`)
	p(`Run with \fB\-q\fR \fINAME\fR or \fB.run\fR \fINAME\fR; files of your own in $XDG_CONFIG_HOME/netsql/queries (else ~/.config/netsql/queries) add or replace them, each starting with a \fB\-\- description:\fR line.`)
	saved, err := queries.Load("")
	if err != nil {
		return err
	}
	sort.Slice(saved, func(i, j int) bool { return saved[i].Name < saved[j].Name })
	for _, q := range saved {
		p(`.TP`)
		p(`.B %s`, roff(q.Name))
		p(`%s`, roff(q.Description))
	}
	p(`.SH EXIT STATUS`)
	p(`0 success (also when the reader of the output goes away); 1 a statement failed or hit \fB\-\-timeout\fR; 2 a usage error; 130 interrupted (SIGINT); 143 terminated (SIGTERM).`)
	p(`.SH FILES`)
	p(`.TP`)
	p(`.I ~/.netsqlrc`)
	p(`run at the start of the interactive prompt (\fB\-\-init\fR, \fB\-\-no\-init\fR)`)
	p(`.TP`)
	p(`.I $XDG_STATE_HOME/netsql/history`)
	p(`the prompt's history (else ~/.netsql_history; $NETSQL_HISTORY overrides both)`)
	p(`.SH EXAMPLES`)
	p(`.nf`)
	p(`netsql "SELECT proto, local_port, pid, process FROM sockets WHERE state = 'LISTEN'"`)
	p(`netsql \-q listening \-o json`)
	p(`netsql \-\-schema 'sock%%'`)
	p(`.fi`)
	p(`.SH SEE ALSO`)
	p(`.BR ss (8),`)
	p(`.BR netstat (8),`)
	p(`.BR ip (8),`)
	p(`.BR lsof (8),`)
	p(`.BR sqlite3 (1)`)
	return nil
}

// completions are the shell completion scripts by shell. Each completes
// flags, output modes, saved query names (-q) and table names (--schema,
// and words of the SQL argument) by asking netsql itself, so queries of
// the user's own and tables of a newer netsql complete too.
var completions = map[string]func(io.Writer) error{
	"bash": bashCompletion,
	"zsh":  zshCompletion,
	"fish": fishCompletion,
}

// The commands the scripts run to list names, one per line.
const (
	listQueriesCmd = "netsql --list-queries -o tsv --no-header 2>/dev/null | cut -f1"
	listTablesCmd  = "netsql --list-tables -o tsv --no-header 2>/dev/null | cut -f1"
)

// valueKind is what a flag's value completes to.
func valueKind(f docFlag) string {
	switch f.name {
	case "o":
		return "mode"
	case "q":
		return "query"
	case "schema":
		return "table"
	case "completion":
		return "shell"
	case "f", "init":
		return "file"
	case "root", "proc", "sys":
		return "dir"
	}
	if f.arg == "" {
		return ""
	}
	return "text"
}

func bashCompletion(w io.Writer) error {
	var words []string
	cases := map[string][]string{}
	for _, f := range docFlags() {
		words = append(words, f.dash())
		if k := valueKind(f); k != "" {
			cases[k] = append(cases[k], f.dash())
		}
	}
	arm := func(kind, body string) string {
		if len(cases[kind]) == 0 {
			return ""
		}
		return fmt.Sprintf("\t%s)\n\t\t%s\n\t\treturn ;;\n", strings.Join(cases[kind], "|"), body)
	}
	reply := func(words string) string { return `COMPREPLY=($(compgen -W "` + words + `" -- "$cur"))` }
	_, err := fmt.Fprintf(w, `# bash completion for netsql: source it, or put it in
# /usr/share/bash-completion/completions/netsql (netsql --completion bash).
_netsql() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
	case $prev in
%s%s%s%s%s%s%s	esac
	if [[ $cur == -* ]]; then
		%s
	else
		%s
	fi
}
complete -o default -F _netsql netsql
`,
		arm("mode", reply(strings.Join(output.Modes, " "))),
		arm("query", reply("$("+listQueriesCmd+")")),
		arm("table", reply("all $("+listTablesCmd+")")),
		arm("shell", reply("bash zsh fish")),
		arm("file", `COMPREPLY=($(compgen -f -- "$cur"))`),
		arm("dir", `COMPREPLY=($(compgen -d -- "$cur"))`),
		arm("text", `COMPREPLY=()`),
		reply(strings.Join(words, " ")),
		reply("$("+listTablesCmd+")"))
	return err
}

func zshCompletion(w io.Writer) error {
	var specs []string
	for _, f := range docFlags() {
		help := strings.NewReplacer("[", "(", "]", ")", "'", "", ":", " ").Replace(f.usage)
		if i := strings.Index(help, ";"); i > 0 {
			help = help[:i]
		}
		action := ""
		switch valueKind(f) {
		case "mode":
			action = ":mode:(" + strings.Join(output.Modes, " ") + ")"
		case "query":
			action = ":query:_netsql_queries"
		case "table":
			action = ":table:_netsql_tables"
		case "shell":
			action = ":shell:(bash zsh fish)"
		case "file":
			action = ":file:_files"
		case "dir":
			action = ":directory:_files -/"
		case "text":
			action = ":" + strings.ToLower(f.arg) + ": "
		}
		specs = append(specs, fmt.Sprintf("\t\t'%s[%s]%s' \\", f.dash(), help, action))
	}
	_, err := fmt.Fprintf(w, `#compdef netsql
# zsh completion for netsql: put it in a directory of $fpath as _netsql
# (netsql --completion zsh > ~/.zfunc/_netsql), or source it.
_netsql_queries() {
	local -a names
	names=(${(f)"$(%s)"})
	compadd -a names
}
_netsql_tables() {
	local -a names
	names=(all ${(f)"$(%s)"})
	compadd -a names
}
_netsql() {
	_arguments \
%s
		'*:table:_netsql_tables'
}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
	_netsql "$@"
else
	compdef _netsql netsql
fi
`, listQueriesCmd, listTablesCmd, strings.Join(specs, "\n"))
	return err
}

func fishCompletion(w io.Writer) error {
	var lines []string
	for _, f := range docFlags() {
		opt := "-l " + f.name
		if len(f.name) == 1 {
			opt = "-s " + f.name
		}
		desc := strings.ReplaceAll(f.usage, "'", `\'`)
		args := ""
		switch valueKind(f) {
		case "mode":
			args = " -x -a '" + strings.Join(output.Modes, " ") + "'"
		case "query":
			args = " -x -a '(netsql --list-queries -o tsv --no-header 2>/dev/null)'"
		case "table":
			args = " -x -a '(" + strings.ReplaceAll(listTablesCmd, "'", `\'`) + "; echo all)'"
		case "shell":
			args = " -x -a 'bash zsh fish'"
		case "file":
			args = " -r -F"
		case "dir":
			args = " -x -a '(__fish_complete_directories)'"
		case "text":
			args = " -x"
		}
		lines = append(lines, fmt.Sprintf("complete -c netsql %s%s -d '%s'", opt, args, desc))
	}
	_, err := fmt.Fprintf(w, `# fish completion for netsql: netsql --completion fish > ~/.config/fish/completions/netsql.fish
complete -c netsql -f
complete -c netsql -n 'not string match -q -- "-*" (commandline -ct)' -a '(%s)'
%s
`, strings.ReplaceAll(listTablesCmd, "'", `\'`), strings.Join(lines, "\n"))
	return err
}
