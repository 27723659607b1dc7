package tables

import (
	"context"
	"testing"
	"time"

	"netsql/tables/kernel"
)

// The OR reproductions on the fixture: each statement must count
// what the same condition counts when SQLite evaluates it itself (a unary
// + keeps a column from being offered to the engine, so the scan is whole
// and SQLite checks every row). Before rowids were unique in a snapshot,
// SQLite's OR (one scan per term, duplicates dropped by rowid) lost the
// UDP listeners and pid 1, and counted some rows twice.
func TestOrAcrossNarrowedColumns(t *testing.T) {
	e := openFixture(t, kernel.RootSource(fixtureRoot(t, nil)))
	cases := []struct{ narrowed, plain string }{
		{`SELECT count(*) FROM sockets WHERE (state = 'LISTEN' AND proto = 'tcp') OR (state = 'UNCONN' AND proto = 'udp')`,
			`SELECT count(*) FROM sockets WHERE (+state = 'LISTEN' AND +proto = 'tcp') OR (+state = 'UNCONN' AND +proto = 'udp')`},
		{`SELECT count(*) FROM sockets WHERE local_port = 22 OR local_port = 8080 OR proto = 'udp6'`,
			`SELECT count(*) FROM sockets WHERE +local_port = 22 OR +local_port = 8080 OR +proto = 'udp6'`},
		{`SELECT count(*) FROM processes WHERE pid = 1 OR ppid = 0`,
			`SELECT count(*) FROM processes WHERE +pid = 1 OR +ppid = 0`},
		{`SELECT count(*) FROM processes WHERE pid = 2044 OR ppid = 1`,
			`SELECT count(*) FROM processes WHERE +pid = 2044 OR +ppid = 1`},
		{`SELECT count(*) FROM process_sockets WHERE pid = 1500 OR inode = 1004`,
			`SELECT count(*) FROM process_sockets WHERE +pid = 1500 OR +inode = 1004`},
	}
	for _, c := range cases {
		got := query(t, e, c.narrowed)[0][0].(int64)
		want := query(t, e, c.plain)[0][0].(int64)
		if got != want || want == 0 {
			t.Errorf("%s\n  = %d, SQLite on every row counts %d", c.narrowed, got, want)
		}
	}
	// The saved query's shape: a TCP listener and a UDP socket both appear.
	rows := query(t, e, `SELECT proto FROM sockets WHERE (state = 'LISTEN' AND proto IN ('tcp', 'tcp6'))
		OR (state = 'UNCONN' AND proto IN ('udp', 'udp6')) GROUP BY proto ORDER BY proto`)
	if len(rows) != 4 {
		t.Errorf("listening protocols %v, want tcp, tcp6, udp, udp6", rows)
	}
}

// A CASE that picks a key's value at run time compiles to two constant
// loads with a jump between them: neither is the value, and the planner
// must not take the last one for it (a review found it did, and the
// fallback then read sockets twice: rows counted twice, and on the
// fixture a panic that left the statement hanging).
func TestCaseIsNotAConstant(t *testing.T) {
	e := openFixture(t, kernel.RootSource(fixtureRoot(t, nil)))
	cases := []struct{ narrowed, plain string }{
		{`SELECT count(*) FROM processes p CROSS JOIN sockets s WHERE p.pid = 1 AND
		    (s.state = 'UNCONN' OR s.proto = CASE WHEN p.name = 'systemd' THEN 'tcp' ELSE 'udp' END)`,
			`SELECT count(*) FROM processes p CROSS JOIN sockets s WHERE p.pid = 1 AND
		    (+s.state = 'UNCONN' OR +s.proto = CASE WHEN p.name = 'systemd' THEN 'tcp' ELSE 'udp' END)`},
		{`SELECT count(*) FROM processes p JOIN sockets s ON s.state = CASE WHEN p.pid > 1000 THEN 'LISTEN' ELSE 'UNCONN' END`,
			`SELECT count(*) FROM processes p JOIN sockets s ON +s.state = CASE WHEN p.pid > 1000 THEN 'LISTEN' ELSE 'UNCONN' END`},
	}
	for _, c := range cases {
		done := make(chan [2]any, 1)
		go func() {
			_, got, _, err := e.Query(context.Background(), c.narrowed)
			if err != nil || len(got) == 0 {
				done <- [2]any{nil, err}
				return
			}
			done <- [2]any{got[0][0], err}
		}()
		select {
		case r := <-done:
			want := query(t, e, c.plain)[0][0]
			if r[1] != nil || r[0] != want {
				t.Errorf("%s\n  = %v (error %v), SQLite on every row counts %v", c.narrowed, r[0], r[1], want)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("%s did not finish in 20 s", c.narrowed)
		}
		if d := e.Stats().Replanned["sockets"]; d != 0 {
			t.Errorf("%s: the plan was wrong and sockets was read again (%d)", c.narrowed, d)
		}
	}
}
