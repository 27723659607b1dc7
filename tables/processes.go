package tables

import (
	"strconv"

	"netsql/tables/engine"
	"netsql/tables/kernel"
)

// processColumns declares the columns of Processes; the positions below are
// looked up by name in it.
var processColumns = []engine.Column{
	{Name: "pid", Type: engine.Integer, Doc: "process id"},
	{Name: "ppid", Type: engine.Integer, Doc: "parent process id"},
	{Name: "name", Type: engine.Text, Doc: "the kernel's command name (comm, at most 15 bytes), as ps and ss -p show"},
	{Name: "cmdline", Group: "details", Type: engine.Text, Doc: "command line, arguments separated by spaces; empty for kernel threads"},
	{Name: "exe", Group: "details", Type: engine.Text, Doc: "path of the executable; NULL when not readable (other users' processes without root) or a kernel thread"},
	{Name: "state", Type: engine.Text, Doc: "state letter: R running, S sleeping, D disk wait, Z zombie, T stopped, t traced, I idle"},
	{Name: "uid", Type: engine.Integer, Doc: "real user id"},
	{Name: "euid", Type: engine.Integer, Doc: "effective user id"},
	{Name: "user", Type: engine.Text, Doc: "name of the real user id from etc/passwd; NULL when it has none"},
	{Name: "threads", Type: engine.Integer, Doc: "number of threads"},
	{Name: "start_time", Type: engine.Integer, Doc: "start time in Unix seconds"},
	{Name: "netns", Group: "details", Type: engine.Integer, Doc: "inode of the process's network namespace (/proc/PID/ns/net); NULL when not readable"},
	{Name: "cgroup", Group: "details", Type: engine.Text, Doc: "cgroup v2 path (the 0:: line of /proc/PID/cgroup), else the first hierarchy's path"},
}

// Processes is every process netsql can read, in any namespace: what `ps`
// shows that an investigation of sockets needs. It reads
// /proc/PID/{stat,status,cmdline,exe,ns/net,cgroup} and /proc/stat (boot time).
var Processes = &engine.Dataset{
	Name:    "processes",
	Doc:     "one row per process, in any network namespace (ps)",
	Sources: []string{"/proc/PID/stat", "/proc/PID/status", "/proc/PID/cmdline", "/proc/PID/exe", "/proc/PID/ns/net", "/proc/PID/cgroup", "/proc/stat", "/etc/passwd"},
	Columns: processColumns,
	Collect: collectProcesses,
	// The command line, executable, namespace and cgroup cost three more
	// reads a process: read only when a statement uses them, and only then
	// does their unreadability become a warning.
	Fill: map[string]func(*kernel.Collector, []int, []engine.Row) error{"details": fillProcessDetails},
	Keys: []engine.Key{{Column: "pid", Stable: true, Collect: func(c *kernel.Collector, v any) ([]engine.Row, error) {
		pid := v.(int64)
		if ok, err := kernel.IsProcess(c, pid); err != nil || !ok {
			return nil, err
		}
		row, err := readProcess(c, pid)
		if row == nil || err != nil {
			return nil, err
		}
		return []engine.Row{row}, nil
	}}},
	EstimatedRows: 300,
	Diff:          engine.DiffSpec{Key: []string{"pid"}, Identity: []string{"start_time"}, Volatile: []string{"state", "threads"}},
}

// Positions of Processes's columns, by name: a column moved in the list moves
// its position with it.
var (
	procPID       = columnIndex(processColumns, "pid")
	procPPID      = columnIndex(processColumns, "ppid")
	procName      = columnIndex(processColumns, "name")
	procCmdline   = columnIndex(processColumns, "cmdline")
	procExe       = columnIndex(processColumns, "exe")
	procState     = columnIndex(processColumns, "state")
	procUID       = columnIndex(processColumns, "uid")
	procEUID      = columnIndex(processColumns, "euid")
	procUser      = columnIndex(processColumns, "user")
	procThreads   = columnIndex(processColumns, "threads")
	procStartTime = columnIndex(processColumns, "start_time")
	procNetns     = columnIndex(processColumns, "netns")
	procCgroup    = columnIndex(processColumns, "cgroup")
	procColumns   = len(processColumns)
)

func collectProcesses(c *kernel.Collector) ([]engine.Row, error) {
	pids, err := kernel.ListPIDs(c)
	if err != nil {
		return nil, err
	}
	rows := make([]engine.Row, 0, len(pids))
	for _, pid := range pids {
		if err := c.Err(); err != nil {
			return nil, err
		}
		row, err := readProcess(c, pid)
		if err != nil {
			return nil, err
		}
		c.Progress().AddProcess()
		if row != nil {
			rows = append(rows, row)
		}
	}
	return rows, nil
}

// readProcess reads one process. A process that vanished or cannot be read
// returns (nil, nil) and is counted; only an unexpected failure is an error.
func readProcess(c *kernel.Collector, pid int64) (engine.Row, error) {
	p, err := kernel.ReadProcess(c, pid)
	if err != nil {
		return nil, skipOrFail(c, pid, err)
	}
	if p.TGID != pid {
		return nil, nil // a thread id, which /proc resolves but does not list
	}
	row := make(engine.Row, procColumns)
	row[procPID] = pid
	row[procPPID] = p.PPID
	row[procName] = p.Comm
	row[procState] = p.State
	row[procUID] = p.UID
	row[procEUID] = p.EUID
	row[procUser] = kernel.UserName(c, p.UID)
	row[procThreads] = p.Threads
	if bt, ok := kernel.BootTime(c); ok {
		row[procStartTime] = bt + p.StartTicks/kernel.UserHZ
	}
	return row, nil
}

// fillProcessDetails reads the command line, executable, network namespace
// and cgroup of each row's process.
func fillProcessDetails(c *kernel.Collector, _ []int, rows []engine.Row) error {
	for _, row := range rows {
		if err := c.Err(); err != nil {
			return err
		}
		pid := row[procPID].(int64)
		if cmdline, err := kernel.ReadCmdline(c, pid); err == nil {
			row[procCmdline] = cmdline
		} else if kind, skip := kernel.SkipReason(err); skip {
			c.Warn(kind, pid)
		} else {
			return err // a FIFO, a file over the cap: the error names it
		}
		if exe, err := kernel.ReadExe(c, pid); err == nil && exe != "" {
			row[procExe] = exe
		} else if kind, skip := kernel.SkipReason(err); skip && kind == kernel.WarnProcessDenied {
			c.Warn(kernel.WarnProcessPartly, pid)
		}
		if ns, err := kernel.ReadNetns(c, c.Source().ProcPath(strconv.FormatInt(pid, 10), "ns", "net")); err == nil {
			row[procNetns] = ns
		} else if kind, skip := kernel.SkipReason(err); skip && kind == kernel.WarnProcessDenied {
			c.Warn(kernel.WarnProcessPartly, pid)
		}
		if data, err := c.ReadFile(c.Source().ProcPath(strconv.FormatInt(pid, 10), "cgroup")); err == nil {
			if path, ok := kernel.CgroupPath(data); ok {
				row[procCgroup] = path
			}
		}
	}
	return nil
}

func skipOrFail(c *kernel.Collector, pid int64, err error) error {
	if kind, skip := kernel.SkipReason(err); skip {
		c.Warn(kind, pid)
		return nil
	}
	return err
}
