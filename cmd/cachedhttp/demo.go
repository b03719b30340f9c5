package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/cachedhttp/cachedhttp"
)

// demo starts a local origin and shows, on the bbolt default in a temporary
// directory, what the cache does with each request. Flag errors go to
// standard error.
func demo(out io.Writer, args []string) error { return demoCmd(out, os.Stderr, args) }

func demoCmd(out, errOut io.Writer, args []string) error {
	fs := newFlagSet("demo", errOut)
	keep := fs.Bool("keep", false, "keep the temporary cache directory")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usagef("unexpected arguments %q", fs.Args())
	}
	dir, err := os.MkdirTemp("", "cachedhttp-demo-")
	if err != nil {
		return err
	}
	if !*keep {
		defer os.RemoveAll(dir)
	}

	var failing atomic.Bool
	var originHits atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("/fresh", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		fmt.Fprintln(w, "fresh for a minute")
	})
	mux.HandleFunc("/etag", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("ETag", `"v1"`)
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		fmt.Fprintln(w, "revalidated every time")
	})
	mux.HandleFunc("/flaky", func(w http.ResponseWriter, r *http.Request) {
		if failing.Load() {
			http.Error(w, "origin down", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Cache-Control", "max-age=1, stale-if-error=600")
		fmt.Fprintln(w, "served stale when the origin fails")
	})
	mux.HandleFunc("/go", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/rules/b", http.StatusFound)
	})
	mux.HandleFunc("/rules/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "no cache headers: a per-URL rule keeps it 10 minutes")
	})
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		originHits.Add(1)
		mux.ServeHTTP(w, r)
	}))
	defer origin.Close()

	var skew atomic.Int64 // the demo's clock runs ahead on demand
	clock := func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	sess, err := cachedhttp.NewSession(
		cachedhttp.WithSessionPath(filepath.Join(dir, "http_cache.db")),
		cachedhttp.WithURLRule("*/rules/*", 10*time.Minute),
		// A rule makes the redirect cacheable too: the whole chain replays.
		cachedhttp.WithURLRule("*/go", 10*time.Minute),
		cachedhttp.WithClock(clock),
	)
	if err != nil {
		return err
	}
	defer sess.Close()

	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(out, "origin %s, cache %s\n\n", origin.URL, filepath.Join(dir, "http_cache.db"))
	fmt.Fprintln(tw, "#\trequest\tstatus\tCache-Status\torigin hits\ttime")
	step := 0
	do := func(path, note string, offline bool) error {
		step++
		before := originHits.Load()
		start := time.Now()
		ctx := context.Background()
		method := "GET"
		if offline {
			ctx, method = cachedhttp.OnlyIfCached(ctx), "GET (offline)"
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, origin.URL+path, nil)
		if err != nil {
			return err
		}
		resp, err := sess.Do(req)
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		el := time.Since(start)
		if resp.Request.URL.Path != path {
			note += " -> " + resp.Request.URL.Path
		}
		fmt.Fprintf(tw, "%d\t%s %s%s\t%d\t%s\t+%d\t%s\n", step, method, path, note, resp.StatusCode,
			resp.Header.Get("Cache-Status"), originHits.Load()-before, el.Round(time.Microsecond))
		return nil
	}
	steps := []struct {
		path, note string
		before     func()
		offline    bool
	}{
		{"/fresh", "", nil, false},
		{"/fresh", "", nil, false},
		{"/etag", "", nil, false},
		{"/etag", "", nil, false},
		{"/flaky", "", nil, false},
		{"/flaky", " (clock +5s, origin 503)", func() { skew.Add(int64(5 * time.Second)); failing.Store(true) }, false},
		{"/rules/a", "", nil, false},
		{"/rules/a", " (clock +5m)", func() { skew.Add(int64(5 * time.Minute)) }, false},
		{"/go", " (302)", nil, false},
		{"/go", " (302, replayed)", nil, false},
		{"/flaky", ", stale", nil, true},
		{"/nowhere", "", nil, true},
	}
	for _, s := range steps {
		if s.before != nil {
			s.before()
		}
		if err := do(s.path, s.note, s.offline); err != nil {
			return err
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	st := sess.Stats()
	fmt.Fprintf(out, "\nhits %d, misses %d, revalidations %d, stale-if-error %d, stored %d\n",
		st.Hits, st.Misses, st.Revalidations, st.StaleIfError, st.Stores)
	return nil
}
