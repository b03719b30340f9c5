package bench

import (
	"bytes"
	"io"
	"net/http"
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
	base := newBase()
	k := &keeper{next: base, m: map[string][]byte{}}
	inst := newInstance(tb, k, base, nil)
	inst.stored = func(testing.TB) int {
		k.mu.Lock()
		defer k.mu.Unlock()
		return len(k.m)
	}
	return inst
}}

type keeper struct {
	next http.RoundTripper
	mu   sync.Mutex
	m    map[string][]byte
}

func (k *keeper) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := k.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	t := &keepTee{rc: resp.Body, k: k, url: req.URL.String()}
	if resp.ContentLength > 0 && resp.ContentLength <= 1<<20 {
		t.buf.Grow(int(resp.ContentLength))
	}
	resp.Body = t
	return resp, nil
}

type keepTee struct {
	rc  io.ReadCloser
	k   *keeper
	url string
	buf bytes.Buffer
}

func (t *keepTee) Read(p []byte) (int, error) {
	n, err := t.rc.Read(p)
	t.buf.Write(p[:n])
	if err == io.EOF {
		kept := bytes.Clone(t.buf.Bytes())
		t.k.mu.Lock()
		t.k.m[t.url] = kept
		t.k.mu.Unlock()
	}
	return n, err
}

func (t *keepTee) Close() error { return t.rc.Close() }
