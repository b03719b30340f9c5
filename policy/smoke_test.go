package policy

import (
	"net/http"
	"testing"
	"time"
)

func TestSmoke(t *testing.T) {
	p := &Policy{}
	req := get(t)
	resp := newResp(req, 200, "Cache-Control", "max-age=60", "Date", httpDate(t0), "Etag", `"x"`)
	rec := stored(t, p, req, resp, t0)
	if d := p.Lookup(req, Controls{}, rec, at(30*time.Second)); d.Action != Serve {
		t.Fatalf("%+v", d)
	}
	d := p.Lookup(req, Controls{}, rec, at(90*time.Second))
	if d.Action != Revalidate || d.Conditional.Get("If-None-Match") != `"x"` {
		t.Fatalf("%+v", d)
	}
	nr, st := p.Freshen(req, Controls{}, rec, newResp(req, http.StatusNotModified, "Cache-Control", "max-age=60", "Etag", `"x"`, "Date", httpDate(at(90*time.Second))), at(90*time.Second), at(90*time.Second))
	if nr == nil || !st.OK || !nr.Expires.Equal(at(150*time.Second)) {
		t.Fatalf("%+v %+v", nr, st)
	}
}
