package inspect_test

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/cachedhttp/cachedhttp"
	"github.com/cachedhttp/cachedhttp/backends/memory"
	"github.com/cachedhttp/cachedhttp/inspect"
)

// Mount the inspector in a service that embeds the cache, with a Recorder
// for request history: installed as the Transport's Observer, and wrapped
// around it for per-record Cache-Status.
func Example() {
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		fmt.Fprintln(w, "hello")
	}))
	defer origin.Close()

	rec := inspect.NewRecorder(0, nil)
	tr, err := cachedhttp.NewTransport(
		cachedhttp.WithBackend(memory.New(memory.Options{})),
		cachedhttp.WithObserver(rec),
		cachedhttp.WithWriteQueue(0),
	)
	if err != nil {
		log.Fatal(err)
	}
	defer tr.Close()
	client := &http.Client{Transport: rec.Wrap(tr)}

	h, err := inspect.New(tr, &inspect.Options{Recorder: rec})
	if err != nil {
		log.Fatal(err)
	}
	defer h.Close()
	mux := http.NewServeMux()
	mux.Handle("/debug/cache/", http.StripPrefix("/debug/cache", h))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	for range 2 {
		resp, err := client.Get(origin.URL + "/greeting")
		if err != nil {
			log.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}

	resp, err := http.Get(srv.URL + "/debug/cache/?q=greeting")
	if err != nil {
		log.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, strings.Contains(string(page), "/greeting</a>"))
	// Output: 200 true
}

// A read-only inspector: no delete or purge forms, and their requests are
// refused.
func ExampleOptions_readOnly() {
	tr, err := cachedhttp.NewTransport(cachedhttp.WithBackend(memory.New(memory.Options{})))
	if err != nil {
		log.Fatal(err)
	}
	defer tr.Close()
	h, err := inspect.New(tr, &inspect.Options{ReadOnly: true, Title: "cache (read-only)"})
	if err != nil {
		log.Fatal(err)
	}
	defer h.Close()

	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/delete", strings.NewReader("key=k")))
	fmt.Println(w.Code)
	// Output: 403
}
