package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"netsql/tables"
	"netsql/tables/engine"
	"netsql/tables/export"
	"netsql/tables/kernel"
	"netsql/tables/moment"
)

// exportMoment is --export DIR: one moment of the tables, of this machine
// or of the moment --from names, as Parquet or JSON lines files.
func exportMoment(o *options, src *kernel.Source, stderr io.Writer) int {
	ctx, interrupted, stop := runContext(o)
	defer stop()
	var live []*engine.Dataset // nil: every dataset, live
	if o.from != "" {
		live = []*engine.Dataset{}
	}
	eng, err := tables.Open(ctx, src, live)
	if err != nil {
		fmt.Fprintf(stderr, "netsql: %v\n", err)
		return exitFailed
	}
	defer eng.Close()
	datasets, schema := tables.All, "main"
	if o.from != "" {
		info, err := moment.Attach(ctx, eng, o.from, "saved")
		if err != nil {
			fmt.Fprintf(stderr, "netsql: --from %v\n", err)
			return exitUsage
		}
		// The saved tables netsql knows the columns of.
		datasets, schema = nil, "saved"
		for _, d := range tables.All {
			if slices.Contains(info.Tables, d.Name) {
				datasets = append(datasets, d)
			}
		}
	}
	format := o.format
	if format == "" {
		format = "parquet"
	}
	var names []string
	if o.saveTables != "" {
		names = strings.Split(o.saveTables, ",")
	}
	res, err := export.Export(ctx, eng, datasets, o.export, export.Options{Tables: names, Format: format, Schema: schema})
	if code, ok := interrupted(); ok {
		return code
	}
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (after --timeout %v)", ctx.Err(), o.timeout)
		}
		fmt.Fprintf(stderr, "netsql: --export %s: %v\n", o.export, err)
		return exitFailed
	}
	if !o.quiet {
		for _, w := range res.Warnings {
			fmt.Fprintln(stderr, w)
		}
		total := 0
		for _, f := range res.Files {
			total += f.Rows
		}
		fmt.Fprintf(stderr, "netsql: exported %d tables, %d rows, to %s\n", len(res.Files), total, o.export)
	}
	return exitOK
}
