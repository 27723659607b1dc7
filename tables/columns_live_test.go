//go:build live

package tables

import (
	"testing"

	"netsql/tables/kernel"
)

// Every dataset of this host, tcp_info included (the fixture has none),
// holds values of its columns' declared types.
func TestRowsMatchDeclarationsLive(t *testing.T) {
	e := openFixture(t, kernel.LiveSource())
	if n := checkRowsMatchDeclarations(t, e); n < 100 {
		t.Errorf("only %d rows checked", n)
	}
}
