package tables

import "netsql/tables/engine"

// columnIndex returns the position of the named column in a declaration,
// for the position variables each dataset file derives from its columns.
// A name that is not there is recorded in unknownColumns (a test over
// every dataset fails on it) and gives -1.
func columnIndex(columns []engine.Column, name string) int {
	for i, c := range columns {
		if c.Name == name {
			return i
		}
	}
	unknownColumns = append(unknownColumns, name)
	return -1
}

// unknownColumns are the names columnIndex did not find.
var unknownColumns []string
