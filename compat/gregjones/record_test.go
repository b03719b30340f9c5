package gregjones_test

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gregjones/httpcache"

	"github.com/cachedhttp/cachedhttp/compat/gregjones"
)

// recordingOrigin serves the paths the record tests need; what a gregjones
// Transport stores from it is what ParseRecord must read.
func recordingOrigin(t *testing.T) *origin {
	return newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		switch r.URL.Path {
		case "/plain":
			h.Set("Cache-Control", "max-age=600")
			h.Set("Content-Type", "text/plain")
			io.WriteString(w, "plain body")
		case "/chunked":
			h.Set("Cache-Control", "max-age=600")
			h.Set("Trailer", "X-Checksum")
			io.WriteString(w, "first part, ")
			w.(http.Flusher).Flush()
			io.WriteString(w, "second part")
			h.Set("X-Checksum", "abc123")
		case "/vary":
			h.Set("Cache-Control", "max-age=600")
			h.Set("Vary", "Accept, Accept-Language")
			fmt.Fprintf(w, "as %s", r.Header.Get("Accept"))
		case "/etag":
			h.Set("Cache-Control", "max-age=0")
			h.Set("ETag", `"v1"`)
			if r.Header.Get("If-None-Match") == `"v1"` {
				w.WriteHeader(http.StatusNotModified)
				return
			}
			io.WriteString(w, "tagged")
		case "/nodate":
			h["Date"] = nil // net/http adds none
			h.Set("Cache-Control", "max-age=600")
			io.WriteString(w, "undated")
		default:
			http.NotFound(w, r)
		}
	})
}

// storeWithGregjones makes the requests with a gregjones Transport over a
// MemoryCache and returns the cache.
func storeWithGregjones(t *testing.T, reqs ...*http.Request) *httpcache.MemoryCache {
	t.Helper()
	c := httpcache.NewMemoryCache()
	client := httpcache.NewTransport(c).Client()
	for _, req := range reqs {
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	return c
}

func newReq(t *testing.T, method, u string, hdr ...string) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return req
}

func parse(t *testing.T, c httpcache.Cache, key string, stored time.Time) *gregjones.Record {
	t.Helper()
	data, ok := c.Get(key)
	if !ok {
		t.Fatalf("gregjones stored nothing under %q", key)
	}
	rec, err := gregjones.ParseRecord(gregjones.Entry{Key: key, Data: data, Stored: stored})
	if err != nil {
		t.Fatalf("ParseRecord(%q): %v\n%s", key, err, data)
	}
	return rec
}

func TestParseRecord(t *testing.T) {
	o := recordingOrigin(t)
	start := time.Now().Add(-time.Second).Truncate(time.Second)
	c := storeWithGregjones(t,
		newReq(t, "GET", o.URL+"/plain"),
		newReq(t, "GET", o.URL+"/chunked"),
		newReq(t, "GET", o.URL+"/vary", "Accept", "application/json"),
		newReq(t, "GET", o.URL+"/etag"),
		newReq(t, "GET", o.URL+"/etag"), // stale: revalidated with a 304, stored again
		newReq(t, "HEAD", o.URL+"/plain"),
		newReq(t, "GET", o.URL+"/nodate"),
	)

	t.Run("status, header, body and times from Date", func(t *testing.T) {
		r := parse(t, c, o.URL+"/plain", time.Time{}).Response
		if r.StatusCode != 200 || r.Proto != "HTTP/1.1" || string(r.Body) != "plain body" || r.Header.Get("Content-Type") != "text/plain" {
			t.Errorf("got %d %s %q %v", r.StatusCode, r.Proto, r.Body, r.Header)
		}
		if r.Request.Method != "GET" || r.Request.URL != o.URL+"/plain" {
			t.Errorf("request %s %s", r.Request.Method, r.Request.URL)
		}
		date, _ := http.ParseTime(r.Header.Get("Date"))
		if r.ResponseTime.Before(start) || !r.ResponseTime.Equal(date) || !r.Created.Equal(date) {
			t.Errorf("ResponseTime %v, Created %v; want the Date %v", r.ResponseTime, r.Created, date)
		}
		if !r.Expires.Equal(date.Add(600*time.Second)) || r.Revalidate {
			t.Errorf("Expires %v, Revalidate %v; want Date+600s, false", r.Expires, r.Revalidate)
		}
	})
	t.Run("stored time wins over Date", func(t *testing.T) {
		stored := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
		r := parse(t, c, o.URL+"/plain", stored).Response
		if !r.ResponseTime.Equal(stored) || !r.RequestTime.Equal(stored) || !r.Created.Equal(stored) {
			t.Errorf("times %v %v %v; want %v", r.RequestTime, r.ResponseTime, r.Created, stored)
		}
	})
	t.Run("chunked body with trailer", func(t *testing.T) {
		r := parse(t, c, o.URL+"/chunked", time.Time{}).Response
		if string(r.Body) != "first part, second part" || r.Trailer.Get("X-Checksum") != "abc123" {
			t.Errorf("body %q, trailer %v", r.Body, r.Trailer)
		}
		if r.Header.Get("Transfer-Encoding") != "" {
			t.Errorf("Transfer-Encoding kept: %v", r.Header)
		}
	})
	t.Run("X-Varied fields become the request header", func(t *testing.T) {
		r := parse(t, c, o.URL+"/vary", time.Time{}).Response
		want := http.Header{"Accept": {"application/json"}} // no Accept-Language: the request had none
		if !reflect.DeepEqual(r.Request.Header, want) {
			t.Errorf("request header %v; want %v", r.Request.Header, want)
		}
		for k := range r.Header {
			if strings.HasPrefix(k, "X-Varied-") {
				t.Errorf("%s kept in the response header", k)
			}
		}
		if r.Header.Get("Vary") != "Accept, Accept-Language" || string(r.Body) != "as application/json" {
			t.Errorf("Vary %q, body %q", r.Header.Get("Vary"), r.Body)
		}
	})
	t.Run("revalidated record without X-From-Cache, stale with its validator", func(t *testing.T) {
		r := parse(t, c, o.URL+"/etag", time.Time{}).Response
		if r.Header.Get(httpcache.XFromCache) != "" {
			t.Errorf("X-From-Cache kept: %v", r.Header)
		}
		if r.Header.Get("ETag") != `"v1"` || string(r.Body) != "tagged" {
			t.Errorf("ETag %q, body %q", r.Header.Get("ETag"), r.Body)
		}
		if !r.Expires.Equal(r.ResponseTime) {
			t.Errorf("Expires %v; want stale at once (%v)", r.Expires, r.ResponseTime)
		}
	})
	t.Run("HEAD record", func(t *testing.T) {
		rec := parse(t, c, "HEAD "+o.URL+"/plain", time.Time{})
		if r := rec.Response; r.Request.Method != "HEAD" || r.Request.URL != o.URL+"/plain" || len(r.Body) != 0 || r.StatusCode != 200 {
			t.Errorf("%s %s: %d, %q", r.Request.Method, r.Request.URL, r.StatusCode, r.Body)
		}
		req, err := rec.NewRequest(t.Context())
		if err != nil || req.Method != "HEAD" || req.URL.String() != o.URL+"/plain" {
			t.Errorf("NewRequest: %v %v", req, err)
		}
	})
	t.Run("no Date and no stored time: revalidate before use", func(t *testing.T) {
		r := parse(t, c, o.URL+"/nodate", time.Time{}).Response
		if !r.Revalidate || !r.ResponseTime.IsZero() || !r.Expires.IsZero() {
			t.Errorf("Revalidate %v, ResponseTime %v, Expires %v; want true, zero, zero", r.Revalidate, r.ResponseTime, r.Expires)
		}
		stored := time.Now().Truncate(time.Second)
		r = parse(t, c, o.URL+"/nodate", stored).Response
		if r.Revalidate || !r.Expires.Equal(stored.Add(600*time.Second)) {
			t.Errorf("with a stored time: Revalidate %v, Expires %v; want false, %v", r.Revalidate, r.Expires, stored.Add(600*time.Second))
		}
	})
}

func TestParseRecordRejects(t *testing.T) {
	whole := "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nDate: Mon, 02 Jan 2006 15:04:05 GMT\r\n\r\nhello"
	for _, tt := range []struct{ name, key, data string }{
		{"empty", "https://example.com/", ""},
		{"not HTTP", "https://example.com/", "GIF89a..."},
		{"body cut short", "https://example.com/", whole[:len(whole)-2]},
		{"bytes after the response", "https://example.com/", whole + "HTTP/1.1 200 OK\r\n\r\n"},
		{"bad chunking", "https://example.com/", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"},
		{"header cut short", "https://example.com/", "HTTP/1.1 200 OK\r\nContent-Le"},
		{"relative URL in the key", "/path", whole},
		{"key with a bad method", "G(T https://example.com/", whole},
		{"unparseable URL in the key", "https://exa mple.com/%zz", whole},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec, err := gregjones.ParseRecord(gregjones.Entry{Key: tt.key, Data: []byte(tt.data)})
			if !errors.Is(err, gregjones.ErrInvalidRecord) {
				t.Errorf("ParseRecord = %+v, %v; want ErrInvalidRecord", rec, err)
			}
		})
	}
}

func TestKeys(t *testing.T) {
	for _, tt := range []struct{ method, url, want string }{
		{"GET", "https://example.com/a?b=1", "https://example.com/a?b=1"},
		{"", "https://example.com", "https://example.com"},
		{"HEAD", "https://example.com/a", "HEAD https://example.com/a"},
		{"GET", "https://example.com/a b", "https://example.com/a%20b"}, // as req.URL.String() prints it
	} {
		got, err := gregjones.Key(tt.method, tt.url)
		if err != nil || got != tt.want {
			t.Errorf("Key(%q, %q) = %q, %v; want %q", tt.method, tt.url, got, err, tt.want)
		}
		m, u, err := gregjones.SplitKey(got)
		if wantMethod := cmp.Or(tt.method, "GET"); err != nil || m != wantMethod || u != strings.TrimPrefix(got, "HEAD ") {
			t.Errorf("SplitKey(%q) = %q, %q, %v", got, m, u, err)
		}
	}
	keys, err := gregjones.KeysForURLs([]string{"# comment", "", "https://example.com/a", "head https://example.com/b", "https://example.com/a"})
	want := []string{"https://example.com/a", "HEAD https://example.com/a", "HEAD https://example.com/b"}
	if err != nil || !reflect.DeepEqual(keys, want) {
		t.Errorf("KeysForURLs = %q, %v; want %q", keys, err, want)
	}
	if _, err := gregjones.KeysForURLs([]string{"example.com/no-scheme"}); err == nil {
		t.Error("KeysForURLs accepted a relative URL")
	}
}
