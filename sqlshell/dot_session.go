package sqlshell

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// The dot-commands about the session: .timer, .snapshot, .refresh,
// .param, .echo, .bail, .print, .show, .quit, and the refused .shell and
// .system.

func (ss *session) dotTimer(_ context.Context, _ origin, args []string) error {
	on, err := parseOnOff(".timer", args)
	if err == nil {
		ss.timer = on
	}
	return err
}

func (ss *session) dotEcho(_ context.Context, _ origin, args []string) error {
	on, err := parseOnOff(".echo", args)
	if err == nil {
		ss.echo = on
	}
	return err
}

func (ss *session) dotBail(_ context.Context, _ origin, args []string) error {
	on, err := parseOnOff(".bail", args)
	if err == nil {
		ss.bail = on
	}
	return err
}

// dotPrint prints its arguments separated by blanks, as sqlite3 does.
func (ss *session) dotPrint(_ context.Context, _ origin, args []string) error {
	return ss.printText(strings.Join(args, " ") + "\n")
}

// refuseCommand answers .shell and .system: netsql is often run as root on
// files someone else wrote (ARCHITECTURE.md, "Writing, failing, warning"),
// and it runs no other program.
func refuseCommand(_ *session, _ context.Context, _ origin, _ []string) error {
	return errors.New("refused: netsql runs no other programs (run them from your shell)")
}

func (ss *session) dotSnapshot(_ context.Context, _ origin, args []string) error {
	on, err := parseOnOff(".snapshot", args)
	if err == nil {
		ss.snapshot = on
		ss.sh.eng.SetKeepSnapshot(on)
	}
	return err
}

func (ss *session) dotRefresh(_ context.Context, _ origin, args []string) error {
	if err := argCount(".refresh", args, 0, 0, ""); err != nil {
		return err
	}
	ss.sh.eng.Refresh()
	return nil
}

func (ss *session) dotParam(_ context.Context, _ origin, args []string) error {
	const usage = "set NAME VALUE | unset NAME | list | clear"
	if len(args) == 0 {
		args = []string{"list"}
	}
	switch args[0] {
	case "set":
		if len(args) < 3 {
			return fmt.Errorf("usage: .param %s", usage)
		}
		ss.sh.SetParam(args[1], strings.Join(args[2:], " "))
	case "unset":
		if len(args) != 2 {
			return fmt.Errorf("usage: .param %s", usage)
		}
		name := strings.TrimLeft(args[1], ":@$")
		if _, ok := ss.sh.Params()[name]; !ok {
			return fmt.Errorf("no parameter %q (.param list shows them)", name)
		}
		ss.sh.UnsetParam(name)
	case "clear":
		for name := range ss.sh.Params() {
			ss.sh.UnsetParam(name)
		}
	case "list":
		params := ss.sh.Params()
		names := make([]string, 0, len(params))
		for name := range params {
			names = append(names, name)
		}
		sort.Strings(names)
		rows := make([][]any, len(names))
		for i, name := range names {
			rows[i] = []any{":" + name, params[name]}
		}
		return ss.printResult([]string{"name", "value"}, rows)
	default:
		return fmt.Errorf("usage: .param %s", usage)
	}
	return nil
}

func (ss *session) dotShow(_ context.Context, _ origin, args []string) error {
	if err := argCount(".show", args, 0, 0, ""); err != nil {
		return err
	}
	f := ss.sh.Format
	onOff := map[bool]string{true: "on", false: "off"}
	null := fmt.Sprintf("%q", f.Null)
	if !f.NullSet {
		null = "the mode's default"
	}
	widths := "automatic"
	if len(f.Widths) > 0 {
		widths = strings.Trim(fmt.Sprint(f.Widths), "[]")
	}
	output := "stdout"
	if ss.outFile != nil {
		output = ss.outName
	}
	if ss.onceFile != nil {
		output += " (next statement: " + ss.onceName + ")"
	}
	history := ss.history
	if history == "" {
		history = "off"
	}
	settings := [][2]string{
		{"mode", f.Mode},
		{"headers", onOff[f.Headers]},
		{"separator", separatorSetting(f.Separator, f.RowSeparator)},
		{"nullvalue", null},
		{"width", widths},
		{"wrap", onOff[f.Wrap]},
		{"pager", onOff[ss.pager]},
		{"output", output},
		{"timer", onOff[ss.timer]},
		{"eqp", onOff[ss.eqp]},
		{"echo", onOff[ss.echo]},
		{"bail", onOff[ss.bail]},
		{"snapshot", onOff[ss.snapshot]},
		{"allow-write", onOff[ss.sh.allowWrite()]},
		{"params", fmt.Sprint(len(ss.sh.Params()))},
		{"history", history},
	}
	var b strings.Builder
	for _, kv := range settings {
		fmt.Fprintf(&b, "%11s: %s\n", kv[0], kv[1])
	}
	return ss.printText(b.String())
}

func (ss *session) dotQuit(_ context.Context, _ origin, args []string) error {
	ss.quit = true
	return nil
}
