package tables

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestSysctlValue(t *testing.T) {
	for text, want := range map[string]string{
		"4096\n":                  "4096",
		"32768\t60999\n":          "32768 60999",
		"4096\t131072\t6291456\n": "4096 131072 6291456",
		"reno cubic\n":            "reno cubic",
		"":                        "",
		"\n":                      "",
		"no newline":              "no newline",
		"two\nlines\n":            "two\nlines",
	} {
		if got := sysctlValue([]byte(text)); got != want {
			t.Errorf("sysctlValue(%q) = %q, want %q", text, got, want)
		}
	}
}

func TestSysctlNames(t *testing.T) {
	for rel, name := range map[string]string{
		"net/core/somaxconn":                 "net.core.somaxconn",
		"net/ipv4/ip_local_port_range":       "net.ipv4.ip_local_port_range",
		"net/ipv4/conf/eth0.100/rp_filter":   "net.ipv4.conf.eth0/100.rp_filter",
		"net/ipv6/neigh/br-lan/retrans_time": "net.ipv6.neigh.br-lan.retrans_time",
	} {
		if got := sysctlName(rel); got != name {
			t.Errorf("sysctlName(%q) = %q, want %q", rel, got, name)
		}
		if got, ok := sysctlPath(name); !ok || got != filepath.FromSlash(rel) {
			t.Errorf("sysctlPath(%q) = %q, %v; want %q", name, got, ok, rel)
		}
	}
	for _, name := range []string{"", "net", "kernel.hostname", "net..core", "net.core.", "net./.x", "net.//.x", "net.core.somaxconn\x00", "fs.file-max"} {
		if got, ok := sysctlPath(name); ok {
			t.Errorf("sysctlPath(%q) = %q, want no path", name, got)
		}
	}
}

// FuzzSysctlPath checks that a name given in a query never leads outside
// /proc/sys/net and that a path it accepts names itself back.
func FuzzSysctlPath(f *testing.F) {
	for _, seed := range []string{"net.core.somaxconn", "net.ipv4.conf.eth0/100.rp_filter", "net./../..x", "net.a/..", "net../etc"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, name string) {
		rel, ok := sysctlPath(name)
		if !ok {
			return
		}
		clean := filepath.Clean(rel)
		if clean != rel || !strings.HasPrefix(clean, "net"+string(filepath.Separator)) {
			t.Fatalf("sysctlPath(%q) = %q leaves net/", name, rel)
		}
		for _, part := range strings.Split(rel, string(filepath.Separator)) {
			if part == ".." || part == "." || part == "" {
				t.Fatalf("sysctlPath(%q) = %q has part %q", name, rel, part)
			}
		}
		if back := sysctlName(rel); back != name {
			t.Fatalf("sysctlName(sysctlPath(%q)) = %q", name, back)
		}
	})
}
