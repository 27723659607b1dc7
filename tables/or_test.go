package tables

import "testing"

// The OR reproductions on the fixture: each statement must count
// what the same condition counts when SQLite evaluates it itself (a unary
// + keeps a column from being offered to the engine, so the scan is whole
// and SQLite checks every row). Before rowids were unique in a snapshot,
// SQLite's OR (one scan per term, duplicates dropped by rowid) lost the
// UDP listeners and pid 1, and counted some rows twice.
func TestOrAcrossNarrowedColumns(t *testing.T) {
	e := openFixture(t, RootSource(fixtureRoot(t, nil)))
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
