package cachedhttp

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp/backends/memory"
)

// These in-package benchmarks watch the hit and miss paths; the comparison
// with other Go caches lives in the bench/ module.

func benchOrigin(b *testing.B, size int) *httptest.Server {
	body := bytes.Repeat([]byte("x"), size)
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=3600")
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("ETag", `"abc"`)
		w.Write(body)
	}))
	b.Cleanup(s.Close)
	return s
}

func BenchmarkHitMemory1KiB(b *testing.B) {
	s := benchOrigin(b, 1024)
	tr, err := NewTransport(WithBackend(memory.New(memory.Options{})))
	if err != nil {
		b.Fatal(err)
	}
	defer tr.Close()
	c := &http.Client{Transport: tr}
	url := s.URL + "/hit?a=1&b=2"
	get := func() {
		resp, err := c.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	get()
	before := tr.Stats().Misses
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		get()
	}
	b.StopTimer()
	if tr.Stats().Misses != before {
		b.Fatal("hit benchmark reached the origin")
	}
}

func BenchmarkHitRoundTripMemory1KiB(b *testing.B) {
	s := benchOrigin(b, 1024)
	tr, _ := NewTransport(WithBackend(memory.New(memory.Options{})))
	defer tr.Close()
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/hit?a=1&b=2", nil)
	do := func() {
		resp, err := tr.RoundTrip(req)
		if err != nil {
			b.Fatal(err)
		}
		io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	do()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		do()
	}
}

func BenchmarkHitBbolt1KiB(b *testing.B) {
	s := benchOrigin(b, 1024)
	path := b.TempDir() + "/c.db"
	url := s.URL + "/hit?a=1&b=2"
	get := func(sess *Session) {
		resp, err := sess.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	warm, err := NewSession(WithSessionPath(path))
	if err != nil {
		b.Fatal(err)
	}
	get(warm)
	warm.Close() // flushes the write behind
	sess, err := NewSession(WithSessionPath(path))
	if err != nil {
		b.Fatal(err)
	}
	defer sess.Close()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		get(sess)
	}
	b.StopTimer()
	if sess.Stats().Misses != 0 {
		b.Fatal("hit benchmark reached the origin")
	}
}

// rtFunc is an http.RoundTripper made of a function.
type rtFunc func(*http.Request) (*http.Response, error)

func (f rtFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// BenchmarkRevalidateRoundTripMemory1KiB measures the library's own work on
// a revalidation answered 304: the base transport returns a canned
// response (a 200 with a no-cache 1 KiB body first, then 304s as the
// bench/ origin sends them), so no socket or server time is included.
func BenchmarkRevalidateRoundTripMemory1KiB(b *testing.B) {
	body := bytes.Repeat([]byte("x"), 1024)
	var sec int64
	var date string
	base := rtFunc(func(r *http.Request) (*http.Response, error) {
		if now := time.Now(); now.Unix() != sec { // Date moves once a second
			sec, date = now.Unix(), now.UTC().Format(http.TimeFormat)
		}
		h := http.Header{
			"Cache-Control": {"no-cache"},
			"Etag":          {`"v1"`},
			"Last-Modified": {"Mon, 02 Jan 2006 15:04:05 GMT"},
			"Content-Type":  {"application/octet-stream"},
			"Date":          {date},
		}
		resp := &http.Response{StatusCode: http.StatusNotModified, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: h, Body: http.NoBody, Request: r}
		if r.Header.Get("If-None-Match") != `"v1"` {
			resp.StatusCode, resp.ContentLength = http.StatusOK, int64(len(body))
			h["Content-Length"] = []string{"1024"}
			resp.Body = io.NopCloser(bytes.NewReader(body))
		}
		return resp, nil
	})
	tr, err := NewTransport(WithBackend(memory.New(memory.Options{})), WithTransport(base))
	if err != nil {
		b.Fatal(err)
	}
	defer tr.Close()
	req, _ := http.NewRequest(http.MethodGet, "http://origin.test/reval/1k/1", nil)
	do := func() {
		resp, err := tr.RoundTrip(req)
		if err != nil {
			b.Fatal(err)
		}
		if n, _ := io.Copy(io.Discard, resp.Body); n != 1024 {
			b.Fatalf("read %d bytes", n)
		}
		resp.Body.Close()
	}
	do()
	for ok := false; !ok; {
		if ok, err = tr.ContainsRequest(req); err != nil {
			b.Fatal(err)
		}
		runtime.Gosched() // the write behind stores the first response
	}
	before := tr.Stats().Revalidations
	b.ReportAllocs()
	for b.Loop() {
		do()
	}
	if got := tr.Stats().Revalidations - before; got != int64(b.N) {
		b.Fatalf("%d revalidations for %d requests", got, b.N)
	}
}

// BenchmarkMissRoundTripMemory1KiB is a miss for a new URL each time,
// answered by a canned origin (no network), whose response the memory
// store keeps: the library's own work per miss, the write behind included
// (it runs in the same process; Close waits for it).
func BenchmarkMissRoundTripMemory1KiB(b *testing.B) {
	body := bytes.Repeat([]byte("x"), 1024)
	date := time.Now().UTC().Format(http.TimeFormat)
	base := rtFunc(func(r *http.Request) (*http.Response, error) {
		h := http.Header{
			"Cache-Control":  {"public, max-age=3600"},
			"Etag":           {`"v1"`},
			"Last-Modified":  {"Mon, 02 Jan 2006 15:04:05 GMT"},
			"Content-Type":   {"application/octet-stream"},
			"Content-Length": {"1024"},
			"Date":           {date},
		}
		return &http.Response{StatusCode: http.StatusOK, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: h,
			ContentLength: 1024, Body: io.NopCloser(bytes.NewReader(body)), Request: r}, nil
	})
	tr, err := NewTransport(WithBackend(memory.New(memory.Options{})), WithTransport(base))
	if err != nil {
		b.Fatal(err)
	}
	reqs := make([]*http.Request, 0, 1<<16)
	for i := range cap(reqs) {
		req, _ := http.NewRequest(http.MethodGet, "http://origin.test/miss/1k/"+strconv.Itoa(i), nil)
		reqs = append(reqs, req)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i > 0 && i%len(reqs) == 0 {
			b.StopTimer()
			for j, req := range reqs {
				req.URL.Path = "/miss/1k/" + strconv.Itoa(i+j)
			}
			b.StartTimer()
		}
		resp, err := tr.RoundTrip(reqs[i%len(reqs)])
		if err != nil {
			b.Fatal(err)
		}
		if n, _ := io.Copy(io.Discard, resp.Body); n != 1024 {
			b.Fatalf("read %d bytes", n)
		}
		resp.Body.Close()
		i++
	}
	if err := tr.Close(); err != nil {
		b.Fatal(err)
	}
	if st := tr.Stats(); st.Hits != 0 || st.Stores == 0 {
		b.Fatalf("%d hits and %d stores in a miss benchmark", st.Hits, st.Stores)
	}
}
