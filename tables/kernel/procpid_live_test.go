//go:build live

package kernel

import (
	"context"
	"strings"
	"testing"

	"github.com/prometheus/procfs"
)

// The hand reader of /proc/PID agrees with prometheus/procfs, an
// independent reader, on every process of this host that lives through
// both reads.
func TestReadProcessMatchesProcfs(t *testing.T) {
	c := NewCollector(context.Background(), LiveSource())
	fs, err := procfs.NewDefaultFS()
	if err != nil {
		t.Fatal(err)
	}
	procs, err := fs.AllProcs()
	if err != nil {
		t.Fatal(err)
	}
	compared := 0
	for _, pp := range procs {
		pid := int64(pp.PID)
		// A running process may change state or threads between the two
		// reads (this test's own process does): a difference counts when
		// it stays through three reads of both.
		var ours, theirs Process
		var failed bool
		for range 3 {
			var err error
			ours, err = ReadProcess(c, pid)
			stat, err2 := pp.Stat()
			status, err3 := pp.NewStatus()
			if failed = err != nil || err2 != nil || err3 != nil; failed {
				break
			}
			theirs = Process{PID: pid, PPID: int64(stat.PPID), Comm: stat.Comm, State: stat.State, TGID: int64(status.TGID),
				UID: int64(status.UIDs[0]), EUID: int64(status.UIDs[1]), Threads: int64(stat.NumThreads), StartTicks: int64(stat.Starttime)}
			if ours == theirs {
				break
			}
		}
		args, err4 := pp.CmdLine()
		cmdline, err5 := ReadCmdline(c, pid)
		exe, err6 := ReadExe(c, pid)
		theirExe, err7 := pp.Executable()
		if failed || err4 != nil || err5 != nil || err6 != nil || err7 != nil {
			continue // exited, or not ours to read
		}
		if ours != theirs {
			t.Errorf("pid %d: ours %+v, procfs %+v", pid, ours, theirs)
		}
		if want := strings.Join(args, " "); cmdline != want {
			t.Errorf("pid %d: cmdline %q, procfs %q", pid, cmdline, want)
		}
		if exe != theirExe {
			t.Errorf("pid %d: exe %q, procfs %q", pid, exe, theirExe)
		}
		compared++
	}
	if compared < 5 {
		t.Errorf("only %d processes compared", compared)
	}
	t.Logf("%d processes agree with procfs", compared)
}

// BenchmarkReadProcess reads every process of this host by hand and with
// procfs, the two ways /proc/PID was read before (the columns processes
// fills: stat, status, cmdline, exe).
func BenchmarkReadProcess(b *testing.B) {
	c := NewCollector(context.Background(), LiveSource())
	pids, err := ListPIDs(c)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("by-hand", func(b *testing.B) {
		for b.Loop() {
			for _, pid := range pids {
				ReadProcess(c, pid)
				ReadCmdline(c, pid)
				ReadExe(c, pid)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(pids)), "ns/process")
	})
	b.Run("procfs", func(b *testing.B) {
		fs, _ := procfs.NewDefaultFS()
		for b.Loop() {
			for _, pid := range pids {
				p, err := fs.Proc(int(pid))
				if err != nil {
					continue
				}
				p.Stat()
				p.NewStatus()
				p.CmdLine()
				p.Executable()
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(pids)), "ns/process")
	})
}
