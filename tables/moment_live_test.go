//go:build live

package tables

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"netsql/tables/kernel"
	"netsql/tables/tablestest"
)

// loopbackChurn opens and closes loopback TCP connections as fast as
// workers goroutines can, until stop is called, so sockets appear, change
// state and vanish while statements read them. It returns how many
// connections were made.
func loopbackChurn(t *testing.T, workers int) (stop func() int64) {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	var made atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the server side: accept and close at once
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				c, err := net.DialTimeout("tcp4", ln.Addr().String(), time.Second)
				if err != nil {
					time.Sleep(time.Millisecond)
					continue
				}
				made.Add(1)
				c.Close()
			}
		}()
	}
	return func() int64 {
		cancel()
		ln.Close()
		wg.Wait()
		return made.Load()
	}
}

// Under connection churn, every statement that names sockets more than
// once sees one moment: an anti-join of a socket with itself is empty, a
// whole is the sum of its parts, an OR is the sum of its disjoint terms,
// and a narrowed count equals the same count unnarrowed. Each statement
// returns 0 when the rule holds.
func TestLiveChurnOneMomentPerStatement(t *testing.T) {
	tablestest.RequireRoot(t)
	stop := loopbackChurn(t, 4)
	e := openFixture(t, kernel.LiveSource())
	invariants := []struct{ name, sql string }{
		{"anti-join of established sockets with themselves",
			`SELECT count(*) FROM sockets a WHERE a.state = 'ESTABLISHED'
			 AND NOT EXISTS (SELECT 1 FROM sockets b WHERE b.inode = a.inode)`},
		{"narrowed = unnarrowed",
			`SELECT (SELECT count(*) FROM sockets WHERE state = 'ESTABLISHED')
			      - (SELECT count(*) FROM sockets WHERE state LIKE 'ESTABLISHED')`},
		{"whole = sum of parts",
			`SELECT (SELECT count(*) FROM sockets WHERE proto = 'tcp')
			      - (SELECT count(*) FROM sockets WHERE proto = 'tcp' AND state = 'ESTABLISHED')
			      - (SELECT count(*) FROM sockets WHERE proto = 'tcp' AND state <> 'ESTABLISHED')`},
		{"OR = sum of disjoint terms",
			`SELECT (SELECT count(*) FROM sockets WHERE (state = 'ESTABLISHED' AND proto = 'tcp') OR (state = 'TIME_WAIT' AND proto = 'tcp'))
			      - (SELECT count(*) FROM sockets WHERE state = 'ESTABLISHED' AND proto = 'tcp')
			      - (SELECT count(*) FROM sockets WHERE state = 'TIME_WAIT' AND proto = 'tcp')`},
		{"IN = sum of its values, narrowed and not",
			`SELECT (SELECT count(*) FROM sockets WHERE state IN ('ESTABLISHED', 'TIME_WAIT', 'FIN_WAIT2'))
			      - (SELECT count(*) FROM sockets WHERE +state = 'ESTABLISHED')
			      - (SELECT count(*) FROM sockets WHERE state = 'TIME_WAIT')
			      - (SELECT count(*) FROM sockets WHERE state = 'FIN_WAIT2')`},
		{"self-join on the cookie keeps every socket once",
			`SELECT (SELECT count(*) FROM sockets a JOIN sockets b ON b.cookie = a.cookie WHERE a.proto = 'tcp')
			      - (SELECT count(*) FROM sockets WHERE proto = 'tcp' AND cookie IS NOT NULL)`},
	}
	const statements = 60
	seen := 0
	for i := range statements {
		inv := invariants[i%len(invariants)]
		_, rows, _, err := e.Query(context.Background(), inv.sql)
		if err != nil {
			t.Fatalf("%s: %v", inv.name, err)
		}
		if got := rows[0][0]; got != int64(0) {
			t.Errorf("statement %d, %s: got %v, want 0", i, inv.name, got)
		}
		_, rows, _, err = e.Query(context.Background(), "SELECT count(*) FROM sockets WHERE proto = 'tcp'")
		if err == nil {
			seen = max(seen, int(rows[0][0].(int64)))
		}
	}
	made := stop()
	t.Logf("%d statements while %d loopback connections opened and closed; up to %d tcp sockets seen", statements, made, seen)
	if made < 1000 {
		t.Errorf("only %d connections were made: the test did not churn", made)
	}
}
