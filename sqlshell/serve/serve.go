// Package serve is netsql --serve: a Prometheus exporter whose metrics are
// saved queries. A query file with a `-- metric: NAME gauge|counter` header
// is exported: each row of its result is a sample, the column value its
// value and every other column a label. Each scrape runs every metric query
// on one moment of the engine (one kept snapshot), under a timeout;
// scrapes that arrive while one runs share its result. See ARCHITECTURE.md
// "Exporter".
package serve

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/exporter-toolkit/web"
	"go.yaml.in/yaml/v2"

	"netsql/queries"
	"netsql/sqlshell/sqltext"
	"netsql/tables/engine"
	"netsql/tables/kernel"
)

// Options are what --serve was asked.
type Options struct {
	Timeout   time.Duration // the longest a scrape's collection may run (--scrape-timeout)
	MaxSeries int           // the most samples one query may give (--max-series)
	Version   string        // netsql's version, for netsql_build_info
	// Log receives one line when a metric query starts failing or fails
	// differently; nil for none.
	Log io.Writer
}

// The exporter's own metrics; a query may not take these names.
const (
	errorsName   = "netsql_query_errors_total"
	droppedName  = "netsql_series_dropped_total"
	secondsName  = "netsql_scrape_seconds"
	warningsName = "netsql_scrape_warnings"
	buildName    = "netsql_build_info"
)

var (
	errorsDesc = prometheus.NewDesc(errorsName,
		"Scrapes in which the metric query failed (it gave no samples then).", []string{"query"}, nil)
	droppedDesc = prometheus.NewDesc(droppedName,
		"Rows of the metric query left out because they passed --max-series.", []string{"query"}, nil)
	secondsDesc = prometheus.NewDesc(secondsName,
		"Seconds the collection this scrape was served from took: every metric query on one moment.", nil, nil)
	warningsDesc = prometheus.NewDesc(warningsName,
		"Warnings of the collection this scrape was served from (a process that exited mid-walk, an unreadable fd directory).", nil, nil)
)

// Exporter serves the metric queries. It is a prometheus.Collector.
type Exporter struct {
	eng     *engine.Engine
	metrics []queries.Query
	opt     Options
	base    context.Context // ends every collection when the server stops

	engineMu sync.Mutex // the engine runs one statement at a time

	flightMu sync.Mutex
	flight   *flight // the collection running, shared by the scrapes that wait

	countsMu sync.Mutex
	errors   map[string]float64 // by query name
	dropped  map[string]float64
	lastErr  map[string]string // what was last logged, to log a change once

	collections atomic.Int64 // how many collections ran, for tests
	// beforeCollect, when set (by tests), runs at the start of each collection.
	beforeCollect func()
}

// flight is one collection and the scrapes waiting for it.
type flight struct {
	done    chan struct{}
	waiters atomic.Int64
	res     *result
}

// result is one collection: the samples of every query that succeeded.
type result struct {
	samples  []prometheus.Metric
	seconds  float64
	warnings int
}

var labelName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// New returns an exporter of the metric queries of list (those with a
// `-- metric:` header and no problem), run on eng. Two queries exporting
// one metric name, a name of the exporter's own, or a query of more than
// one statement is an error naming the query.
func New(ctx context.Context, eng *engine.Engine, list []queries.Query, opt Options) (*Exporter, error) {
	if opt.Timeout <= 0 {
		return nil, errors.New("scrape timeout must be more than 0")
	}
	if opt.MaxSeries <= 0 {
		return nil, errors.New("max series must be more than 0")
	}
	// A long-running exporter's peak memory matters more than a scrape's
	// milliseconds: collections keep the garbage collector running.
	engine.SetGCPause(false)
	x := &Exporter{eng: eng, opt: opt, base: ctx,
		errors: map[string]float64{}, dropped: map[string]float64{}, lastErr: map[string]string{}}
	byMetric := map[string]string{}
	for _, own := range []string{errorsName, droppedName, secondsName, warningsName, buildName} {
		byMetric[own] = "netsql itself"
	}
	for _, q := range list {
		if q.Metric == nil || q.Problem != nil {
			continue
		}
		if other, ok := byMetric[q.Metric.Name]; ok {
			return nil, fmt.Errorf("query %s (%s): metric %s is already exported by %s", q.Name, q.Origin, q.Metric.Name, other)
		}
		if n := len(sqltext.Split(q.SQL)); n != 1 {
			return nil, fmt.Errorf("query %s (%s): a metric query is one statement, this has %d", q.Name, q.Origin, n)
		}
		byMetric[q.Metric.Name] = "query " + q.Name
		x.metrics = append(x.metrics, q)
		x.errors[q.Name], x.dropped[q.Name] = 0, 0
	}
	if len(x.metrics) == 0 {
		return nil, errors.New("no metric queries: a query file needs a `-- metric: NAME gauge|counter` line after its description")
	}
	return x, nil
}

// Metrics returns the exported metric names, in the queries' order.
func (x *Exporter) Metrics() []string {
	names := make([]string, len(x.metrics))
	for i, q := range x.metrics {
		names[i] = q.Metric.Name
	}
	return names
}

// Describe sends nothing: the labels of a query's metric are its result's
// columns, known only once it ran, so the exporter is an unchecked collector.
func (x *Exporter) Describe(chan<- *prometheus.Desc) {}

// Collect serves one scrape from a collection: the running one if a scrape
// started one already, else a new one.
func (x *Exporter) Collect(ch chan<- prometheus.Metric) {
	res := x.shared()
	for _, m := range res.samples {
		ch <- m
	}
	ch <- prometheus.MustNewConstMetric(secondsDesc, prometheus.GaugeValue, res.seconds)
	ch <- prometheus.MustNewConstMetric(warningsDesc, prometheus.GaugeValue, float64(res.warnings))
	x.countsMu.Lock()
	defer x.countsMu.Unlock()
	for _, q := range x.metrics {
		ch <- prometheus.MustNewConstMetric(errorsDesc, prometheus.CounterValue, x.errors[q.Name], q.Name)
		ch <- prometheus.MustNewConstMetric(droppedDesc, prometheus.CounterValue, x.dropped[q.Name], q.Name)
	}
}

// shared joins the collection under way or runs a new one.
func (x *Exporter) shared() *result {
	x.flightMu.Lock()
	if f := x.flight; f != nil {
		f.waiters.Add(1)
		x.flightMu.Unlock()
		<-f.done
		return f.res
	}
	f := &flight{done: make(chan struct{})}
	x.flight = f
	x.flightMu.Unlock()
	f.res = x.collect()
	x.flightMu.Lock()
	x.flight = nil
	x.flightMu.Unlock()
	close(f.done)
	return f.res
}

// collect runs every metric query on one moment: the engine keeps one
// snapshot from the first query to the last.
func (x *Exporter) collect() *result {
	x.engineMu.Lock()
	defer x.engineMu.Unlock()
	x.collections.Add(1)
	if x.beforeCollect != nil {
		x.beforeCollect()
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(x.base, x.opt.Timeout)
	defer cancel()
	kept := x.eng.KeepSnapshot()
	if kept {
		x.eng.Refresh() // a new moment, still kept across the queries
	} else {
		x.eng.SetKeepSnapshot(true)
	}
	defer x.release(kept)
	res := &result{}
	seen := map[string]bool{}
	for _, q := range x.metrics {
		samples, dropped, warnings, err := x.run(ctx, q)
		for _, w := range warnings {
			if !seen[w.String()] {
				seen[w.String()] = true
				res.warnings++
			}
		}
		if err != nil && ctx.Err() != nil {
			err = fmt.Errorf("scrape timeout %v reached", x.opt.Timeout)
		}
		x.count(q.Name, dropped, err)
		if err == nil {
			res.samples = append(res.samples, samples...)
		}
	}
	res.seconds = time.Since(start).Seconds()
	return res
}

// release lets go of the scrape's snapshot and has the garbage collector
// reclaim it at once, so the next collection starts from a small heap
// instead of piling its rows on this one's (ARCHITECTURE.md "Exporter").
func (x *Exporter) release(kept bool) {
	if kept {
		x.eng.Refresh()
	} else {
		x.eng.SetKeepSnapshot(false)
	}
	runtime.GC()
}

// count records a query's outcome in the exporter's own counters and logs
// an error that is new for that query.
func (x *Exporter) count(query string, dropped int, err error) {
	x.countsMu.Lock()
	defer x.countsMu.Unlock()
	x.dropped[query] += float64(dropped)
	text := ""
	if err != nil {
		x.errors[query]++
		text = err.Error()
	}
	if text != x.lastErr[query] && x.opt.Log != nil {
		if text == "" {
			fmt.Fprintf(x.opt.Log, "netsql: --serve: query %s works again\n", query)
		} else {
			fmt.Fprintf(x.opt.Log, "netsql: --serve: query %s: %s\n", query, text)
		}
	}
	x.lastErr[query] = text
}

// run runs one metric query and makes its rows samples: at most MaxSeries,
// the rest counted in dropped.
func (x *Exporter) run(ctx context.Context, q queries.Query) (samples []prometheus.Metric, dropped int, _ []kernel.Warning, _ error) {
	valueType := prometheus.GaugeValue
	if q.Metric.Type == "counter" {
		valueType = prometheus.CounterValue
	}
	var rowErr error
	warnings, err := x.eng.Statement(ctx, q.SQL, nil, func(rows *sql.Rows) error {
		columns, err := rows.Columns()
		if err != nil {
			return err
		}
		valueAt, labels, err := labelColumns(columns)
		if err != nil {
			return err
		}
		desc := prometheus.NewDesc(q.Metric.Name, q.Metric.Help, labels, nil)
		vals := make([]any, len(columns))
		ptrs := make([]any, len(columns))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		seen := map[string]int{}
		for n := 1; rows.Next(); n++ {
			if len(samples) >= x.opt.MaxSeries {
				dropped++
				continue
			}
			if err := rows.Scan(ptrs...); err != nil {
				return err
			}
			var value float64
			switch v := vals[valueAt].(type) {
			case nil:
				continue // no value, no sample
			case int64:
				value = float64(v)
			case float64:
				value = v
			default:
				return fmt.Errorf("row %d: column value is %T %q, not a number", n, v, fmt.Sprint(v))
			}
			labelValues := make([]string, 0, len(labels))
			for i, v := range vals {
				if i != valueAt {
					labelValues = append(labelValues, labelText(v))
				}
			}
			key := strings.Join(labelValues, "\xff")
			if first, ok := seen[key]; ok {
				rowErr = fmt.Errorf("rows %d and %d have the same labels (%s): group by every label column", first, n, strings.Join(labelValues, ", "))
				return nil
			}
			seen[key] = n
			m, err := prometheus.NewConstMetric(desc, valueType, value, labelValues...)
			if err != nil {
				return fmt.Errorf("row %d: %w", n, err)
			}
			samples = append(samples, m)
		}
		return nil
	})
	if err == nil {
		err = rowErr
	}
	if err != nil {
		return nil, 0, warnings, errors.New(engine.CleanError(err))
	}
	return samples, dropped, warnings, nil
}

// labelColumns finds the value column among columns and checks the others
// are label names.
func labelColumns(columns []string) (valueAt int, labels []string, err error) {
	valueAt = -1
	for i, c := range columns {
		switch {
		case c == "value" && valueAt < 0:
			valueAt = i
		case c == "value":
			return 0, nil, errors.New("two columns named value")
		case !labelName.MatchString(c) || strings.HasPrefix(c, "__"):
			return 0, nil, fmt.Errorf("column %q is not a label name: name it with AS (letters, digits and _)", c)
		case slices.Contains(labels, c):
			return 0, nil, fmt.Errorf("two columns named %s", c)
		default:
			labels = append(labels, c)
		}
	}
	if valueAt < 0 {
		return 0, nil, fmt.Errorf("no column named value among %s: name the number with AS value", strings.Join(columns, ", "))
	}
	return valueAt, labels, nil
}

// labelText is a label's value: a number as SQLite prints it, NULL empty
// (to Prometheus, an empty label is no label).
func labelText(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case []byte:
		return string(v)
	case string:
		return v
	default:
		return fmt.Sprint(v)
	}
}

// Handler serves /metrics, from a registry holding the exporter, the Go
// runtime's and this process's metrics and netsql_build_info, and / (a
// one-line page naming the metrics).
func (x *Exporter) Handler() http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(x, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	build := prometheus.NewGauge(prometheus.GaugeOpts{Name: buildName, Help: "Always 1; the version label is netsql's.",
		ConstLabels: prometheus.Labels{"version": x.opt.Version}})
	build.Set(1)
	reg.MustRegister(build)
	mux := http.NewServeMux()
	// ContinueOnError: a sample the registry refuses leaves the others served.
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}))
	page := fmt.Sprintf("netsql exporter: /metrics serves %s\n", strings.Join(x.Metrics(), ", "))
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, page)
	})
	return mux
}

// ErrWebConfig marks a --web-config file Serve refused.
var ErrWebConfig = errors.New("--web-config")

// CheckWebConfig reads a Prometheus web configuration file (TLS, basic
// auth) and the files it names, as Serve will; "" is none. tls tells
// whether Serve will speak HTTPS. The error is one line naming the file.
func CheckWebConfig(webConfig string) (tls bool, _ error) {
	if webConfig == "" {
		return false, nil
	}
	refused := func(err error) error {
		if pe := (*fs.PathError)(nil); errors.As(err, &pe) && pe.Path == webConfig {
			err = pe.Err // the file itself: named once
		}
		return fmt.Errorf("%w %s: %s", ErrWebConfig, webConfig, newlines.ReplaceAllString(err.Error(), " "))
	}
	if err := web.Validate(webConfig); err != nil {
		return false, refused(err)
	}
	// The toolkit's own type, so the file reads as Serve will read it.
	var config web.Config
	content, err := os.ReadFile(webConfig)
	if err == nil {
		err = yaml.UnmarshalStrict(content, &config)
	}
	if err != nil {
		return false, refused(err)
	}
	return config.TLSConfig.IsEnabled(), nil
}

// newlines are the line breaks (and the indentation after them) of a
// multi-line error, such as YAML's list of unmarshal errors.
var newlines = regexp.MustCompile(`[ \t]*\n[ \t]*`)

// Serve serves handler on ln until ctx ends, then shuts down, letting
// running scrapes finish for a few seconds. webConfig, when not empty, is
// a Prometheus web configuration file (see CheckWebConfig). What the HTTP
// server and the toolkit log (a failed TLS handshake, a web configuration
// that no longer parses) goes to stderr, one line each, after
// "netsql: --serve: ".
func Serve(ctx context.Context, ln net.Listener, handler http.Handler, webConfig string, stderr io.Writer) error {
	logs := &prefixWriter{w: stderr, prefix: []byte("netsql: --serve: ")}
	server := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: time.Minute,
		ErrorLog: log.New(logs, "", 0)}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && (a.Key == slog.TimeKey || a.Key == slog.LevelKey) {
				return slog.Attr{}
			}
			return a
		}}))
	served := make(chan error, 1)
	go func() { served <- web.Serve(ln, server, &web.FlagConfig{WebConfigFile: &webConfig}, logger) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	stop, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	server.Shutdown(stop)
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// prefixWriter writes each Write (one log line) after its prefix, in one
// write, so lines from several goroutines do not interleave.
type prefixWriter struct {
	mu     sync.Mutex
	w      io.Writer
	prefix []byte
	buf    []byte
}

func (p *prefixWriter) Write(line []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.buf = append(append(p.buf[:0], p.prefix...), line...)
	if _, err := p.w.Write(p.buf); err != nil {
		return 0, err
	}
	return len(line), nil
}
