package tables

import (
	"strings"
	"testing"

	"netsql/tables/engine"
	"netsql/tables/kernel"
)

func TestRegistryDeclarationsValidate(t *testing.T) {
	seen := map[string]bool{}
	for _, d := range All {
		if err := d.Validate(); err != nil {
			t.Error(err)
		}
		if seen[d.Name] {
			t.Errorf("dataset %s registered twice", d.Name)
		}
		if len(d.Diff.Key) == 0 {
			t.Errorf("dataset %s declares no diff key (--diff matches rows by it)", d.Name)
		}
		seen[d.Name] = true
	}
	for _, name := range []string{"sockets", "processes", "process_sockets"} {
		if !seen[name] {
			t.Errorf("dataset %s is not in tables.All", name)
		}
	}
}

// The column constants used by the producers must match the declarations.
func TestColumnConstantsMatchDeclarations(t *testing.T) {
	check := func(d *engine.Dataset, n int, named map[string]int) {
		if len(d.Columns) != n {
			t.Errorf("%s declares %d columns, its constants say %d", d.Name, len(d.Columns), n)
		}
		for name, i := range named {
			if got := d.ColumnIndex(name); got != i {
				t.Errorf("%s.%s is column %d, its constant says %d", d.Name, name, got, i)
			}
		}
	}
	check(Sockets, sockColumns, map[string]int{"proto": sockProtoCol, "state": sockState, "inode": sockInode,
		"pid": sockPID, "process": sockProcess, "path": sockPath, "wmem": sockWmem, "user": sockUser, "netns": sockNetns,
		"drops": sockDrops, "rmem": sockRmem, "peer_inode": sockPeerInode, "cookie": sockCookie,
		"interface": sockInterface, "fwmark": sockFwmark, "v6only": sockV6only, "backlog": sockBacklog})
	check(TCPInfo, tiColumns, map[string]int{"inode": tiInode, "cookie": tiCookie, "proto": tiProto,
		"state": tiState, "rtt_us": tiFirstField})
	check(Processes, procColumns, map[string]int{"pid": procPID, "name": procName, "netns": procNetns, "cgroup": procCgroup})
}

func TestValidateRejectsBadDeclarations(t *testing.T) {
	good := func() *engine.Dataset {
		return &engine.Dataset{Name: "things", Doc: "things", Sources: []string{"x"},
			Columns: []engine.Column{{Name: "a", Type: engine.Integer, Doc: "a"}},
			Collect: func(*kernel.Collector) ([]engine.Row, error) { return nil, nil }}
	}
	if err := good().Validate(); err != nil {
		t.Fatalf("a good declaration fails: %v", err)
	}
	cases := map[string]func(d *engine.Dataset){
		"keyword table":        func(d *engine.Dataset) { d.Name = "table" },
		"CamelCase":            func(d *engine.Dataset) { d.Name = "Things" },
		"no doc":               func(d *engine.Dataset) { d.Doc = "" },
		"no sources":           func(d *engine.Dataset) { d.Sources = nil },
		"no collect":           func(d *engine.Dataset) { d.Collect = nil },
		"keyword column":       func(d *engine.Dataset) { d.Columns[0].Name = "group" },
		"column without doc":   func(d *engine.Dataset) { d.Columns[0].Doc = " " },
		"column without type":  func(d *engine.Dataset) { d.Columns[0].Type = 0 },
		"duplicate column":     func(d *engine.Dataset) { d.Columns = append(d.Columns, d.Columns[0]) },
		"key on no column":     func(d *engine.Dataset) { d.Keys = []engine.Key{{Column: "zz", Collect: d.Keys[0].Collect}} },
		"group without fill":   func(d *engine.Dataset) { d.Columns[0].Group = "owners" },
		"multi-line doc":       func(d *engine.Dataset) { d.Doc = "a\nb" },
		"diff key no column":   func(d *engine.Dataset) { d.Diff.Key = []string{"zz"} },
		"diff key and counter": func(d *engine.Dataset) { d.Diff = engine.DiffSpec{Key: []string{"a"}, Counters: []string{"a"}} },
	}
	for name, mutate := range cases {
		d := good()
		d.Keys = []engine.Key{{Column: "a", Collect: func(*kernel.Collector, any) ([]engine.Row, error) { return nil, nil }}}
		mutate(d)
		if err := d.Validate(); err == nil {
			t.Errorf("%s: Validate accepted it", name)
		}
	}
}

func TestCreateTableSQLCarriesDescriptions(t *testing.T) {
	sql := Sockets.CreateTableSQL()
	for _, want := range []string{"CREATE TABLE sockets (", "local_port INTEGER,", "-- lowest pid holding the socket", ");"} {
		if !strings.Contains(sql, want) {
			t.Errorf("CREATE TABLE lacks %q:\n%s", want, sql)
		}
	}
}
