package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/keys"
	"github.com/cachedhttp/cachedhttp/models"
	"github.com/cachedhttp/cachedhttp/serializers"
)

// result is what one in-process run of the command produced.
type result struct {
	out, err string
	code     int
}

// runCmd runs the command line args in process.
func runCmd(t *testing.T, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, &out, &errOut)
	return result{out: out.String(), err: errOut.String(), code: code}
}

// mustRun runs args and fails the test unless the exit status is 0.
func mustRun(t *testing.T, args ...string) result {
	t.Helper()
	r := runCmd(t, args...)
	if r.code != 0 {
		t.Fatalf("cachedhttp %q: exit status %d\nstdout:\n%s\nstderr:\n%s", args, r.code, r.out, r.err)
	}
	return r
}

// tempDSN returns the DSN of a bbolt file in a temporary directory.
func tempDSN(t *testing.T) string {
	t.Helper()
	return "bbolt://" + filepath.ToSlash(filepath.Join(t.TempDir(), "cache.db"))
}

// origin is a test origin that counts its hits and records the last
// request header it received.
type origin struct {
	*httptest.Server
	hits atomic.Int64
	mu   sync.Mutex
	last http.Header
}

// newOrigin serves h, counting hits.
func newOrigin(t *testing.T, h http.HandlerFunc) *origin {
	t.Helper()
	o := &origin{}
	o.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.hits.Add(1)
		o.mu.Lock()
		o.last = r.Header.Clone()
		o.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(o.Close)
	return o
}

func (o *origin) lastHeader() http.Header {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.last
}

// cacheable answers body with max-age=60.
func cacheable(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte(body))
	}
}

// keyOf returns the key the command stores a GET of rawURL under.
func keyOf(t *testing.T, rawURL string) string {
	t.Helper()
	var kc keys.Config
	return kc.Create(httptest.NewRequest(http.MethodGet, rawURL, nil), nil)
}

// seed writes records (key to record; nil writes bytes that are not a
// record) into the backend named by dsn, with the default serializer and
// a time to live of one hour.
func seed(t *testing.T, dsn string, recs map[string]*models.Response) {
	t.Helper()
	seedTTL(t, dsn, time.Hour, recs)
}

// seedTTL is seed with the time to live ttl.
func seedTTL(t *testing.T, dsn string, ttl time.Duration, recs map[string]*models.Response) {
	t.Helper()
	ctx := context.Background()
	b, err := backends.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for k, rec := range recs {
		data := []byte("not a record")
		if rec != nil {
			data, err = serializers.Default().Marshal(rec)
			if err != nil {
				t.Fatal(err)
			}
		}
		if err := b.Set(ctx, k, data, ttl); err != nil {
			t.Fatal(err)
		}
	}
}

// record returns a stored 200 response to a GET of rawURL.
func record(rawURL, body string, created, expires time.Time, header ...string) *models.Response {
	h := http.Header{"Content-Type": {"text/plain"}}
	for i := 0; i+1 < len(header); i += 2 {
		h.Set(header[i], header[i+1])
	}
	return &models.Response{
		StatusCode: 200, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: h, Body: []byte(body),
		Request:     models.Request{Method: http.MethodGet, URL: rawURL, Header: http.Header{}},
		RequestTime: created, ResponseTime: created, Created: created, Expires: expires,
	}
}

// rawKeys returns the keys the backend named by dsn holds, expired or not.
func rawKeys(t *testing.T, dsn string) []string {
	t.Helper()
	b, err := backends.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var ks []string
	for e, err := range b.Scan(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		ks = append(ks, e.Key)
	}
	slices.Sort(ks)
	return ks
}
