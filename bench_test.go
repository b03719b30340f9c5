package cachedhttp

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

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
