//go:build live

package tables

import (
	"context"
	"net"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"netsql/tables/kernel"
)

// churnChildEnv turns the test binary into a short-lived process that
// opens loopback sockets and exits (TestChurnChild).
const churnChildEnv = "NETSQL_CHURN_CHILD"

// TestChurnChild is not a test when run normally: with churnChildEnv set it
// is the child the churn test spawns. It holds a listener and a connected
// pair on loopback for a few milliseconds, then exits.
func TestChurnChild(t *testing.T) {
	if os.Getenv(churnChildEnv) != "1" {
		return
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		os.Exit(2)
	}
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		os.Exit(2)
	}
	s, _ := ln.Accept()
	time.Sleep(30 * time.Millisecond)
	c.Close()
	if s != nil {
		s.Close()
	}
	os.Exit(0)
}

// While processes holding sockets start and exit all the time, consecutive
// queries joining sockets, process_sockets and processes all succeed, and
// no row's pid contradicts its other columns.
func TestChurnQueriesKeepAnswering(t *testing.T) {
	const queries = 200
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// The spawner runs until the queries are done, two minutes at most.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var spawned, spawnFailed atomic.Int64
	var wg sync.WaitGroup
	// The spawner: about 100 children a second, bounded by the test's context.
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		var children sync.WaitGroup
		defer children.Wait()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			cmd := exec.Command(self, "-test.run=^TestChurnChild$")
			cmd.Env = append(os.Environ(), churnChildEnv+"=1")
			if err := cmd.Start(); err != nil {
				spawnFailed.Add(1)
				continue
			}
			spawned.Add(1)
			children.Add(1)
			go func() { cmd.Wait(); children.Done() }()
		}
	}()

	// A listener of our own, so every query has at least one owned socket to check.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()

	e, err := Open(context.Background(), kernel.LiveSource(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	q := `SELECT s.inode, s.pid, s.process, ps.pid, p.pid, p.name
	      FROM sockets s
	      JOIN process_sockets ps ON ps.inode = s.inode
	      LEFT JOIN processes p ON p.pid = ps.pid
	      WHERE s.family IN ('inet', 'inet6')`
	failures, rowsSeen, vanishedWarnings := 0, 0, 0
	for i := 0; i < queries; i++ {
		_, rows, warnings, err := e.Query(context.Background(), q)
		if err != nil {
			failures++
			t.Errorf("query %d: %v", i, err)
			continue
		}
		vanishedWarnings += len(warnings)
		for _, r := range rows {
			rowsSeen++
			inode, spid, sproc, pspid, ppid, pname := r[0], r[1], r[2], r[3], r[4], r[5]
			// sockets.pid is the lowest owner, so never above an owner's pid.
			if spid == nil || spid.(int64) > pspid.(int64) {
				t.Errorf("query %d: socket %v has pid %v but process_sockets names owner %v", i, inode, spid, pspid)
			}
			// When the owner is sockets.pid and processes has it, the names agree.
			if ppid != nil && spid == pspid && sproc != nil && pname != sproc {
				t.Errorf("query %d: pid %v is %q in sockets but %q in processes", i, spid, sproc, pname)
			}
		}
	}
	cancel()
	wg.Wait()
	t.Logf("%d queries under churn, %d failed; %d children spawned (%d spawn failures); %d joined rows; %d warning lines",
		queries, failures, spawned.Load(), spawnFailed.Load(), rowsSeen, vanishedWarnings)
	if spawned.Load() < 20 {
		t.Errorf("only %d children were spawned: the test did not churn", spawned.Load())
	}
	if rowsSeen == 0 {
		t.Error("no joined rows at all: the query found no owned inet socket, so it checked nothing")
	}
}
