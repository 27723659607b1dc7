package kernel

import (
	"strings"
	"testing"
)

// The small parsers of /proc/PID text: status lines, namespace links, fd
// links and cgroup files. Each is fuzzed for panics and checked on the odd
// inputs a hostile or truncated /proc can give.

func TestProcPIDParsers(t *testing.T) {
	status := []byte("Name:\tsshd\nTgid:\t812\nPid:\t812\nUid:\t0\t0\t0\t0\n")
	if v, ok := StatusField(status, "Tgid:"); !ok || v != "812" {
		t.Errorf("StatusField Tgid = %q, %v", v, ok)
	}
	if _, ok := StatusField([]byte("Name:\tx"), "Tgid:"); ok {
		t.Error("StatusField found a missing field")
	}
	if v, ok := StatusField([]byte("Tgid:\t9"), "Tgid:"); !ok || v != "9" {
		t.Errorf("StatusField on a file without a final newline = %q, %v", v, ok)
	}
	if ns, err := ParseNsLink("net:[4026531840]", "net"); err != nil || ns != int64(4026531840) {
		t.Errorf("ParseNsLink = %v, %v", ns, err)
	}
	for _, bad := range []string{"", "net:[]", "net:[x]", "mnt:[1]", "net:[1", "net:[99999999999999999999]"} {
		if _, err := ParseNsLink(bad, "net"); err == nil {
			t.Errorf("ParseNsLink(%q) accepted it", bad)
		}
	}
	for link, want := range map[string]int64{"socket:[123]": 123, "socket:[0]": 0} {
		if got, ok := SocketInode([]byte(link)); !ok || got != want {
			t.Errorf("SocketInode(%q) = %d, %v", link, got, ok)
		}
	}
	for _, bad := range []string{"", "socket:[]", "socket:[12a]", "pipe:[12]", "socket:[12", "socket:[99999999999999999999999]", "/dev/null"} {
		if _, ok := SocketInode([]byte(bad)); ok {
			t.Errorf("SocketInode(%q) accepted it", bad)
		}
	}
	cases := map[string]string{
		"0::/system.slice/ssh.service\n":                          "/system.slice/ssh.service",
		"12:pids:/a\n0::/b\n":                                     "/b",
		"12:pids:/system.slice/nginx.service\n11:memory:/other\n": "/system.slice/nginx.service",
	}
	for text, want := range cases {
		if got, ok := CgroupPath([]byte(text)); !ok || got != want {
			t.Errorf("CgroupPath(%q) = %q, %v; want %q", text, got, ok, want)
		}
	}
	if _, ok := CgroupPath([]byte("garbage without colons\n")); ok {
		t.Error("cgroupPath accepted a line without fields")
	}
}

func FuzzStatusField(f *testing.F) {
	f.Add([]byte("Name:\tsshd\nTgid:\t812\nPid:\t812\n"), "Tgid:")
	f.Add([]byte(""), "Tgid:")
	f.Add([]byte("Tgid:"), "Tgid:")
	f.Fuzz(func(t *testing.T, data []byte, name string) {
		v, ok := StatusField(data, name)
		if !ok && v != "" {
			t.Errorf("not found but value %q", v)
		}
	})
}

func FuzzParseNsLink(f *testing.F) {
	for _, s := range []string{"net:[4026531840]", "net:[]", "net:[", "mnt:[1]", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, link string) {
		ns, err := ParseNsLink(link, "net")
		if err == nil && (ns.(int64) < 0 || !strings.HasPrefix(link, "net:[")) {
			t.Errorf("ParseNsLink(%q) = %v", link, ns)
		}
	})
}

func FuzzSocketInode(f *testing.F) {
	for _, s := range []string{"socket:[123]", "socket:[]", "pipe:[1]", "socket:[99999999999999999999]", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, link []byte) {
		if n, ok := SocketInode(link); ok && n < 0 {
			t.Errorf("SocketInode(%q) = %d", link, n)
		}
	})
}

func FuzzCgroupPath(f *testing.F) {
	for _, s := range []string{"0::/init.scope\n", "12:pids:/a\n0::/b\n", "", "::\n", "1:a:b:c\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		CgroupPath(data)
	})
}
