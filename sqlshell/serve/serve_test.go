package serve

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"netsql/queries"
	"netsql/tables"
	"netsql/tables/engine"
	"netsql/tables/kernel"
	"netsql/tables/tablestest"
)

// fixture is an exporter on the fixture tree with the built-in metric
// queries and those written into a user directory (name → text).
func fixture(t *testing.T, user map[string]string, opt Options) (*Exporter, *engine.Engine, *httptest.Server) {
	t.Helper()
	root := tablestest.Root(t, nil)
	ctx := context.Background()
	eng, err := tables.Open(ctx, kernel.RootSource(root), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	dir := t.TempDir()
	for name, text := range user {
		if err := os.WriteFile(filepath.Join(dir, name+".sql"), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	list, err := queries.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if opt.Timeout == 0 {
		opt.Timeout = 10 * time.Second
	}
	if opt.MaxSeries == 0 {
		opt.MaxSeries = 10000
	}
	x, err := New(ctx, eng, list, opt)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(x.Handler())
	t.Cleanup(srv.Close)
	return x, eng, srv
}

// scrape gets /metrics and parses it as Prometheus does.
func scrape(t *testing.T, srv *httptest.Server) map[string]*dto.MetricFamily {
	t.Helper()
	families, err := parse(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	return families
}

func parse(url string) (map[string]*dto.MetricFamily, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		return nil, fmt.Errorf("GET %s: %s: %s", url, resp.Status, body)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	return parser.TextToMetricFamilies(resp.Body)
}

// samples are a family's samples as "label=value,... value", sorted.
func samples(f *dto.MetricFamily) []string {
	if f == nil {
		return nil
	}
	var out []string
	for _, m := range f.Metric {
		var labels []string
		for _, l := range m.Label {
			labels = append(labels, l.GetName()+"="+l.GetValue())
		}
		sort.Strings(labels)
		v := m.GetGauge().GetValue()
		if m.Counter != nil {
			v = m.GetCounter().GetValue()
		}
		out = append(out, fmt.Sprintf("%s %g", strings.Join(labels, ","), v))
	}
	sort.Strings(out)
	return out
}

// sample is the value of the family's sample with the labels given
// ("query=x"), or -1 when there is none.
func sample(f *dto.MetricFamily, labels string) float64 {
	for _, s := range samples(f) {
		if l, v, _ := strings.Cut(s, " "); l == labels {
			var n float64
			fmt.Sscan(v, &n)
			return n
		}
	}
	return -1
}

// Every default metric is served with the samples its query gives on the
// same tree, typed as its header says, and netsql's own metrics come along.
func TestDefaultMetricsMatchSQL(t *testing.T) {
	x, eng, srv := fixture(t, nil, Options{Version: "test"})
	got := scrape(t, srv)
	want := map[string]string{"netsql_sockets": "gauge", "netsql_listeners": "gauge", "netsql_remote_host_connections": "gauge",
		"netsql_tcp_retransmits_total": "counter", "netsql_interface_bytes_total": "counter", "netsql_interface_packets_total": "counter",
		"netsql_interface_errors_total": "counter", "netsql_interface_dropped_total": "counter", "netsql_snmp_total": "counter",
		"netsql_conntrack_entries": "gauge", "netsql_namespace_sockets": "gauge"}
	if names := x.Metrics(); len(names) != len(want) {
		t.Errorf("exported %q, want the %d defaults", names, len(want))
	}
	for _, q := range x.metrics {
		family := got[q.Metric.Name]
		if family == nil {
			t.Errorf("%s (query %s): not served", q.Metric.Name, q.Name)
			continue
		}
		if typ := strings.ToLower(family.GetType().String()); typ != want[q.Metric.Name] {
			t.Errorf("%s: type %s, want %s", q.Metric.Name, typ, want[q.Metric.Name])
		}
		columns, rows, _, err := eng.Query(context.Background(), q.SQL)
		if err != nil {
			t.Fatalf("%s: %v", q.Name, err)
		}
		var fromSQL []string
		for _, r := range rows {
			var labels []string
			value := 0.0
			for i, c := range columns {
				if c == "value" {
					fmt.Sscan(labelText(r[i]), &value)
				} else {
					labels = append(labels, c+"="+labelText(r[i]))
				}
			}
			sort.Strings(labels)
			fromSQL = append(fromSQL, fmt.Sprintf("%s %g", strings.Join(labels, ","), value))
		}
		sort.Strings(fromSQL)
		if len(fromSQL) == 0 {
			t.Errorf("%s: no rows on the fixture, so nothing is tested", q.Name)
		}
		if diff := cmp.Diff(fromSQL, samples(family)); diff != "" {
			t.Errorf("%s: SQL (-) and /metrics (+) differ:\n%s", q.Metric.Name, diff)
		}
		if n := sample(got["netsql_query_errors_total"], "query="+q.Name); n != 0 {
			t.Errorf("netsql_query_errors_total{query=%q} = %g", q.Name, n)
		}
	}
	// The same numbers by other SQL: every socket is in one proto and state.
	_, rows, _, err := eng.Query(context.Background(), "SELECT count(*), (SELECT count(*) FROM conntrack) FROM sockets")
	if err != nil {
		t.Fatal(err)
	}
	total := 0.0
	for _, m := range got["netsql_sockets"].Metric {
		total += m.GetGauge().GetValue()
	}
	if total != float64(rows[0][0].(int64)) || sample(got["netsql_conntrack_entries"], "") != float64(rows[0][1].(int64)) {
		t.Errorf("sum of netsql_sockets %g, netsql_conntrack_entries %g; SQL says %v", total, sample(got["netsql_conntrack_entries"], ""), rows[0])
	}
	if sample(got["netsql_listeners"], "port=22,process=sshd,proto=tcp") != 1 {
		t.Errorf("netsql_listeners has no sshd on 22: %q", samples(got["netsql_listeners"]))
	}
	for _, own := range []string{"netsql_scrape_seconds", "netsql_scrape_warnings", "netsql_build_info", "go_goroutines"} {
		if got[own] == nil {
			t.Errorf("%s: not served", own)
		}
	}
	if sample(got["netsql_build_info"], "version=test") != 1 {
		t.Errorf("netsql_build_info = %q", samples(got["netsql_build_info"]))
	}
	// The / page names every metric on one line.
	resp, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.Count(string(page), "\n") != 1 || !strings.Contains(string(page), "netsql_sockets, ") {
		t.Errorf("/ = %q", page)
	}
	if resp, err := http.Get(srv.URL + "/other"); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("/other: %v %v", resp.Status, err)
	}
}

// A scrape is one moment: every query of it reads each dataset from one
// collection, and the next scrape collects afresh.
func TestScrapeIsOneMoment(t *testing.T) {
	_, eng, srv := fixture(t, nil, Options{})
	for i := 1; i <= 2; i++ {
		scrape(t, srv)
		stats := eng.Stats()
		// sockets is read by three queries, interfaces by four.
		if stats.Collections["sockets"] != i || stats.Collections["interfaces"] != i || stats.Collections["snmp"] != i {
			t.Errorf("after %d scrapes: collections %v", i, stats.Collections)
		}
	}
	if eng.KeepSnapshot() {
		t.Error("the engine still keeps a snapshot after the scrape")
	}
}

// A scrape lets its snapshot go, also on an engine that keeps snapshots
// across statements: the next statement collects afresh.
func TestScrapeLetsItsSnapshotGo(t *testing.T) {
	_, eng, srv := fixture(t, nil, Options{})
	eng.SetKeepSnapshot(true)
	scrape(t, srv)
	before := eng.Stats()
	if _, _, _, err := eng.Query(context.Background(), "SELECT count(*) FROM sockets"); err != nil {
		t.Fatal(err)
	}
	if got := eng.Stats().Sub(before).Collections["sockets"]; got != 1 || !eng.KeepSnapshot() {
		t.Errorf("after a scrape: the next statement collected sockets %d times (want 1, afresh), keep snapshot %v (want true, as before)", got, eng.KeepSnapshot())
	}
}

// Scrapes that arrive while a collection runs get its result; the
// collection runs once.
func TestConcurrentScrapesShareOneCollection(t *testing.T) {
	x, _, srv := fixture(t, nil, Options{})
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	x.beforeCollect = func() {
		started <- struct{}{}
		<-release
	}
	const scrapes = 5
	bodies := make([]map[string]*dto.MetricFamily, scrapes)
	errs := make([]error, scrapes)
	var wg sync.WaitGroup
	for i := range scrapes {
		wg.Go(func() { bodies[i], errs[i] = parse(srv.URL + "/metrics") })
	}
	<-started
	tablestest.WaitFor(t, 10*time.Second, "every scrape waiting on the collection", func() bool {
		x.flightMu.Lock()
		defer x.flightMu.Unlock()
		return x.flight != nil && x.flight.waiters.Load() == scrapes-1
	})
	close(release)
	wg.Wait()
	if n := x.collections.Load(); n != 1 {
		t.Errorf("%d scrapes made %d collections, want 1", scrapes, n)
	}
	for i := range scrapes {
		if errs[i] != nil {
			t.Fatalf("scrape %d: %v", i, errs[i])
		}
		if diff := cmp.Diff(samples(bodies[0]["netsql_scrape_seconds"]), samples(bodies[i]["netsql_scrape_seconds"])); diff != "" {
			t.Errorf("scrape %d was served from another collection:\n%s", i, diff)
		}
	}
	x.beforeCollect = nil
	scrape(t, srv)
	if n := x.collections.Load(); n != 2 {
		t.Errorf("a later scrape made %d collections in all, want 2", n)
	}
}

// A query that fails leaves the scrape whole: its error is counted per
// scrape and logged once, and the other metrics are served.
func TestFailingQueryIsCounted(t *testing.T) {
	var log strings.Builder
	user := map[string]string{
		"broken":    "-- description: a column that is not there\n-- metric: netsql_broken gauge\nSELECT no_such_column AS value FROM sockets;\n",
		"novalue":   "-- description: no value column\n-- metric: netsql_novalue gauge\nSELECT proto, count(*) AS n FROM sockets GROUP BY proto;\n",
		"textvalue": "-- description: a text value\n-- metric: netsql_textvalue gauge\nSELECT 'many' AS value;\n",
		"twice":     "-- description: labels repeated\n-- metric: netsql_twice gauge\nSELECT family, count(*) AS value FROM sockets GROUP BY proto;\n",
		"badlabel":  "-- description: a column not a label name\n-- metric: netsql_badlabel gauge\nSELECT count(*) AS value, proto || '' FROM sockets GROUP BY proto;\n",
	}
	x, _, srv := fixture(t, user, Options{Log: &log})
	scrape(t, srv)
	got := scrape(t, srv)
	for name := range user {
		if n := sample(got["netsql_query_errors_total"], "query="+name); n != 2 {
			t.Errorf("netsql_query_errors_total{query=%q} = %g after 2 scrapes, want 2", name, n)
		}
		if got["netsql_"+name] != nil {
			t.Errorf("netsql_%s served: %q", name, samples(got["netsql_"+name]))
		}
	}
	if got["netsql_sockets"] == nil || sample(got["netsql_query_errors_total"], "query=metric_sockets") != 0 {
		t.Errorf("the default metrics suffered: %q", samples(got["netsql_query_errors_total"]))
	}
	lines := strings.Split(strings.TrimSpace(log.String()), "\n")
	wants := []string{"query broken: no such column: no_such_column", "query novalue: no column named value among proto, n",
		"query textvalue: row 1: column value is string \"many\", not a number", "query twice: rows ",
		"query badlabel: column \"proto || ''\" is not a label name"}
	for _, w := range wants {
		if !slices.ContainsFunc(lines, func(l string) bool { return strings.Contains(l, w) }) {
			t.Errorf("no log line with %q in:\n%s", w, log.String())
		}
	}
	if len(lines) != len(user) {
		t.Errorf("%d log lines after two scrapes, want one a failing query:\n%s", len(lines), log.String())
	}
	if len(x.Metrics()) != 11+len(user) { // the defaults and the user's
		t.Errorf("metrics %q", x.Metrics())
	}
}

// A query slower than --scrape-timeout is stopped and counted; the scrape
// answers.
func TestScrapeTimeout(t *testing.T) {
	user := map[string]string{"slow": "-- description: counts for ever\n-- metric: netsql_slow gauge\n" +
		"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT max(i) AS value FROM n;\n"}
	var log strings.Builder
	_, _, srv := fixture(t, user, Options{Timeout: 300 * time.Millisecond, Log: &log})
	got := scrape(t, srv)
	if n := sample(got["netsql_query_errors_total"], "query=slow"); n != 1 {
		t.Errorf("netsql_query_errors_total{query=\"slow\"} = %g", n)
	}
	if !strings.Contains(log.String(), "query slow: scrape timeout 300ms reached") {
		t.Errorf("log: %q", log.String())
	}
}

// A query with more rows than --max-series gives that many samples and
// counts the rest.
func TestSeriesCap(t *testing.T) {
	_, eng, srv := fixture(t, nil, Options{MaxSeries: 3})
	_, rows, _, err := eng.Query(context.Background(), "SELECT count(DISTINCT proto || ' ' || state) FROM sockets")
	if err != nil {
		t.Fatal(err)
	}
	groups := float64(rows[0][0].(int64))
	got := scrape(t, srv)
	if n := len(got["netsql_sockets"].GetMetric()); n != 3 {
		t.Errorf("netsql_sockets has %d samples, want 3", n)
	}
	if n := sample(got["netsql_series_dropped_total"], "query=metric_sockets"); n != groups-3 {
		t.Errorf("netsql_series_dropped_total{query=\"metric_sockets\"} = %g, want %g", n, groups-3)
	}
	if n := sample(got["netsql_series_dropped_total"], "query=metric_conntrack"); n != 0 {
		t.Errorf("netsql_series_dropped_total{query=\"metric_conntrack\"} = %g", n)
	}
	scrape(t, srv)
	got = scrape(t, srv)
	if n := sample(got["netsql_series_dropped_total"], "query=metric_sockets"); n != 3*(groups-3) {
		t.Errorf("after 3 scrapes netsql_series_dropped_total = %g, want %g", n, 3*(groups-3))
	}
}

// Two queries may not export one name, nor take one of netsql's own.
func TestNewRefusesClashes(t *testing.T) {
	for name, text := range map[string]string{
		"again": "-- description: d\n-- metric: netsql_sockets gauge\nSELECT 1 AS value;\n",
		"own":   "-- description: d\n-- metric: netsql_scrape_seconds gauge\nSELECT 1 AS value;\n",
		"two":   "-- description: d\n-- metric: netsql_two gauge\nSELECT 1 AS value; SELECT 2 AS value;\n",
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, name+".sql"), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		list, err := queries.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		_, err = New(context.Background(), nil, list, Options{Timeout: time.Second, MaxSeries: 1})
		if err == nil || !strings.Contains(err.Error(), "query ") {
			t.Errorf("%s: New = %v, want an error naming the query", name, err)
		}
	}
}
