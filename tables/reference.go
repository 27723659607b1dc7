package tables

import (
	"fmt"
	"strings"

	"netsql/tables/engine"
)

// ReferenceMarkdown renders the table reference that the README carries:
// one section per dataset with its sources and every column's type and
// description. A test fails when the README drifts from it.
func ReferenceMarkdown(datasets []*engine.Dataset) string {
	var b strings.Builder
	for i, d := range datasets {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "### `%s`\n\n%s. Reads %s.", d.Name, upperFirst(d.Doc), strings.Join(quoteAll(d.Sources), ", "))
		var keys []string
		for _, k := range d.Keys {
			keys = append(keys, "`"+k.Column+"`")
		}
		if len(keys) > 0 {
			fmt.Fprintf(&b, " Equality on %s narrows what is read.", strings.Join(keys, ", "))
		}
		b.WriteString("\n\n| column | type | description |\n| --- | --- | --- |\n")
		for _, c := range d.Columns {
			fmt.Fprintf(&b, "| `%s` | %s | %s |\n", c.Name, c.Type, strings.ReplaceAll(c.Doc, "|", `\|`))
		}
	}
	return b.String()
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func quoteAll(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = "`" + s + "`"
	}
	return out
}

// FunctionsMarkdown renders the README's list of the SQL helper functions
// from Functions, one table row each; a test fails when the README drifts.
func FunctionsMarkdown() string {
	var b strings.Builder
	b.WriteString("| function | returns |\n| --- | --- |\n")
	for _, f := range Functions {
		fmt.Fprintf(&b, "| `%s` | %s |\n", f.Signature, strings.ReplaceAll(f.Doc, "|", `\|`))
	}
	return b.String()
}
