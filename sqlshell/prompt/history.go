package prompt

import (
	"bufio"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"netsql/sqlshell/sqltext"
)

// HistoryLimit is how many entries the history file keeps.
const HistoryLimit = 1000

// HistoryPath is where the prompt keeps its history: $NETSQL_HISTORY when
// set (set and empty: no history), else $XDG_STATE_HOME/netsql/history,
// else ~/.netsql_history. It returns "" when there is nowhere to keep it.
func HistoryPath() string {
	if path, ok := os.LookupEnv("NETSQL_HISTORY"); ok {
		return path
	}
	if dir := os.Getenv("XDG_STATE_HOME"); dir != "" {
		return filepath.Join(dir, "netsql", "history")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".netsql_history")
	}
	return ""
}

// InitPath is the start-up file the prompt runs unless told otherwise:
// ~/.netsqlrc, as sqlite3 runs ~/.sqliterc. "" when there is no home.
func InitPath() string {
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".netsqlrc")
	}
	return ""
}

// HistoryFile is the prompt's history on disk: one entry per line, a
// statement typed over several lines kept as one (historyEntry).
type HistoryFile struct {
	Path string
}

// Load returns the entries in the file, oldest first, at most
// historyLimit; a longer file is rewritten to its newest entries. A file
// that does not exist yet holds no entries.
func (h HistoryFile) Load() ([]string, error) {
	f, err := os.Open(h.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var entries []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" {
			entries = append(entries, line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(entries) > HistoryLimit {
		entries = entries[len(entries)-HistoryLimit:]
		if err := h.rewrite(entries); err != nil {
			return entries, err
		}
	}
	return entries, nil
}

// rewrite replaces the file with entries, atomically.
func (h HistoryFile) rewrite(entries []string) error {
	tmp, err := os.CreateTemp(filepath.Dir(h.Path), ".netsql_history-*")
	if err != nil {
		return err
	}
	w := bufio.NewWriter(tmp)
	for _, e := range entries {
		w.WriteString(e + "\n")
	}
	err = w.Flush()
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), h.Path)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}

// Add appends one entry. The file is created readable by its owner only:
// statements can hold addresses and names worth keeping private.
func (h HistoryFile) Add(entry string) error {
	if err := os.MkdirAll(filepath.Dir(h.Path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(h.Path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	_, err = f.WriteString(entry + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// HistoryEntry turns a statement typed over several lines into one line
// that means the same, so that it is one history entry now and after a
// restart: runs of white space with a newline become one space, a `--`
// comment becomes a /* */ comment, and a newline inside a string literal
// becomes char(10), as in ('a' || char(10) || 'b').
func HistoryEntry(text string) string {
	text = strings.TrimSpace(text)
	if !strings.ContainsAny(text, "\r\n") {
		return text
	}
	var b strings.Builder
	space := func() {
		if s := b.String(); s != "" && !strings.HasSuffix(s, " ") {
			b.WriteByte(' ')
		}
	}
	sc := sqltext.Scanner{Src: text}
	for sc.Pos < len(text) {
		kind, tok := sc.Next()
		switch {
		case kind == sqltext.Space && strings.ContainsAny(tok, "\r\n"):
			space()
		case kind == sqltext.Space:
			b.WriteString(tok)
		case kind == sqltext.Comment && strings.HasPrefix(tok, "--"):
			body := strings.TrimSpace(strings.TrimPrefix(tok, "--"))
			if body != "" && !strings.Contains(body, "*/") {
				b.WriteString("/* " + body + " */")
			}
			if strings.HasSuffix(tok, "\n") {
				space()
			}
		case kind == sqltext.Comment:
			b.WriteString(strings.Join(strings.Fields(tok), " "))
		case tok != "" && tok[0] == '\'' && strings.ContainsAny(tok, "\r\n"):
			b.WriteString(stringWithNewlines(tok))
		case strings.ContainsAny(tok, "\r\n"):
			// A quoted identifier or an unterminated literal: keep the
			// text, one line.
			b.WriteString(strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(tok))
		default:
			b.WriteString(tok)
		}
	}
	return strings.TrimSpace(b.String())
}

// stringWithNewlines writes the literal 'a\nb' as ('a' || char(10) || 'b').
func stringWithNewlines(lit string) string {
	body := strings.TrimPrefix(lit, "'")
	body = strings.TrimSuffix(body, "'")
	var parts []string
	piece := func(s string) {
		if s != "" {
			parts = append(parts, "'"+s+"'")
		}
	}
	start := 0
	for i := 0; i < len(body); i++ {
		if body[i] == '\n' || body[i] == '\r' {
			piece(body[start:i])
			parts = append(parts, "char("+map[byte]string{'\n': "10", '\r': "13"}[body[i]]+")")
			start = i + 1
		}
	}
	piece(body[start:])
	return "(" + strings.Join(parts, " || ") + ")"
}
