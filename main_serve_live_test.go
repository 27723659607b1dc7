//go:build live

package main

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"netsql/tables/tablestest"
)

// The netsql binary with --serve on this machine: a TCP and a UDP listener
// the test opened, and the exporter's own port, are in netsql_listeners
// with their ports and processes; SIGINT ends it with exit 0.
func TestLiveServe(t *testing.T) {
	tcp, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer tcp.Close()
	udp, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()

	cmd := exec.Command(tablestest.Netsql(t), "--serve", "127.0.0.1:0")
	stderrPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill() // a no-op once it exited
	lines := make(chan string, 100)
	go func() {
		defer close(lines)
		for s := bufio.NewScanner(stderrPipe); s.Scan(); {
			lines <- s.Text()
		}
	}()
	serving := regexp.MustCompile(`^netsql: serving [0-9]+ metrics at (http://127\.0\.0\.1:([0-9]+)/metrics)$`)
	var url, servePort string
	var stderr []string
	for url == "" {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("netsql ended before serving: %v, stderr %q", cmd.Wait(), stderr)
			}
			stderr = append(stderr, line)
			if m := serving.FindStringSubmatch(line); m != nil {
				url, servePort = m[1], m[2]
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("no serving line after 30 s; stderr %q", stderr)
		}
	}

	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	listeners := families["netsql_listeners"]
	if listeners.GetType() != dto.MetricType_GAUGE {
		t.Fatalf("netsql_listeners: %v, want a gauge", listeners)
	}
	me := selfComm(t)
	for _, want := range []struct{ proto, port, process string }{
		{"tcp", strconv.Itoa(tcp.Addr().(*net.TCPAddr).Port), me},
		{"udp", strconv.Itoa(udp.LocalAddr().(*net.UDPAddr).Port), me},
		{"tcp", servePort, "netsql"},
	} {
		if v, ok := listenerSample(listeners, want.proto, want.port, want.process); !ok || v < 1 {
			t.Errorf("netsql_listeners{proto=%q,port=%q,process=%q}: %v %v; samples of that port: %s", want.proto, want.port, want.process,
				v, ok, listenerSamples(listeners, want.port))
		}
	}
	if n := errorsOf(families); n != "" {
		t.Errorf("queries failed: %s", n)
	}

	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(30 * time.Second)
drain: // stderr to its end, before Wait closes the pipe
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				break drain
			}
			stderr = append(stderr, line)
		case <-deadline:
			cmd.Process.Kill()
			t.Fatalf("still running 30 s after SIGINT; stderr %q", stderr)
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("after SIGINT: %v, want exit 0; stderr %q", err, stderr)
	}
	for _, line := range stderr {
		if !serving.MatchString(line) && !strings.HasPrefix(line, "warning: ") {
			t.Errorf("stderr: %q", line)
		}
	}
}

// listenerSample is the value of the netsql_listeners sample with the
// labels given.
func listenerSample(f *dto.MetricFamily, proto, port, process string) (float64, bool) {
	for _, m := range f.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		if labels["proto"] == proto && labels["port"] == port && labels["process"] == process {
			return m.GetGauge().GetValue(), true
		}
	}
	return 0, false
}

// listenerSamples are the samples on port, for a failure's message.
func listenerSamples(f *dto.MetricFamily, port string) string {
	var out []string
	for _, m := range f.GetMetric() {
		var labels []string
		onPort := false
		for _, l := range m.GetLabel() {
			labels = append(labels, l.GetName()+"="+l.GetValue())
			onPort = onPort || l.GetName() == "port" && l.GetValue() == port
		}
		if onPort {
			out = append(out, fmt.Sprintf("{%s} %g", strings.Join(labels, ","), m.GetGauge().GetValue()))
		}
	}
	return fmt.Sprint(out)
}

// errorsOf names the queries whose netsql_query_errors_total is not 0.
func errorsOf(families map[string]*dto.MetricFamily) string {
	var failed []string
	for _, m := range families["netsql_query_errors_total"].GetMetric() {
		if m.GetCounter().GetValue() != 0 {
			failed = append(failed, m.GetLabel()[0].GetValue())
		}
	}
	return strings.Join(failed, ", ")
}
