// Package queries holds netsql's saved queries: one NAME.sql file each,
// starting with a `-- description: ...` line, embedded in the binary. A
// user directory adds or overrides queries without rebuilding.
package queries

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

//go:embed *.sql
var builtin embed.FS

// Query is one saved query.
type Query struct {
	Name        string
	Description string
	SQL         string
	Origin      string // "builtin" or the file it was read from
	// Problem is why a user's file is not a proper saved query (no
	// description line); such a query is left out of listings with a
	// warning, and runs only when asked for by its name.
	Problem error
}

var validName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// UserDir is where a user's own queries live: $XDG_CONFIG_HOME/netsql/queries,
// else ~/.config/netsql/queries. Empty when neither can be found.
func UserDir() string {
	if dir := os.Getenv("XDG_CONFIG_HOME"); dir != "" {
		return filepath.Join(dir, "netsql", "queries")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".config", "netsql", "queries")
	}
	return ""
}

// Load returns the built-in queries with those of userDir ("" for none)
// added or overriding them, sorted by name. A missing user directory is no
// error; a user's file without its description line is kept with its
// Problem set (a built-in one is an error).
func Load(userDir string) ([]Query, error) {
	byName := map[string]Query{}
	entries, err := fs.ReadDir(builtin, ".")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		data, err := fs.ReadFile(builtin, e.Name())
		if err != nil {
			return nil, err
		}
		q, err := parse(e.Name(), "builtin", data)
		if err != nil {
			return nil, err
		}
		byName[q.Name] = q
	}
	if userDir != "" {
		files, err := filepath.Glob(filepath.Join(userDir, "*.sql"))
		if err != nil {
			return nil, err
		}
		for _, path := range files {
			data, err := os.ReadFile(path)
			if err != nil {
				return nil, err
			}
			q, err := parse(filepath.Base(path), path, data)
			if errors.Is(err, ErrNoDescription) {
				q.Problem = err
			} else if err != nil {
				return nil, err
			}
			byName[q.Name] = q
		}
	}
	list := make([]Query, 0, len(byName))
	for _, q := range byName {
		list = append(list, q)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	return list, nil
}

// ErrNoDescription marks a query file whose first line is not
// `-- description: ...`.
var ErrNoDescription = errors.New("first line must be `-- description: ...`")

func parse(file, origin string, data []byte) (Query, error) {
	name := strings.TrimSuffix(file, ".sql")
	where := origin
	if origin == "builtin" {
		where = "queries/" + file
	}
	if !validName.MatchString(name) {
		return Query{}, fmt.Errorf("%s: query name %q: use lowercase letters, digits, _ and -", where, name)
	}
	text := string(data)
	first, _, _ := strings.Cut(text, "\n")
	desc, ok := strings.CutPrefix(strings.TrimSpace(first), "-- description:")
	if !ok || strings.TrimSpace(desc) == "" {
		q := Query{Name: name, SQL: text, Origin: origin}
		return q, fmt.Errorf("%s line 1: %w", where, ErrNoDescription)
	}
	return Query{Name: name, Description: strings.TrimSpace(desc), SQL: text, Origin: origin}, nil
}

// Find returns the query called name.
func Find(list []Query, name string) (Query, error) {
	for _, q := range list {
		if q.Name == name {
			return q, nil
		}
	}
	names := make([]string, len(list))
	for i, q := range list {
		names[i] = q.Name
	}
	return Query{}, fmt.Errorf("no saved query %q (saved queries: %s)", name, strings.Join(names, ", "))
}
