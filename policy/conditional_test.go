package policy

import (
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp/models"
)

func TestNotModified(t *testing.T) {
	lm := at(-time.Hour)
	rec := &models.Response{StatusCode: 200, Header: hdr("Etag", `"abc"`, "Last-Modified", httpDate(lm), "Date", httpDate(t0))}
	weak := &models.Response{StatusCode: 200, Header: hdr("Etag", `W/"abc"`)}
	dateOnly := &models.Response{StatusCode: 200, Header: hdr("Date", httpDate(t0))}
	notFound := &models.Response{StatusCode: 404, Header: hdr("Etag", `"abc"`)}
	// Received at t0 + 0.5s, without Last-Modified or Date.
	received := &models.Response{StatusCode: 200, Header: hdr("Content-Type", "text/plain"), ResponseTime: t0.Add(500 * time.Millisecond)}
	badLM := &models.Response{StatusCode: 200, Header: hdr("Last-Modified", "yesterday", "Date", httpDate(t0))}
	nothing := &models.Response{StatusCode: 200, Header: hdr()}
	tests := []struct {
		name   string
		method string
		reqH   []string
		rec    *models.Response
		want   bool
	}{
		{"RFC9110 13.1.2 If-None-Match matching ETag", "GET", []string{"If-None-Match", `"abc"`}, rec, true},
		{"RFC9110 13.1.2 If-None-Match uses weak comparison", "GET", []string{"If-None-Match", `W/"abc"`}, rec, true},
		{"RFC9110 13.1.2 weak stored ETag matches weakly", "GET", []string{"If-None-Match", `"abc"`}, weak, true},
		{"RFC9110 13.1.2 If-None-Match list", "GET", []string{"If-None-Match", `"x", "a,b", "abc"`}, rec, true},
		{"RFC9110 13.1.2 If-None-Match list across field lines", "GET", []string{"If-None-Match", `"x"`, "If-None-Match", `"abc"`}, rec, true},
		{"RFC9110 13.1.2 If-None-Match comma inside entity-tag", "GET", []string{"If-None-Match", `"ab,c"`}, rec, false},
		{"RFC9110 13.1.2 If-None-Match star", "GET", []string{"If-None-Match", "*"}, rec, true},
		{"RFC9110 13.1.2 If-None-Match no match", "GET", []string{"If-None-Match", `"xyz"`}, rec, false},
		{"RFC9110 13.2.2 If-None-Match takes precedence over If-Modified-Since", "GET",
			[]string{"If-None-Match", `"xyz"`, "If-Modified-Since", httpDate(t0)}, rec, false},
		{"RFC9110 13.1.3 If-Modified-Since not modified", "GET", []string{"If-Modified-Since", httpDate(lm)}, rec, true},
		{"RFC9110 13.1.3 If-Modified-Since modified since", "GET", []string{"If-Modified-Since", httpDate(lm.Add(-time.Second))}, rec, false},
		{"RFC9111 4.3.2 If-Modified-Since compares stored Date without Last-Modified", "GET",
			[]string{"If-Modified-Since", httpDate(t0)}, dateOnly, true},
		{"RFC9111 4.3.2 If-Modified-Since before the stored Date is modified", "GET",
			[]string{"If-Modified-Since", httpDate(at(-time.Second))}, dateOnly, false},
		{"RFC9111 4.3.2 If-Modified-Since compares time received without Last-Modified and Date", "GET",
			[]string{"If-Modified-Since", httpDate(t0)}, received, true},
		{"RFC9111 4.3.2 time received is compared at the resolution of a date", "GET",
			[]string{"If-Modified-Since", httpDate(at(-time.Second))}, received, false},
		{"RFC9111 4.3.2 invalid Last-Modified falls back to Date", "GET",
			[]string{"If-Modified-Since", httpDate(t0)}, badLM, true},
		{"RFC9111 4.3.2 nothing to compare with", "GET",
			[]string{"If-Modified-Since", httpDate(t0)}, nothing, false},
		{"RFC9110 13.1.3 invalid If-Modified-Since ignored", "GET", []string{"If-Modified-Since", "yesterday"}, rec, false},
		{"RFC9110 13.1.3 If-Modified-Since only for GET and HEAD", "POST", []string{"If-Modified-Since", httpDate(t0)}, rec, false},
		{"RFC9110 13.1.3 If-Modified-Since for HEAD", "HEAD", []string{"If-Modified-Since", httpDate(t0)}, rec, true},
		{"RFC9110 13.2.1 preconditions ignored for non-2xx", "GET", []string{"If-None-Match", `"abc"`}, notFound, false},
		{"RFC9110 13.2.2 no conditional no 304", "GET", nil, rec, false},
		{"no record", "GET", []string{"If-None-Match", "*"}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := newReq(t, tt.method, "https://example.com/a", tt.reqH...)
			if got := NotModified(req, tt.rec); got != tt.want {
				t.Errorf("NotModified = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestETagComparison(t *testing.T) {
	tests := []struct {
		name         string
		a, b         string
		strong, weak bool
	}{
		{"RFC9110 8.8.3.2 W/1 W/1", `W/"1"`, `W/"1"`, false, true},
		{"RFC9110 8.8.3.2 W/1 W/2", `W/"1"`, `W/"2"`, false, false},
		{"RFC9110 8.8.3.2 W/1 1", `W/"1"`, `"1"`, false, true},
		{"RFC9110 8.8.3.2 1 1", `"1"`, `"1"`, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := strongMatch(tt.a, tt.b); got != tt.strong {
				t.Errorf("strong = %v", got)
			}
			if got := weakMatch(tt.a, tt.b); got != tt.weak {
				t.Errorf("weak = %v", got)
			}
		})
	}
}
