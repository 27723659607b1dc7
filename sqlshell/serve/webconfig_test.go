package serve

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"netsql/tables/tablestest"
)

// serveWith runs Serve on a loopback port with the web configuration
// given until the test ends, and returns its address and what it wrote to
// stderr.
func serveWith(t *testing.T, webConfig string) (addr string, stderr *lockedBuilder) {
	t.Helper()
	x, _, _ := fixture(t, nil, Options{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stderr = &lockedBuilder{}
	served := make(chan error, 1)
	go func() { served <- Serve(ctx, ln, x.Handler(), webConfig, stderr) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-served:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Serve did not stop")
		}
	})
	return ln.Addr().String(), stderr
}

// get requests url with basic auth (when user is not empty) and returns
// the status and the body.
func get(t *testing.T, client *http.Client, url, user, password string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, password)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body), resp.Header
}

// With a web configuration of TLS and basic auth, /metrics answers HTTPS
// with the right user and password only, and plain HTTP not at all.
func TestServeTLSAndBasicAuth(t *testing.T) {
	config, client := tablestest.WebConfig(t, map[string]string{"prometheus": "s3cret", "other": "pass word"})
	addr, stderr := serveWith(t, config)
	url := "https://" + addr + "/metrics"

	status, body, _ := get(t, client, url, "prometheus", "s3cret")
	if status != http.StatusOK {
		t.Fatalf("right password: %d %s", status, body)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	if sample(families["netsql_sockets"], "proto=tcp,state=LISTEN") != 2 {
		t.Errorf("netsql_sockets over HTTPS: %q", samples(families["netsql_sockets"]))
	}
	if status, _, _ := get(t, client, url, "other", "pass word"); status != http.StatusOK {
		t.Errorf("the second user: %d", status)
	}

	for _, c := range []struct{ what, user, password string }{
		{"a wrong password", "prometheus", "secret"},
		{"another user's password", "other", "s3cret"},
		{"an unknown user", "nobody", "s3cret"},
		{"no credentials", "", ""},
	} {
		status, body, header := get(t, client, url, c.user, c.password)
		if status != http.StatusUnauthorized || header.Get("WWW-Authenticate") != "Basic" || strings.Contains(body, "netsql_sockets") {
			t.Errorf("%s: %d, WWW-Authenticate %q, body %q; want 401 asking for basic auth", c.what, status, header.Get("WWW-Authenticate"), body)
		}
	}

	// Plain HTTP to the TLS port gets no metrics: Go's TLS server answers
	// a request in clear text with 400.
	plain := &http.Client{Timeout: 10 * time.Second}
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/metrics", nil)
	req.SetBasicAuth("prometheus", "s3cret")
	if resp, err := plain.Do(req); err == nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || strings.Contains(string(b), "netsql_sockets") {
			t.Errorf("plain HTTP to the TLS port: %s %q, want 400", resp.Status, b)
		}
	}

	// A client that does not trust the certificate fails its handshake;
	// the server says so on stderr in netsql's words.
	if _, err := plain.Get(url); err == nil {
		t.Error("a client without the certificate connected")
	}
	tablestest.WaitFor(t, 10*time.Second, "the handshake error on stderr", func() bool {
		return strings.Contains(stderr.String(), "TLS handshake error")
	})
	for _, line := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
		if !strings.HasPrefix(line, "netsql: --serve: ") {
			t.Errorf("stderr line not in netsql's words: %q", line)
		}
	}
}

// CheckWebConfig refuses a file Serve would refuse, in one line naming the
// file, and tells whether Serve will speak HTTPS.
func TestCheckWebConfig(t *testing.T) {
	tlsConfig, _ := tablestest.WebConfig(t, map[string]string{"prometheus": "s3cret"})
	dir := t.TempDir()
	write := func(name, text string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	authOnly := write("auth.yml", "basic_auth_users:\n  prometheus: $2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi\n")
	for _, c := range []struct {
		path    string
		wantTLS bool
	}{{"", false}, {tlsConfig, true}, {authOnly, false}} {
		tls, err := CheckWebConfig(c.path)
		if err != nil || tls != c.wantTLS {
			t.Errorf("CheckWebConfig(%q) = %v, %v; want %v, nil", c.path, tls, err, c.wantTLS)
		}
	}

	for _, c := range []struct{ name, text, want string }{
		{"syntax.yml", "tls_server_config: [\n", "did not find expected node content"},
		{"unknown.yml", "tls_server_cfg:\n  cert_file: cert.pem\n", "field tls_server_cfg not found"},
		{"hash.yml", "basic_auth_users:\n  prometheus: s3cret\n", "bcrypt"},
		{"nokey.yml", "tls_server_config:\n  cert_file: cert.pem\n", "missing one of key or key_file"},
		{"nocert.yml", "tls_server_config:\n  cert_file: nowhere.pem\n  key_file: nowhere.key\n", "nowhere.pem"},
		{"missing.yml", "", "no such file or directory"},
	} {
		path := filepath.Join(dir, c.name)
		if c.text != "" {
			write(c.name, c.text)
		}
		_, err := CheckWebConfig(path)
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		msg := err.Error()
		if !errors.Is(err, ErrWebConfig) || !strings.HasPrefix(msg, "--web-config "+path+": ") || !strings.Contains(msg, c.want) ||
			strings.Contains(msg, "\n") || strings.Count(msg, path) != 1 {
			t.Errorf("%s: error %q; want one line naming the file once, with %q", c.name, msg, c.want)
		}
	}
}

// lockedBuilder is a strings.Builder that Serve's goroutines and the test
// may share.
type lockedBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *lockedBuilder) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuilder) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
