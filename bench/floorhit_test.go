package bench

import (
	"bytes"
	"crypto/sha256"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// implFloorHit is the floor of a cache's hit: the least a correct cache
// does to answer a request from memory. Its key is the SHA-256 of the
// method and the URL as given (no normalisation), looked up in a map under
// a read lock; freshness is one comparison with a deadline computed when
// the response was kept; the response gets its own copy of the kept header
// (the caller may change it, RFC 9111 §4 has the cache generate Age on
// every response it serves from storage, §5.1), an Age field, and a body
// that reads the kept bytes without copying them. No policy beyond that,
// no Cache-Status, no Vary, no record decoding. BOUNDS.md reads the hit
// target against it. Its misses (the fill) keep each 200 for its
// Cache-Control max-age, read with the minimum of parsing.
var implFloorHit = impl{name: "floor-hit", cache: true, open: func(tb testing.TB) *instance {
	base := newBase()
	f := &hitFloor{next: base, m: map[[sha256.Size]byte]*hitKept{}}
	inst := newInstance(tb, f, base, nil)
	inst.stored = func(testing.TB) int {
		f.mu.RLock()
		defer f.mu.RUnlock()
		return len(f.m)
	}
	return inst
}}

// hitKept is what a hitFloor holds for a key.
type hitKept struct {
	header   http.Header
	body     []byte
	received time.Time
	fresh    time.Time // received plus max-age
}

type hitFloor struct {
	next http.RoundTripper
	mu   sync.RWMutex
	m    map[[sha256.Size]byte]*hitKept
}

func (f *hitFloor) RoundTrip(req *http.Request) (*http.Response, error) {
	k := floorKey(req)
	f.mu.RLock()
	e := f.m[k]
	f.mu.RUnlock()
	if now := time.Now(); e != nil && now.Before(e.fresh) {
		n := 0
		for _, vv := range e.header {
			n += len(vv)
		}
		vals := make([]string, n+1)
		h := make(http.Header, len(e.header)+1)
		for name, vv := range e.header {
			c := copy(vals, vv)
			h[name] = vals[:c:c]
			vals = vals[c:]
		}
		vals[0] = strconv.FormatInt(int64(now.Sub(e.received)/time.Second), 10)
		h["Age"] = vals[0:1:1]
		// One allocation holds the response and its body's reader.
		r := &struct {
			resp http.Response
			body keptBody
		}{}
		r.body.Reset(e.body)
		r.resp = http.Response{
			Status: "200 OK", StatusCode: http.StatusOK, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: h, ContentLength: int64(len(e.body)), Body: &r.body, Request: req,
		}
		return &r.resp, nil
	}
	resp, err := f.next.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	cc := resp.Header.Get("Cache-Control")
	i := strings.Index(cc, "max-age=")
	if i < 0 {
		return resp, nil
	}
	secs, err := strconv.Atoi(cc[i+len("max-age="):])
	if err != nil {
		return resp, nil
	}
	now := time.Now()
	resp.Body = &floorTee[hitSink]{rc: resp.Body, sink: hitSink{f: f, key: k,
		kept: &hitKept{header: resp.Header.Clone(), received: now, fresh: now.Add(time.Duration(secs) * time.Second)}}}
	return resp, nil
}

// hitSink puts a complete body into the floor's map.
type hitSink struct {
	f    *hitFloor
	key  [sha256.Size]byte
	kept *hitKept
}

func (s hitSink) keepBody(body []byte) {
	s.kept.body = bytes.Clone(body)
	s.f.mu.Lock()
	s.f.m[s.key] = s.kept
	s.f.mu.Unlock()
}

// keptBody reads kept bytes; closing it does nothing.
type keptBody struct{ bytes.Reader }

func (*keptBody) Close() error { return nil }
