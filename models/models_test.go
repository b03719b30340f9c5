package models_test

import (
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/cachedhttp/cachedhttp/models"
)

func TestHTTPResponseRoundTrip(t *testing.T) {
	u, _ := url.Parse("http://example.com/a")
	req := &http.Request{Method: http.MethodGet, URL: u, Header: http.Header{"Accept": {"text/plain"}}}
	orig := &http.Response{
		StatusCode: 200, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:  http.Header{"Content-Type": {"text/plain"}, "X-Many": {"a", "b"}},
		Trailer: http.Header{"X-Sum": {"1"}},
		Request: req,
	}
	rec := models.FromHTTP(orig, []byte("body"))
	if rec.Request.URL != "http://example.com/a" || rec.Request.Method != "GET" || string(rec.Body) != "body" {
		t.Fatalf("FromHTTP: %+v", rec)
	}
	resp := rec.HTTPResponse(req)
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || resp.Status != "200 OK" || string(b) != "body" || resp.ContentLength != 4 {
		t.Fatalf("HTTPResponse: %d %q %q %d", resp.StatusCode, resp.Status, b, resp.ContentLength)
	}
	if got := resp.Header.Values("X-Many"); len(got) != 2 || resp.Trailer.Get("X-Sum") != "1" || resp.Request != req {
		t.Fatalf("headers %v trailer %v", resp.Header, resp.Trailer)
	}
	// The response's header maps are copies: changing them leaves the
	// record alone.
	resp.Header.Set("Content-Type", "changed")
	if rec.Header.Get("Content-Type") != "text/plain" {
		t.Fatal("HTTPResponse shares the record's header map")
	}
}

func TestHTTPResponseHeadHasNoBody(t *testing.T) {
	rec := &models.Response{StatusCode: 200, Body: []byte("body")}
	resp := rec.HTTPResponse(&http.Request{Method: http.MethodHead})
	if resp.Body != http.NoBody || resp.Proto != "HTTP/1.1" || resp.Header == nil {
		t.Fatalf("HEAD response: body %v proto %q", resp.Body, resp.Proto)
	}
}

func TestIsVaryIndex(t *testing.T) {
	var nilRec *models.Response
	if nilRec.IsVaryIndex() || (&models.Response{}).IsVaryIndex() {
		t.Fatal("plain record reported as a Vary index")
	}
	if !(&models.Response{VaryIndex: []string{}}).IsVaryIndex() {
		t.Fatal("empty, non-nil VaryIndex is an index")
	}
}
