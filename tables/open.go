package tables

import (
	"context"
	"sync"

	"netsql/tables/engine"
	"netsql/tables/kernel"
)

var registered struct {
	once sync.Once
	err  error
}

// Open registers the helper functions (once per process: SQLite functions
// reach only connections opened afterwards) and opens an engine over
// datasets, tables.All when nil, reading from src.
func Open(ctx context.Context, src *kernel.Source, datasets []*engine.Dataset) (*engine.Engine, error) {
	registered.once.Do(func() { registered.err = registerFunctions() })
	if registered.err != nil {
		return nil, registered.err
	}
	if datasets == nil {
		datasets = All
	}
	return engine.Open(ctx, src, datasets)
}
