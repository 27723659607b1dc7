package output

import (
	"strings"

	"github.com/olekukonko/tablewriter/pkg/twwidth"
)

// ForTerminal prepares plain text (.help, .schema, .show) for a terminal
// width columns wide: each line's control characters are escaped
// (displayText), and a line wider than the terminal is wrapped at spaces
// rather than left for the terminal to break or cut. A continuation line
// is indented under the text it continues: under a "-- " comment with the
// comment's dashes, under the second column of a line such as ".mode MODE
// help", else under the line's own indentation. A width of 0 only escapes.
func ForTerminal(text string, width int) string {
	var b strings.Builder
	b.Grow(len(text))
	for line := range strings.SplitAfterSeq(text, "\n") {
		body, newline := strings.CutSuffix(line, "\n")
		body = displayText(body)
		if width <= 0 || twwidth.Width(body) <= width {
			b.WriteString(body)
		} else {
			wrapLine(&b, body, width)
		}
		if newline {
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// minTextRoom is the narrowest a continuation line is made by its indent.
const minTextRoom = 20

// wrapLine writes line, wider than width, as several lines.
func wrapLine(b *strings.Builder, line string, width int) {
	head, rest := cutAtSpace(line, width)
	b.WriteString(strings.TrimRight(head, " "))
	indent := hangingIndent(line, len(head))
	if width-twwidth.Width(indent) < minTextRoom {
		indent = "" // better the left margin than a column of a few characters
	}
	room := width - twwidth.Width(indent)
	for rest = strings.TrimLeft(rest, " "); rest != ""; rest = strings.TrimLeft(rest, " ") {
		head, rest = cutAtSpace(rest, room)
		b.WriteByte('\n')
		b.WriteString(indent)
		b.WriteString(strings.TrimRight(head, " "))
	}
}

// cutAtSpace splits s after at most width columns, at the last space
// before them when there is one.
func cutAtSpace(s string, width int) (head, rest string) {
	head, rest = cutWidth(s, width)
	if rest == "" || rest[0] == ' ' {
		return head, rest
	}
	if sp := strings.LastIndexByte(head, ' '); sp > 0 && strings.TrimLeft(head[:sp], " ") != "" {
		return head[:sp+1], head[sp+1:] + rest
	}
	return head, rest
}

// hangingIndent is what begins each continuation of line, whose first
// cut is after its first cut bytes.
func hangingIndent(line string, cut int) string {
	if i := strings.Index(line, "-- "); i >= 0 && i < cut {
		return strings.Repeat(" ", twwidth.Width(line[:i])) + "-- "
	}
	lead := len(line) - len(strings.TrimLeft(line, " "))
	if gap := strings.Index(line[lead:], "  "); gap > 0 {
		second := lead + gap + len(line[lead+gap:]) - len(strings.TrimLeft(line[lead+gap:], " "))
		if second < cut {
			return strings.Repeat(" ", twwidth.Width(line[:second]))
		}
	}
	return line[:lead]
}
