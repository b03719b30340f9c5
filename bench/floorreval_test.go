package bench

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"sync"
	"testing"
)

// implFloorReval is the floor of a cache's revalidation: the least any
// cache must do to answer a request by revalidating a stored response. It
// keeps each 200's body, ETag and Last-Modified by URL (as floor-keep
// does); a request for a URL it holds goes out with If-None-Match and
// If-Modified-Since (both, as RFC 9111 §4.3.1 has a cache send them), and
// a 304 is answered with
// the 304's own header plus Content-Length and the kept bytes. No key
// hashing, no policy, no merge of the stored header, no Age or
// Cache-Status: what remains is the conditional exchange itself (the
// extra request field, sent and parsed) and serving kept bytes. BOUNDS.md
// reads the revalidation target against it.
var implFloorReval = impl{name: "floor-reval", cache: true, open: func(tb testing.TB) *instance {
	base := newBase()
	r := &revalidator{next: base, m: map[string]kept{}}
	inst := newInstance(tb, r, base, nil)
	inst.stored = func(testing.TB) int {
		r.mu.Lock()
		defer r.mu.Unlock()
		return len(r.m)
	}
	return inst
}}

type kept struct {
	etag, lastModified string
	body               []byte
}

type revalidator struct {
	next http.RoundTripper
	mu   sync.Mutex
	m    map[string]kept
}

func (v *revalidator) RoundTrip(req *http.Request) (*http.Response, error) {
	url := req.URL.String()
	v.mu.Lock()
	k, ok := v.m[url]
	v.mu.Unlock()
	if ok {
		creq := new(http.Request)
		*creq = *req
		creq.Header = make(http.Header, len(req.Header)+2)
		for f, vv := range req.Header {
			creq.Header[f] = vv
		}
		creq.Header["If-None-Match"] = []string{k.etag}
		if k.lastModified != "" {
			creq.Header["If-Modified-Since"] = []string{k.lastModified}
		}
		req = creq
	}
	resp, err := v.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if ok && resp.StatusCode == http.StatusNotModified {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		resp.StatusCode, resp.Status = http.StatusOK, "200 OK"
		resp.Header["Content-Length"] = []string{strconv.Itoa(len(k.body))}
		resp.ContentLength = int64(len(k.body))
		resp.Body = io.NopCloser(bytes.NewReader(k.body))
		return resp, nil
	}
	if et := resp.Header.Get("Etag"); et != "" && resp.StatusCode == http.StatusOK {
		resp.Body = &revalTee{rc: resp.Body, v: v, url: url, etag: et, lastModified: resp.Header.Get("Last-Modified")}
	}
	return resp, nil
}

type revalTee struct {
	rc           io.ReadCloser
	v            *revalidator
	url, etag    string
	lastModified string
	buf          bytes.Buffer
}

func (t *revalTee) Read(p []byte) (int, error) {
	n, err := t.rc.Read(p)
	t.buf.Write(p[:n])
	if err == io.EOF {
		t.v.mu.Lock()
		t.v.m[t.url] = kept{etag: t.etag, lastModified: t.lastModified, body: bytes.Clone(t.buf.Bytes())}
		t.v.mu.Unlock()
	}
	return n, err
}

func (t *revalTee) Close() error { return t.rc.Close() }
