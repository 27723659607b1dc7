package moment

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"netsql/tables"
	"netsql/tables/engine"
	"netsql/tables/kernel"

	"github.com/google/go-cmp/cmp"
)

// generated is one generated moment: each dataset's rows, in the
// declaration's column order.
type generated map[*engine.Dataset][][]any

// genTakenAt is when the old generated moment was taken; the new one is
// 2.5 s later.
var genTakenAt = time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC)

// generateMoments makes two moments of a host holding conns loopback TCP
// connections (two sockets each, with their tcp_info and holders), some
// unix sockets, processes, snmp counters and sysctls, as --save would
// write them. In the new moment one connection (or unix socket, process,
// counter) in every `every` is removed, one changes state, one is
// replaced by a new socket at the same address, one moves its counters,
// one changes and moves counters, one changes from NULL, and as many
// connections are added as removed; volatile columns change everywhere.
// A duplicated key with the same identity twice, in another order in
// the new moment, keeps the pairing order honest.
func generateMoments(conns, every int) (old, new generated) {
	old, new = generated{}, generated{}
	fate := func(i int) int { return i % every }
	const netns = int64(4026531840)
	socket := func(s, version int) map[string]any {
		c := s / 2
		host := fmt.Sprintf("127.0.0.%d", c%250+1)
		clientPort := int64(1024 + c/250)
		r := map[string]any{"proto": "tcp", "family": "inet", "type": "stream", "state": "ESTABLISHED",
			"recv_q": int64(version * s % 3), "send_q": int64(0), "uid": int64(0), "user": "root",
			"inode": int64(1_000_000 + s), "netns": netns, "pid": int64(1000 + s/5000), "process": "connload",
			"timer": "keepalive", "timer_ms": int64(7*s + 1000*version), "retransmits": int64(0),
			"drops": int64(0), "rmem": int64(version), "wmem": int64(0), "peer_inode": nil,
			"cookie": int64(5_000_000 + s), "fwmark": nil}
		if s%2 == 0 {
			r["local_addr"], r["local_port"], r["remote_addr"], r["remote_port"] = host, int64(20000), "127.0.0.1", clientPort
		} else {
			r["local_addr"], r["local_port"], r["remote_addr"], r["remote_port"] = "127.0.0.1", clientPort, host, int64(20000)
		}
		if version == 1 {
			switch fate(c) {
			case 2:
				if s%2 == 1 {
					r["state"] = "CLOSE_WAIT"
				}
			case 3:
				if s%2 == 0 {
					r["inode"] = int64(3_000_000 + s)
				}
			case 4:
				r["drops"] = int64(3)
			case 5:
				r["state"], r["drops"] = "FIN_WAIT1", int64(1)
			case 6:
				r["fwmark"], r["uid"] = int64(1), int64(1000)
			}
		}
		return r
	}
	tcpInfo := func(s, version int, sock map[string]any) map[string]any {
		r := map[string]any{"inode": sock["inode"], "cookie": sock["cookie"], "proto": "tcp", "state": sock["state"],
			"rtt_us": int64(50 + s%40 + version), "rto_us": int64(201000), "cwnd": int64(10), "mss": int64(65483),
			"rcv_mss": int64(536), "advmss": int64(65483), "pmtu": int64(65535), "total_retrans": int64(0),
			"bytes_sent": int64(100 + s), "bytes_acked": int64(101 + s), "bytes_received": int64(s),
			"segs_out": int64(10), "segs_in": int64(9), "delivered": int64(10), "last_send_ms": int64(1000 * version),
			"options": "ts sack wscale:7,7", "snd_wscale": int64(7), "rcv_wscale": int64(7), "congestion": "cubic",
			"netns": netns}
		if version == 1 && fate(s/2) == 4 {
			r["bytes_sent"], r["segs_out"] = int64(4100+s), int64(14)
		}
		return r
	}
	holders := func(s int, sock map[string]any) []map[string]any {
		rows := []map[string]any{{"pid": int64(1000 + s/5000), "fd": int64(3 + s%5000), "inode": sock["inode"], "netns": netns}}
		if s%5 != 0 { // most connections are held by a child too
			rows = append(rows, map[string]any{"pid": int64(2000 + s/5000), "fd": int64(3 + s%5000), "inode": sock["inode"], "netns": netns})
		}
		return rows
	}
	unix := func(u, version int) map[string]any {
		r := map[string]any{"proto": "u_str", "family": "unix", "type": "stream", "state": "ESTABLISHED",
			"recv_q": int64(0), "send_q": int64(0), "inode": int64(9_000_000 + u), "netns": netns, "pid": int64(300 + u%7),
			"process": "daemon", "peer_inode": int64(9_000_000 + u ^ 1), "drops": int64(0)}
		if version == 1 && fate(u) == 3 {
			r["inode"] = int64(8_000_000 + u)
		}
		return r
	}
	for version, m := range []generated{old, new} {
		var sockets, infos, owners [][]any
		add := func(s int) {
			sock := socket(s, version)
			sockets = append(sockets, values(tables.Sockets, sock))
			infos = append(infos, values(tables.TCPInfo, tcpInfo(s, version, sock)))
			for _, h := range holders(s, sock) {
				owners = append(owners, values(tables.ProcessSockets, h))
			}
		}
		var unixRows [][]any
		for u := range conns/10 + 3 { // unnamed: one key, told apart by inode
			if version == 1 && fate(u) == 1 {
				continue
			}
			unixRows = append(unixRows, values(tables.Sockets, unix(u, version)))
		}
		// A named listener restarted (a lone pair under its key), and two
		// rows with the same key and identity, in the other order later.
		named := map[string]any{"proto": "u_str", "family": "unix", "type": "stream", "state": "LISTEN",
			"path": "/run/app.sock", "inode": int64(77 + version), "netns": netns, "pid": int64(300)}
		twinA := map[string]any{"proto": "u_seq", "family": "unix", "path": "/run/twin", "state": "LISTEN", "inode": int64(90), "netns": netns}
		twinB := map[string]any{"proto": "u_seq", "family": "unix", "path": "/run/twin", "state": "ESTABLISHED", "inode": int64(90), "netns": netns}
		twins := [][]any{values(tables.Sockets, twinA), values(tables.Sockets, twinB)}
		if version == 1 {
			twins[0], twins[1] = twins[1], twins[0]
			for u := conns/10 + 3; u < conns/10+3+(conns/10+3)/every; u++ {
				unixRows = append(unixRows, values(tables.Sockets, unix(u, version)))
			}
			// The new moment lists unix sockets first.
			sockets = append(append(sockets, unixRows...), values(tables.Sockets, named))
			sockets = append(sockets, twins...)
		}
		for c := range conns {
			if version == 1 && fate(c) == 1 {
				continue
			}
			add(2 * c)
			add(2*c + 1)
		}
		if version == 1 {
			for c := conns; c < conns+conns/every; c++ {
				add(2 * c)
				add(2*c + 1)
			}
		} else {
			sockets = append(append(sockets, unixRows...), values(tables.Sockets, named))
			sockets = append(sockets, twins...)
		}
		var processes, snmp, sysctls [][]any
		for p := range 100 {
			if version == 1 && fate(p) == 1 {
				continue
			}
			start := int64(1_000_000 + p)
			if version == 1 && fate(p) == 3 {
				start += 500 // the pid was reused
			}
			processes = append(processes, values(tables.Processes, map[string]any{"pid": int64(1000 + p), "ppid": int64(1),
				"name": fmt.Sprintf("proc%d", p), "cmdline": fmt.Sprintf("/usr/bin/proc%d --flag", p), "exe": nil, "state": "S",
				"uid": int64(0), "euid": int64(0), "user": "root", "threads": int64(1 + version), "start_time": start,
				"netns": netns, "cgroup": "/system.slice"}))
		}
		for i := range 300 {
			value := int64(1000 * i)
			if version == 1 && i%3 == 0 {
				value += int64(i + 1)
			}
			proto := []string{"Ip", "Tcp", "Udp"}[i%3]
			snmp = append(snmp, values(tables.SNMP, map[string]any{"protocol": proto, "name": fmt.Sprintf("Counter%d", i/6),
				"key": fmt.Sprintf("%s.Counter%d", proto, i/6), "value": value, "netns": netns}))
		}
		for i := range 50 {
			value := fmt.Sprint(i)
			if version == 1 && fate(i) == 2 {
				value = "changed"
			}
			sysctls = append(sysctls, values(tables.Sysctls, map[string]any{"name": fmt.Sprintf("net.ipv4.setting_%d", i), "value": value, "netns": netns}))
		}
		m[tables.Sockets], m[tables.TCPInfo], m[tables.ProcessSockets] = sockets, infos, owners
		m[tables.Processes], m[tables.SNMP], m[tables.Sysctls] = processes, snmp, sysctls
	}
	return old, new
}

// values is a row of d from named values; a column not named is NULL.
func values(d *engine.Dataset, named map[string]any) []any {
	row := make([]any, len(d.Columns))
	for i, c := range d.Columns {
		row[i] = named[c.Name]
	}
	return row
}

// writeMoment writes m into a new file at path as Save lays one out: each
// dataset's table with its declared columns, and snapshot_info.
func writeMoment(tb testing.TB, path string, takenAt time.Time, m generated) {
	tb.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		tb.Fatal(err)
	}
	insert := func(name string, columns []engine.Column, rows [][]any) {
		if _, err := tx.Exec(createTable(name, columns)); err != nil {
			tb.Fatal(err)
		}
		stmt, err := tx.Prepare("INSERT INTO " + name + " VALUES (" + strings.TrimSuffix(strings.Repeat("?, ", len(columns)), ", ") + ")")
		if err != nil {
			tb.Fatal(err)
		}
		defer stmt.Close()
		for _, r := range rows {
			if _, err := stmt.Exec(r...); err != nil {
				tb.Fatal(err)
			}
		}
	}
	for _, d := range tables.All {
		if rows, ok := m[d]; ok {
			insert(d.Name, d.Columns, rows)
		}
	}
	insert(InfoTable, infoColumns, [][]any{{int64(Format), "test", "gen", nil, "6.0.0", takenAt.Format(time.RFC3339Nano),
		int64(4026531840), "generated", "{}", "[]"}})
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
}

// writeGenerated writes a pair of generated moments into dir.
func writeGenerated(tb testing.TB, dir string, conns, every int) (oldPath, newPath string) {
	old, new := generateMoments(conns, every)
	oldPath, newPath = filepath.Join(dir, "old.db"), filepath.Join(dir, "new.db")
	writeMoment(tb, oldPath, genTakenAt, old)
	writeMoment(tb, newPath, genTakenAt.Add(2500*time.Millisecond), new)
	return oldPath, newPath
}

// diffFiles compares two saved moments as --diff OLD NEW does.
func diffFiles(tb testing.TB, oldPath, newPath string) *DiffResult {
	tb.Helper()
	ctx := context.Background()
	e, err := tables.Open(ctx, kernel.RootSource(tb.TempDir()), []*engine.Dataset{})
	if err != nil {
		tb.Fatal(err)
	}
	defer e.Close()
	for _, m := range []struct{ path, schema string }{{oldPath, "baseline"}, {newPath, "saved"}} {
		if _, err := Attach(ctx, e, m.path, m.schema); err != nil {
			tb.Fatal(err)
		}
	}
	res, err := Diff(ctx, e, tables.All, "baseline", "saved", oldPath)
	if err != nil {
		tb.Fatal(err)
	}
	res.Old, res.New = "old.db", "new.db"
	return res
}

// The diff of two generated moments, as JSON and as text, is the one in
// testdata (NETSQL_UPDATE_GOLDEN=1 rewrites it): every kind
// of change, keys with NULLs, a key many rows share, identities paired
// in order, counters without identity.
func TestDiffGolden(t *testing.T) {
	oldPath, newPath := writeGenerated(t, t.TempDir(), 40, 10)
	res := diffFiles(t, oldPath, newPath)
	var jsonOut, jsonlOut, text bytes.Buffer
	if err := WriteDiffJSON(&jsonOut, res, false); err != nil {
		t.Fatal(err)
	}
	if err := WriteDiffJSON(&jsonlOut, res, true); err != nil {
		t.Fatal(err)
	}
	if err := WriteDiffText(&text, res, tables.All); err != nil {
		t.Fatal(err)
	}
	// The array holds the objects of the lines (which the golden file
	// keeps, one change a line).
	if array := "[" + strings.ReplaceAll(strings.TrimSuffix(jsonlOut.String(), "\n"), "\n", ",") + "]\n"; array != jsonOut.String() {
		t.Errorf("the JSON array is not the JSON lines' objects:\n%s", jsonOut.String())
	}
	for _, g := range []struct {
		file string
		got  []byte
	}{{"diff.jsonl", jsonlOut.Bytes()}, {"diff.txt", text.Bytes()}} {
		path := filepath.Join("testdata", g.file)
		if os.Getenv("NETSQL_UPDATE_GOLDEN") == "1" {
			if err := os.MkdirAll("testdata", 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, g.got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (NETSQL_UPDATE_GOLDEN=1 writes it)", err)
		}
		if !bytes.Equal(want, g.got) {
			t.Errorf("%s differs from the diff (NETSQL_UPDATE_GOLDEN=1 rewrites it); got:\n%s", path, g.got)
		}
	}
}

// BenchmarkDiff compares two generated moments of 50,000 loopback
// connections (100,000 sockets, their tcp_info and 180,000 holders), a
// tenth of a percent of them changed each way, and writes the JSON as
// --diff -o json does: the figure bench/moments.sh measures on live
// moments, without root.
func BenchmarkDiff(b *testing.B) {
	oldPath, newPath := writeGenerated(b, b.TempDir(), 50_000, 1000)
	b.ReportAllocs()
	for b.Loop() {
		res := diffFiles(b, oldPath, newPath)
		var out bytes.Buffer
		if err := WriteDiffJSON(&out, res, false); err != nil {
			b.Fatal(err)
		}
	}
}

// Keys whose hashes collide are told apart by their bytes: with every key
// hashed alike, groupOld and addNew find the groups a real hash finds.
func TestGroupByKeyCollisions(t *testing.T) {
	old, new := generateMoments(40, 10)
	d := tables.Sockets
	var cols []string
	for _, c := range d.Columns {
		cols = append(cols, c.Name)
	}
	l := newLayout(cols, d.Diff.Key, d.Diff.Identity)
	encode := func(rows [][]any) *rowSet {
		set := &rowSet{}
		for _, r := range rows {
			ordered := make([]driver.Value, len(l.order))
			for j, c := range l.order {
				ordered[j] = r[c]
			}
			if err := set.add(l, ordered); err != nil {
				t.Fatal(err)
			}
		}
		return set
	}
	before, after := encode(old[d]), encode(new[d])
	seed := maphash.MakeSeed()
	want := groupOld(before, func(key []byte) uint64 { return maphash.Bytes(seed, key) })
	want.addNew(after)
	got := groupOld(before, func([]byte) uint64 { return 7 })
	got.addNew(after)
	if len(want.groups) < 10 {
		t.Fatalf("only %d groups", len(want.groups))
	}
	for g := range want.groups {
		wantOld, wantNew := want.rows(g, nil, nil)
		gotOld, gotNew := got.rows(g, nil, nil)
		if !slices.Equal(wantOld, gotOld) || !slices.Equal(wantNew, gotNew) {
			t.Errorf("group %d: rows %v and %v with one hash for all, want %v and %v", g, gotOld, gotNew, wantOld, wantNew)
		}
	}
	if len(got.groups) != len(want.groups) {
		t.Errorf("%d groups with one hash for all, want %d", len(got.groups), len(want.groups))
	}
}

// encodingJSON is what WriteDiffJSON wrote before it wrote by hand: the
// changes through encoding/json's Encoder, an array or one a line.
func encodingJSON(changes []Change, lines bool) (string, error) {
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if !lines {
		if changes == nil {
			changes = []Change{}
		}
		err := enc.Encode(changes)
		return out.String(), err
	}
	for _, c := range changes {
		if err := enc.Encode(c); err != nil {
			return out.String(), err
		}
	}
	return out.String(), nil
}

// checkAsEncodingJSON fails t when WriteDiffJSON and encoding/json write
// documents that read back as different values, or fail differently. The
// bytes differ for texts only (jsontext keeps invalid bytes as \udcXX,
// which reads back as encoding/json's \ufffd, and escapes more controls).
func checkAsEncodingJSON(t *testing.T, changes []Change) {
	t.Helper()
	for _, lines := range []bool{false, true} {
		want, wantErr := encodingJSON(changes, lines)
		var got bytes.Buffer
		gotErr := WriteDiffJSON(&got, &DiffResult{Changes: changes}, lines)
		if (wantErr == nil) != (gotErr == nil) || (wantErr != nil && wantErr.Error() != gotErr.Error()) {
			t.Errorf("lines %v: error %v, encoding/json's %v", lines, gotErr, wantErr)
			continue
		}
		gotValues, err := readJSONValues(got.Bytes())
		if err != nil {
			t.Errorf("lines %v: not JSON: %v\n%s", lines, err, got.String())
			continue
		}
		wantValues, err := readJSONValues([]byte(want))
		if err != nil {
			t.Fatalf("encoding/json's output: %v", err)
		}
		if diff := cmp.Diff(wantValues, gotValues); diff != "" {
			t.Errorf("lines %v: read back (-encoding/json +WriteDiffJSON):\n%s\n got %s\nwant %s", lines, diff, got.String(), want)
		}
	}
}

// readJSONValues reads every JSON document of b (one, or one a line),
// numbers kept as written.
func readJSONValues(b []byte) ([]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out []any
	for {
		var v any
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, v)
	}
}

// A text's bytes that are not UTF-8 survive in --diff's JSON as they do
// in the query output's, and terminal controls are escaped.
func TestDiffJSONKeepsBytes(t *testing.T) {
	var got bytes.Buffer
	err := WriteDiffJSON(&got, &DiffResult{Changes: []Change{{Table: "sockets", Change: "added",
		Key: map[string]any{"path": "a\xffb\x7f\u009b"}}}}, true)
	if err != nil {
		t.Fatal(err)
	}
	if want := `"path":"a\udcffb\u007f\u009b"`; !strings.Contains(got.String(), want) {
		t.Errorf("got %s, want it to hold %s", got.String(), want)
	}
}

// WriteDiffJSON writes what encoding/json writes, read back: hostile texts (control
// bytes, bytes that are not UTF-8, U+2028, HTML's characters), numbers of
// every magnitude, blobs, empty and missing maps, the same columns in
// another set; and fails where it fails (NaN), writing nothing.
func TestDiffJSONAsEncodingJSON(t *testing.T) {
	row := func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	hostile := "a\"b\\c\b\f\n\r\t\x00\x01\x1f\x7f<>&'\u2028\u2029\xff\xc3(é日本\U0001F600\xed\xa0\x80 end"
	changes := []Change{
		{Table: "sockets", Change: "added", Key: row("proto", "tcp", "local_port", int64(22), "path", nil),
			After: row("proto", "tcp", "local_port", int64(22), "path", nil, "process", hostile)},
		{Table: "sockets", Change: "changed", Key: row("proto", "tcp", "local_port", int64(-9223372036854775808), "path", nil),
			Before: row("proto", "tcp", "local_port", int64(0), "path", hostile[:5]), After: row("proto", "tcp", "local_port", int64(1), "path", "x"),
			Columns: []string{"path", hostile}, Delta: map[string]int64{"drops": 3, "bytes": -1, hostile: 9223372036854775807}, ElapsedS: 2.5},
		{Table: "sockets", Change: "replaced", Key: row("local_port", int64(1)), // another set of key columns
			Before: row("a", 1e-7, "b", 1e21, "c", 123456789.125, "d", -0.0, "e", 5e-324, "f", 1e20, "g", []byte{0, 1, 2, 0xff}),
			After:  row("a", float64(1), "b", []byte{}, "c", true, "d", "", "e", nil, "f", int64(7), "g", []byte("x"))},
		{Table: "snmp", Change: "counters", Key: map[string]any{}, Delta: map[string]int64{"value": 1}, ElapsedS: 1e-9},
		{Table: "snmp", Change: "counters", Key: nil, Before: map[string]any{}, Columns: []string{}, Delta: map[string]int64{}, ElapsedS: 3e21},
		{Table: hostile, Change: hostile, Key: row(hostile, hostile)},
	}
	checkAsEncodingJSON(t, changes)
	checkAsEncodingJSON(t, nil)
	checkAsEncodingJSON(t, append(changes, Change{Table: "t", Change: "changed", Key: row("k", int64(1)), After: row("v", math.NaN())}))
	checkAsEncodingJSON(t, append(changes, Change{Table: "t", Change: "counters", Key: row("k", int64(1)), ElapsedS: math.Inf(1)}))
}

// FuzzDiffJSON: any text and number WriteDiffJSON writes as encoding/json
// does.
func FuzzDiffJSON(f *testing.F) {
	for _, s := range []string{"", "plain", "\x00\x1f\"\\", "\xff\xfe", "\u2028x\u2029", "<&>", "é\xc3"} {
		f.Add(s, 1.5)
	}
	f.Add("x", 1e-7)
	f.Add("x", 1e21)
	f.Fuzz(func(t *testing.T, s string, x float64) {
		checkAsEncodingJSON(t, []Change{{Table: s, Change: "changed", Key: map[string]any{s: s, "n": x},
			Before: map[string]any{"v": x, s: []byte(s)}, Columns: []string{s}, Delta: map[string]int64{s: 1}, ElapsedS: x}})
	})
}
