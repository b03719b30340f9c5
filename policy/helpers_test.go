package policy

import (
	"net/http"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp/models"
)

// t0 is the injected "now" of every test.
var t0 = time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

func httpDate(t time.Time) string { return t.UTC().Format(http.TimeFormat) }

// hdr builds a header from name, value pairs (a name may repeat).
func hdr(kv ...string) http.Header {
	h := make(http.Header)
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

func newReq(t testing.TB, method, target string, kv ...string) *http.Request {
	t.Helper()
	r, err := http.NewRequest(method, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Header = hdr(kv...)
	return r
}

func get(t testing.TB, kv ...string) *http.Request {
	t.Helper()
	return newReq(t, http.MethodGet, "https://example.com/a", kv...)
}

func newResp(req *http.Request, code int, kv ...string) *http.Response {
	return &http.Response{StatusCode: code, Header: hdr(kv...), Request: req, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}
}

// stored runs Storable on resp received at respTime (sent 0s before) and
// builds the record the transport would keep; it fails when not storable.
func stored(t testing.TB, p *Policy, req *http.Request, resp *http.Response, respTime time.Time) *models.Response {
	t.Helper()
	st := p.Storable(req, Controls{}, nil, resp, respTime, respTime)
	if !st.OK {
		t.Fatalf("not storable: %s", st.Reason)
	}
	rec := models.FromHTTP(resp, []byte("body"))
	rec.Header = st.Header
	rec.RequestTime, rec.ResponseTime, rec.Created = respTime, respTime, respTime
	rec.Expires, rec.StaleUntil, rec.Revalidate = st.Expires, st.StaleUntil, st.Revalidate
	return rec
}
