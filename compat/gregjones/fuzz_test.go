package gregjones_test

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp/compat/gregjones"
	"github.com/cachedhttp/cachedhttp/models"
)

// dumpOf returns what gregjones stores for a response written by h.
func dumpOf(h http.HandlerFunc, method string) []byte {
	rec := httptest.NewRecorder()
	h(rec, httptest.NewRequest(method, "https://example.com/", nil))
	resp := rec.Result()
	resp.Request = httptest.NewRequest(method, "https://example.com/", nil)
	b, err := httputil.DumpResponse(resp, true)
	if err != nil {
		panic(err)
	}
	return b
}

// FuzzParseRecord feeds ParseRecord corrupt records and keys: it must return
// a record or an error matching ErrInvalidRecord, never panic, and a record
// it returns must be usable (turned back into an http.Response).
func FuzzParseRecord(f *testing.F) {
	f.Add("https://example.com/", dumpOf(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		w.Header().Set("Date", "Mon, 02 Jan 2006 15:04:05 GMT")
		w.Write([]byte("hello"))
	}, "GET"))
	f.Add("HEAD https://example.com/a?b=c", dumpOf(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("ETag", `"x"`)
		w.Header().Set("Content-Length", "5")
	}, "HEAD"))
	f.Add("https://example.com/vary", []byte("HTTP/1.1 200 OK\r\nVary: Accept, *\r\nX-Varied-Accept: text/html\r\nX-From-Cache: 1\r\nTransfer-Encoding: chunked\r\nTrailer: X-T\r\n\r\n5\r\nhello\r\n0\r\nX-T: 1\r\n\r\n"))
	f.Add("https://example.com/", []byte("HTTP/1.0 404 Not Found\r\nConnection: close\r\nExpires: Thu, 01 Jan 1970 00:00:00 GMT\r\n\r\nbody until EOF"))
	f.Add("POST https://example.com/", []byte("HTTP/2.0 204 No Content\r\nDate: garbage\r\nAge: 99999999999\r\n\r\n"))
	f.Add("", []byte(""))
	f.Fuzz(func(t *testing.T, key string, data []byte) {
		orig := bytes.Clone(data)
		rec, err := gregjones.ParseRecord(gregjones.Entry{Key: key, Data: data, Stored: time.Unix(1700000000, 0)})
		if !bytes.Equal(data, orig) {
			t.Fatal("ParseRecord modified its input")
		}
		if err != nil {
			if !errors.Is(err, gregjones.ErrInvalidRecord) {
				t.Fatalf("error %v does not match ErrInvalidRecord", err)
			}
			return
		}
		r := rec.Response
		if r == nil || r.Header == nil || r.IsVaryIndex() {
			t.Fatalf("bad record %+v", rec)
		}
		for k := range r.Header {
			if k == "X-From-Cache" || len(k) > len("X-Varied-") && k[:len("X-Varied-")] == "X-Varied-" {
				t.Fatalf("gregjones field %s kept", k)
			}
		}
		req, err := rec.NewRequest(t.Context())
		if err != nil {
			return // a method or URL net/http refuses to send
		}
		resp := r.HTTPResponse(req)
		resp.Body.Close()
		_ = models.FromHTTP(resp, r.Body)
	})
}
