package serializertest

import (
	"bytes"
	"net/http"
	"time"

	"github.com/cachedhttp/cachedhttp/models"
)

// EdgeCases are the responses every pipeline must round-trip exactly, by
// name.
func EdgeCases() map[string]*models.Response {
	nano := time.Date(2026, 5, 17, 10, 11, 12, 123456789, time.UTC)
	binary := make([]byte, 4096)
	for i := range binary {
		binary[i] = byte(i * 7)
	}
	return map[string]*models.Response{
		"zero response stays zero": {},
		"times keep nanoseconds and zero times stay zero": {
			StatusCode: 200, RequestTime: nano, ResponseTime: nano.Add(time.Nanosecond),
			Created: nano.Add(-1), Expires: time.Date(3000, 1, 1, 0, 0, 0, 1, time.UTC),
		},
		"times before 1970 keep nanoseconds": {
			StatusCode: 200, Created: time.Date(1901, 2, 3, 4, 5, 6, 999999999, time.UTC),
			Expires: time.Unix(-1, 1),
		},
		"nil header and trailer stay nil": {StatusCode: 204, Header: nil, Trailer: nil},
		"empty header and trailer stay empty": {
			StatusCode: 200, Header: http.Header{}, Trailer: http.Header{},
			Request: models.Request{Header: http.Header{}},
		},
		"repeated header values keep their order": {
			StatusCode: 200,
			Header: http.Header{
				"Set-Cookie":    {"b=2", "a=1", "c=3"},
				"Cache-Control": {"no-cache", "max-age=0"},
				"Nil-Values":    nil,
				"Empty-Values":  {},
				"Empty-String":  {""},
			},
		},
		"trailers round-trip": {
			StatusCode: 200, Body: []byte("chunked body"),
			Trailer: http.Header{"Grpc-Status": {"0"}, "Server-Timing": {"db;dur=53", "app;dur=47.2"}},
		},
		"empty body": {StatusCode: 200, Body: []byte{}},
		"binary body": {
			StatusCode: 200, Header: http.Header{"Content-Type": {"application/octet-stream"}}, Body: binary,
		},
		"invalid UTF-8 body": {StatusCode: 200, Body: []byte("caf\xe9 \xff\xfe")},
		"HTML body with characters JSON would escape": {
			StatusCode: 200, Body: []byte("<p>a & b</p>\u2028\x00\"'\\"),
		},
		"compressible 64 KiB body": {
			StatusCode: 200, Header: http.Header{"Content-Type": {"text/html"}},
			Body: bytes.Repeat([]byte("<li>compressible text</li>\n"), 64<<10/27),
		},
		"already gzipped body is stored as is": {
			StatusCode: 200, Header: http.Header{"Content-Encoding": {"gzip"}},
			Body: bytes.Repeat([]byte("pretend gzip "), 500),
		},
		"vary index with names": {
			VaryIndex: []string{"Accept-Encoding", "Accept-Language"}, Created: nano,
		},
		"empty vary index is an index": {VaryIndex: []string{}},
		"full response": {
			StatusCode: 200, Proto: "HTTP/2.0", ProtoMajor: 2,
			Header: http.Header{"Content-Type": {"application/json"}, "Etag": {`"v1"`}},
			Body:   []byte(`{"hello":"world"}`),
			Request: models.Request{Method: "GET", URL: "https://example.com/a?b=c",
				Header: http.Header{"Accept": {"*/*"}}},
			RequestTime: nano, ResponseTime: nano.Add(time.Millisecond), Created: nano,
			Expires: nano.Add(time.Hour), StaleUntil: nano.Add(2 * time.Hour), Revalidate: true,
		},
	}
}

// GoldenResponses are the responses the golden records hold, by name (the
// record file name without ".rec"). Never change one: add a new name
// instead (FORMAT.md).
func GoldenResponses() map[string]*models.Response {
	t0 := time.Date(2026, 5, 17, 10, 11, 12, 123456789, time.UTC)
	return map[string]*models.Response{
		"full": {
			StatusCode: 200, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: http.Header{
				"Content-Type":  {"text/html; charset=utf-8"},
				"Cache-Control": {"max-age=3600", "public"},
				"Set-Cookie":    {"b=2", "a=1"},
				"Etag":          {`"v1"`},
				"Empty":         {},
			},
			Trailer: http.Header{"Server-Timing": {"db;dur=53"}},
			Body:    bytes.Repeat([]byte("<p>golden record body, compressible &amp; stable</p>\n"), 40),
			Request: models.Request{Method: "GET", URL: "https://example.com/golden?a=1&b=2",
				Header: http.Header{"Accept": {"text/html"}}},
			RequestTime: t0, ResponseTime: t0.Add(1500 * time.Microsecond), Created: t0,
			Expires: t0.Add(time.Hour), StaleUntil: t0.Add(25 * time.Hour), Revalidate: true,
		},
		"binary": {
			StatusCode: 206, Proto: "HTTP/2.0", ProtoMajor: 2,
			Header: http.Header{"Content-Type": {"image/png"}, "Content-Range": {"bytes 0-9/100"}},
			Body:   []byte{0x89, 'P', 'N', 'G', 0, 1, 2, 0xfe, 0xff, 0x80},
			Request: models.Request{Method: "GET", URL: "https://example.com/i.png",
				Header: http.Header{}},
			Created: t0.Add(-time.Nanosecond),
		},
		"varyindex": {
			VaryIndex: []string{"Accept-Encoding", "Accept-Language"},
			Created:   t0, Expires: t0.Add(time.Minute),
		},
		"empty": {StatusCode: 204, Header: http.Header{}, Body: []byte{}},
	}
}

// SeedResponses are small responses of different shapes, to seed fuzz
// targets.
func SeedResponses() []*models.Response {
	var rs []*models.Response
	for _, name := range []string{"full response", "vary index with names", "zero response stays zero",
		"repeated header values keep their order", "trailers round-trip", "invalid UTF-8 body"} {
		rs = append(rs, EdgeCases()[name])
	}
	return rs
}
