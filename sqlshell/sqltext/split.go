// Package sqltext reads SQL as text: it splits statements the way SQLite
// ends them (a semicolon outside strings, comments and trigger bodies) and
// scans tokens, for the runner, the prompt's history and completion.
package sqltext

import (
	"strings"
)

// Statement is one SQL statement cut from a script, with the line it
// starts on (1-based), for error messages.
type Statement struct {
	Text string
	Line int
}

// Split cuts text into statements at each `;` that is outside quotes,
// identifiers and comments. The body of CREATE TRIGGER ... BEGIN ... END
// stays one statement. A last statement without `;` is returned too;
// statements that are only whitespace and comments are dropped.
func Split(text string) []Statement {
	var out []Statement
	sc := Scanner{Src: text}
	start, startLine := 0, 1
	line := 1
	var end statementEnd
	emit := func(end int) {
		stmt := text[start:end]
		if hasSQL(stmt) {
			out = append(out, Statement{Text: strings.TrimSpace(stmt), Line: startLine + leadingNewlines(stmt)})
		}
	}
	for sc.Pos < len(text) {
		tokStart := sc.Pos
		kind, tok := sc.Next()
		line += strings.Count(text[tokStart:sc.Pos], "\n")
		switch kind {
		case Word:
			end.word(tok)
		case Semicolon:
			if !end.semicolon() {
				continue
			}
			emit(sc.Pos)
			start, startLine = sc.Pos, line
		case Other, Unterminated:
			end.other()
		}
	}
	emit(len(text))
	return out
}

// Complete reports whether text ends with a finished statement: the REPL
// keeps reading lines until it does.
func Complete(text string) bool {
	if len(Split(text)) == 0 {
		return false
	}
	sc := Scanner{Src: text}
	var end statementEnd
	ended := false
	for sc.Pos < len(text) {
		kind, tok := sc.Next()
		switch kind {
		case Word:
			end.word(tok)
			ended = false
		case Semicolon:
			ended = end.semicolon()
		case Other:
			end.other()
			ended = false
		case Unterminated:
			return false
		}
	}
	return ended
}

// statementEnd follows the words of one statement to tell whether a `;`
// ends it: inside CREATE TRIGGER ... BEGIN only the `;` after the END that
// closes BEGIN does, not one after the END of a CASE expression.
type statementEnd struct {
	words     []string // the first few words, upper-cased
	caseDepth int      // CASE expressions open
	afterEnd  bool     // the last token was an END closing BEGIN
}

func (e *statementEnd) word(tok string) {
	w := strings.ToUpper(tok)
	if len(e.words) < 4 {
		e.words = append(e.words, w)
	}
	e.afterEnd = false
	switch {
	case w == "CASE":
		e.caseDepth++
	case w == "END" && e.caseDepth > 0:
		e.caseDepth--
	case w == "END":
		e.afterEnd = true
	}
}

func (e *statementEnd) other() { e.afterEnd = false }

// semicolon reports whether a `;` here ends the statement, and if so
// starts following the next one.
func (e *statementEnd) semicolon() bool {
	if isTrigger(e.words) && !e.afterEnd {
		return false
	}
	*e = statementEnd{words: e.words[:0]}
	return true
}

// isTrigger reports whether the statement's first words are
// CREATE [TEMP|TEMPORARY] TRIGGER.
func isTrigger(words []string) bool {
	if len(words) < 2 || words[0] != "CREATE" {
		return false
	}
	if words[1] == "TRIGGER" {
		return true
	}
	return len(words) >= 3 && (words[1] == "TEMP" || words[1] == "TEMPORARY") && words[2] == "TRIGGER"
}

// hasSQL reports whether s holds anything but whitespace, comments and `;`.
func hasSQL(s string) bool {
	sc := Scanner{Src: s}
	for sc.Pos < len(s) {
		kind, _ := sc.Next()
		if kind == Word || kind == Other || kind == Unterminated {
			return true
		}
	}
	return false
}

// leadingNewlines counts the newlines before a statement's first word, so
// the reported line is the one its text starts on.
func leadingNewlines(s string) int {
	sc := Scanner{Src: s}
	n := 0
	for sc.Pos < len(s) {
		before := sc.Pos
		kind, _ := sc.Next()
		if kind == Word || kind == Other || kind == Unterminated {
			return n
		}
		n += strings.Count(s[before:sc.Pos], "\n")
	}
	return n
}

// Kind is the kind of a token.
type Kind int

const (
	Space Kind = iota
	Comment
	Word
	Semicolon
	Other // a quoted string or identifier, a number, punctuation
	Unterminated
)

// Scanner returns the tokens of Src one by one.
type Scanner struct {
	Src string // the text scanned
	Pos int    // where the next token starts
}

// next returns the next token. Quoted strings ('...'), identifiers
// ("...", `...`, [...]) and comments are single tokens; a doubled quote
// inside a string does not end it.
func (s *Scanner) Next() (Kind, string) {
	src, i := s.Src, s.Pos
	c := src[i]
	switch {
	case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
		j := i + 1
		for j < len(src) && strings.IndexByte(" \t\n\r\f\v", src[j]) >= 0 {
			j++
		}
		s.Pos = j
		return Space, src[i:j]
	case c == '-' && i+1 < len(src) && src[i+1] == '-':
		j := strings.IndexByte(src[i:], '\n')
		if j < 0 {
			s.Pos = len(src)
		} else {
			s.Pos = i + j + 1
		}
		return Comment, src[i:s.Pos]
	case c == '/' && i+1 < len(src) && src[i+1] == '*':
		j := strings.Index(src[i+2:], "*/")
		if j < 0 {
			s.Pos = len(src)
			return Comment, src[i:]
		}
		s.Pos = i + 2 + j + 2
		return Comment, src[i:s.Pos]
	case c == '\'' || c == '"' || c == '`' || c == '[':
		closer := c
		if c == '[' {
			closer = ']'
		}
		j := i + 1
		for {
			k := strings.IndexByte(src[j:], closer)
			if k < 0 {
				s.Pos = len(src)
				return Unterminated, src[i:]
			}
			j += k + 1
			if closer != ']' && j < len(src) && src[j] == closer {
				j++ // doubled quote
				continue
			}
			break
		}
		s.Pos = j
		return Other, src[i:j]
	case c == ';':
		s.Pos = i + 1
		return Semicolon, ";"
	case IsWordByte(c):
		j := i + 1
		for j < len(src) && IsWordByte(src[j]) {
			j++
		}
		s.Pos = j
		return Word, src[i:j]
	}
	s.Pos = i + 1
	return Other, src[i : i+1]
}

func IsWordByte(c byte) bool {
	return c == '_' || c == '$' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}
