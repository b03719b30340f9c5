package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strconv"
	"time"

	cachemetrics "github.com/cachedhttp/cachedhttp/metrics/prometheus"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/cachedhttp/cachedhttp"
)

// shutdownTimeout bounds how long the proxy waits for requests in flight
// when it is asked to stop.
const shutdownTimeout = 10 * time.Second

// connectRefusal is the body of the answer to CONNECT.
const connectRefusal = `cachedhttp proxy: CONNECT is not supported.
A CONNECT tunnel carries TLS end to end: the proxy sees only encrypted bytes,
so it cannot read or cache HTTPS responses without intercepting TLS (a
man-in-the-middle with its own certificate authority), which it does not do.
Request http:// URLs through this proxy, or run it as a caching reverse proxy
in front of an HTTPS origin: cachedhttp proxy -upstream https://origin.example
`

const proxyNotes = `--rules FILE holds one "GLOB DURATION" per line, tried in order (the first
match wins); # starts a comment. GLOB matches host and path, as
cachedhttp.WithURLRule does ("api.example.com/v1/*", "*.example.com",
"example.com/static" as a prefix). DURATION is a Go duration (90s, 15m, 1h)
or whole days (7d), or never (fresh forever), immediately (store, but
revalidate before every use) or no-cache (do not store). For example:

	# static assets never change; the live feed is never stored
	cdn.example.com/*          never
	api.example.com/v1/live/*  no-cache
	api.example.com/*          5m

Every response carries a Cache-Status field (RFC 9211). When the origin
cannot be reached the proxy answers 502 (504 on a timeout) with
"cachedhttp; fwd=miss; detail=upstream-error" (detail=upstream-timeout):
the request went forward because nothing stored could answer it, and no
response came back, so there is no fwd-status (fwd=method for a method the
cache does not answer, such as POST). Requests the proxy refuses without
forwarding them (CONNECT, origin-form requests to a forward proxy, other
schemes, requests for the proxy itself) carry neither hit nor fwd, only a
detail: "cachedhttp; detail=connect-refused" and so on.
`

// proxyConfig is what the proxy command runs.
type proxyConfig struct {
	listen   string
	dsn      string
	upstream *url.URL            // nil: forward proxy
	opts     []cachedhttp.Option // expiry, rules, stale-if-error
	metrics  string              // address of the admin listener serving /metrics; "" for none
	// ready, when set, is called with the listening address once the
	// proxy accepts connections.
	ready func(net.Addr)
}

// proxyCmd serves a caching HTTP proxy until ctx is done (SIGINT, SIGTERM).
func proxyCmd(ctx context.Context, _, errOut io.Writer, args []string) error {
	cfg, err := parseProxyArgs(errOut, args)
	if err != nil {
		return err
	}
	return runProxy(ctx, errOut, cfg)
}

// parseProxyArgs reads the proxy's command line (and its rules file).
func parseProxyArgs(errOut io.Writer, args []string) (proxyConfig, error) {
	fs := newFlagSet("proxy", errOut)
	listen := fs.String("listen", "127.0.0.1:8080", "`ADDR` to listen on (host:port)")
	dsn := cacheFlag(fs)
	upstream := fs.String("upstream", "", "origin `URL` to reverse-proxy to; without it, a forward proxy for http:// requests")
	var expire expiryValue
	fs.Var(&expire, "expire-after", "store responses that give no freshness of their own for `DURATION` ("+expiryHelp+")")
	metricsAddr := fs.String("metrics", "", "admin `ADDR` serving Prometheus /metrics (a listener of its own, so no origin path is hidden); empty: none")
	rulesFile := fs.String("rules", "", "per-URL lifetimes: a `FILE` of \"GLOB DURATION\" lines (see below)")
	var staleIfError staleValue
	fs.Var(&staleIfError, "stale-if-error", "serve a response stale by up to `DURATION` (or unlimited) when the origin fails or answers 500, 502, 503 or 504")
	if err := parseFlags(fs, args); err != nil {
		return proxyConfig{}, err
	}
	if err := noArgs(fs); err != nil {
		return proxyConfig{}, err
	}
	cfg := proxyConfig{listen: *listen, dsn: *dsn, metrics: *metricsAddr}
	if *upstream != "" {
		u, err := url.Parse(*upstream)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return proxyConfig{}, usagef("--upstream %q: want an absolute http:// or https:// URL", *upstream)
		}
		cfg.upstream = u
	}
	if expire.set {
		cfg.opts = append(cfg.opts, cachedhttp.WithExpireAfter(expire.d))
	}
	if *rulesFile != "" {
		f, err := os.Open(*rulesFile)
		if err != nil {
			return proxyConfig{}, fmt.Errorf("--rules: %w", err)
		}
		rules, err := parseRules(f, *rulesFile)
		f.Close()
		if err != nil {
			return proxyConfig{}, usagef("--rules: %w", err)
		}
		cfg.opts = append(cfg.opts, ruleOptions(rules)...)
	}
	if staleIfError.set {
		cfg.opts = append(cfg.opts, cachedhttp.WithStaleIfError(staleIfError.d))
	}
	return cfg, nil
}

// runProxy serves the proxy described by cfg until ctx is done, then shuts
// down gracefully: it stops accepting, waits for requests in flight and
// flushes the cache's pending writes.
func runProxy(ctx context.Context, errOut io.Writer, cfg proxyConfig) error {
	// Origins are reached directly: a shell that points its clients at
	// this proxy with HTTP_PROXY must not make the proxy call itself.
	direct := http.DefaultTransport.(*http.Transport).Clone()
	direct.Proxy = nil
	reg := prometheus.NewRegistry()
	var col *cachemetrics.Collector
	if cfg.metrics != "" {
		var err error
		if col, err = cachemetrics.New(cachemetrics.Options{CacheName: "proxy", Registerer: reg}); err != nil {
			return err
		}
		cfg.opts = append(cfg.opts, cachedhttp.WithObserver(col))
	}
	tr, err := cachedhttp.NewTransport(append([]cachedhttp.Option{
		cachedhttp.WithBackendDSN(cfg.dsn),
		cachedhttp.WithTransport(direct),
		// Several clients share this cache: RFC 9111 §3.5 (no private
		// responses, s-maxage, Authorization).
		cachedhttp.WithShared(),
		// RFC 9213: a CDN-Cache-Control field speaks to this cache before Cache-Control.
		cachedhttp.WithTargetedFields("CDN-Cache-Control"),
		cachedhttp.WithLogger(slog.New(slog.NewTextHandler(errOut, &slog.HandlerOptions{Level: slog.LevelWarn}))),
	}, cfg.opts...)...)
	if err != nil {
		return withDSNHint(cfg.dsn, err)
	}
	errLog := log.New(errOut, "cachedhttp proxy: ", log.LstdFlags)
	ln, err := net.Listen("tcp", cfg.listen)
	if err != nil {
		tr.Close()
		return err
	}
	if cfg.metrics != "" {
		col.Attach(tr)
		msrv, maddr, err := serveMetrics(cfg.metrics, reg, errLog)
		if err != nil {
			ln.Close()
			tr.Close()
			return err
		}
		defer msrv.Close()
		fmt.Fprintf(errOut, "cachedhttp proxy: metrics on http://%s/metrics\n", maddr)
	}
	srv := &http.Server{
		Handler:           newProxyHandler(tr, cfg.upstream, errLog),
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          errLog,
	}
	if cfg.upstream != nil {
		fmt.Fprintf(errOut, "cachedhttp proxy: reverse proxy to %s on http://%s, cache %s\n", cfg.upstream.Redacted(), ln.Addr(), redact(cfg.dsn))
	} else {
		fmt.Fprintf(errOut, "cachedhttp proxy: forward proxy (absolute-form requests; CONNECT refused) on http://%s, cache %s\n", ln.Addr(), redact(cfg.dsn))
	}
	if cfg.ready != nil {
		cfg.ready(ln.Addr())
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served: // Serve failed on its own
		return errors.Join(err, tr.Close())
	case <-ctx.Done():
	}
	fmt.Fprintln(errOut, "cachedhttp proxy: shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	err = srv.Shutdown(sctx)
	if serr := <-served; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	// Close after Shutdown: the responses in flight have been read, so
	// their records are queued, and Close writes them.
	return errors.Join(err, tr.Close())
}

// newProxyHandler returns the proxy's handler: a reverse proxy to upstream
// through the cache rt, or, when upstream is nil, a forward proxy for
// absolute-form requests. httputil.ReverseProxy removes the hop-by-hop
// fields both ways; with Rewrite (not Director) it adds no X-Forwarded-*
// fields, so the proxy adds only what the cache adds (Cache-Status, Age).
// The answers the proxy makes itself carry a Cache-Status too (see
// proxyError and refuse).
func newProxyHandler(rt http.RoundTripper, upstream *url.URL, errLog *log.Logger) http.Handler {
	rp := &httputil.ReverseProxy{Transport: rt, ErrorLog: errLog, ErrorHandler: proxyError(errLog)}
	if upstream != nil {
		rp.Rewrite = func(pr *httputil.ProxyRequest) { pr.SetURL(upstream) }
		return rp
	}
	// The outbound request is the inbound one, whose URL is absolute.
	rp.Rewrite = func(*httputil.ProxyRequest) {}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodConnect:
			refuse(w, http.StatusNotImplemented, "connect-refused", connectRefusal)
		case !r.URL.IsAbs() || r.URL.Host == "":
			refuse(w, http.StatusBadRequest, "not-absolute-form", "cachedhttp proxy: this is a forward proxy: send absolute-form requests (GET http://host/path), "+
				"that is, configure it as your HTTP proxy; or start it with --upstream URL to serve as a reverse proxy\n")
		case r.URL.Scheme != "http" && r.URL.Scheme != "https":
			refuse(w, http.StatusBadRequest, "scheme-not-proxied", fmt.Sprintf("cachedhttp proxy: scheme %q is not proxied (http and https only)\n", r.URL.Scheme))
		case targetsSelf(r):
			refuse(w, http.StatusLoopDetected, "loop-detected", "cachedhttp proxy: the request is for the proxy itself\n")
		default:
			rp.ServeHTTP(w, r)
		}
	})
}

// refuse answers a request the proxy does not forward. Its Cache-Status
// has neither hit nor fwd: the cache neither answered nor forwarded it
// (RFC 9211 §2), and detail says why.
func refuse(w http.ResponseWriter, code int, detail, msg string) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Status", cacheStatusName+"; detail="+detail)
	w.WriteHeader(code)
	io.WriteString(w, msg)
}

// cacheStatusName is the cache's name in Cache-Status, as the library
// writes it.
const cacheStatusName = "cachedhttp"

// proxyError answers a request whose forwarding failed: the origin could
// not be reached, or did not answer in time. The cache forwarded the
// request because nothing stored could answer it (stale-if-error, when
// allowed, would have answered instead of an error), so the Cache-Status
// says fwd=miss, or fwd=method for a method the cache does not answer; it
// has no fwd-status, since no response came back (RFC 9211 §2.2, §2.3).
func proxyError(errLog *log.Logger) func(http.ResponseWriter, *http.Request, error) {
	return func(w http.ResponseWriter, r *http.Request, err error) {
		code, detail := http.StatusBadGateway, "upstream-error"
		var ne net.Error
		if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
			code, detail = http.StatusGatewayTimeout, "upstream-timeout"
		}
		fwd := "miss"
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			fwd = "method"
		}
		if r.Context().Err() == nil { // not a client that went away
			errLog.Printf("%s %s: %v", r.Method, r.URL.Redacted(), err)
		}
		h := w.Header()
		h.Set("Content-Type", "text/plain; charset=utf-8")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Status", fmt.Sprintf("%s; fwd=%s; detail=%s", cacheStatusName, fwd, detail))
		w.WriteHeader(code)
		fmt.Fprintf(w, "cachedhttp proxy: %s %s: the origin did not answer: %v\n", r.Method, r.URL.Redacted(), err)
	}
}

// targetsSelf reports whether a forward-proxy request names the address it
// arrived on (or, for a proxy listening on a loopback or unspecified
// address, a loopback address with the same port), which would make the
// proxy forward to itself without end.
func targetsSelf(r *http.Request) bool {
	local, ok := r.Context().Value(http.LocalAddrContextKey).(*net.TCPAddr)
	if !ok {
		return false
	}
	host, port := r.URL.Hostname(), r.URL.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[r.URL.Scheme]
	}
	if port != strconv.Itoa(local.Port) {
		return false
	}
	if host == "localhost" {
		return local.IP.IsLoopback() || local.IP.IsUnspecified()
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return false
	}
	return ip.Equal(local.IP) || (ip.IsLoopback() && (local.IP.IsLoopback() || local.IP.IsUnspecified()))
}

// serveMetrics serves reg's Prometheus /metrics on its own listener at addr
// (the proxy's admin address).
func serveMetrics(addr string, reg *prometheus.Registry, errLog *log.Logger) (*http.Server, net.Addr, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("--metrics: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorLog: errLog}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: errLog}
	go srv.Serve(ln)
	return srv, ln.Addr(), nil
}
