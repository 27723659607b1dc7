package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"syscall"

	"netsql/queries"
	"netsql/sqlshell/serve"
	"netsql/tables/kernel"
)

// userQueries is the directory of the user's saved queries: --queries,
// else the default one.
func (o *options) userQueries() string {
	if o.queriesDir != "" {
		return o.queriesDir
	}
	return queries.UserDir()
}

// checkServeAddr refuses an --serve address without a host: netsql
// listens on every interface only when told so (0.0.0.0, [::]).
func checkServeAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	switch {
	case err != nil:
		return fmt.Errorf("--serve %q: want HOST:PORT, such as 127.0.0.1:9917", addr)
	case host == "":
		return fmt.Errorf("--serve %q: name the host: 127.0.0.1%s for this machine only, 0.0.0.0%s for every interface", addr, addr, addr)
	case port == "":
		return fmt.Errorf("--serve %q: name the port, such as %s", addr, net.JoinHostPort(host, "9917"))
	}
	return nil
}

// serveMetrics is --serve: the Prometheus exporter until SIGINT or
// SIGTERM, which end it with exit 0.
func serveMetrics(o *options, src *kernel.Source, stderr io.Writer) int {
	saved, err := queries.Load(o.userQueries())
	if err != nil {
		fmt.Fprintf(stderr, "netsql: --serve: %v\n", err)
		return exitUsage
	}
	for _, q := range saved {
		if q.Problem != nil && !o.quiet {
			fmt.Fprintf(stderr, "warning: %v: skipped\n", q.Problem)
		}
	}
	ctx, _, stop := signalContext(os.Interrupt, syscall.SIGTERM)
	defer stop()
	eng, _, err := openShell(ctx, o, src, io.Discard, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "netsql: %v\n", err)
		return exitFailed
	}
	defer eng.Close()
	var log io.Writer
	if !o.quiet {
		log = stderr
	}
	exp, err := serve.New(ctx, eng, saved, serve.Options{Timeout: o.scrapeTimeout, MaxSeries: o.maxSeries, Version: version, Log: log})
	if err != nil {
		fmt.Fprintf(stderr, "netsql: --serve: %v\n", err)
		return exitUsage
	}
	tls, err := serve.CheckWebConfig(o.webConfig)
	if err != nil {
		fmt.Fprintf(stderr, "netsql: %v\n", err)
		return exitUsage
	}
	scheme := "http"
	if tls {
		scheme = "https"
	}
	ln, err := net.Listen("tcp", o.serve)
	if err != nil {
		fmt.Fprintf(stderr, "netsql: --serve: %v\n", err)
		return exitFailed
	}
	if !o.quiet {
		fmt.Fprintf(stderr, "netsql: serving %d metrics at %s://%s/metrics\n", len(exp.Metrics()), scheme, ln.Addr())
	}
	if err := serve.Serve(ctx, ln, exp.Handler(), o.webConfig, stderr); err != nil {
		fmt.Fprintf(stderr, "netsql: --serve: %v\n", err)
		return exitFailed
	}
	return exitOK
}
