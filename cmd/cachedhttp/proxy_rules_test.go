package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp"
)

// --expire-after and --rules set lifetimes for responses that give none
// (issue 12: the proxy had no flag for expiry or URL rules).
func TestProxyExpireAfterAndRules(t *testing.T) {
	hits := map[string]*atomic.Int64{"/static/a": {}, "/live/a": {}, "/other": {}, "/slow/a": {}}
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		hits[r.URL.Path].Add(1)
		io.WriteString(w, "no freshness of its own")
	})
	rules := filepath.Join(t.TempDir(), "rules")
	host := strings.TrimPrefix(o.URL, "http://")
	if err := os.WriteFile(rules, []byte(`# lifetimes by URL
*/static/*   never
*/live/*     no-cache   # never stored
`+host+`/slow  1h
`), 0o600); err != nil {
		t.Fatal(err)
	}
	base, _, _ := startProxyArgs(t, "--cache", "memory://", "--upstream", o.URL, "--rules", rules, "--expire-after", "10m")
	for range 2 {
		for p := range hits {
			fetch(t, http.DefaultClient, base+p)
		}
	}
	for p, want := range map[string]int64{"/static/a": 1, "/live/a": 2, "/other": 1, "/slow/a": 1} {
		if n := hits[p].Load(); n != want {
			t.Errorf("%s: origin hits %d, want %d", p, n, want)
		}
	}
	// Without --expire-after, a response without freshness information
	// and without a validator is not reused.
	base, _, _ = startProxyArgs(t, "--cache", "memory://", "--upstream", o.URL)
	hits["/other"].Store(0)
	for range 2 {
		fetch(t, http.DefaultClient, base+"/other")
	}
	if n := hits["/other"].Load(); n != 2 {
		t.Errorf("without --expire-after: origin hits %d, want 2", n)
	}
}

// --stale-if-error serves a stale response when the origin fails.
func TestProxyStaleIfError(t *testing.T) {
	var failing atomic.Bool
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		if failing.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Cache-Control", "max-age=0") // stale at once
		io.WriteString(w, "last good")
	})
	for _, tt := range []struct {
		args   []string
		status int
		body   string
	}{
		{nil, http.StatusServiceUnavailable, "down\n"},
		{[]string{"--stale-if-error", "1h"}, http.StatusOK, "last good"},
		{[]string{"--stale-if-error", "unlimited"}, http.StatusOK, "last good"},
	} {
		failing.Store(false)
		base, _, _ := startProxyArgs(t, append([]string{"--cache", "memory://", "--upstream", o.URL}, tt.args...)...)
		fetch(t, http.DefaultClient, base+"/p")
		failing.Store(true)
		resp, body := fetch(t, http.DefaultClient, base+"/p")
		if resp.StatusCode != tt.status || body != tt.body {
			t.Errorf("%q: %s %q, Cache-Status %q", tt.args, resp.Status, body, resp.Header.Get("Cache-Status"))
		}
		if tt.status == http.StatusOK && !strings.Contains(resp.Header.Get("Cache-Status"), "detail=stale-if-error") {
			t.Errorf("%q: Cache-Status %q", tt.args, resp.Header.Get("Cache-Status"))
		}
	}
}

// Every proxy response carries a Cache-Status, the proxy's own errors
// included (issue 12: the 502 for an unreachable upstream had none).
func TestProxyErrorsCarryCacheStatus(t *testing.T) {
	// An address nothing listens on: a listener opened and closed.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close()
	up, _ := url.Parse(dead)
	base, _, log := startProxy(t, "memory://", up)

	resp, body := fetch(t, http.DefaultClient, base+"/x")
	if resp.StatusCode != http.StatusBadGateway || resp.Header.Get("Cache-Status") != "cachedhttp; fwd=miss; detail=upstream-error" {
		t.Errorf("unreachable upstream: %s, Cache-Status %q", resp.Status, resp.Header.Get("Cache-Status"))
	}
	if !strings.Contains(body, "the origin did not answer") || !strings.Contains(log.String(), "GET "+dead+"/x: ") {
		t.Errorf("body %q, log %q", body, log)
	}
	resp, _ = fetch(t, http.DefaultClient, base+"/x")
	if resp.Header.Get("Cache-Status") != "cachedhttp; fwd=miss; detail=upstream-error" {
		t.Errorf("again: Cache-Status %q", resp.Header.Get("Cache-Status"))
	}
	post, err := http.Post(base+"/x", "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	post.Body.Close()
	if post.StatusCode != http.StatusBadGateway || post.Header.Get("Cache-Status") != "cachedhttp; fwd=method; detail=upstream-error" {
		t.Errorf("POST to an unreachable upstream: %s, Cache-Status %q", post.Status, post.Header.Get("Cache-Status"))
	}

	// The forward proxy's refusals.
	fwd, _, _ := startProxy(t, "memory://", nil)
	pu, _ := url.Parse(fwd)
	client := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(pu)}}
	t.Cleanup(client.CloseIdleConnections)
	for _, tt := range []struct {
		name   string
		do     func() *http.Response
		status int
		detail string
	}{
		{"origin-form", func() *http.Response { r, _ := fetch(t, http.DefaultClient, fwd+"/x"); return r }, http.StatusBadRequest, "not-absolute-form"},
		{"itself", func() *http.Response { r, _ := fetch(t, client, fwd+"/x"); return r }, http.StatusLoopDetected, "loop-detected"},
		{"unreachable origin", func() *http.Response { r, _ := fetch(t, client, dead+"/x"); return r }, http.StatusBadGateway, ""},
		{"CONNECT", func() *http.Response { return connect(t, fwd) }, http.StatusNotImplemented, "connect-refused"},
	} {
		resp := tt.do()
		want := "cachedhttp; detail=" + tt.detail
		if tt.detail == "" {
			want = "cachedhttp; fwd=miss; detail=upstream-error"
		}
		if resp.StatusCode != tt.status || resp.Header.Get("Cache-Status") != want {
			t.Errorf("%s: %s, Cache-Status %q, want %d and %q", tt.name, resp.Status, resp.Header.Get("Cache-Status"), tt.status, want)
		}
	}
}

// connect sends CONNECT to the proxy at base and returns its answer.
func connect(t *testing.T, base string) *http.Response {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	io.WriteString(conn, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: http.MethodConnect})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func TestProxyRulesUsage(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad")
	os.WriteFile(bad, []byte("# fine\n*/a/* 1h\n*/b/*\n*/c/* soon\n[ 1h\n"), 0o600)
	r := runCmd(t, "proxy", "--cache", "memory://", "--rules", bad)
	for _, want := range []string{bad + ":3: want GLOB DURATION", bad + ":4: \"soon\": want", bad + ":5: pattern \"[\""} {
		if r.code != exitUsage || !strings.Contains(r.err, want) {
			t.Errorf("status %d, stderr lacks %q:\n%s", r.code, want, r.err)
		}
	}
	if r := runCmd(t, "proxy", "--cache", "memory://", "--rules", filepath.Join(dir, "missing")); r.code != exitError || !strings.Contains(r.err, "--rules") {
		t.Errorf("missing rules file: status %d, %s", r.code, r.err)
	}
	for _, args := range [][]string{{"--expire-after", "-1h"}, {"--stale-if-error", "often"}} {
		if r := runCmd(t, append([]string{"proxy", "--cache", "memory://"}, args...)...); r.code != exitUsage || !strings.Contains(r.err, args[0]) {
			t.Errorf("%q: status %d, %s", args, r.code, r.err)
		}
	}
}

func TestParseRules(t *testing.T) {
	in := `# comment
api.example.com/v1/*   5m
*.example.com          never   # trailing comment
example.com/live       no-cache
example.com/docs       immediately
example.com/#anchor    7d

	*   1h30m
`
	rules, err := parseRules(strings.NewReader(in), "rules")
	if err != nil {
		t.Fatal(err)
	}
	want := []urlRule{
		{"api.example.com/v1/*", 5 * time.Minute, 2},
		{"*.example.com", cachedhttp.NeverExpire, 3},
		{"example.com/live", cachedhttp.DoNotCache, 4},
		{"example.com/docs", cachedhttp.ExpireImmediately, 5},
		{"example.com/#anchor", 7 * 24 * time.Hour, 6},
		{"*", 90 * time.Minute, 8},
	}
	if len(rules) != len(want) {
		t.Fatalf("got %v, want %v", rules, want)
	}
	for i := range want {
		if rules[i] != want[i] {
			t.Errorf("rule %d: got %+v, want %+v", i, rules[i], want[i])
		}
	}
	// The rules are what the library accepts.
	if _, err := cachedhttp.NewTransport(ruleOptions(rules)...); err != nil {
		t.Error(err)
	}
	// Errors name every bad line, up to a bound.
	_, err = parseRules(strings.NewReader(strings.Repeat("x\n", 20)), "f")
	if err == nil || strings.Count(err.Error(), "\n")+1 != maxRuleErrors || !strings.HasPrefix(err.Error(), "f:1: ") {
		t.Errorf("20 bad lines: %v", err)
	}
}

func TestParseExpiry(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"0": 0, "90s": 90 * time.Second, "1h30m": 90 * time.Minute, "2d": 48 * time.Hour,
		"never": cachedhttp.NeverExpire, "NEVER": cachedhttp.NeverExpire, "immediately": cachedhttp.ExpireImmediately,
		"no-cache": cachedhttp.DoNotCache, "do-not-cache": cachedhttp.DoNotCache,
	} {
		if got, err := parseExpiry(in); err != nil || got != want {
			t.Errorf("parseExpiry(%q) = %v, %v; want %v", in, got, err, want)
		}
		if d, _ := parseExpiry(in); d != 0 {
			if back, err := parseExpiry(formatExpiry(d)); err != nil || back != d {
				t.Errorf("formatExpiry(%v) = %q does not read back", d, formatExpiry(d))
			}
		}
	}
	for _, in := range []string{"", "soon", "-1h", "-1d", "1.5d", "99999999d"} {
		if _, err := parseExpiry(in); err == nil {
			t.Errorf("parseExpiry(%q) succeeded", in)
		}
	}
}

// Whatever parseRules accepts, the library accepts.
func FuzzParseRules(f *testing.F) {
	f.Add("*/static/* never\n# c\n*.example.com 1h # x\n")
	f.Add("a 7d\nb no-cache\nc immediately\n[ 1h\n")
	f.Add("x\ty\tz\n\n")
	f.Fuzz(func(t *testing.T, in string) {
		rules, err := parseRules(strings.NewReader(in), "f")
		if err != nil {
			return
		}
		if _, err := cachedhttp.NewTransport(ruleOptions(rules)...); err != nil {
			t.Fatalf("parseRules accepted %q but the library refuses it: %v", in, err)
		}
	})
}
