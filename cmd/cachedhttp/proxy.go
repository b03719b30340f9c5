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
	"strconv"
	"time"

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

// proxyConfig is what the proxy command runs.
type proxyConfig struct {
	listen   string
	dsn      string
	upstream *url.URL // nil: forward proxy
	// ready, when set, is called with the listening address once the
	// proxy accepts connections.
	ready func(net.Addr)
}

// proxyCmd serves a caching HTTP proxy until ctx is done (SIGINT, SIGTERM).
func proxyCmd(ctx context.Context, _, errOut io.Writer, args []string) error {
	fs := newFlagSet("proxy", errOut)
	listen := fs.String("listen", "127.0.0.1:8080", "`address` to listen on")
	dsn := cacheFlag(fs)
	upstream := fs.String("upstream", "", "origin `URL` to reverse-proxy to; without it, a forward proxy for http:// requests")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usagef("unexpected arguments %q", fs.Args())
	}
	cfg := proxyConfig{listen: *listen, dsn: *dsn}
	if *upstream != "" {
		u, err := url.Parse(*upstream)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return usagef("-upstream %q: want an absolute http:// or https:// URL", *upstream)
		}
		cfg.upstream = u
	}
	return runProxy(ctx, errOut, cfg)
}

// runProxy serves the proxy described by cfg until ctx is done, then shuts
// down gracefully: it stops accepting, waits for requests in flight and
// flushes the cache's pending writes.
func runProxy(ctx context.Context, errOut io.Writer, cfg proxyConfig) error {
	// Origins are reached directly: a shell that points its clients at
	// this proxy with HTTP_PROXY must not make the proxy call itself.
	direct := http.DefaultTransport.(*http.Transport).Clone()
	direct.Proxy = nil
	tr, err := cachedhttp.NewTransport(
		cachedhttp.WithBackendDSN(cfg.dsn),
		cachedhttp.WithTransport(direct),
		// Several clients share this cache: RFC 9111 §3.5 (no private
		// responses, s-maxage, Authorization).
		cachedhttp.WithShared(),
		cachedhttp.WithLogger(slog.New(slog.NewTextHandler(errOut, &slog.HandlerOptions{Level: slog.LevelWarn}))),
	)
	if err != nil {
		return err
	}
	errLog := log.New(errOut, "cachedhttp proxy: ", log.LstdFlags)
	ln, err := net.Listen("tcp", cfg.listen)
	if err != nil {
		tr.Close()
		return err
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
func newProxyHandler(rt http.RoundTripper, upstream *url.URL, errLog *log.Logger) http.Handler {
	rp := &httputil.ReverseProxy{Transport: rt, ErrorLog: errLog}
	if upstream != nil {
		rp.Rewrite = func(pr *httputil.ProxyRequest) { pr.SetURL(upstream) }
		return rp
	}
	// The outbound request is the inbound one, whose URL is absolute.
	rp.Rewrite = func(*httputil.ProxyRequest) {}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodConnect:
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusNotImplemented)
			io.WriteString(w, connectRefusal)
		case !r.URL.IsAbs() || r.URL.Host == "":
			http.Error(w, "cachedhttp proxy: this is a forward proxy: send absolute-form requests (GET http://host/path), "+
				"that is, configure it as your HTTP proxy; or start it with -upstream URL to serve as a reverse proxy", http.StatusBadRequest)
		case r.URL.Scheme != "http" && r.URL.Scheme != "https":
			http.Error(w, fmt.Sprintf("cachedhttp proxy: scheme %q is not proxied (http and https only)", r.URL.Scheme), http.StatusBadRequest)
		case targetsSelf(r):
			http.Error(w, "cachedhttp proxy: the request is for the proxy itself", http.StatusLoopDetected)
		default:
			rp.ServeHTTP(w, r)
		}
	})
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

// redact hides a password in a DSN.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(unparsable DSN)"
	}
	if u.User == nil {
		return dsn
	}
	return u.Redacted()
}
