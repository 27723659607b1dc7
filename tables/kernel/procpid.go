package kernel

// /proc/PID/{stat,status,cmdline,exe} and /proc/stat's btime, read by hand
// through Source: every file of a process is read one way, so the bounds
// and checks a Source applies to a tree's files hold for these too (a
// library that opens them itself could not be told). It also costs less:
// see ARCHITECTURE.md, "Sources".

import (
	"bytes"
	"errors"
	"io/fs"
	"strconv"
	"strings"
)

// Process is what /proc/PID/stat and status say of one process.
type Process struct {
	PID, PPID  int64
	Comm       string // the kernel's command name, as ps and ss -p show it
	State      string // R, S, D, Z, T, t, I ...
	TGID       int64  // the thread group: PID itself for a process, another for a thread id
	UID, EUID  int64  // real and effective user ids
	Threads    int64
	StartTicks int64 // start time in clock ticks after boot
}

// ReadProcess reads /proc/PID/stat and /proc/PID/status. The error of a
// process that vanished or may not be read is what SkipReason recognises.
func ReadProcess(c *Collector, pid int64) (Process, error) {
	dir := c.src.ProcPath(strconv.FormatInt(pid, 10))
	statPath := dir + "/stat"
	stat, err := c.ReadFile(statPath)
	if err != nil {
		return Process{}, err
	}
	p, err := ParseStat(stat)
	if err != nil {
		return Process{}, FileError(statPath, err)
	}
	statusPath := dir + "/status"
	status, err := c.ReadFile(statusPath)
	if err != nil {
		return Process{}, err
	}
	if err := parseStatus(status, &p); err != nil {
		return Process{}, FileError(statusPath, err)
	}
	return p, nil
}

// ParseStat parses /proc/PID/stat: "pid (comm) state ppid ...". The comm
// may hold spaces and parentheses, so it ends at the last ')'.
func ParseStat(data []byte) (Process, error) {
	open, end := bytes.IndexByte(data, '('), bytes.LastIndexByte(data, ')')
	if open < 0 || end < open {
		return Process{}, LineErrorf(1, "no (comm) in %q", ProcnetClip(data))
	}
	var p Process
	pid, err := strconv.ParseInt(strings.TrimSpace(string(data[:open])), 10, 64)
	if err != nil {
		return Process{}, LineErrorf(1, "pid %q", ProcnetClip(data[:open]))
	}
	p.PID, p.Comm = pid, string(data[open+1:end])
	// Fields from the third on: state ppid pgrp session tty_nr tpgid flags
	// minflt cminflt majflt cmajflt utime stime cutime cstime priority nice
	// num_threads itrealvalue starttime ...
	rest := strings.Fields(string(data[end+1:]))
	if len(rest) < 20 {
		return Process{}, LineErrorf(1, "%d fields after the comm, want at least 20", len(rest))
	}
	p.State = rest[0]
	for _, f := range []struct {
		dst  *int64
		i    int
		name string
	}{{&p.PPID, 1, "ppid"}, {&p.Threads, 17, "num_threads"}, {&p.StartTicks, 19, "starttime"}} {
		if *f.dst, err = strconv.ParseInt(rest[f.i], 10, 64); err != nil {
			return Process{}, LineErrorf(1, "%s %q", f.name, ProcnetClip([]byte(rest[f.i])))
		}
	}
	return p, nil
}

// parseStatus fills the thread group and user ids from /proc/PID/status.
func parseStatus(data []byte, p *Process) error {
	tgid, ok := StatusField(data, "Tgid:")
	if !ok {
		return LineErrorf(1, "no Tgid line")
	}
	var err error
	if p.TGID, err = strconv.ParseInt(tgid, 10, 64); err != nil {
		return LineErrorf(1, "Tgid %q", ProcnetClip([]byte(tgid)))
	}
	uids, ok := StatusField(data, "Uid:")
	fields := strings.Fields(uids)
	if !ok || len(fields) < 2 {
		return LineErrorf(1, "no Uid line with real and effective ids")
	}
	if p.UID, err = strconv.ParseInt(fields[0], 10, 64); err == nil {
		p.EUID, err = strconv.ParseInt(fields[1], 10, 64)
	}
	if err != nil {
		return LineErrorf(1, "Uid %q", ProcnetClip([]byte(uids)))
	}
	return nil
}

// ReadCmdline returns /proc/PID/cmdline with its arguments joined by
// spaces ("" for a kernel thread).
func ReadCmdline(c *Collector, pid int64) (string, error) {
	data, err := c.ReadFile(c.src.ProcPath(strconv.FormatInt(pid, 10), "cmdline"))
	if err != nil {
		return "", err
	}
	data = bytes.TrimRight(data, "\x00")
	return string(bytes.ReplaceAll(data, []byte{0}, []byte{' '})), nil
}

// ReadExe returns the target of /proc/PID/exe, "" when the process has
// none (a kernel thread).
func ReadExe(c *Collector, pid int64) (string, error) {
	path := c.src.ProcPath(strconv.FormatInt(pid, 10), "exe")
	exe, err := c.src.Readlink(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	return exe, err
}

// BootTime is /proc/stat's btime, in Unix seconds, once per statement.
func BootTime(c *Collector) (int64, bool) {
	v, _ := Memoize(c, "btime", func() (int64, error) {
		data, err := c.ReadFile(c.src.ProcPath("stat"))
		if err != nil {
			return -1, nil
		}
		for line := range bytes.SplitSeq(data, []byte{'\n'}) {
			if rest, ok := bytes.CutPrefix(line, []byte("btime ")); ok {
				if n, err := strconv.ParseInt(string(bytes.TrimSpace(rest)), 10, 64); err == nil {
					return n, nil
				}
			}
		}
		return -1, nil
	})
	return v, v >= 0
}

// UserHZ is the clock tick of /proc/PID/stat times (USER_HZ, 100 on Linux).
const UserHZ = 100
