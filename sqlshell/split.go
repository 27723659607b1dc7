package sqlshell

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
	sc := scanner{src: text}
	start, startLine := 0, 1
	line := 1
	var end statementEnd
	emit := func(end int) {
		stmt := text[start:end]
		if hasSQL(stmt) {
			out = append(out, Statement{Text: strings.TrimSpace(stmt), Line: startLine + leadingNewlines(stmt)})
		}
	}
	for sc.pos < len(text) {
		tokStart := sc.pos
		kind, tok := sc.next()
		line += strings.Count(text[tokStart:sc.pos], "\n")
		switch kind {
		case tokWord:
			end.word(tok)
		case tokSemicolon:
			if !end.semicolon() {
				continue
			}
			emit(sc.pos)
			start, startLine = sc.pos, line
		case tokOther, tokUnterminated:
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
	sc := scanner{src: text}
	var end statementEnd
	ended := false
	for sc.pos < len(text) {
		kind, tok := sc.next()
		switch kind {
		case tokWord:
			end.word(tok)
			ended = false
		case tokSemicolon:
			ended = end.semicolon()
		case tokOther:
			end.other()
			ended = false
		case tokUnterminated:
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
	sc := scanner{src: s}
	for sc.pos < len(s) {
		kind, _ := sc.next()
		if kind == tokWord || kind == tokOther || kind == tokUnterminated {
			return true
		}
	}
	return false
}

// leadingNewlines counts the newlines before a statement's first word, so
// the reported line is the one its text starts on.
func leadingNewlines(s string) int {
	sc := scanner{src: s}
	n := 0
	for sc.pos < len(s) {
		before := sc.pos
		kind, _ := sc.next()
		if kind == tokWord || kind == tokOther || kind == tokUnterminated {
			return n
		}
		n += strings.Count(s[before:sc.pos], "\n")
	}
	return n
}

type tokenKind int

const (
	tokSpace tokenKind = iota
	tokComment
	tokWord
	tokSemicolon
	tokOther // a quoted string or identifier, a number, punctuation
	tokUnterminated
)

type scanner struct {
	src string
	pos int
}

// next returns the next token. Quoted strings ('...'), identifiers
// ("...", `...`, [...]) and comments are single tokens; a doubled quote
// inside a string does not end it.
func (s *scanner) next() (tokenKind, string) {
	src, i := s.src, s.pos
	c := src[i]
	switch {
	case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
		j := i + 1
		for j < len(src) && strings.IndexByte(" \t\n\r\f\v", src[j]) >= 0 {
			j++
		}
		s.pos = j
		return tokSpace, src[i:j]
	case c == '-' && i+1 < len(src) && src[i+1] == '-':
		j := strings.IndexByte(src[i:], '\n')
		if j < 0 {
			s.pos = len(src)
		} else {
			s.pos = i + j + 1
		}
		return tokComment, src[i:s.pos]
	case c == '/' && i+1 < len(src) && src[i+1] == '*':
		j := strings.Index(src[i+2:], "*/")
		if j < 0 {
			s.pos = len(src)
			return tokComment, src[i:]
		}
		s.pos = i + 2 + j + 2
		return tokComment, src[i:s.pos]
	case c == '\'' || c == '"' || c == '`' || c == '[':
		closer := c
		if c == '[' {
			closer = ']'
		}
		j := i + 1
		for {
			k := strings.IndexByte(src[j:], closer)
			if k < 0 {
				s.pos = len(src)
				return tokUnterminated, src[i:]
			}
			j += k + 1
			if closer != ']' && j < len(src) && src[j] == closer {
				j++ // doubled quote
				continue
			}
			break
		}
		s.pos = j
		return tokOther, src[i:j]
	case c == ';':
		s.pos = i + 1
		return tokSemicolon, ";"
	case isWordByte(c):
		j := i + 1
		for j < len(src) && isWordByte(src[j]) {
			j++
		}
		s.pos = j
		return tokWord, src[i:j]
	}
	s.pos = i + 1
	return tokOther, src[i : i+1]
}

func isWordByte(c byte) bool {
	return c == '_' || c == '$' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}
