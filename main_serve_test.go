package main

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"netsql/tables/tablestest"
)

// lockedBuffer is a bytes.Buffer that run's goroutines and the test may
// share.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// serveCLI starts run with args (which include --serve 127.0.0.1:0) and
// waits for its serving line; stop sends SIGINT and returns the exit code.
func serveCLI(t *testing.T, args ...string) (url string, stderr *lockedBuffer, stop func() int) {
	t.Helper()
	stderr = &lockedBuffer{}
	done := make(chan int, 1)
	go func() { done <- run(args, strings.NewReader(""), io.Discard, stderr) }()
	serving := regexp.MustCompile(`netsql: serving [0-9]+ metrics at (https?://127\.0\.0\.1:[0-9]+/metrics)\n`)
	tablestest.WaitFor(t, 10*time.Second, "the serving line", func() bool {
		if m := serving.FindStringSubmatch(stderr.String()); m != nil {
			url = m[1]
		}
		return url != ""
	})
	stopped := false
	stop = func() int {
		t.Helper()
		stopped = true
		syscall.Kill(os.Getpid(), syscall.SIGINT)
		select {
		case code := <-done:
			return code
		case <-time.After(10 * time.Second):
			t.Fatal("--serve did not stop on SIGINT")
			return -1
		}
	}
	t.Cleanup(func() {
		if !stopped {
			stop()
		}
	})
	return url, stderr, stop
}

// netsql --serve on the fixture tree serves the default metrics and the
// user's from --queries, until SIGINT, which ends it with exit 0.
func TestServeCLI(t *testing.T) {
	root := tablestest.Root(t, nil)
	dir := t.TempDir()
	mine := "-- description: unix sockets\n-- metric: my_unix_sockets gauge\nSELECT count(*) AS value FROM sockets WHERE family = 'unix';\n"
	if err := os.WriteFile(filepath.Join(dir, "mine.sql"), []byte(mine), 0o644); err != nil {
		t.Fatal(err)
	}
	url, stderr, stop := serveCLI(t, "--root", root, "--serve", "127.0.0.1:0", "--queries", dir)
	if !strings.Contains(stderr.String(), "netsql: serving 12 metrics at http://") {
		t.Errorf("stderr %q", stderr.String())
	}
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"\nmy_unix_sockets 4\n", "\nnetsql_sockets{proto=\"tcp\",state=\"LISTEN\"} 2\n", "\nnetsql_scrape_seconds "} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q:\n%s", want, body)
		}
	}
	if code := stop(); code != 0 {
		t.Errorf("exit %d after SIGINT, stderr %q", code, stderr.String())
	}
}

// With --web-config naming TLS and basic auth, the serving line says
// https and /metrics answers the right user only.
func TestServeTLSCLI(t *testing.T) {
	config, client := tablestest.WebConfig(t, map[string]string{"prometheus": "s3cret"})
	url, stderr, stop := serveCLI(t, "--root", tablestest.Root(t, nil), "--serve", "127.0.0.1:0", "--web-config", config)
	if !strings.HasPrefix(url, "https://") {
		t.Errorf("serving at %s, want https", url)
	}
	for _, c := range []struct {
		password string
		want     int
	}{{"s3cret", http.StatusOK}, {"wrong", http.StatusUnauthorized}} {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.SetBasicAuth("prometheus", c.password)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.want || (c.want == http.StatusOK) != strings.Contains(string(body), "\nnetsql_sockets{") {
			t.Errorf("password %q: %s %.200q, want %d", c.password, resp.Status, body, c.want)
		}
	}
	if code := stop(); code != 0 {
		t.Errorf("exit %d after SIGINT, stderr %q", code, stderr.String())
	}
}

func TestServeUsage(t *testing.T) {
	configs := t.TempDir()
	config := filepath.Join(configs, "web.yml")
	if err := os.WriteFile(config, []byte("tls_server_config:\n  cert_file: /nonexistent/cert.pem\n  key_file: /nonexistent/key.pem\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A misspelt key: YAML's error spans two lines, netsql's is one.
	malformed := filepath.Join(configs, "malformed.yml")
	if err := os.WriteFile(malformed, []byte("tls_server_cfg:\n  cert_file: cert.pem\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	root := tablestest.Root(t, nil)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--serve", ":9917"}, `--serve ":9917": name the host: 127.0.0.1:9917 for this machine only, 0.0.0.0:9917 for every interface`},
		{[]string{"--serve", "9917"}, `--serve "9917": want HOST:PORT, such as 127.0.0.1:9917`},
		{[]string{"--serve", "127.0.0.1:9917", "SELECT 1"}, "--serve runs the metric queries for each scrape"},
		{[]string{"--serve", "127.0.0.1:9917", "--save", "x.db"}, "--serve runs the metric queries for each scrape"},
		{[]string{"--max-series", "5", "SELECT 1"}, "--web-config, --max-series and --scrape-timeout go with --serve"},
		{[]string{"--serve", "127.0.0.1:0", "--max-series", "0"}, "--max-series must be more than 0"},
		{[]string{"--serve", "127.0.0.1:0", "--scrape-timeout", "0"}, "invalid value \"0\" for flag -scrape-timeout: must be more than 0"},
		{[]string{"--root", root, "--serve", "127.0.0.1:0", "--web-config", config}, "netsql: --web-config " + config + ": "},
		{[]string{"--root", root, "--serve", "127.0.0.1:0", "--web-config", malformed}, "netsql: --web-config " + malformed + ": yaml: unmarshal errors: line 1: field tls_server_cfg not found in type web.Config"},
	}
	for _, c := range cases {
		code, out, errOut := runCLI(t, "", c.args...)
		if code != exitUsage || out != "" || !strings.Contains(errOut, c.want) || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 2 and %q", c.args, code, out, errOut, c.want)
		}
	}
}
