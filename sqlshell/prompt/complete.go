// Package prompt is what the interactive prompt needs besides the shell:
// the history file and Tab completion of SQL (keywords, tables, columns,
// functions, parameters) and of dot-commands, from a vocabulary the shell
// keeps up to date.
package prompt

import (
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"netsql/sqlshell/sqltext"
)

// sqlKeywords are SQLite's keywords (sqlite.org/lang_keywords.html), which
// Tab completes in the case the user types them.
var sqlKeywords = strings.Fields(`ABORT ACTION ADD AFTER ALL ALTER ALWAYS ANALYZE AND AS ASC ATTACH
	AUTOINCREMENT BEFORE BEGIN BETWEEN BY CASCADE CASE CAST CHECK COLLATE COLUMN COMMIT CONFLICT
	CONSTRAINT CREATE CROSS CURRENT CURRENT_DATE CURRENT_TIME CURRENT_TIMESTAMP DATABASE DEFAULT
	DEFERRABLE DEFERRED DELETE DESC DETACH DISTINCT DO DROP EACH ELSE END ESCAPE EXCEPT EXCLUDE
	EXCLUSIVE EXISTS EXPLAIN FAIL FILTER FIRST FOLLOWING FOR FOREIGN FROM FULL GENERATED GLOB GROUP
	GROUPS HAVING IF IGNORE IMMEDIATE IN INDEX INDEXED INITIALLY INNER INSERT INSTEAD INTERSECT INTO
	IS ISNULL JOIN KEY LAST LEFT LIKE LIMIT MATCH MATERIALIZED NATURAL NO NOT NOTHING NOTNULL NULL
	NULLS OF OFFSET ON OR ORDER OTHERS OUTER OVER PARTITION PLAN PRAGMA PRECEDING PRIMARY QUERY RAISE
	RANGE RECURSIVE REFERENCES REGEXP REINDEX RELEASE RENAME REPLACE RESTRICT RETURNING RIGHT
	ROLLBACK ROW ROWS SAVEPOINT SELECT SET TABLE TEMP TEMPORARY THEN TIES TO TRANSACTION TRIGGER
	UNBOUNDED UNION UNIQUE UPDATE USING VACUUM VALUES VIEW VIRTUAL WHEN WHERE WINDOW WITH WITHOUT`)

var isSQLKeyword = func() map[string]bool {
	m := make(map[string]bool, len(sqlKeywords))
	for _, k := range sqlKeywords {
		m[k] = true
	}
	return m
}()

// Vocabulary is what Tab offers besides keywords: the tables with their
// columns (the engine's datasets and the user's own tables and views), SQL
// functions, saved query names and parameter names. The prompt updates it
// between statements; completion reads it from readline's goroutine.
type Vocabulary struct {
	mu        sync.Mutex
	tables    []string            // names, datasets first
	columns   map[string][]string // by lower-cased table name
	functions []string
	Queries   func() []string // saved query names, read when asked
	Params    func() []string // bound parameter names
}

// SetTables replaces the tables and their columns.
func (v *Vocabulary) SetTables(names []string, columns map[string][]string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.tables = names
	v.columns = make(map[string][]string, len(columns))
	for name, cols := range columns {
		v.columns[strings.ToLower(name)] = cols
	}
}

func (v *Vocabulary) SetFunctions(names []string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.functions = names
}

func (v *Vocabulary) TableNames() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.tables
}

func (v *Vocabulary) functionNames() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.functions
}

// ColumnsOf returns the columns of a table, nil when it is not known.
func (v *Vocabulary) ColumnsOf(table string) []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.columns[strings.ToLower(table)]
}

func (v *Vocabulary) isTable(name string) bool {
	return v.ColumnsOf(name) != nil
}

// candidateKind decides how a candidate matches what was typed and in
// which case it is completed.
type CandidateKind int

const (
	KindName    CandidateKind = iota // a table, column, function or setting: any case matches
	KindKeyword                      // an SQL keyword: completed in the case typed
	KindLiteral                      // a file name: matched and completed exactly
)

// Candidate is one word Tab can complete to, and what follows it.
type Candidate struct {
	Word string
	Kind CandidateKind
	Tail string // " " after a keyword or a table, "(" after a function, "/" after a directory
}

// Command is what completion needs of one dot-command: its name and the
// candidates for its next argument. The shell's table of dot-commands is
// the one list; it hands the prompt this view of it.
type Command struct {
	Name string
	// Complete lists candidates for the argument after args; nil when the
	// command takes none worth completing.
	Complete func(v *Vocabulary, args []string, current string) []Candidate
}

// Completer is the prompt's readline.AutoCompleter.
type Completer struct {
	Vocab *Vocabulary
	// Pending returns the lines of the statement typed before this one
	// ("" at the main prompt), so that tables named on an earlier line
	// give their columns.
	Pending func() string
	// Commands lists the dot-commands (nil: none).
	Commands func() []Command
	// Resolve returns the full name of the command a typed name stands
	// for when arguments follow it (an abbreviation: .tab for .tables),
	// "" for none; nil takes only full names.
	Resolve func(typed string) string
}

// Do implements readline.AutoCompleter: it returns what may follow the
// word before pos, and the length of that word in runes.
func (c *Completer) Do(line []rune, pos int) ([][]rune, int) {
	before, after := string(line[:pos]), string(line[pos:])
	pending := ""
	if c.Pending != nil {
		pending = c.Pending()
	}
	prefix, cands := c.complete(pending, before, after)
	var out [][]rune
	seen := map[string]bool{}
	for _, s := range suffixes(prefix, cands) {
		if !seen[s] {
			seen[s] = true
			out = append(out, []rune(s))
		}
	}
	return out, utf8.RuneCountInString(prefix)
}

// complete returns the word being completed and the candidates for it,
// before filtering by that word.
func (c *Completer) complete(pending, before, after string) (prefix string, cands []Candidate) {
	if strings.TrimSpace(pending) == "" && strings.HasPrefix(strings.TrimLeft(before, " \t"), ".") {
		return c.completeDot(strings.TrimLeft(before, " \t"))
	}
	text := before
	if pending != "" {
		text = pending + "\n" + before
	}
	return c.completeSQL(text, after)
}

// suffixes turns the candidates that match prefix into the text to insert
// after it. Keywords follow the case typed (sel gives select, SEL gives
// SELECT); names keep their own case unless typed in capitals.
func suffixes(prefix string, cands []Candidate) []string {
	n := utf8.RuneCountInString(prefix)
	lower, upper := caseOf(prefix)
	var out []string
	for _, cand := range cands {
		word := cand.Word
		switch cand.Kind {
		case KindLiteral:
			if !strings.HasPrefix(word, prefix) {
				continue
			}
		default:
			if !hasPrefixFold(word, prefix) {
				continue
			}
			switch {
			case cand.Kind == KindKeyword && lower && !upper:
				word = strings.ToLower(word)
			case cand.Kind == KindKeyword:
				word = strings.ToUpper(word)
			case upper && !lower:
				word = strings.ToUpper(word)
			}
		}
		rest := []rune(word)[n:]
		out = append(out, string(rest)+cand.Tail)
	}
	return out
}

// caseOf tells whether s has lower-case and upper-case letters.
func caseOf(s string) (lower, upper bool) {
	for _, r := range s {
		lower = lower || unicode.IsLower(r)
		upper = upper || unicode.IsUpper(r)
	}
	return lower, upper
}

func hasPrefixFold(s, prefix string) bool {
	rs, rp := []rune(s), []rune(prefix)
	return len(rp) <= len(rs) && strings.EqualFold(string(rs[:len(rp)]), prefix)
}

// completeDot completes a dot-command's name, then its arguments.
func (c *Completer) completeDot(line string) (string, []Candidate) {
	if c.Commands == nil {
		return "", nil
	}
	cmds := c.Commands()
	name, rest, hasArgs := strings.Cut(line, " ")
	if !hasArgs {
		var cands []Candidate
		for _, cmd := range cmds {
			cands = append(cands, Candidate{Word: cmd.Name, Tail: " "})
		}
		return name, cands
	}
	if c.Resolve != nil {
		name = c.Resolve(name)
	}
	i := slices.IndexFunc(cmds, func(cmd Command) bool { return cmd.Name == name })
	if i < 0 || cmds[i].Complete == nil {
		return "", nil
	}
	words := strings.Fields(rest)
	current := ""
	if !strings.HasSuffix(rest, " ") && !strings.HasSuffix(rest, "\t") && len(words) > 0 {
		current = words[len(words)-1]
		words = words[:len(words)-1]
	}
	return current, cmds[i].Complete(c.Vocab, words, current)
}

// completeSQL completes a word of an SQL statement: a table after FROM or
// JOIN, a column after alias., a parameter after :, else a column of the
// statement's tables, a table, a function or a keyword.
func (c *Completer) completeSQL(text, after string) (string, []Candidate) {
	// No completion inside a string, a quoted identifier or a comment.
	sc := sqltext.Scanner{Src: text}
	stmtStart := 0
	for sc.Pos < len(text) {
		kind, tok := sc.Next()
		switch kind {
		case sqltext.Unterminated:
			return "", nil
		case sqltext.Comment:
			open := strings.HasPrefix(tok, "--") && !strings.HasSuffix(tok, "\n") ||
				strings.HasPrefix(tok, "/*") && (len(tok) < 4 || !strings.HasSuffix(tok, "*/"))
			if sc.Pos == len(text) && open {
				return "", nil
			}
		case sqltext.Semicolon:
			stmtStart = sc.Pos
		}
	}
	stmt := text[stmtStart:]
	i := len(stmt)
	for i > 0 && sqltext.IsWordByte(stmt[i-1]) && stmt[i-1] != '$' {
		i--
	}
	prefix, head := stmt[i:], stmt[:i]
	tail := after
	if j := strings.IndexByte(tail, ';'); j >= 0 {
		tail = tail[:j]
	}
	tables := c.statementTables(stmt + tail)

	switch {
	case strings.HasSuffix(head, "."):
		qualifier := head[:len(head)-1]
		j := len(qualifier)
		for j > 0 && sqltext.IsWordByte(qualifier[j-1]) {
			j--
		}
		table := qualifier[j:]
		if t, ok := tables[strings.ToLower(table)]; ok {
			table = t
		}
		return prefix, NameCandidates(c.Vocab.ColumnsOf(table), "")
	case strings.HasSuffix(head, ":") || strings.HasSuffix(head, "@") || strings.HasSuffix(head, "$"):
		if c.Vocab.Params == nil {
			return prefix, nil
		}
		return prefix, NameCandidates(c.Vocab.Params(), "")
	}

	prev, inFrom := previousToken(head)
	if prev == "FROM" || prev == "JOIN" || prev == "INTO" || prev == "UPDATE" || prev == "TABLE" || prev == "," && inFrom {
		return prefix, NameCandidates(c.Vocab.TableNames(), " ")
	}
	if prefix == "" {
		// An empty word offers only the columns of the statement's
		// tables: every keyword and function would bury them.
		return prefix, c.columnCandidates(tables)
	}
	cands := c.columnCandidates(tables)
	cands = append(cands, NameCandidates(c.Vocab.TableNames(), " ")...)
	cands = append(cands, NameCandidates(c.Vocab.functionNames(), "(")...)
	for _, k := range sqlKeywords {
		cands = append(cands, Candidate{Word: k, Kind: KindKeyword, Tail: " "})
	}
	return prefix, cands
}

// columnCandidates lists the columns of tables (alias -> table), each
// table once, sorted.
func (c *Completer) columnCandidates(tables map[string]string) []Candidate {
	seen := map[string]bool{}
	var names []string
	for _, table := range tables {
		for _, col := range c.Vocab.ColumnsOf(table) {
			if !seen[col] {
				seen[col] = true
				names = append(names, col)
			}
		}
	}
	sort.Strings(names)
	return NameCandidates(names, "")
}

func NameCandidates(names []string, tail string) []Candidate {
	out := make([]Candidate, len(names))
	for i, n := range names {
		out[i] = Candidate{Word: n, Tail: tail}
	}
	return out
}

// previousToken returns the last significant token of text, upper-cased,
// and whether it stands in a FROM clause (so that after a comma a table
// follows).
func previousToken(text string) (prev string, inFrom bool) {
	sc := sqltext.Scanner{Src: text}
	for sc.Pos < len(text) {
		kind, tok := sc.Next()
		switch kind {
		case sqltext.Space, sqltext.Comment:
			continue
		case sqltext.Word:
			prev = strings.ToUpper(tok)
			switch prev {
			case "FROM", "JOIN":
				inFrom = true
			case "WHERE", "GROUP", "ORDER", "HAVING", "LIMIT", "ON", "USING", "SELECT", "UNION",
				"EXCEPT", "INTERSECT", "WINDOW", "SET", "VALUES", "RETURNING":
				inFrom = false
			}
		case sqltext.Other:
			prev = tok
			if tok == "(" {
				inFrom = false
			}
		default:
			prev = tok
		}
	}
	return prev, inFrom
}

// statementTables finds the known tables a statement names after FROM,
// JOIN, UPDATE and INTO, and their aliases: it returns a map from every
// alias and table name (lower-cased) to the table. It reads statement text
// being typed, which no engine can prepare yet.
func (c *Completer) statementTables(stmt string) map[string]string {
	var toks []string
	sc := sqltext.Scanner{Src: stmt}
	for sc.Pos < len(stmt) {
		kind, tok := sc.Next()
		if kind == sqltext.Word || kind == sqltext.Other || kind == sqltext.Unterminated {
			toks = append(toks, tok)
		}
	}
	out := map[string]string{}
	inFrom, expectTable := false, false
	for i := 0; i < len(toks); i++ {
		tok, upper := toks[i], strings.ToUpper(toks[i])
		switch {
		case upper == "FROM" || upper == "JOIN":
			inFrom, expectTable = true, true
			continue
		case upper == "UPDATE" || upper == "INTO":
			expectTable = true
			continue
		case tok == "," && inFrom:
			expectTable = true
			continue
		case tok == "(":
			expectTable = false
			continue
		}
		if !expectTable {
			switch upper {
			case "WHERE", "GROUP", "ORDER", "HAVING", "LIMIT", "ON", "USING", "SELECT", "UNION",
				"EXCEPT", "INTERSECT", "WINDOW", "SET", "VALUES", "RETURNING":
				inFrom = false
			}
			continue
		}
		expectTable = false
		name := unquoteIdent(tok)
		if !c.Vocab.isTable(name) {
			continue
		}
		out[strings.ToLower(name)] = name
		next := i + 1
		if next < len(toks) && strings.EqualFold(toks[next], "AS") {
			next++
		}
		if next < len(toks) && isAlias(toks[next]) {
			out[strings.ToLower(unquoteIdent(toks[next]))] = name
			i = next
		}
	}
	return out
}

// isAlias reports whether tok can be a table alias: a word that is not a
// keyword, or a quoted identifier.
func isAlias(tok string) bool {
	if tok == "" {
		return false
	}
	if tok[0] == '"' || tok[0] == '`' || tok[0] == '[' {
		return true
	}
	return sqltext.IsWordByte(tok[0]) && !isSQLKeyword[strings.ToUpper(tok)]
}

// unquoteIdent strips the quotes of "x", `x` or [x].
func unquoteIdent(tok string) string {
	if len(tok) >= 2 {
		switch {
		case tok[0] == '"' && tok[len(tok)-1] == '"', tok[0] == '`' && tok[len(tok)-1] == '`':
			q := tok[:1]
			return strings.ReplaceAll(tok[1:len(tok)-1], q+q, q)
		case tok[0] == '[' && tok[len(tok)-1] == ']':
			return tok[1 : len(tok)-1]
		}
	}
	return tok
}

// fileCandidates lists the files and directories whose path starts with
// word (~/ is the home directory); directories end in /.
func FileCandidates(word string) []Candidate {
	dir, base := filepath.Split(word)
	listDir := dir
	if listDir == "" {
		listDir = "."
	}
	entries, err := os.ReadDir(ExpandHome(listDir))
	if err != nil {
		return nil
	}
	var out []Candidate
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") && !strings.HasPrefix(base, ".") {
			continue
		}
		cand := Candidate{Word: dir + name, Kind: KindLiteral}
		if info, err := os.Stat(filepath.Join(ExpandHome(listDir), name)); err == nil && info.IsDir() {
			cand.Tail = "/"
		}
		out = append(out, cand)
	}
	return out
}

// expandHome replaces a leading ~/ with the home directory.
func ExpandHome(path string) string {
	if path == "~" || strings.HasPrefix(path, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, strings.TrimPrefix(path, "~"))
		}
	}
	return path
}
