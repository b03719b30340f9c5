package cachedhttp

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

// TestRevalidation304WritesOnlyChanges_RFC9111_4_3_4: a 304 that moves only
// Date on a no-cache record (§5.2.2.4: revalidated at every use) is used to
// answer the caller but not written back; one that brings a new field is
// (§4.3.4 "update the stored response"). Cache-Status reports stored only
// when a record was written (RFC 9211 §2.6).
func TestRevalidation304WritesOnlyChanges_RFC9111_4_3_4(t *testing.T) {
	var extra atomic.Value
	extra.Store("")
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("Etag", `"v1"`)
		if x := extra.Load().(string); x != "" {
			w.Header().Set("X-Extra", x)
		}
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Write([]byte("body"))
	}, WithWriteQueue(0))
	req, _ := http.NewRequest(http.MethodGet, h.o.URL+"/a", nil)
	key, err := h.tr.Key(req)
	if err != nil {
		t.Fatal(err)
	}
	stored := func() []byte {
		t.Helper()
		v, err := h.be.Get(context.Background(), key)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	r := h.get("/a")
	if r.body != "body" || !strings.Contains(r.resp.Header.Get("Cache-Status"), "stored") {
		t.Fatalf("first response: %q, Cache-Status %q", r.body, r.resp.Header.Get("Cache-Status"))
	}
	first := stored()

	h.clk.Advance(10e9)
	r = h.get("/a")
	cs := r.resp.Header.Get("Cache-Status")
	if r.body != "body" || !strings.Contains(cs, "fwd-status=304") || strings.Contains(cs, "stored") {
		t.Fatalf("304 moving only Date: body %q, Cache-Status %q (want fwd-status=304, not stored)", r.body, cs)
	}
	if got := r.resp.Header.Get("Date"); got != h.clk.Now().Format(http.TimeFormat) {
		t.Errorf("the caller's Date = %q, want the 304's %q (§4.3.4 updates what is served)", got, h.clk.Now().Format(http.TimeFormat))
	}
	if s := stored(); &s[0] != &first[0] {
		t.Error("the record was written again although only Date moved")
	}
	if st := h.tr.Stats(); st.Unchanged != 1 || st.Revalidations != 1 {
		t.Errorf("Stats: Unchanged %d, Revalidations %d; want 1, 1", st.Unchanged, st.Revalidations)
	}

	extra.Store("new")
	h.clk.Advance(10e9)
	r = h.get("/a")
	if cs := r.resp.Header.Get("Cache-Status"); !strings.Contains(cs, "stored") || r.resp.Header.Get("X-Extra") != "new" {
		t.Fatalf("304 with a new field: Cache-Status %q, X-Extra %q (want stored, new)", cs, r.resp.Header.Get("X-Extra"))
	}
	if s := stored(); &s[0] == &first[0] {
		t.Error("a 304 with a new field did not update the stored record (§4.3.4)")
	}
	h.wantHits(3)
}
