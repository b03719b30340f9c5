//go:build unix

package main

import (
	"bufio"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
)

// The proxy stops on SIGINT: it finishes, exits 0 and leaves what it
// stored in the cache.
func TestProxyStopsOnSignal(t *testing.T) {
	o := newOrigin(t, cacheable("x"))
	dsn := tempDSN(t)
	cmd := mainCommand(t, "proxy", "-listen", "127.0.0.1:0", "-cache", dsn, "-upstream", o.URL)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := bufio.NewScanner(stderr)
	var base string
	for base == "" && lines.Scan() {
		if _, after, ok := strings.Cut(lines.Text(), " on http://"); ok {
			base = "http://" + strings.Fields(after)[0]
			base = strings.TrimSuffix(base, ",")
		}
	}
	if _, err := url.Parse(base); err != nil || base == "" {
		t.Fatalf("no listening address in the proxy's output (%v)", lines.Err())
	}
	if _, body := fetch(t, http.DefaultClient, base+"/signal"); body != "x" {
		t.Fatalf("body %q", body)
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(stderr)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("proxy after SIGINT: %v\n%s", err, rest)
	}
	if !strings.Contains(string(rest), "shutting down") {
		t.Errorf("stderr after the signal: %q", rest)
	}
	if r := mustRun(t, "ls", "-cache", dsn); !strings.Contains(r.out, o.URL+"/signal") {
		t.Errorf("the store lacks the response:\n%s", r.out)
	}
}
