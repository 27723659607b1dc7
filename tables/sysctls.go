package tables

// The sysctls dataset: the network settings under /proc/sys/net, named as
// `sysctl` names them. A file's path becomes its dotted name, a dot inside
// one part (the interface eth0.100) becoming a slash, as sysctl does:
// /proc/sys/net/ipv4/conf/eth0.100/rp_filter is net.ipv4.conf.eth0/100.rp_filter.

import (
	"bytes"
	"errors"
	"hash/fnv"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"

	"netsql/tables/engine"
	"netsql/tables/kernel"
)

// Sysctls is every readable setting under /proc/sys/net, per network
// namespace: the kernel shows a thread the settings of its own namespace,
// so another namespace's are read on a thread moved there. A tree has
// them for its own namespace only.
var Sysctls = &engine.Dataset{
	Name:    "sysctls",
	Doc:     "one row per network kernel setting under /proc/sys/net of a network namespace (sysctl net)",
	Sources: []string{"/proc/sys/net/**"},
	Columns: []engine.Column{
		{Name: "name", Type: engine.Text, Doc: "dotted name as sysctl prints it (net.core.somaxconn; a dot in an interface name becomes /)"},
		{Name: "value", Type: engine.Text, Doc: "the file's text without its final newline, tabs between values turned into single spaces (ip_local_port_range: 32768 60999)"},
		netnsColumn(),
	},
	Collect: netnsCollect(sysctlNetns, collectSysctls),
	Keys: []engine.Key{{Column: "name", Stable: true, Collect: func(c *kernel.Collector, v any) ([]engine.Row, error) {
		return sysctlsWhere(c, [][]engine.KeyValue{{{Column: "name", Value: v}}})
	}}, netnsKey},
	Narrow:        sysctlsWhere,
	EstimatedRows: 1000,
	Diff:          engine.DiffSpec{Key: []string{"netns", "name"}},
}

// sysctlNetns is the position of Sysctls's netns column.
const sysctlNetns = 2

// sysctlsWhere reads the settings named in each namespace named (or every
// one of the scope); a conjunction without a name reads its namespace's
// settings whole.
func sysctlsWhere(c *kernel.Collector, any [][]engine.KeyValue) ([]engine.Row, error) {
	list, per, err := splitByNetns(c, any)
	if err != nil {
		return nil, err
	}
	return acrossNetns(c, list, sysctlNetns, func(c *kernel.Collector, i int) ([]engine.Row, error) {
		var names []string
		for _, conj := range per[i] {
			if len(conj) == 0 {
				return collectSysctls(c)
			}
			if name, ok := conj[0].Value.(string); ok && !slices.Contains(names, name) {
				names = append(names, name)
			}
		}
		var rows []engine.Row
		for _, name := range names {
			if row := readSysctlNamed(c, name); row != nil {
				rows = append(rows, row)
			}
		}
		return rows, nil
	})
}

// readSysctlNamed reads one setting by its dotted name; nil when there is
// no such readable setting.
func readSysctlNamed(c *kernel.Collector, name string) engine.Row {
	rel, ok := sysctlPath(name)
	if !ok || noSysctls(c) {
		return nil
	}
	path := c.Source().ProcPath("sys", rel)
	info, err := c.Source().Lstat(path)
	if err != nil || !info.Mode().IsRegular() {
		return nil
	}
	value, ok := readSysctl(c, path)
	if !ok {
		return nil
	}
	return engine.Row{sysctlName(rel), value, nil}
}

// noSysctls tells whether the collector's namespace has no settings to
// read: in a tree, another namespace than the tree's own (proc/sys/net
// is the reading thread's namespace, and a copy kept one).
func noSysctls(c *kernel.Collector) bool {
	if c.Foreign() && !c.Source().Live {
		c.Notice("sysctls of a tree hold its own network namespace only: other namespaces have no rows")
		return true
	}
	return false
}

func collectSysctls(c *kernel.Collector) ([]engine.Row, error) {
	if noSysctls(c) {
		return nil, nil
	}
	root := c.Source().ProcPath("sys")
	top := filepath.Join(root, "net")
	var rows []engine.Row
	// Walked through the source, so a tree's links stay in the tree and a
	// tree without a proc part has no settings.
	var walk func(dir string) error
	walk = func(dir string) error {
		entries, err := c.Source().ReadDir(dir)
		if err != nil {
			// A directory that vanished (an interface removed) or is not
			// readable holds nothing we can show; the top one missing is
			// a kernel without networking.
			return nil
		}
		for _, d := range entries {
			if err := c.Err(); err != nil {
				return err
			}
			path := filepath.Join(dir, d.Name())
			if d.IsDir() {
				if err := walk(path); err != nil {
					return err
				}
				continue
			}
			if !d.Type().IsRegular() {
				continue
			}
			if value, ok := readSysctl(c, path); ok {
				rel, _ := filepath.Rel(root, path)
				rows = append(rows, engine.Row{sysctlName(rel), value, nil})
			}
		}
		return nil
	}
	err := walk(top)
	if err != nil {
		return nil, err
	}
	return rows, nil
}

// warnSysctlDenied counts the settings a non-root reader may not see.
const warnSysctlDenied = "net settings not readable (permission denied): run as root to see them"

// readSysctl reads one setting. A write-only file (route/flush), one the
// kernel refuses to read (an unset stable_secret gives EIO) or one that
// vanished has no value to show, and is skipped without a warning, as
// sysctl -a skips them; one readable only by root (tcp_fastopen_key) is
// counted in a warning, so its absence is not silent.
func readSysctl(c *kernel.Collector, path string) (string, bool) {
	data, err := c.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrPermission) {
			if info, serr := c.Source().Lstat(path); serr == nil && info.Mode().Perm()&0o444 != 0 {
				h := fnv.New64a()
				h.Write([]byte(path))
				c.Warn(warnSysctlDenied, int64(h.Sum64()>>1))
			}
		}
		return "", false
	}
	return sysctlValue(data), true
}

// sysctlValue is a setting's text as netsql shows it: the final newline
// dropped and each tab (between the numbers of tcp_rmem, ip_local_port_range)
// turned into a space.
func sysctlValue(data []byte) string {
	data = bytes.TrimSuffix(data, []byte("\n"))
	return strings.ReplaceAll(string(data), "\t", " ")
}

// sysctlName turns net/ipv4/conf/eth0.100/rp_filter into
// net.ipv4.conf.eth0/100.rp_filter.
func sysctlName(rel string) string {
	parts := strings.Split(filepath.ToSlash(rel), "/")
	for i, p := range parts {
		parts[i] = strings.ReplaceAll(p, ".", "/")
	}
	return strings.Join(parts, ".")
}

// sysctlPath is sysctlName's inverse: the path under /proc/sys of a dotted
// name, or false for a name outside net.* or one that could leave it.
func sysctlPath(name string) (string, bool) {
	parts := strings.Split(name, ".")
	if len(parts) < 2 || parts[0] != "net" {
		return "", false
	}
	for i, p := range parts {
		p = strings.ReplaceAll(p, "/", ".")
		if p == "" || p == "." || p == ".." || strings.ContainsRune(p, 0) {
			return "", false
		}
		parts[i] = p
	}
	return filepath.Join(parts...), true
}
