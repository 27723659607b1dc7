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
	"strings"

	"netsql/tables/engine"
	"netsql/tables/kernel"
)

// Sysctls is every readable setting under /proc/sys/net.
var Sysctls = &engine.Dataset{
	Name:    "sysctls",
	Doc:     "one row per network kernel setting under /proc/sys/net of this network namespace (sysctl net)",
	Sources: []string{"/proc/sys/net/**"},
	Columns: []engine.Column{
		{Name: "name", Type: engine.Text, Doc: "dotted name as sysctl prints it (net.core.somaxconn; a dot in an interface name becomes /)"},
		{Name: "value", Type: engine.Text, Doc: "the file's text without its final newline, tabs between values turned into single spaces (ip_local_port_range: 32768 60999)"},
	},
	Collect: collectSysctls,
	Keys: []engine.Key{{Column: "name", Stable: true, Collect: func(c *kernel.Collector, v any) ([]engine.Row, error) {
		name, _ := v.(string)
		rel, ok := sysctlPath(name)
		if !ok {
			return nil, nil
		}
		path := c.Source().ProcPath("sys", rel)
		info, err := c.Source().Lstat(path)
		if err != nil || !info.Mode().IsRegular() {
			return nil, nil
		}
		value, ok := readSysctl(c, path)
		if !ok {
			return nil, nil
		}
		return []engine.Row{{sysctlName(rel), value}}, nil
	}}},
	EstimatedRows: 1000,
	Diff:          engine.DiffSpec{Key: []string{"name"}},
}

func collectSysctls(c *kernel.Collector) ([]engine.Row, error) {
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
				rows = append(rows, engine.Row{sysctlName(rel), value})
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
