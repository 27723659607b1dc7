package sqlshell

import (
	"database/sql"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"netsql/sqlshell/sqltext"
)

// SetParam binds :name (also @name and $name) to value in later
// statements. A value that is an integer binds as an INTEGER, else as TEXT;
// lookups convert either way (ARCHITECTURE.md, "Lookups and costs"), so
// `local_port = :port` matches.
func (s *Shell) SetParam(name, value string) {
	if s.params == nil {
		s.params = map[string]string{}
	}
	s.params[strings.TrimLeft(name, ":@$")] = value
}

// UnsetParam removes a binding.
func (s *Shell) UnsetParam(name string) { delete(s.params, strings.TrimLeft(name, ":@$")) }

// Params returns a copy of the bindings.
func (s *Shell) Params() map[string]string {
	out := make(map[string]string, len(s.params))
	for k, v := range s.params {
		out[k] = v
	}
	return out
}

// ParseParam splits a --param argument "name=value".
func ParseParam(arg string) (name, value string, err error) {
	name, value, ok := strings.Cut(arg, "=")
	name = strings.TrimLeft(strings.TrimSpace(name), ":@$")
	if !ok || name == "" || strings.ContainsAny(name, " \t") {
		return "", "", fmt.Errorf("--param %q: want name=value", arg)
	}
	return name, value, nil
}

// bindArgs returns the arguments for the named parameters a statement
// uses; a parameter without a binding is an error naming it, never a
// silent NULL.
func (s *Shell) bindArgs(query string) ([]any, error) {
	names, err := statementParams(query)
	if err != nil {
		return nil, err
	}
	var args []any
	var missing []string
	for _, name := range names {
		value, ok := s.params[name]
		if !ok {
			missing = append(missing, ":"+name)
			continue
		}
		if n, err := strconv.ParseInt(value, 10, 64); err == nil {
			args = append(args, sql.Named(name, n))
		} else {
			args = append(args, sql.Named(name, value))
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("missing parameter %s (give --param %s=VALUE, or .param set %s VALUE)",
			strings.Join(missing, ", "), missing[0][1:], missing[0][1:])
	}
	return args, nil
}

// statementParams lists the distinct named parameters (:name, @name,
// $name) of a statement, outside strings and comments, sorted.
func statementParams(query string) ([]string, error) {
	seen := map[string]bool{}
	sc := sqltext.Scanner{Src: query}
	prevColon := false
	for sc.Pos < len(query) {
		kind, tok := sc.Next()
		switch {
		case kind == sqltext.Other && (tok == ":" || tok == "@"):
			prevColon = true
			continue
		case kind == sqltext.Word && prevColon:
			seen[tok] = true
		case kind == sqltext.Word && strings.HasPrefix(tok, "$") && len(tok) > 1:
			seen[tok[1:]] = true
		case kind == sqltext.Other && tok == "?":
			return nil, fmt.Errorf("positional parameter ? cannot be bound: name it, as :name")
		}
		prevColon = false
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return names, nil
}
