package tables

// What every namespace-scoped dataset shares: the netns column, the key
// that narrows a statement to some namespaces, and the read of each
// namespace of the statement's scope (ARCHITECTURE.md, "Namespaces").

import (
	"netsql/tables/engine"
	"netsql/tables/kernel"
)

// netnsColumn is the column every namespace-scoped dataset carries, so
// joins across tables can match on it.
func netnsColumn() engine.Column {
	return engine.Column{Name: "netns", Type: engine.Integer,
		Doc: "inode of the network namespace the row was read in (joins namespaces.netns); NULL when a tree does not say"}
}

// netnsKey narrows a statement to the namespaces it names (`WHERE netns =
// X`, `IN (...)`). It is not declared Stable though a row's namespace
// never changes: a statement reads all the namespaces it needs in one
// collection, in parallel, rather than one by one as a join asks.
var netnsKey = engine.Key{Column: "netns"}

// netnsValue is a namespace's inode as a column value: NULL when unknown
// (a tree without proc/self/ns/net).
func netnsValue(ns *kernel.Netns) any {
	if ns.Inode == 0 {
		return nil
	}
	return ns.Inode
}

// scopeWhere returns the namespaces of the statement's scope that only
// allows (nil allows all).
func scopeWhere(c *kernel.Collector, only map[int64]bool) ([]*kernel.Netns, error) {
	list, err := kernel.ScopeNetns(c)
	if err != nil || only == nil {
		return list, err
	}
	var kept []*kernel.Netns
	for _, ns := range list {
		if only[ns.Inode] {
			kept = append(kept, ns)
		}
	}
	return kept, nil
}

// acrossNetns reads collect inside each namespace of list and sets column
// col of every row to its namespace, widening a row built without it.
// collect is told the namespace's position in list.
func acrossNetns(c *kernel.Collector, list []*kernel.Netns, col int, collect func(c *kernel.Collector, i int) ([]engine.Row, error)) ([]engine.Row, error) {
	results, err := kernel.EachNetns(c, list, collect)
	if err != nil {
		return nil, err
	}
	var rows []engine.Row
	if len(results) == 1 {
		rows = results[0]
	} else {
		n := 0
		for _, r := range results {
			n += len(r)
		}
		rows = make([]engine.Row, 0, n)
	}
	// A row shorter than col whose column no statement reads (a pruned
	// read, kernel.Columns) stays short: Column reads it as NULL.
	used, pruned := kernel.Columns(c)
	unread := pruned && col < 63 && used&(1<<uint(col)) == 0
	for i, got := range results {
		v := netnsValue(list[i])
		for j, r := range got {
			if len(r) <= col {
				if unread {
					continue
				}
				r = append(r, make(engine.Row, col+1-len(r))...)
				got[j] = r
			}
			if r[col] != v { // a row handed over while streaming is final: no write
				r[col] = v
			}
		}
		if len(results) > 1 {
			rows = append(rows, got...)
		}
	}
	return rows, nil
}

// netnsCollect is the Collect of a dataset read per namespace, whose
// netns column is col: every namespace of the statement's scope.
func netnsCollect(col int, collect func(*kernel.Collector) ([]engine.Row, error)) func(*kernel.Collector) ([]engine.Row, error) {
	return func(c *kernel.Collector) ([]engine.Row, error) {
		list, err := kernel.ScopeNetns(c)
		if err != nil {
			return nil, err
		}
		return acrossNetns(c, list, col, ignoreIndex(collect))
	}
}

func ignoreIndex(collect func(*kernel.Collector) ([]engine.Row, error)) func(*kernel.Collector, int) ([]engine.Row, error) {
	return func(c *kernel.Collector, _ int) ([]engine.Row, error) { return collect(c) }
}

// netnsNarrow is the Narrow of a dataset whose one key is netns: the
// namespaces named, each read whole.
func netnsNarrow(col int, collect func(*kernel.Collector) ([]engine.Row, error)) func(*kernel.Collector, [][]engine.KeyValue) ([]engine.Row, error) {
	return netnsNarrowFunc(func(c *kernel.Collector, only map[int64]bool) ([]engine.Row, error) {
		list, err := scopeWhere(c, only)
		if err != nil {
			return nil, err
		}
		return acrossNetns(c, list, col, ignoreIndex(collect))
	})
}

// netnsNarrowFunc turns a read of the namespaces allowed by a set into the
// Narrow of a dataset whose one key is netns.
func netnsNarrowFunc(read func(*kernel.Collector, map[int64]bool) ([]engine.Row, error)) func(*kernel.Collector, [][]engine.KeyValue) ([]engine.Row, error) {
	return func(c *kernel.Collector, any [][]engine.KeyValue) ([]engine.Row, error) {
		only := map[int64]bool{}
		for _, conj := range any {
			for _, kv := range conj {
				if v, ok := kv.Value.(int64); ok && kv.Column == "netns" {
					only[v] = true
				}
			}
		}
		return read(c, only)
	}
}

// splitByNetns sorts the conjunctions of a Narrow by namespace: for each
// namespace of the scope, the conjunctions that can match its rows (those
// naming it, and those naming none), without their netns equality. A
// namespace no conjunction can match is left out; a conjunction left
// empty means the whole namespace.
func splitByNetns(c *kernel.Collector, any [][]engine.KeyValue) ([]*kernel.Netns, [][][]engine.KeyValue, error) {
	list, err := kernel.ScopeNetns(c)
	if err != nil {
		return nil, nil, err
	}
	var kept []*kernel.Netns
	var per [][][]engine.KeyValue
	for _, ns := range list {
		var mine [][]engine.KeyValue
		for _, conj := range any {
			match := true
			var rest []engine.KeyValue
			for _, kv := range conj {
				if kv.Column != "netns" {
					rest = append(rest, kv)
				} else if v, ok := kv.Value.(int64); !ok || v != ns.Inode {
					match = false
				}
			}
			if match {
				mine = append(mine, rest)
			}
		}
		if mine != nil {
			kept = append(kept, ns)
			per = append(per, mine)
		}
	}
	return kept, per, nil
}
