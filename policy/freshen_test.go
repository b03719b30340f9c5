package policy

import (
	"net/http"
	"testing"
	"time"
)

// later is when the revalidation in freshenCase is answered.
const later = 90 * time.Second

type freshenCase struct {
	name    string
	p       Policy
	method  string   // revalidation request method; GET by default
	recH    []string // stored response header (Date t0 added)
	code    int      // answer status; 304 by default
	respH   []string // answer header
	nilRec  bool     // expect no record (not selected)
	storeOK bool
	reason  Reason
	check   func(t *testing.T, recH, newH http.Header, exp time.Time)
}

// run stores a 200 at t0 with recH, freshens it with the answer at later,
// and checks the outcome.
func (c freshenCase) run(t *testing.T) {
	t.Helper()
	recReq := get(t)
	rec := stored(t, &c.p, recReq, newResp(recReq, 200, append([]string{"Date", httpDate(t0)}, c.recH...)...), t0)
	method := c.method
	if method == "" {
		method = http.MethodGet
	}
	req := newReq(t, method, "https://example.com/a")
	code := c.code
	if code == 0 {
		code = http.StatusNotModified
	}
	got, st := c.p.Freshen(req, Controls{}, rec, newResp(req, code, c.respH...), at(later), at(later))
	if (got == nil) != c.nilRec {
		t.Fatalf("Freshen record = %v, want nil %v (store %+v)", got, c.nilRec, st)
	}
	if c.reason != "" && st.Reason != c.reason {
		t.Errorf("Store.Reason = %q, want %q", st.Reason, c.reason)
	}
	if got == nil {
		return
	}
	if st.OK != c.storeOK {
		t.Errorf("Store.OK = %v, want %v (%s)", st.OK, c.storeOK, st.Reason)
	}
	if !got.ResponseTime.Equal(at(later)) || !got.RequestTime.Equal(at(later)) || !got.Created.Equal(t0) {
		t.Errorf("times: request %v response %v created %v", got.RequestTime, got.ResponseTime, got.Created)
	}
	if string(got.Body) != "body" || got.StatusCode != 200 {
		t.Errorf("body %q status %d", got.Body, got.StatusCode)
	}
	if c.check != nil {
		c.check(t, rec.Header, got.Header, got.Expires)
	}
}

func TestFreshen(t *testing.T) {
	etag := []string{"Cache-Control", "max-age=60", "Etag", `"v1"`, "X-A", "old", "Content-Length", "4"}
	tests := []freshenCase{
		{name: "RFC9111 4.3.4 304 updates headers", recH: etag,
			respH:   []string{"Etag", `"v1"`, "Cache-Control", "max-age=120", "X-A", "new", "X-B", "b", "Date", httpDate(at(later))},
			storeOK: true, reason: "stored",
			check: func(t *testing.T, recH, newH http.Header, exp time.Time) {
				if newH.Get("X-A") != "new" || newH.Get("X-B") != "b" || newH.Get("Cache-Control") != "max-age=120" {
					t.Errorf("merged header = %v", newH)
				}
				if recH.Get("X-A") != "old" {
					t.Errorf("stored record modified: %v", recH)
				}
				if want := at(later + 120*time.Second); !exp.Equal(want) {
					t.Errorf("Expires = %v, want %v", exp, want)
				}
			}},
		{name: "RFC9111 4.3.4 304 keeps stored fields it does not carry", recH: etag,
			respH: []string{"Etag", `"v1"`, "Date", httpDate(at(later))}, storeOK: true,
			check: func(t *testing.T, _, newH http.Header, exp time.Time) {
				if newH.Get("X-A") != "old" {
					t.Errorf("merged header = %v", newH)
				}
				// Freshness recomputed from the stored max-age and the new Date.
				if want := at(later + time.Minute); !exp.Equal(want) {
					t.Errorf("Expires = %v, want %v", exp, want)
				}
			}},
		{name: "RFC9111 4.2.3 304 Age counts in recomputed freshness", recH: etag,
			respH: []string{"Etag", `"v1"`, "Age", "20", "Date", httpDate(at(later))}, storeOK: true,
			check: func(t *testing.T, _, _ http.Header, exp time.Time) {
				if want := at(later + 40*time.Second); !exp.Equal(want) {
					t.Errorf("Expires = %v, want %v", exp, want)
				}
			}},
		{name: "RFC9111 4.3.4 304 carrying a different ETag does not select", recH: etag,
			respH: []string{"Etag", `"v2"`}, nilRec: true, reason: "validator-mismatch"},
		{name: "RFC9111 4.3.4 weak 304 ETag selects by weak comparison", recH: etag,
			respH: []string{"Etag", `W/"v1"`}, storeOK: true},
		{name: "RFC9111 4.3.4 strong 304 ETag does not select a weak stored ETag",
			recH: []string{"Cache-Control", "max-age=60", "Etag", `W/"v1"`}, respH: []string{"Etag", `"v1"`},
			nilRec: true, reason: "validator-mismatch"},
		{name: "RFC9111 4.3.4 strong ETag in 304 without stored ETag does not select",
			recH: []string{"Cache-Control", "max-age=60", "Last-Modified", httpDate(at(-time.Hour))}, respH: []string{"Etag", `"v1"`},
			nilRec: true, reason: "validator-mismatch"},
		{name: "RFC9111 4.3.4 Last-Modified selects when no ETag",
			recH:  []string{"Cache-Control", "max-age=60", "Last-Modified", httpDate(at(-time.Hour))},
			respH: []string{"Last-Modified", httpDate(at(-time.Hour))}, storeOK: true},
		{name: "RFC9111 4.3.4 different Last-Modified does not select",
			recH:  []string{"Cache-Control", "max-age=60", "Last-Modified", httpDate(at(-time.Hour))},
			respH: []string{"Last-Modified", httpDate(at(-time.Minute))}, nilRec: true, reason: "validator-mismatch"},
		{name: "RFC9111 4.3.4 304 without validator selects the revalidated record", recH: etag,
			respH: []string{"Cache-Control", "max-age=30"}, storeOK: true},
		{name: "RFC9111 3.2 Content-Length, Content-Encoding and hop-by-hop fields not updated", recH: etag,
			respH: []string{"Etag", `"v1"`, "Content-Length", "0", "Content-Encoding", "gzip", "Connection", "X-Hop",
				"X-Hop", "1", "Keep-Alive", "timeout=5"}, storeOK: true,
			check: func(t *testing.T, _, newH http.Header, _ time.Time) {
				if newH.Get("Content-Length") != "4" || newH.Get("Content-Encoding") != "" ||
					newH.Get("X-Hop") != "" || newH.Get("Keep-Alive") != "" || newH.Get("Connection") != "" {
					t.Errorf("merged header = %v", newH)
				}
			}},
		{name: "RFC9111 5.2.2.4 qualified no-cache in 304 strips the field", recH: etag,
			respH: []string{"Etag", `"v1"`, "Cache-Control", `max-age=60, no-cache="X-A"`}, storeOK: true,
			check: func(t *testing.T, _, newH http.Header, _ time.Time) {
				if _, ok := newH["X-A"]; ok {
					t.Errorf("merged header = %v", newH)
				}
			}},
		{name: "RFC9111 4.3.4 304 with no-store is served but not stored", recH: etag,
			respH: []string{"Etag", `"v1"`, "Cache-Control", "no-store"}, storeOK: false, reason: "no-store",
			check: func(t *testing.T, _, newH http.Header, exp time.Time) {
				if newH.Get("Cache-Control") != "no-store" || !exp.Equal(at(later)) {
					t.Errorf("served record header %v expires %v", newH, exp)
				}
			}},
		{name: "RFC9111 4.3.5 HEAD 200 updates stored GET response", method: http.MethodHead, recH: etag, code: 200,
			respH: []string{"Etag", `"v1"`, "Content-Length", "4", "X-A", "new"}, storeOK: true,
			check: func(t *testing.T, _, newH http.Header, _ time.Time) {
				if newH.Get("X-A") != "new" {
					t.Errorf("merged header = %v", newH)
				}
			}},
		{name: "RFC9111 4.3.5 HEAD 200 with other Content-Length does not update", method: http.MethodHead, recH: etag, code: 200,
			respH: []string{"Etag", `"v1"`, "Content-Length", "5"}, nilRec: true, reason: "validator-mismatch"},
		{name: "RFC9111 4.3.5 HEAD 200 with other ETag does not update", method: http.MethodHead, recH: etag, code: 200,
			respH: []string{"Etag", `"v2"`}, nilRec: true, reason: "validator-mismatch"},
		{name: "RFC9111 4.3.5 HEAD 200 with other Last-Modified does not update", method: http.MethodHead, code: 200,
			recH:  []string{"Cache-Control", "max-age=60", "Last-Modified", httpDate(at(-time.Hour))},
			respH: []string{"Last-Modified", httpDate(at(-time.Minute))}, nilRec: true, reason: "validator-mismatch"},
		{name: "RFC9111 4.3.3 full 200 to GET is not a freshening", recH: etag, code: 200,
			respH: []string{"Etag", `"v1"`}, nilRec: true, reason: "status"},
	}
	for _, tt := range tests {
		t.Run(tt.name, tt.run)
	}
}

func TestFreshenNil(t *testing.T) {
	p := &Policy{}
	req := get(t)
	if got, st := p.Freshen(req, Controls{}, nil, newResp(req, 304), t0, t0); got != nil || st.OK {
		t.Errorf("Freshen(nil record) = %v, %+v", got, st)
	}
}

func TestFreshenIgnoresOwnRefusals(t *testing.T) {
	req := get(t)
	rec := stored(t, &Policy{}, req, newResp(req, 200, "Date", httpDate(t0), "Cache-Control", "max-age=60", "Etag", `"v1"`), t0)
	p := &Policy{Filter: func(*http.Response) bool { return false }, MaxBodySize: 1}
	for _, method := range []string{http.MethodGet, http.MethodHead} {
		r := newReq(t, method, "https://example.com/a")
		code := http.StatusNotModified
		if method == http.MethodHead {
			code = http.StatusOK
		}
		resp := newResp(r, code, "Etag", `"v1"`)
		resp.ContentLength = 4
		got, st := p.Freshen(r, Controls{}, rec, resp, at(later), at(later))
		if got == nil || !st.OK {
			t.Errorf("%s: Freshen = %v, %+v; want the record kept (Filter, MaxBodySize and the HEAD rule are Storable's)", method, got, st)
		}
	}
}
