package serializertest

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/cachedhttp/cachedhttp/models"
)

var benchWords = []string{"the", "cache", "of", "and", "response", "server", "client", "request",
	"header", "body", "fresh", "stale", "validate", "origin", "proxy", "store", "key", "value",
	"network", "latency", "a", "to", "in", "is", "that", "for", "with", "as", "on", "by", "this",
	"from", "at", "are", "be", "or", "an", "it", "which", "not", "we", "can", "will", "all",
	"content", "page", "section", "article", "navigation", "footer", "search", "account", "price",
	"product", "review", "customer", "shipping", "return", "policy", "update", "version", "release"}

// benchHTML returns n bytes of deterministic HTML that compresses like real
// pages: nested tags, attributes with varying ids, sentences of words.
func benchHTML(n int) []byte {
	r := rand.New(rand.NewPCG(42, 42))
	var b bytes.Buffer
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Benchmark page</title></head>\n<body>\n")
	for b.Len() < n {
		fmt.Fprintf(&b, "<div class=\"item item-%d\" id=\"p%d\">\n  <h2><a href=\"/products/%d?ref=list&amp;pos=%d\">", r.IntN(20), r.IntN(1e6), r.IntN(1e5), r.IntN(100))
		for range 3 + r.IntN(5) {
			b.WriteString(benchWords[r.IntN(len(benchWords))])
			b.WriteByte(' ')
		}
		b.WriteString("</a></h2>\n  <p>")
		for range 20 + r.IntN(60) {
			b.WriteString(benchWords[r.IntN(len(benchWords))])
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "</p>\n  <span class=\"price\">$%d.%02d</span>\n</div>\n", r.IntN(1000), r.IntN(100))
	}
	return b.Bytes()[:n]
}

// benchJSON returns n bytes of deterministic JSON API output.
func benchJSON(n int) []byte {
	r := rand.New(rand.NewPCG(7, 7))
	var b bytes.Buffer
	b.WriteString(`{"items":[`)
	for i := 0; b.Len() < n-64; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":%d,"name":"%s %s","price":%d.%02d,"tags":["%s"]}`, r.IntN(1e6),
			benchWords[r.IntN(len(benchWords))], benchWords[r.IntN(len(benchWords))], r.IntN(1000), r.IntN(100),
			benchWords[r.IntN(len(benchWords))])
	}
	b.WriteString(`]}`)
	for b.Len() < n {
		b.WriteByte(' ')
	}
	return b.Bytes()[:n]
}

func benchResponse(contentType string, body []byte) *models.Response {
	t0 := time.Date(2026, 5, 17, 10, 0, 0, 123456789, time.UTC)
	return &models.Response{
		StatusCode: 200, Proto: "HTTP/2.0", ProtoMajor: 2,
		Header: http.Header{
			"Content-Type":              {contentType},
			"Cache-Control":             {"public, max-age=300"},
			"Date":                      {"Sun, 17 May 2026 10:00:00 GMT"},
			"Etag":                      {`"33a64df551425fcc55e4d42a148795d9f25f89d4"`},
			"Last-Modified":             {"Sat, 16 May 2026 08:00:00 GMT"},
			"Vary":                      {"Accept-Encoding"},
			"Server":                    {"nginx"},
			"Strict-Transport-Security": {"max-age=63072000; includeSubDomains"},
			"X-Content-Type-Options":    {"nosniff"},
			"Set-Cookie":                {"session=abc123; Path=/; HttpOnly", "theme=dark; Path=/"},
			"X-Request-Id":              {"7f9c2ba4e88f827d616045507605853e"},
		},
		Body: body,
		Request: models.Request{Method: "GET", URL: "https://shop.example.com/products?page=2&sort=price",
			Header: http.Header{"Accept": {"text/html,application/json"}, "Accept-Encoding": {"gzip, br"}}},
		RequestTime: t0, ResponseTime: t0.Add(80 * time.Millisecond), Created: t0,
		Expires: t0.Add(5 * time.Minute), StaleUntil: t0.Add(time.Hour),
	}
}

// BenchResponse is a named response for benchmarks.
type BenchResponse struct {
	Name string
	R    *models.Response
}

// BenchResponses are the responses the benchmarks of every codec encode:
// the typical 1 KiB record of issue 11 (TypicalResponse), 1 KiB of JSON and
// 256 KiB of HTML, with the headers of a real site.
func BenchResponses() []BenchResponse {
	return []BenchResponse{
		{"typical-1KiB", TypicalResponse()},
		{"json-1KiB", benchResponse("application/json", benchJSON(1<<10))},
		{"html-256KiB", benchResponse("text/html; charset=utf-8", benchHTML(256<<10))},
	}
}

// TypicalResponse is the record issue 11 sizes stores by: a 1 KiB
// incompressible body, the six response fields most origins send, a GET of
// a 40-byte URL with the request fields a Go client sends (credentials
// already redacted), the five timestamps as the transport sets them
// (Created is ResponseTime) and no Vary index.
func TypicalResponse() *models.Response {
	body := make([]byte, 1024)
	x := uint64(88172645463325252) // xorshift: incompressible, deterministic
	for i := range body {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		body[i] = byte(x >> 32)
	}
	sent := time.Date(2026, 5, 17, 10, 0, 0, 123456789, time.UTC)
	received := sent.Add(37*time.Millisecond + 123*time.Microsecond)
	return &models.Response{
		StatusCode: 200, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{
			"Cache-Control":  {"public, max-age=3600"},
			"Etag":           {`"5e1f-6a2b3c4d"`},
			"Last-Modified":  {"Sat, 16 May 2026 08:00:00 GMT"},
			"Content-Type":   {"application/octet-stream"},
			"Content-Length": {"1024"},
			"Date":           {"Sun, 17 May 2026 10:00:00 GMT"},
		},
		Body: body,
		Request: models.Request{Method: "GET", URL: "https://api.example.com/v1/items/12345?x=1",
			Header: http.Header{"Accept": {"*/*"}, "Accept-Encoding": {"gzip"}, "User-Agent": {"Go-http-client/1.1"}}},
		RequestTime: sent, ResponseTime: received, Created: received,
		Expires: received.Add(time.Hour), StaleUntil: received.Add(25 * time.Hour),
	}
}
