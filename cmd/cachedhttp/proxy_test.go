package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the proxy's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// startProxy runs the proxy on a free port until the test ends (or stop is
// called) and returns its base URL.
func startProxy(t *testing.T, dsn string, upstream *url.URL) (base string, stop func() error, log *syncBuffer) {
	t.Helper()
	return startProxyConfig(t, proxyConfig{dsn: dsn, upstream: upstream})
}

// startProxyArgs is startProxy for the proxy command line args.
func startProxyArgs(t *testing.T, args ...string) (base string, stop func() error, log *syncBuffer) {
	t.Helper()
	cfg, err := parseProxyArgs(io.Discard, args)
	if err != nil {
		t.Fatalf("proxy %q: %v", args, err)
	}
	return startProxyConfig(t, cfg)
}

// startProxyConfig is startProxy for cfg, whose listen address it sets.
func startProxyConfig(t *testing.T, cfg proxyConfig) (base string, stop func() error, log *syncBuffer) {
	t.Helper()
	cfg.listen = "127.0.0.1:0"
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan net.Addr, 1)
	done := make(chan error, 1)
	log = &syncBuffer{}
	go func() {
		cfg.ready = func(a net.Addr) { ready <- a }
		done <- runProxy(ctx, log, cfg)
	}()
	var addr net.Addr
	select {
	case addr = <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("proxy did not start: %v\n%s", err, log)
	}
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() { cancel(); err = <-done })
		return err
	}
	t.Cleanup(func() { stop() })
	return "http://" + addr.String(), stop, log
}

// fetch GETs u with client and returns the body and the response.
func fetch(t *testing.T, client *http.Client, u string) (*http.Response, string) {
	t.Helper()
	resp, err := client.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func TestReverseProxy(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Path", r.URL.RequestURI())
		cacheable("from the origin")(w, r)
	})
	up, _ := url.Parse(o.URL)
	dsn := tempDSN(t)
	base, stop, log := startProxy(t, dsn, up)
	if !strings.Contains(log.String(), "reverse proxy to "+o.URL) {
		t.Errorf("start message: %s", log)
	}
	client := &http.Client{}

	req, _ := http.NewRequest(http.MethodGet, base+"/p?x=1", nil)
	req.Header.Set("Connection", "X-Hop")
	req.Header.Set("X-Hop", "1")
	req.Header.Set("X-End", "2")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	body := string(b)
	if resp.StatusCode != 200 || body != "from the origin" || resp.Header.Get("X-Path") != "/p?x=1" {
		t.Fatalf("first: %s %q %v", resp.Status, body, resp.Header)
	}
	if cs := resp.Header.Get("Cache-Status"); !strings.Contains(cs, "fwd=uri-miss") || !strings.Contains(cs, "stored") {
		t.Errorf("first Cache-Status = %q", cs)
	}
	// Hop-by-hop fields stop at the proxy; end-to-end ones pass.
	if h := o.lastHeader(); h.Get("X-Hop") != "" || h.Get("X-End") != "2" {
		t.Errorf("origin got X-Hop %q, X-End %q", h.Get("X-Hop"), h.Get("X-End"))
	}
	// The proxy adds nothing of its own on the way in.
	for _, f := range []string{"X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "Forwarded", "Via"} {
		if v := o.lastHeader().Get(f); v != "" {
			t.Errorf("origin got %s: %s", f, v)
		}
	}

	resp, body = fetch(t, client, base+"/p?x=1")
	if body != "from the origin" || !strings.HasPrefix(resp.Header.Get("Cache-Status"), "cachedhttp; hit") || resp.Header.Get("Age") == "" {
		t.Errorf("second: %q, Cache-Status %q, Age %q", body, resp.Header.Get("Cache-Status"), resp.Header.Get("Age"))
	}
	if n := o.hits.Load(); n != 1 {
		t.Errorf("origin hits = %d, want 1", n)
	}

	// Graceful shutdown flushes the cache: the record is in the store.
	if err := stop(); err != nil {
		t.Fatalf("proxy: %v", err)
	}
	if r := mustRun(t, "ls", "-cache", dsn); !strings.Contains(r.out, o.URL+"/p?x=1") {
		t.Errorf("after shutdown, the store lacks the response:\n%s", r.out)
	}
}

// The proxy is a shared cache (RFC 9111 §3.5): it never stores a private
// response, which a private cache would.
func TestProxyIsShared(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "private, max-age=60")
		w.Write([]byte("mine"))
	})
	up, _ := url.Parse(o.URL)
	base, _, _ := startProxy(t, "memory://", up)
	for range 2 {
		if resp, body := fetch(t, http.DefaultClient, base+"/me"); body != "mine" || strings.Contains(resp.Header.Get("Cache-Status"), "hit") {
			t.Errorf("%q, Cache-Status %q", body, resp.Header.Get("Cache-Status"))
		}
	}
	if n := o.hits.Load(); n != 2 {
		t.Errorf("origin hits = %d, want 2 (private responses are not stored)", n)
	}
}

func TestForwardProxy(t *testing.T) {
	o := newOrigin(t, cacheable("forwarded"))
	base, _, log := startProxy(t, "memory://", nil)
	if !strings.Contains(log.String(), "forward proxy") {
		t.Errorf("start message: %s", log)
	}
	pu, _ := url.Parse(base)
	client := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(pu)}}
	t.Cleanup(client.CloseIdleConnections)

	resp, body := fetch(t, client, o.URL+"/f")
	if body != "forwarded" || !strings.Contains(resp.Header.Get("Cache-Status"), "fwd=uri-miss") {
		t.Errorf("first: %q, Cache-Status %q", body, resp.Header.Get("Cache-Status"))
	}
	resp, body = fetch(t, client, o.URL+"/f")
	if body != "forwarded" || !strings.HasPrefix(resp.Header.Get("Cache-Status"), "cachedhttp; hit") {
		t.Errorf("second: %q, Cache-Status %q", body, resp.Header.Get("Cache-Status"))
	}
	if n := o.hits.Load(); n != 1 {
		t.Errorf("origin hits = %d, want 1", n)
	}

	// A request for the proxy itself is refused, not forwarded forever.
	resp, body = fetch(t, client, base+"/f")
	if resp.StatusCode != http.StatusLoopDetected {
		t.Errorf("request for the proxy: %s %q", resp.Status, body)
	}

	// A request to the proxy as if it were the origin is refused.
	resp, body = fetch(t, http.DefaultClient, base+"/f")
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "-upstream") {
		t.Errorf("origin-form request: %s %q", resp.Status, body)
	}
}

func TestForwardProxyRefusesConnect(t *testing.T) {
	base, _, _ := startProxy(t, "memory://", nil)
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: http.MethodConnect})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusNotImplemented {
		t.Errorf("CONNECT: %s, want 501", resp.Status)
	}
	if !strings.Contains(string(body), "cannot read or cache HTTPS") || !strings.Contains(string(body), "man-in-the-middle") {
		t.Errorf("CONNECT refusal does not explain itself: %q", body)
	}
}

func TestProxyUsage(t *testing.T) {
	for _, up := range []string{"ftp://x", "no-scheme", "http://"} {
		if r := runCmd(t, "proxy", "-cache", "memory://", "-upstream", up); r.code != exitUsage || !strings.Contains(r.err, "-upstream") {
			t.Errorf("-upstream %s: status %d, %s", up, r.code, r.err)
		}
	}
	if r := runCmd(t, "proxy", "-cache", "memory://", "-listen", "256.0.0.1:99999"); r.code != exitError {
		t.Errorf("bad -listen: status %d, %s", r.code, r.err)
	}
}

// The proxy passes Range requests through and answers them from the cache
// (RFC 9110 §14); RFC 9213's CDN-Cache-Control speaks to it before
// Cache-Control.
func TestProxyRangeAndTargetedCacheControl(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("CDN-Cache-Control", "max-age=60")
		w.Write([]byte("0123456789"))
	})
	up, _ := url.Parse(o.URL)
	base, _, _ := startProxy(t, "memory://", up)
	if _, body := fetch(t, http.DefaultClient, base+"/r"); body != "0123456789" {
		t.Fatalf("first fetch: %q", body)
	}
	req, _ := http.NewRequest(http.MethodGet, base+"/r", nil)
	req.Header.Set("Range", "bytes=3-5")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusPartialContent || string(b) != "345" || resp.Header.Get("Content-Range") != "bytes 3-5/10" {
		t.Fatalf("range through the proxy: %d %q %q", resp.StatusCode, b, resp.Header.Get("Content-Range"))
	}
	if !strings.Contains(resp.Header.Get("Cache-Status"), "hit") {
		t.Fatalf("range not answered from the cache: %q", resp.Header.Get("Cache-Status"))
	}
	if n := o.hits.Load(); n != 1 {
		t.Fatalf("origin hits = %d, want 1 (CDN-Cache-Control max-age beats Cache-Control no-store)", n)
	}
}

// The proxy's admin address serves Prometheus /metrics; a scrape after a
// known sequence of requests shows exactly those counts.
func TestProxyMetricsEndpoint(t *testing.T) {
	o := newOrigin(t, cacheable("x"))
	up, _ := url.Parse(o.URL)
	base, _, log := startProxyConfig(t, proxyConfig{dsn: "memory://", upstream: up, metrics: "127.0.0.1:0"})
	for i := range 3 {
		for range 2 { // a miss, then a hit
			fetch(t, http.DefaultClient, base+"/m"+strconv.Itoa(i))
		}
	}
	for range 2 {
		resp, err := http.Post(base+"/m0", "text/plain", strings.NewReader("x"))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	m := regexp.MustCompile(`metrics on (http://\S+/metrics)`).FindStringSubmatch(log.String())
	if m == nil {
		t.Fatalf("no metrics address in the log:\n%s", log)
	}
	_, body := fetch(t, http.DefaultClient, m[1])
	for _, want := range []string{
		`cachedhttp_requests_total{cache="proxy",method="GET",outcome="miss"} 3`,
		`cachedhttp_requests_total{cache="proxy",method="GET",outcome="hit"} 3`,
		`cachedhttp_requests_total{cache="proxy",method="POST",outcome="bypass"} 2`,
		`cachedhttp_stores_total{cache="proxy"} 3`,
	} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("scrape lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("scrape:\n%s", body)
	}
}

// The proxy stores a 206 it passes through as a part (RFC 9111 §3.3),
// answers a range within it from the cache, and completes it by asking the
// origin only for the missing bytes (§3.4), after which a plain GET is a
// hit.
func TestProxyPartialContent_RFC9111_3_3_3_4(t *testing.T) {
	const rep = "0123456789"
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		w.Header().Set("Etag", `"v1"`)
		http.ServeContent(w, r, "", time.Time{}, strings.NewReader(rep))
	})
	up, _ := url.Parse(o.URL)
	base, _, _ := startProxy(t, "memory://", up)
	get := func(rng string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, base+"/p", nil)
		if rng != "" {
			req.Header.Set("Range", rng)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(b)
	}
	if resp, body := get("bytes=0-4"); resp.StatusCode != http.StatusPartialContent || body != "01234" {
		t.Fatalf("first range: %d %q", resp.StatusCode, body)
	}
	resp, body := get("bytes=1-3")
	if resp.StatusCode != http.StatusPartialContent || body != "123" || !strings.Contains(resp.Header.Get("Cache-Status"), "hit") {
		t.Fatalf("range within the part: %d %q, Cache-Status %q", resp.StatusCode, body, resp.Header.Get("Cache-Status"))
	}
	if n := o.hits.Load(); n != 1 {
		t.Fatalf("origin hits = %d after a range within the stored part, want 1", n)
	}
	resp, body = get("")
	if resp.StatusCode != http.StatusOK || body != rep || !strings.Contains(resp.Header.Get("Cache-Status"), "fwd=partial") {
		t.Fatalf("whole from the part: %d %q, Cache-Status %q", resp.StatusCode, body, resp.Header.Get("Cache-Status"))
	}
	if got := o.lastHeader().Get("Range"); got != "bytes=5-" {
		t.Fatalf("origin asked for Range %q, want only the missing bytes=5-", got)
	}
	if resp, body := get(""); body != rep || !strings.Contains(resp.Header.Get("Cache-Status"), "hit") || o.hits.Load() != 2 {
		t.Fatalf("combined whole: %q, Cache-Status %q, origin hits %d (want a hit, 2)", body, resp.Header.Get("Cache-Status"), o.hits.Load())
	}
}
