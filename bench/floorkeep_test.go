package bench

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"sync"
	"testing"
)

// implFloorKeep is the floor of a cache's miss: the least any cache that
// keeps every response must do on top of the control. It forwards the
// request, tees the body into a buffer sized once from Content-Length as
// the caller reads it, and at the end of the body keeps one exact copy in
// a map under a mutex, keyed by the URL. No policy, no headers kept, no
// key hashing, no encoding: what remains is the cost of holding one more
// body per miss (allocation, the retained heap the garbage collector walks
// and the fresh memory it is carved from). BOUNDS.md reads the miss targets
// against it.
var implFloorKeep = impl{name: "floor-keep", cache: true, open: func(tb testing.TB) *instance {
	return newKeeper(tb, false)
}}

// implFloorReval is the floor of a cache's revalidation: the least any
// cache must do to answer a request by revalidating a stored response. It
// keeps each 200's body, ETag and Last-Modified by URL (as floor-keep
// does); a request for a URL it holds goes out with If-None-Match and
// If-Modified-Since (both, as RFC 9111 §4.3.1 has a cache send them), and
// a 304 is answered with the 304's own header plus Content-Length and the
// kept bytes. No key hashing, no policy, no merge of the stored header, no
// Age or Cache-Status: what remains is the conditional exchange itself (the
// extra request fields, sent and parsed) and serving kept bytes. BOUNDS.md
// reads the revalidation target against it.
var implFloorReval = impl{name: "floor-reval", cache: true, open: func(tb testing.TB) *instance {
	return newKeeper(tb, true)
}}

func newKeeper(tb testing.TB, revalidate bool) *instance {
	base := newBase()
	k := &keeper{next: base, revalidate: revalidate, m: map[string]kept{}}
	inst := newInstance(tb, k, base, nil)
	inst.stored = func(testing.TB) int {
		k.mu.Lock()
		defer k.mu.Unlock()
		return len(k.m)
	}
	return inst
}

// kept is what a keeper holds for a URL.
type kept struct {
	etag, lastModified string
	body               []byte
}

type keeper struct {
	next       http.RoundTripper
	revalidate bool // floor-reval: send the kept validators, answer 304s
	mu         sync.Mutex
	m          map[string]kept
}

func (k *keeper) RoundTrip(req *http.Request) (*http.Response, error) {
	url := req.URL.String()
	var have kept
	held := false
	if k.revalidate {
		k.mu.Lock()
		have, held = k.m[url]
		k.mu.Unlock()
		held = held && have.etag != ""
	}
	if held {
		creq := new(http.Request)
		*creq = *req
		creq.Header = make(http.Header, len(req.Header)+2)
		for f, vv := range req.Header {
			creq.Header[f] = vv
		}
		creq.Header["If-None-Match"] = []string{have.etag}
		if have.lastModified != "" {
			creq.Header["If-Modified-Since"] = []string{have.lastModified}
		}
		req = creq
	}
	resp, err := k.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if held && resp.StatusCode == http.StatusNotModified {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		resp.StatusCode, resp.Status = http.StatusOK, "200 OK"
		resp.Header["Content-Length"] = []string{strconv.Itoa(len(have.body))}
		resp.ContentLength = int64(len(have.body))
		resp.Body = io.NopCloser(bytes.NewReader(have.body))
		return resp, nil
	}
	t := &keepTee{rc: resp.Body, k: k, url: url}
	if k.revalidate {
		t.etag, t.lastModified = resp.Header.Get("Etag"), resp.Header.Get("Last-Modified")
	}
	if resp.ContentLength > 0 && resp.ContentLength <= 1<<20 {
		t.buf.Grow(int(resp.ContentLength))
	}
	resp.Body = t
	return resp, nil
}

type keepTee struct {
	rc                      io.ReadCloser
	k                       *keeper
	url, etag, lastModified string
	buf                     bytes.Buffer
}

func (t *keepTee) Read(p []byte) (int, error) {
	n, err := t.rc.Read(p)
	t.buf.Write(p[:n])
	if err == io.EOF {
		k := kept{etag: t.etag, lastModified: t.lastModified, body: bytes.Clone(t.buf.Bytes())}
		t.k.mu.Lock()
		t.k.m[t.url] = k
		t.k.mu.Unlock()
	}
	return n, err
}

func (t *keepTee) Close() error { return t.rc.Close() }
