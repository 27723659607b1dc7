package tables

import (
	"os"
	"testing"

	"netsql/tables/tablestest"
)

// TestMain removes the netsql binary that live tests built (tablestest.Netsql),
// so test runs leave nothing in the temporary directory.
func TestMain(m *testing.M) {
	if os.Getenv(netnsHolderEnv) != "" {
		os.Exit(holdNetnsSockets()) // a socket holder a live test started (netns_hold_test.go)
	}
	code := m.Run()
	tablestest.RemoveBuilt()
	os.Exit(code)
}
