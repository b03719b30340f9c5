package bench

import (
	"fmt"
	"hash/fnv"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// Body sizes of the scenarios.
const (
	size1K   = 1 << 10
	size256K = 256 << 10
	size8M   = 8 << 20
)

// origin is the one loopback server every benchmark talks to. It counts
// the requests it serves, so a hit benchmark can prove it never reached it
// and a miss benchmark that it always did.
var origin struct {
	url     string
	hits    atomic.Int64 // every request served
	not304  atomic.Int64 // 304 Not Modified answers
	bodies  map[string][]byte
	pool    []byte // random bytes the 1 KiB bodies are cut from
	slowFor time.Duration
}

// seq makes URLs and key prefixes unique within the process.
var seq atomic.Int64

func next() int64 { return seq.Add(1) }

func TestMain(m *testing.M) {
	origin.bodies = map[string][]byte{
		"1k":   pattern(size1K),
		"256k": pattern(size256K),
		"8m":   pattern(size8M),
	}
	origin.pool = pattern(4 << 20)
	origin.slowFor = 20 * time.Millisecond
	mux := http.NewServeMux()
	// /fresh/{size}/{id}: fresh for an hour, with a validator.
	mux.HandleFunc("GET /fresh/{size}/{id}", func(w http.ResponseWriter, r *http.Request) {
		serveBody(w, r, "public, max-age=3600", 0)
	})
	// /reval/{size}/{id}: stored but revalidated every time (no-cache);
	// the validator always matches, so a cache gets 304s.
	mux.HandleFunc("GET /reval/{size}/{id}", func(w http.ResponseWriter, r *http.Request) {
		serveBody(w, r, "no-cache", 0)
	})
	// /slow/{size}/{id}: fresh, but answered after a delay so concurrent
	// misses overlap.
	mux.HandleFunc("GET /slow/{size}/{id}", func(w http.ResponseWriter, r *http.Request) {
		serveBody(w, r, "public, max-age=3600", origin.slowFor)
	})
	srv := httptest.NewUnstartedServer(mux)
	srv.Config.MaxHeaderBytes = 1 << 20
	srv.Start()
	origin.url = srv.URL
	code := m.Run()
	srv.Close()
	os.Exit(code)
}

const etag = `"v1"`

func serveBody(w http.ResponseWriter, r *http.Request, cc string, delay time.Duration) {
	origin.hits.Add(1)
	body, ok := origin.bodies[r.PathValue("size")]
	if !ok {
		http.Error(w, "unknown size", http.StatusNotFound)
		return
	}
	if len(body) == size1K {
		// Each 1 KiB URL gets its own bytes, so that a store that
		// compresses (leveldb's snappy blocks) cannot fold thousands of
		// identical bodies into one.
		h := fnv.New64a()
		h.Write([]byte(r.PathValue("id")))
		off := h.Sum64() % uint64(len(origin.pool)-size1K)
		body = origin.pool[off : off+size1K]
	}
	if delay > 0 {
		time.Sleep(delay)
	}
	h := w.Header()
	h["Cache-Control"] = []string{cc}
	h["Etag"] = []string{etag}
	h["Last-Modified"] = []string{"Mon, 02 Jan 2006 15:04:05 GMT"}
	h["Content-Type"] = []string{"application/octet-stream"}
	if r.Header.Get("If-None-Match") == etag {
		origin.not304.Add(1)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	_, _ = w.Write(body)
}

// pattern returns n pseudo-random (incompressible) bytes, the same for
// every call.
func pattern(n int) []byte {
	b := make([]byte, n)
	x := uint64(88172645463325252)
	for i := range b {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b[i] = byte(x >> 32)
	}
	return b
}

func sizeName(n int) string {
	switch n {
	case size1K:
		return "1k"
	case size256K:
		return "256k"
	case size8M:
		return "8m"
	}
	panic(fmt.Sprintf("no body of %d bytes", n))
}

// url returns a fresh URL of the given kind ("fresh", "reval", "slow") and
// body size, distinct from every URL made before in this process.
func newURL(kind string, size int) string {
	return fmt.Sprintf("%s/%s/%s/u%d", origin.url, kind, sizeName(size), next())
}
