// Package models defines the records cachedhttp stores: a response as it was
// received, the request that produced it (with secrets redacted), and the
// timestamps the cache policy needs. It depends on the standard library only,
// so serializers and backends can share it without import cycles.
package models

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Response is one stored HTTP response.
//
// A Response is either an ordinary response or, when VaryIndex is non-nil, a
// Vary index: a small record stored under a primary key that names the
// request headers (from the response's Vary field) that select one of several
// variants, each stored under its own secondary key.
type Response struct {
	// StatusCode, Proto, ProtoMajor and ProtoMinor are as in http.Response.
	StatusCode int
	Proto      string
	ProtoMajor int
	ProtoMinor int
	// Header holds the stored response header fields (hop-by-hop fields and
	// fields named by Connection or a qualified no-cache/private are removed).
	Header http.Header
	// Trailer holds trailer fields received after the body, if any.
	Trailer http.Header
	// Body is the complete response body.
	Body []byte

	// Request describes the request that produced this response.
	Request Request

	// RequestTime is when the request that produced this response was sent
	// (request_time in RFC 9111 §4.2.3); ResponseTime is when the response
	// was received (response_time). Together they give the corrected age.
	RequestTime  time.Time
	ResponseTime time.Time
	// Created is when the record was first stored; revalidation keeps it.
	Created time.Time
	// Expires is when the response stops being fresh; the zero time means it
	// never does (the user's "never expire").
	Expires time.Time
	// StaleUntil is the last moment the response may still be used stale
	// (stale-if-error / stale-while-revalidate); zero means no such window.
	StaleUntil time.Time
	// Revalidate, when true, makes every use of the response go to the origin
	// first (the user's "expire immediately" or an always-revalidate rule).
	Revalidate bool

	// VaryIndex, when non-nil, marks this record as a Vary index: the field
	// names whose request values select the variant. Such a record has no
	// status or body.
	VaryIndex []string
}

// Request is the stored description of the request that produced a
// response. Credentials and ignored parameters are redacted before storage.
type Request struct {
	Method string
	URL    string
	Header http.Header
}

// IsVaryIndex reports whether r is a Vary index rather than a response.
func (r *Response) IsVaryIndex() bool { return r != nil && r.VaryIndex != nil }

// HTTPResponse builds a new *http.Response from the stored record. The body
// reads the stored bytes without copying them; header maps are copied so the
// caller may modify them freely.
func (r *Response) HTTPResponse(req *http.Request) *http.Response {
	proto, major, minor := r.Proto, r.ProtoMajor, r.ProtoMinor
	if proto == "" {
		proto, major, minor = "HTTP/1.1", 1, 1
	}
	resp := &http.Response{
		Status:        strconv.Itoa(r.StatusCode) + " " + http.StatusText(r.StatusCode),
		StatusCode:    r.StatusCode,
		Proto:         proto,
		ProtoMajor:    major,
		ProtoMinor:    minor,
		Header:        r.Header.Clone(),
		Trailer:       r.Trailer.Clone(),
		ContentLength: int64(len(r.Body)),
		Request:       req,
	}
	if resp.Header == nil {
		resp.Header = make(http.Header)
	}
	if req != nil && req.Method == http.MethodHead {
		resp.Body = http.NoBody
	} else {
		resp.Body = io.NopCloser(bytes.NewReader(r.Body))
	}
	return resp
}

// FromHTTP builds a Response record from resp and its complete body. It keeps
// references to resp's header maps: callers that go on modifying resp should
// clone them first.
func FromHTTP(resp *http.Response, body []byte) *Response {
	r := &Response{
		StatusCode: resp.StatusCode,
		Proto:      resp.Proto,
		ProtoMajor: resp.ProtoMajor,
		ProtoMinor: resp.ProtoMinor,
		Header:     resp.Header,
		Body:       body,
	}
	if len(resp.Trailer) > 0 {
		r.Trailer = resp.Trailer
	}
	if resp.Request != nil {
		r.Request = Request{Method: resp.Request.Method, Header: resp.Request.Header}
		if resp.Request.URL != nil {
			r.Request.URL = resp.Request.URL.String()
		}
	}
	return r
}
