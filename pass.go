package cachedhttp

import (
	"fmt"
	"net/http"
	"time"
)

// Sending to the next transport: pass (no cache at all) and send (every
// request that reaches the origin goes through it).

// pass forwards req without reading or writing the cache; unsafe methods
// still invalidate what is stored for their URLs (RFC 9111 §4.4).
func (t *Transport) pass(req *http.Request, fwd string) (*http.Response, error) {
	t.stats.passes.Add(1)
	resp, err := t.send(req)
	if err != nil {
		return nil, err
	}
	if !t.closed.Load() {
		t.invalidate(req, resp, "")
		if g := postAsGet(req, resp); g != nil && t.pol.Cacheable(http.MethodGet) && !t.readOnly {
			return t.storeForGet(g, resp, fwd), nil
		}
	}
	setStatus(resp.Header, status{fwd: fwd, fwdStatus: resp.StatusCode})
	return resp, nil
}

// send passes req to the next transport. A response a RoundTripper may
// legally return with a nil Header or Body (net/http's Client tolerates
// both) gets empty ones, so no step after this one needs to care.
func (t *Transport) send(req *http.Request) (*http.Response, error) {
	var start time.Time
	if t.obs != nil {
		start = time.Now()
	}
	resp, err := t.next.RoundTrip(req)
	if t.obs != nil {
		t.obs.ObserveOrigin(time.Since(start), err)
	}
	if err != nil {
		if resp != nil && resp.Body != nil {
			resp.Body.Close()
		}
		return nil, err
	}
	if resp == nil {
		return nil, fmt.Errorf("cachedhttp: %s %s: next transport returned neither a response nor an error", req.Method, req.URL)
	}
	if resp.Header == nil {
		resp.Header = make(http.Header)
	}
	if resp.Body == nil {
		resp.Body = http.NoBody
	}
	return resp, nil
}

// teeReserve bounds the buffer reserved for a body from its Content-Length
// (bodies up to it get an exact-size buffer); a longer body grows it as its
// bytes arrive, so a response that declares 64 MiB and stalls costs 1 MiB.
const teeReserve = 1 << 20
