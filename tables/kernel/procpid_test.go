package kernel

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"netsql/tables/tablestest"
)

func TestParseStat(t *testing.T) {
	// The comm is chosen by whoever runs the process: spaces and parentheses.
	data := []byte("2044 (my (odd) server) S 1 2044 2044 0 -1 4194560 1 0 0 0 5 3 0 0 20 0 7 0 123456 1000 100 18446744073709551615\n")
	got, err := ParseStat(data)
	want := Process{PID: 2044, Comm: "my (odd) server", State: "S", PPID: 1, Threads: 7, StartTicks: 123456}
	if err != nil || !cmp.Equal(want, got) {
		t.Errorf("ParseStat = %+v, %v; want %+v", got, err, want)
	}
	for _, bad := range []string{"", "12 comm S 1", "12 (c) S", "x (c) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20", "12 (c) S one 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20"} {
		if _, err := ParseStat([]byte(bad)); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseStat(%q): err %v, want ErrMalformed", bad, err)
		}
	}
}

func TestParseStatus(t *testing.T) {
	var p Process
	err := parseStatus([]byte("Name:\tsshd\nTgid:\t812\nPid:\t812\nUid:\t0\t1000\t0\t0\n"), &p)
	if err != nil || p.TGID != 812 || p.UID != 0 || p.EUID != 1000 {
		t.Errorf("parseStatus: %+v, %v", p, err)
	}
	for _, bad := range []string{"", "Tgid:\t812\n", "Tgid:\tx\nUid:\t0\t0\n", "Tgid:\t1\nUid:\t0\n"} {
		if err := parseStatus([]byte(bad), &Process{}); !errors.Is(err, ErrMalformed) {
			t.Errorf("parseStatus(%q): err %v, want ErrMalformed", bad, err)
		}
	}
}

// FuzzParseStat: the parser never panics, and an error names line 1.
func FuzzParseStat(f *testing.F) {
	f.Add([]byte("1 (systemd) S 0 1 1 0 -1 4194560 1 0 0 0 5 3 0 0 20 0 1 0 10 1000 100 0\n"))
	f.Add([]byte("2 ()) R 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := ParseStat(data); err != nil {
			tablestest.CheckFuzzError(t, ErrMalformed, data, []int{}, err)
		}
	})
}
