package prometheus_test

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"

	"github.com/cachedhttp/cachedhttp"
	"github.com/cachedhttp/cachedhttp/metrics/prometheus"
	prom "github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// A caching reverse proxy that serves its metrics on /metrics. The use has
// two steps because the Transport takes the Collector when it is created:
// New, NewTransport with WithObserver, then Attach.
func Example() {
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		fmt.Fprintf(w, "hello from %s", r.URL.Path)
	}))
	defer origin.Close()

	// A registry of one's own; with a nil Registerer the Collector goes
	// to prometheus.DefaultRegisterer, served by promhttp.Handler().
	reg := prom.NewRegistry()
	c, err := prometheus.New(prometheus.Options{CacheName: "api", Registerer: reg})
	if err != nil {
		log.Fatal(err)
	}
	tr, err := cachedhttp.NewTransport(cachedhttp.WithObserver(c))
	if err != nil {
		log.Fatal(err)
	}
	defer tr.Close()
	c.Attach(tr) // export the Transport's own counters too

	target, _ := url.Parse(origin.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.Transport = tr
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.Handle("/", proxy)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	for range 3 {
		get(srv.URL + "/greeting")
	}
	for _, line := range strings.Split(get(srv.URL+"/metrics"), "\n") {
		if strings.HasPrefix(line, "cachedhttp_requests_total") || strings.HasPrefix(line, "cachedhttp_stores_total") {
			fmt.Println(line)
		}
	}
	// Output:
	// cachedhttp_requests_total{cache="api",method="GET",outcome="hit"} 2
	// cachedhttp_requests_total{cache="api",method="GET",outcome="miss"} 1
	// cachedhttp_stores_total{cache="api"} 1
}

func get(u string) string {
	resp, err := http.Get(u)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		log.Fatal(err)
	}
	return string(b)
}
